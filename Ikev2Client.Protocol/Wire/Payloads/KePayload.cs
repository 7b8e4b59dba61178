using Ikev2Client.Protocol.Crypto;

namespace Ikev2Client.Protocol.Wire.Payloads;

/// <summary>
/// Key Exchange payload (RFC 7296 §3.4).
/// <code>
/// |   Diffie-Hellman Group Num    |           RESERVED            |
/// ~                       Key Exchange Data                       ~
/// </code>
/// </summary>
public sealed class KePayload : Payload
{
    public override PayloadType Type => PayloadType.KeyExchange;
    public KeGroup Group { get; set; }
    public byte[] Data { get; set; } = Array.Empty<byte>();

    public KePayload() { }
    public KePayload(KeGroup group, byte[] data) { Group = group; Data = data; }

    public override int BodyLength => 4 + Data.Length;

    public override void WriteBody(Span<byte> d)
    {
        var w = new SpanWriter(d);
        w.U16((ushort)Group);
        w.U16(0);
        w.Bytes(Data);
    }

    public static bool TryRead(ReadOnlySpan<byte> body, out KePayload? payload, out string? error)
    {
        var r = new SpanReader(body);
        var group = (KeGroup)r.U16();
        r.U16();
        var data = r.Rest();
        if (r.Failed) { (payload, error) = (null, "KE payload shorter than 4 bytes"); return false; }
        if (data.Length == 0) { (payload, error) = (null, "KE payload has no key exchange data"); return false; }
        (payload, error) = (new KePayload(group, data.ToArray()), null);
        return true;
    }
}
