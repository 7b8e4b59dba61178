namespace Ikev2Client.Protocol.Wire.Payloads;

/// <summary>EAP codes (RFC 3748 §4).</summary>
public enum EapCode : byte
{
    /// <summary>An EAP Request (from the authenticator).</summary>
    Request = 1,
    /// <summary>An EAP Response (from the peer).</summary>
    Response = 2,
    /// <summary>EAP Success.</summary>
    Success = 3,
    /// <summary>EAP Failure.</summary>
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
    /// <inheritdoc />
    public override PayloadType Type => PayloadType.Eap;

    /// <summary>The whole EAP message.</summary>
    public byte[] Message { get; set; } = Array.Empty<byte>();

    /// <summary>An empty EAP payload.</summary>
    public EapPayload() { }
    /// <summary>An EAP payload carrying one EAP message.</summary>
    public EapPayload(byte[] message) => Message = message;

    /// <summary>The EAP message's Code (its first octet).</summary>
    public EapCode Code => (EapCode)Message[0];
    /// <summary>The EAP message's Identifier (its second octet).</summary>
    public byte Identifier => Message[1];
    /// <summary>The EAP method type for requests and responses (0 for success and failure).</summary>
    public byte EapType => Message.Length > 4 && Code is EapCode.Request or EapCode.Response ? Message[4] : (byte)0;

    internal override int BodyLength => Message.Length;
    internal override void WriteBody(Span<byte> d) => Message.CopyTo(d);

    internal static bool TryRead(ReadOnlySpan<byte> body, out EapPayload? payload, out string? error)
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
