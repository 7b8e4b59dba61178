using System.Buffers.Binary;

namespace Ikev2Client.Inspect;

/// <summary>One captured frame: its link type, timestamp and bytes as captured.</summary>
public sealed record CapturedFrame(int Number, DateTimeOffset Timestamp, int LinkType, byte[] Data);

/// <summary>A capture file could not be read to the end; the frames before the problem are still returned.</summary>
public sealed class CaptureFormatException : Exception
{
    public CaptureFormatException(string message) : base(message) { }
}

/// <summary>
/// Reads classic pcap (microsecond and nanosecond, either byte order) and pcapng (section header, interface
/// description, enhanced and simple packet blocks; either byte order; several interfaces with their own link
/// types). Reading stops at the first inconsistency with a <see cref="CaptureFormatException"/> that says where;
/// frames read before it are kept in <see cref="Frames"/>.
/// </summary>
public sealed class CaptureReader
{
    public const int LinkTypeNull = 0;
    public const int LinkTypeEthernet = 1;
    public const int LinkTypeRaw = 101;
    public const int LinkTypeLinuxSll = 113;
    public const int LinkTypeIpv4 = 228;
    public const int LinkTypeIpv6 = 229;
    public const int LinkTypeLinuxSll2 = 276;

    private const int MaxFrame = 256 * 1024;

    public List<CapturedFrame> Frames { get; } = new();

    /// <summary>Set when the file ended early or is corrupt: a message a person can read.</summary>
    public string? Error { get; private set; }

    public static CaptureReader Read(byte[] file)
    {
        var reader = new CaptureReader();
        try
        {
            if (file.Length < 4) throw new CaptureFormatException($"the file has {file.Length} bytes; it is not a pcap or pcapng capture");
            uint magic = BinaryPrimitives.ReadUInt32LittleEndian(file);
            switch (magic)
            {
                case 0xa1b2c3d4: case 0xd4c3b2a1: case 0xa1b23c4d: case 0x4d3cb2a1:
                    reader.ReadPcap(file);
                    break;
                case 0x0a0d0d0a:
                    reader.ReadPcapng(file);
                    break;
                default:
                    throw new CaptureFormatException($"unknown file magic 0x{magic:x8}: not a pcap or pcapng capture");
            }
        }
        catch (CaptureFormatException e)
        {
            reader.Error = e.Message;
        }
        return reader;
    }

    private void ReadPcap(byte[] f)
    {
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(f);
        bool le = magic is 0xa1b2c3d4 or 0xa1b23c4d;
        bool nano = magic is 0xa1b23c4d or 0x4d3cb2a1;
        if (f.Length < 24) throw new CaptureFormatException("the pcap file header is truncated (24 bytes needed)");
        int linkType = (int)(U32(f, 20, le) & 0x0fffffff);
        int offset = 24;
        int number = 0;
        while (offset < f.Length)
        {
            if (f.Length - offset < 16)
                throw new CaptureFormatException($"the capture is truncated: a record header at byte {offset} is cut off after frame {number}");
            uint sec = U32(f, offset, le), frac = U32(f, offset + 4, le), incl = U32(f, offset + 8, le);
            if (incl > MaxFrame) throw new CaptureFormatException($"record {number + 1} at byte {offset} claims {incl} bytes: the file is corrupt");
            if (f.Length - offset - 16 < incl)
                throw new CaptureFormatException($"the capture is truncated: frame {number + 1} needs {incl} bytes but {f.Length - offset - 16} remain");
            var ts = DateTimeOffset.FromUnixTimeSeconds(sec).AddTicks(nano ? frac / 100 : frac * 10L);
            Frames.Add(new CapturedFrame(++number, ts, linkType, f.AsSpan(offset + 16, (int)incl).ToArray()));
            offset += 16 + (int)incl;
        }
    }

