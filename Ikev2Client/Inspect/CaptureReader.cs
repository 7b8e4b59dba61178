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
/// types and timestamp resolutions) from a stream, one frame at a time: memory stays flat however large the file
/// (at most one block of <see cref="MaxBlockBytes"/> is held). Reading stops at the first inconsistency and
/// <see cref="Error"/> says where; the frames before it have been returned.
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

    /// <summary>Largest frame accepted (a pcap record or a pcapng packet's captured length).</summary>
    public const int MaxFrame = 256 * 1024;
    /// <summary>Largest pcapng block that is read into memory (a packet block with its options); longer blocks of other types are skipped.</summary>
    public const int MaxBlockBytes = MaxFrame + 64 * 1024;
    /// <summary>Interface descriptions per pcapng section.</summary>
    public const int MaxInterfaces = 1024;

    private static readonly ulong MaxTicksSinceEpoch = (ulong)(DateTimeOffset.MaxValue.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks);

    private readonly Stream _stream;
    private long _offset;
    private int _number;
    private Format _format;
    private bool _le = true;
    private bool _nano;
    private int _pcapLinkType;
    private readonly List<(int LinkType, byte Resolution)> _interfaces = new();

    private enum Format { Unknown, Pcap, Pcapng, Done }

    /// <summary>A reader over <paramref name="stream"/>, which is read forward only (a pipe will do).</summary>
    public CaptureReader(Stream stream) => _stream = stream;

    /// <summary>Frames read into memory by <see cref="Read(byte[])"/>.</summary>
    public List<CapturedFrame> Frames { get; } = new();

    /// <summary>Set when the file ended early or is corrupt: a message a person can read.</summary>
    public string? Error { get; private set; }

    /// <summary>Frames returned so far.</summary>
    public int FrameCount => _number;

    /// <summary>Reads a whole capture held in memory into <see cref="Frames"/>.</summary>
    public static CaptureReader Read(byte[] file)
    {
        var reader = new CaptureReader(new MemoryStream(file, writable: false));
        reader.Frames.AddRange(reader.ReadFrames());
        return reader;
    }

    /// <summary>The frames one by one; at a format problem the sequence ends and <see cref="Error"/> is set.</summary>
    public IEnumerable<CapturedFrame> ReadFrames()
    {
        while (true)
        {
            CapturedFrame? frame;
            try { frame = Next(); }
            catch (CaptureFormatException e)
            {
                Error = e.Message;
                _format = Format.Done;
                yield break;
            }
            if (frame is null) yield break;
            yield return frame;
        }
    }

    private CapturedFrame? Next()
    {
        if (_format == Format.Unknown) ReadFileHeader();
        return _format switch
        {
            Format.Pcap => NextPcap(),
            Format.Pcapng => NextPcapng(),
            _ => null,
        };
    }

    private void ReadFileHeader()
    {
        Span<byte> magicBytes = stackalloc byte[4];
        int n = Fill(magicBytes);
        if (n < 4) throw new CaptureFormatException($"the file has {n} bytes; it is not a pcap or pcapng capture");
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(magicBytes);
        switch (magic)
        {
            case 0xa1b2c3d4: case 0xd4c3b2a1: case 0xa1b23c4d: case 0x4d3cb2a1:
            {
                _le = magic is 0xa1b2c3d4 or 0xa1b23c4d;
                _nano = magic is 0xa1b23c4d or 0x4d3cb2a1;
                Span<byte> rest = stackalloc byte[20];
                if (Fill(rest) < 20) throw new CaptureFormatException("the pcap file header is truncated (24 bytes needed)");
                _pcapLinkType = (int)(U32(rest, 16, _le) & 0x0fffffff);
                _format = Format.Pcap;
                break;
            }
            case 0x0a0d0d0a:
                _format = Format.Pcapng;
                _pendingMagic = magic;
                break;
            default:
                throw new CaptureFormatException($"unknown file magic 0x{magic:x8}: not a pcap or pcapng capture");
        }
    }

    private uint? _pendingMagic;

    private CapturedFrame? NextPcap()
    {
        Span<byte> header = stackalloc byte[16];
        long at = _offset;
        int n = Fill(header);
        if (n == 0) return null;
        if (n < 16) throw new CaptureFormatException($"the capture is truncated: a record header at byte {at} is cut off after frame {_number}");
        uint sec = U32(header, 0, _le), frac = U32(header, 4, _le), incl = U32(header, 8, _le);
        if (incl > MaxFrame) throw new CaptureFormatException($"record {_number + 1} at byte {at} claims {incl} bytes (more than the {MaxFrame}-byte limit): the file is corrupt");
        var data = new byte[incl];
        int got = Fill(data);
        if (got < incl) throw new CaptureFormatException($"the capture is truncated: frame {_number + 1} needs {incl} bytes but {got} remain");
        var ts = DateTimeOffset.FromUnixTimeSeconds(sec).AddTicks(_nano ? frac / 100 : frac * 10L);
        return new CapturedFrame(++_number, ts, _pcapLinkType, data);
    }

    private CapturedFrame? NextPcapng()
    {
        Span<byte> head = stackalloc byte[12];
        while (true)
        {
            long at = _offset;
            int n;
            if (_pendingMagic is { } m)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(head, m);
                _pendingMagic = null;
                n = 4 + Fill(head[4..]);
                at = 0;
            }
            else n = Fill(head);
            if (n == 0) return null;
            if (n < 12) throw new CaptureFormatException($"the capture is truncated: a block header at byte {at} is cut off after frame {_number}");
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(head);
            if (type == 0x0a0d0d0a)
            {
                uint bom = BinaryPrimitives.ReadUInt32LittleEndian(head[8..]);
                _le = bom switch
                {
                    0x1a2b3c4d => true,
                    0x4d3c2b1a => false,
                    _ => throw new CaptureFormatException($"section header at byte {at} has an invalid byte-order magic"),
                };
                _interfaces.Clear();
            }
            else type = U32(head, 0, _le);
            uint length = U32(head, 4, _le);
            if (length < 12 || length % 4 != 0) throw new CaptureFormatException($"block at byte {at} has invalid length {length}: the file is corrupt");
            long rest = length - 12; // the body after the 4 bytes already read, and the trailing length
            bool wanted = type is 0x0a0d0d0a or 1 or 3 or 6;
            if (!wanted)
            {
                long skipped = Skip(rest);
                if (skipped < rest) throw Truncated(at, length, 12 + skipped);
                continue;
            }
            if (length > MaxBlockBytes)
                throw new CaptureFormatException($"block at byte {at} claims {length} bytes (more than the {MaxBlockBytes}-byte limit): the file is corrupt");
            var block = new byte[length - 8]; // body (from byte 8) and trailing length
            head[8..12].CopyTo(block);
            int got = Fill(block.AsSpan(4));
            if (got < block.Length - 4) throw Truncated(at, length, 12 + got);
            var body = block.AsSpan(0, block.Length - 4);
            switch (type)
            {
                case 1: // Interface Description Block
                {
                    if (body.Length < 8) throw new CaptureFormatException($"interface description at byte {at} is too short");
                    if (_interfaces.Count >= MaxInterfaces) throw new CaptureFormatException($"more than {MaxInterfaces} interface descriptions in one section (the limit)");
                    int link = _le ? BinaryPrimitives.ReadUInt16LittleEndian(body) : BinaryPrimitives.ReadUInt16BigEndian(body);
                    _interfaces.Add((link, ReadTsResolution(body[8..], _le)));
                    break;
                }
                case 6: // Enhanced Packet Block
                {
                    if (body.Length < 20) throw new CaptureFormatException($"packet block at byte {at} is too short");
                    uint iface = U32(body, 0, _le);
                    if (iface >= (uint)_interfaces.Count) throw new CaptureFormatException($"packet block at byte {at} names interface {iface}, which was not described");
                    ulong ts = ((ulong)U32(body, 4, _le) << 32) | U32(body, 8, _le);
                    uint captured = U32(body, 12, _le);
                    if (captured > body.Length - 20) throw new CaptureFormatException($"packet block at byte {at} claims {captured} bytes but holds {body.Length - 20}");
                    var (link, resolution) = _interfaces[(int)iface];
                    var ticks = Ticks(ts, resolution);
                    if (ticks > MaxTicksSinceEpoch)
                        throw new CaptureFormatException($"packet block at byte {at} has timestamp 0x{ts:x16}, past the year 9999: the file is corrupt");
                    return new CapturedFrame(++_number, DateTimeOffset.UnixEpoch.AddTicks((long)ticks), link, body.Slice(20, (int)captured).ToArray());
                }
                case 3: // Simple Packet Block
                {
                    if (_interfaces.Count == 0) throw new CaptureFormatException($"simple packet block at byte {at} before any interface description");
                    if (body.Length < 4) throw new CaptureFormatException($"simple packet block at byte {at} is too short");
                    uint orig = U32(body, 0, _le);
                    int captured = (int)Math.Min(orig, (uint)(body.Length - 4));
                    return new CapturedFrame(++_number, DateTimeOffset.UnixEpoch, _interfaces[0].LinkType, body.Slice(4, captured).ToArray());
                }
            }
        }
    }

    private static CaptureFormatException Truncated(long at, uint length, long available) =>
        new($"the capture is truncated: block at byte {at} needs {length} bytes but {available} remain");

    /// <summary>
    /// 100-ns ticks of a timestamp in units of the interface's if_tsresol: 10^-n seconds, or 2^-n with the high bit
    /// set (default 10^-6). Computed in 128 bits, so no resolution or value overflows.
    /// </summary>
    internal static ulong Ticks(ulong ts, byte resolution)
    {
        int exp = resolution & 0x7f;
        UInt128 t = ts;
        if ((resolution & 0x80) != 0)
            t = t * 10_000_000 >> exp;
        else if (exp <= 7)
            t *= Pow10(7 - exp);
        else
            t = exp - 7 > 38 ? 0 : t / Pow10(exp - 7);
        return t > ulong.MaxValue ? ulong.MaxValue : (ulong)t;
    }

    private static UInt128 Pow10(int n)
    {
        UInt128 r = 1;
        for (int i = 0; i < n; i++) r *= 10;
        return r;
    }

    /// <summary>if_tsresol option (code 9); default microseconds (6).</summary>
    private static byte ReadTsResolution(ReadOnlySpan<byte> options, bool le)
    {
        while (options.Length >= 4)
        {
            int code = le ? BinaryPrimitives.ReadUInt16LittleEndian(options) : BinaryPrimitives.ReadUInt16BigEndian(options);
            int len = le ? BinaryPrimitives.ReadUInt16LittleEndian(options[2..]) : BinaryPrimitives.ReadUInt16BigEndian(options[2..]);
            if (code == 0 || options.Length < 4 + len) break;
            if (code == 9 && len >= 1) return options[4];
            int step = 4 + ((len + 3) & ~3);
            if (step > options.Length) break;
            options = options[step..];
        }
        return 6;
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the stream ends; the number of bytes read.</summary>
    private int Fill(Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = _stream.Read(buffer[total..]);
            if (n == 0) break;
            total += n;
        }
        _offset += total;
        return total;
    }

    private long Skip(long count)
    {
        if (_stream.CanSeek)
        {
            long available = Math.Max(0, Math.Min(count, _stream.Length - _stream.Position));
            _stream.Seek(available, SeekOrigin.Current);
            _offset += available;
            return available;
        }
        Span<byte> sink = stackalloc byte[4096];
        long skipped = 0;
        while (skipped < count)
        {
            int n = Fill(sink[..(int)Math.Min(sink.Length, count - skipped)]);
            if (n == 0) break;
            skipped += n;
        }
        return skipped;
    }

    private static uint U32(ReadOnlySpan<byte> b, int at, bool le) =>
        le ? BinaryPrimitives.ReadUInt32LittleEndian(b[at..]) : BinaryPrimitives.ReadUInt32BigEndian(b[at..]);
}
