using System.Buffers.Binary;

namespace Ikev2Client.Protocol.Wire.Payloads;

/// <summary>
/// Notify payload (RFC 7296 §3.10).
/// <code>
/// |  Protocol ID  |   SPI Size    |      Notify Message Type      |
/// ~                Security Parameter Index (SPI)                 ~
/// ~                       Notification Data                       ~
/// </code>
/// </summary>
public sealed class NotifyPayload : Payload
{
    /// <inheritdoc />
    public override PayloadType Type => PayloadType.Notify;
    /// <summary>The protocol of the SA named by <see cref="Spi"/>; none when the notification concerns no SA.</summary>
    public ProtocolId ProtocolId { get; set; }
    /// <summary>The notify message type.</summary>
    public NotifyType NotifyType { get; set; }
    /// <summary>The SPI of the SA the notification concerns (empty for most notifications).</summary>
    public byte[] Spi { get; set; } = Array.Empty<byte>();
    /// <summary>The notification data.</summary>
    public byte[] Data { get; set; } = Array.Empty<byte>();

    /// <summary>An empty Notify payload.</summary>
    public NotifyPayload() { }

    /// <summary>A Notify payload of <paramref name="type"/> with optional data, protocol and SPI.</summary>
    public NotifyPayload(NotifyType type, byte[]? data = null, ProtocolId protocolId = ProtocolId.None, byte[]? spi = null)
    {
        NotifyType = type;
        Data = data ?? Array.Empty<byte>();
        ProtocolId = protocolId;
        Spi = spi ?? Array.Empty<byte>();
    }

    /// <summary>Error notifies are those below 16384 (RFC 7296 §3.10.1).</summary>
    public bool IsError => (ushort)NotifyType < 16384;

    internal override int BodyLength => 4 + Spi.Length + Data.Length;

    internal override void WriteBody(Span<byte> d)
    {
        var w = new SpanWriter(d);
        w.U8((byte)ProtocolId);
        w.U8((byte)Spi.Length);
        w.U16((ushort)NotifyType);
        w.Bytes(Spi);
        w.Bytes(Data);
    }

    internal static bool TryRead(ReadOnlySpan<byte> body, out NotifyPayload? payload, out string? error)
    {
        var r = new SpanReader(body);
        var protocol = (ProtocolId)r.U8();
        byte spiSize = r.U8();
        var type = (NotifyType)r.U16();
        var spi = r.Bytes(spiSize);
        var data = r.Rest();
        if (r.Failed) { (payload, error) = (null, "notify payload truncated (SPI size past the end)"); return false; }
        (payload, error) = (new NotifyPayload { ProtocolId = protocol, NotifyType = type, Spi = spi.ToArray(), Data = data.ToArray() }, null);
        return true;
    }

    // ---- typed views of well-known notification data ----

    /// <summary>SIGNATURE_HASH_ALGORITHMS (RFC 7427 §4): a list of 16-bit hash algorithm identifiers.</summary>
    public static NotifyPayload SignatureHashAlgorithms(IEnumerable<ushort> hashes)
    {
        var list = hashes.ToArray();
        var data = new byte[list.Length * 2];
        for (int i = 0; i < list.Length; i++) BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(i * 2), list[i]);
        return new NotifyPayload(NotifyType.SignatureHashAlgorithms, data);
    }

    /// <summary>The hash algorithm identifiers of a SIGNATURE_HASH_ALGORITHMS notification (RFC 7427).</summary>
    public IReadOnlyList<ushort> GetHashAlgorithms()
    {
        var result = new List<ushort>(Data.Length / 2);
        for (int i = 0; i + 1 < Data.Length; i += 2) result.Add(BinaryPrimitives.ReadUInt16BigEndian(Data.AsSpan(i)));
        return result;
    }

    /// <summary>INVALID_KE_PAYLOAD carries the accepted group as two octets (RFC 7296 §1.3).</summary>
    public bool TryGetAcceptedGroup(out Crypto.KeGroup group)
    {
        group = Data.Length >= 2 ? (Crypto.KeGroup)BinaryPrimitives.ReadUInt16BigEndian(Data) : Crypto.KeGroup.None;
        return Data.Length == 2;
    }

    /// <summary>AUTH_LIFETIME (RFC 4478): seconds until reauthentication is required.</summary>
    public bool TryGetAuthLifetime(out uint seconds)
    {
        seconds = Data.Length == 4 ? BinaryPrimitives.ReadUInt32BigEndian(Data) : 0;
        return Data.Length == 4;
    }

    /// <summary>The SPI as a number (4-byte CHILD SA SPI in REKEY_SA, for example).</summary>
    public uint SpiValue => Spi.Length == 4 ? BinaryPrimitives.ReadUInt32BigEndian(Spi) : 0;

    /// <inheritdoc />
    public override string ToString() => $"N({NotifyType})";
}
