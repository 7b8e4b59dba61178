namespace Ikev2Client.Protocol.Wire.Payloads;

/// <summary>EAP codes (RFC 3748 §4).</summary>
public enum EapCode : byte
{
    Request = 1,
    Response = 2,
    Success = 3,
    Failure = 4,
}

/// <summary>
/// EAP payload (RFC 7296 §3.16): one EAP message (RFC 3748).
/// <code>
/// |     Code      | Identifier    |           Length              |
/// |     Type      | Type_Data...
/// </code>
/// </summary>
public sealed class EapPayload : Payload
{
    public override PayloadType Type => PayloadType.Eap;

    /// <summary>The whole EAP message.</summary>
    public byte[] Message { get; set; } = Array.Empty<byte>();

    public EapPayload() { }
    public EapPayload(byte[] message) => Message = message;

    public EapCode Code => (EapCode)Message[0];
    public byte Identifier => Message[1];
    /// <summary>The EAP method type for requests and responses (0 for success and failure).</summary>
    public byte EapType => Message.Length > 4 && Code is EapCode.Request or EapCode.Response ? Message[4] : (byte)0;

    public override int BodyLength => Message.Length;
    public override void WriteBody(Span<byte> d) => Message.CopyTo(d);

    public static bool TryRead(ReadOnlySpan<byte> body, out EapPayload? payload, out string? error)
    {
        payload = null;
        var r = new SpanReader(body);
        byte code = r.U8();
        r.U8();
        ushort length = r.U16();
        if (r.Failed) { error = "EAP message shorter than 4 bytes"; return false; }
        if (code is < 1 or > 4) { error = $"unknown EAP code {code}"; return false; }
        if (length != body.Length) { error = $"EAP length {length} disagrees with the payload's {body.Length} bytes"; return false; }
        if (code is 1 or 2 && length < 5) { error = "EAP request/response without a type"; return false; }
        (payload, error) = (new EapPayload(body.ToArray()), null);
        return true;
    }
}
