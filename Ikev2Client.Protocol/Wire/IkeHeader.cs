namespace Ikev2Client.Protocol.Wire;

/// <summary>
/// The IKE header (RFC 7296 §3.1).
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                       IKE SA Initiator's SPI                  |
/// |                                                               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                       IKE SA Responder's SPI                  |
/// |                                                               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |  Next Payload | MjVer | MnVer | Exchange Type |     Flags     |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                          Message ID                           |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                            Length                             |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// </summary>
public struct IkeHeader
{
    /// <summary>The header's size in bytes.</summary>
    public const int Size = 28;

    /// <summary>The IKE SA initiator's SPI.</summary>
    public ulong SpiI;
    /// <summary>The IKE SA responder's SPI (0 in the first IKE_SA_INIT request).</summary>
    public ulong SpiR;
    /// <summary>The type of the first payload.</summary>
    public PayloadType NextPayload;
    /// <summary>Major version in the high nibble, minor in the low (0x20 for IKEv2).</summary>
    public byte Version;
    /// <summary>The exchange the message belongs to.</summary>
    public ExchangeType ExchangeType;
    /// <summary>The I(nitiator), V(ersion) and R(esponse) flags.</summary>
    public IkeHeaderFlags Flags;
    /// <summary>The message ID: requests and their responses share it.</summary>
    public uint MessageId;
    /// <summary>The length of the whole message, header included, in bytes.</summary>
    public uint Length;

    /// <summary>True when the R flag is set.</summary>
    public readonly bool IsResponse => (Flags & IkeHeaderFlags.Response) != 0;
    /// <summary>True when the I flag is set (sent by the IKE SA's original initiator).</summary>
    public readonly bool IsInitiator => (Flags & IkeHeaderFlags.Initiator) != 0;
    /// <summary>The major version (2 for IKEv2).</summary>
    public readonly int MajorVersion => Version >> 4;

    /// <summary>Reads the header without validating the version (callers decide what a bad version means).</summary>
    internal static bool TryRead(ReadOnlySpan<byte> data, out IkeHeader header)
    {
        var r = new SpanReader(data);
        header = new IkeHeader
        {
            SpiI = r.U64(),
            SpiR = r.U64(),
            NextPayload = (PayloadType)r.U8(),
            Version = r.U8(),
            ExchangeType = (ExchangeType)r.U8(),
            Flags = (IkeHeaderFlags)r.U8(),
            MessageId = r.U32(),
            Length = r.U32(),
        };
        return !r.Failed;
    }

    internal readonly void Write(Span<byte> destination)
    {
        var w = new SpanWriter(destination);
        w.U64(SpiI);
        w.U64(SpiR);
        w.U8((byte)NextPayload);
        w.U8(Version);
        w.U8((byte)ExchangeType);
        w.U8((byte)Flags);
        w.U32(MessageId);
        w.U32(Length);
    }
}
