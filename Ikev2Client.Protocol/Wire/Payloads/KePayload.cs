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
    /// <inheritdoc />
    public override PayloadType Type => PayloadType.KeyExchange;
    /// <summary>The key exchange method (Diffie-Hellman group) of <see cref="Data"/>.</summary>
    public KeGroup Group { get; set; }
    /// <summary>The sender's public key exchange value.</summary>
    public byte[] Data { get; set; } = Array.Empty<byte>();

    /// <summary>An empty KE payload.</summary>
    public KePayload() { }
    /// <summary>A KE payload with the given group and public value.</summary>
    public KePayload(KeGroup group, byte[] data) { Group = group; Data = data; }

    internal override int BodyLength => 4 + Data.Length;

    internal override void WriteBody(Span<byte> d)
    {
        var w = new SpanWriter(d);
        w.U16((ushort)Group);
        w.U16(0);
        w.Bytes(Data);
    }

    internal static bool TryRead(ReadOnlySpan<byte> body, out KePayload? payload, out string? error)
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
