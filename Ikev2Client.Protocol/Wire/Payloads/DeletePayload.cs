namespace Ikev2Client.Protocol.Wire.Payloads;

/// <summary>
/// Delete payload (RFC 7296 §3.11). For the IKE SA, SPI size is 0 and there are no SPIs;
/// for ESP/AH each SPI is the 4-byte inbound SPI of the sender.
/// <code>
/// | Protocol ID   |   SPI Size    |          Num of SPIs          |
/// ~               Security Parameter Index(es) (SPI)              ~
/// </code>
/// </summary>
public sealed class DeletePayload : Payload
{
    /// <inheritdoc />
    public override PayloadType Type => PayloadType.Delete;
    /// <summary>IKE (the IKE SA itself) or ESP/AH (CHILD SAs named by SPI).</summary>
    public ProtocolId ProtocolId { get; set; }
    /// <summary>Bytes per SPI: 0 for IKE, 4 for ESP and AH.</summary>
    public byte SpiSize { get; set; }
    /// <summary>The SPIs of the SAs deleted (empty for IKE).</summary>
    public List<byte[]> Spis { get; } = new();

    /// <summary>An empty Delete payload.</summary>
    public DeletePayload() { }

    /// <summary>Deletes the IKE SA the message is sent on.</summary>
    public static DeletePayload ForIkeSa() => new() { ProtocolId = ProtocolId.Ike, SpiSize = 0 };

    /// <summary>Deletes CHILD SAs named by the SPIs their sender's peer chose (the SPIs in the sender's inbound packets).</summary>
    public static DeletePayload ForChildSas(ProtocolId protocol, IEnumerable<uint> spis)
    {
        var d = new DeletePayload { ProtocolId = protocol, SpiSize = 4 };
        foreach (var s in spis)
        {
            var b = new byte[4];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(b, s);
            d.Spis.Add(b);
        }
        return d;
    }

    /// <summary>The 4-byte SPIs as numbers.</summary>
    public IEnumerable<uint> SpiValues => Spis.Where(s => s.Length == 4).Select(s => System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(s));

    internal override int BodyLength => 4 + Spis.Count * SpiSize;

    internal override void WriteBody(Span<byte> d)
    {
        var w = new SpanWriter(d);
        w.U8((byte)ProtocolId);
        w.U8(SpiSize);
        w.U16((ushort)Spis.Count);
        foreach (var s in Spis) w.Bytes(s);
    }

    internal static bool TryRead(ReadOnlySpan<byte> body, out DeletePayload? payload, out string? error)
    {
        var r = new SpanReader(body);
        var p = new DeletePayload { ProtocolId = (ProtocolId)r.U8(), SpiSize = r.U8() };
        ushort count = r.U16();
        if (r.Failed) { (payload, error) = (null, "delete payload shorter than 4 bytes"); return false; }
        if ((long)count * p.SpiSize != r.Remaining)
        {
            (payload, error) = (null, $"delete payload says {count} SPIs of {p.SpiSize} bytes but carries {r.Remaining} bytes");
            return false;
        }
        if (p.ProtocolId == ProtocolId.Ike && (p.SpiSize != 0 || count != 0))
        {
            (payload, error) = (null, "IKE SA delete must have no SPIs");
            return false;
        }
        for (int i = 0; i < count; i++) p.Spis.Add(r.Bytes(p.SpiSize).ToArray());
        (payload, error) = (p, null);
        return true;
    }
}