    private void ReadPcapng(byte[] f)
    {
        var interfaces = new List<(int LinkType, long TicksPerUnit, bool Divide)>();
        bool le = true;
        int offset = 0;
        int number = 0;
        while (offset < f.Length)
        {
            if (f.Length - offset < 12)
                throw new CaptureFormatException($"the capture is truncated: a block header at byte {offset} is cut off after frame {number}");
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan(offset));
            if (type == 0x0a0d0d0a)
            {
                uint bom = BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan(offset + 8));
                le = bom switch
                {
                    0x1a2b3c4d => true,
                    0x4d3c2b1a => false,
                    _ => throw new CaptureFormatException($"section header at byte {offset} has an invalid byte-order magic"),
                };
                interfaces.Clear();
            }
            else type = U32(f, offset, le);
            uint length = U32(f, offset + 4, le);
            if (length < 12 || length % 4 != 0 || length > f.Length - offset)
                throw new CaptureFormatException(length > f.Length - offset
                    ? $"the capture is truncated: block at byte {offset} needs {length} bytes but {f.Length - offset} remain"
                    : $"block at byte {offset} has invalid length {length}: the file is corrupt");
            var body = f.AsSpan(offset + 8, (int)length - 12);
            switch (type)
            {
                case 1: // Interface Description Block
                {
                    if (body.Length < 8) throw new CaptureFormatException($"interface description at byte {offset} is too short");
                    int link = le ? BinaryPrimitives.ReadUInt16LittleEndian(body) : BinaryPrimitives.ReadUInt16BigEndian(body);
                    var (unit, divide) = ReadTsResolution(body.Slice(8), le);
                    interfaces.Add((link, unit, divide));
                    break;
                }
                case 6: // Enhanced Packet Block
                {
                    if (body.Length < 20) throw new CaptureFormatException($"packet block at byte {offset} is too short");
                    int iface = (int)U32(body, 0, le);
                    if (iface >= interfaces.Count) throw new CaptureFormatException($"packet block at byte {offset} names interface {iface}, which was not described");
                    ulong ts = ((ulong)U32(body, 4, le) << 32) | U32(body, 8, le);
                    uint captured = U32(body, 12, le);
                    if (captured > body.Length - 20) throw new CaptureFormatException($"packet block at byte {offset} claims {captured} bytes but holds {body.Length - 20}");
                    var (link, unit, divide) = interfaces[iface];
                    long ticks = divide ? (long)(ts / (ulong)unit) : (long)ts * unit;
                    Frames.Add(new CapturedFrame(++number, DateTimeOffset.UnixEpoch.AddTicks(ticks), link, body.Slice(20, (int)captured).ToArray()));
                    break;
                }
                case 3: // Simple Packet Block
                {
                    if (interfaces.Count == 0) throw new CaptureFormatException($"simple packet block at byte {offset} before any interface description");
                    if (body.Length < 4) throw new CaptureFormatException($"simple packet block at byte {offset} is too short");
                    uint orig = U32(body, 0, le);
                    int captured = (int)Math.Min(orig, (uint)(body.Length - 4));
                    Frames.Add(new CapturedFrame(++number, DateTimeOffset.UnixEpoch, interfaces[0].LinkType, body.Slice(4, captured).ToArray()));
                    break;
                }
            }
            offset += (int)length;
        }
    }

    /// <summary>if_tsresol option (code 9): 10^-n or 2^-n seconds per unit; default microseconds.</summary>
    private static (long Unit, bool Divide) ReadTsResolution(ReadOnlySpan<byte> options, bool le)
    {
        while (options.Length >= 4)
        {
            int code = le ? BinaryPrimitives.ReadUInt16LittleEndian(options) : BinaryPrimitives.ReadUInt16BigEndian(options);
            int len = le ? BinaryPrimitives.ReadUInt16LittleEndian(options.Slice(2)) : BinaryPrimitives.ReadUInt16BigEndian(options.Slice(2));
            if (code == 0 || options.Length < 4 + len) break;
            if (code == 9 && len >= 1)
            {
                byte v = options[4];
                if ((v & 0x80) == 0)
                {
                    int exp = v & 0x7f;
                    // ticks are 100 ns = 10^-7 s
                    return exp <= 7 ? ((long)Math.Pow(10, 7 - exp), false) : ((long)Math.Pow(10, exp - 7), true);
                }
                return (Math.Max(1, (1L << (v & 0x7f)) / 10_000_000), true);
            }
            options = options.Slice(4 + ((len + 3) & ~3));
        }
        return (10, false);
    }

    private static uint U32(ReadOnlySpan<byte> b, int at, bool le) =>
        le ? BinaryPrimitives.ReadUInt32LittleEndian(b.Slice(at)) : BinaryPrimitives.ReadUInt32BigEndian(b.Slice(at));
}
