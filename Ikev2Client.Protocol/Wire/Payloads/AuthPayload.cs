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
    /// <inheritdoc />
    public override PayloadType Type => PayloadType.Authentication;
    /// <summary>The authentication method: how <see cref="Data"/> was computed.</summary>
    public IkeAuthMethod Method { get; set; }
    /// <summary>The authentication data: a PSK/EAP MAC or a signature (for method 14, preceded by its AlgorithmIdentifier).</summary>
    public byte[] Data { get; set; } = Array.Empty<byte>();

    /// <summary>An empty AUTH payload (fill in <see cref="Method"/> and <see cref="Data"/>).</summary>
    public AuthPayload() { }
    /// <summary>An AUTH payload with the given method and data.</summary>
    public AuthPayload(IkeAuthMethod method, byte[] data) { Method = method; Data = data; }

    internal override int BodyLength => 4 + Data.Length;

    internal override void WriteBody(Span<byte> d)
    {
        var w = new SpanWriter(d);
        w.U8((byte)Method);
        w.Zeros(3);
        w.Bytes(Data);
    }

    internal static bool TryRead(ReadOnlySpan<byte> body, out AuthPayload? payload, out string? error)
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
