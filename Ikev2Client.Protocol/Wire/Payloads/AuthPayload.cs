namespace Ikev2Client.Protocol.Wire.Payloads;

/// <summary>
/// Authentication payload (RFC 7296 §3.8).
/// <code>
/// | Auth Method   |                RESERVED                       |
/// ~                      Authentication Data                      ~
/// </code>
/// </summary>
public sealed class AuthPayload : Payload
{
    public override PayloadType Type => PayloadType.Authentication;
    public IkeAuthMethod Method { get; set; }
    public byte[] Data { get; set; } = Array.Empty<byte>();

    public AuthPayload() { }
    public AuthPayload(IkeAuthMethod method, byte[] data) { Method = method; Data = data; }

    public override int BodyLength => 4 + Data.Length;

    public override void WriteBody(Span<byte> d)
    {
        var w = new SpanWriter(d);
        w.U8((byte)Method);
        w.Zeros(3);
        w.Bytes(Data);
    }

    public static bool TryRead(ReadOnlySpan<byte> body, out AuthPayload? payload, out string? error)
    {
        var r = new SpanReader(body);
        var method = (IkeAuthMethod)r.U8();
        r.Bytes(3);
        var data = r.Rest();
        if (r.Failed) { (payload, error) = (null, "AUTH payload shorter than 4 bytes"); return false; }
        if (data.Length == 0) { (payload, error) = (null, "AUTH payload has no authentication data"); return false; }
        (payload, error) = (new AuthPayload(method, data.ToArray()), null);
        return true;
    }
}
