using System.Buffers.Binary;
using System.Net;
using FluentAssertions;
using Ikev2Client.Cli;
using Ikev2Client.Inspect;
using Ikev2Client.Tests.Wire;
using Xunit;

namespace Ikev2Client.Tests.Inspect;

/// <summary>Little-endian pcapng with every field under the test's control (timestamps, interfaces, options).</summary>
internal sealed class PcapngBuilder
{
    private readonly MemoryStream _ms = new();

    public PcapngBuilder Shb()
    {
        Block(0x0a0d0d0a, w => { w.Write(0x1a2b3c4du); w.Write((ushort)1); w.Write((ushort)0); w.Write(-1L); });
        return this;
    }

    /// <summary>An interface; <paramref name="tsresol"/> null leaves the option out (microseconds).</summary>
    public PcapngBuilder Idb(int linkType, byte? tsresol = null)
    {
        Block(1, w =>
        {
            w.Write((ushort)linkType); w.Write((ushort)0); w.Write(65535u);
            if (tsresol is { } r) { w.Write((ushort)9); w.Write((ushort)1); w.Write(r); w.Write(new byte[3]); }
            w.Write(0u); // opt_endofopt
        });
        return this;
    }

    public PcapngBuilder Epb(uint iface, uint tsHigh, uint tsLow, byte[] data)
    {
        Block(6, w =>
        {
            w.Write(iface); w.Write(tsHigh); w.Write(tsLow); w.Write((uint)data.Length); w.Write((uint)data.Length);
            w.Write(data); w.Write(new byte[(4 - data.Length % 4) % 4]);
        });
        return this;
    }

    public PcapngBuilder Raw(byte[] bytes)
    {
        _ms.Write(bytes);
        return this;
    }

    public byte[] ToArray() => _ms.ToArray();

    private void Block(uint type, Action<BinaryWriter> body)
    {
        var b = new MemoryStream();
        body(new BinaryWriter(b));
        var w = new BinaryWriter(_ms);
        uint length = (uint)(12 + b.Length);
        w.Write(type); w.Write(length); w.Write(b.ToArray()); w.Write(length);
    }
}

/// <summary>Issue 12, cases 1 and 7: a pcapng timestamp past the year 9999, and captures too large to hold.</summary>
public sealed class HostileCaptureTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ikev2-hostile-capture").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>An Ethernet frame holding strongSwan's IKE_SA_INIT request (message <paramref name="i"/> of psk-gcm).</summary>
    private static byte[] IkeFrame(int i)
    {
        var file = Directory.GetFiles(Path.Combine(CapturedMessages.Root, "psk-gcm"), "msg-*.hex").OrderBy(f => f, StringComparer.Ordinal).ElementAt(i);
        var bytes = Convert.FromHexString(string.Concat(File.ReadAllText(file).Where(Uri.IsHexDigit)));
        return CaptureWriter.Frame(1, CaptureWriter.Udp(new IPEndPoint(IPAddress.Parse("192.0.2.2"), 500), new IPEndPoint(IPAddress.Parse("192.0.2.1"), 500), bytes));
    }

    private (int Code, string Out, string Err) Inspect(byte[] capture, long? limit = null)
    {
        var path = Path.Combine(_dir, "c.pcapng");
        File.WriteAllBytes(path, capture);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = limit is { } l
            ? InspectCommand.Run(new FileInfo(path), null, false, stdout, stderr, l)
            : InspectCommand.Run(new FileInfo(path), null, false, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void A_timestamp_high_word_of0x10000000_is_a_clear_error_after_what_was_read()
    {
        var capture = new PcapngBuilder().Shb().Idb(1).Epb(0, 0x0005f000, 0, IkeFrame(0)).Epb(0, 0x10000000, 0, IkeFrame(1)).ToArray();
        var (code, text, err) = Inspect(capture);
        code.Should().Be(1);
        err.Should().Contain("has timestamp 0x1000000000000000, past the year 9999: the file is corrupt").And.NotContain("   at ").And.NotContain("Exception");
        text.Should().Contain("#1 ").And.Contain("IKE_SA_INIT initiator request", "the frame before the bad one is printed");
        text.Should().Contain("capture error:");
    }

    [Theory]
    [InlineData((byte)0)]    // seconds
    [InlineData((byte)0x7f)] // 10^-127 s
    [InlineData((byte)0x80)] // 2^0 s
    [InlineData((byte)0xff)] // 2^-127 s
    [InlineData((byte)9)]    // nanoseconds
    public void Every_timestamp_resolution_and_value_is_handled_without_an_exception(byte tsresol)
    {
        foreach (var (hi, lo) in new[] { (0u, 0u), (0xffffffffu, 0xffffffffu), (0x10000000u, 0u), (0x0005f000u, 0u) })
        {
            var reader = CaptureReader.Read(new PcapngBuilder().Shb().Idb(1, tsresol).Epb(0, hi, lo, IkeFrame(0)).ToArray());
            if (reader.Error is null) reader.Frames.Should().ContainSingle();
            else reader.Error.Should().Contain("past the year 9999");
        }
        CaptureReader.Ticks(1, 0).Should().Be(10_000_000, "1 s");
        CaptureReader.Ticks(1_000_000_000, 9).Should().Be(10_000_000, "1e9 ns");
        CaptureReader.Ticks(1UL << 30, 0x80 | 30).Should().Be(10_000_000, "2^30 units of 2^-30 s");
        CaptureReader.Ticks(ulong.MaxValue, 0x7f).Should().Be(0);
    }

    [Fact]
    public void Hostile_interface_indexes_and_block_lengths_are_format_errors()
    {
        var r = CaptureReader.Read(new PcapngBuilder().Shb().Idb(1).Epb(0xffffffff, 0, 0, IkeFrame(0)).ToArray());
        r.Error.Should().Contain("names interface 4294967295, which was not described");
        r = CaptureReader.Read(new PcapngBuilder().Shb().Idb(1).Raw([6, 0, 0, 0, 0xfc, 0xff, 0xff, 0xff, 0, 0, 0, 0]).ToArray());
        r.Error.Should().Contain($"more than the {CaptureReader.MaxBlockBytes}-byte limit");
        // An unknown block type of any length is skipped without being read into memory.
        r = CaptureReader.Read(new PcapngBuilder().Shb().Idb(1).Raw([0x99, 0, 0, 0, 0xfc, 0xff, 0xff, 0x7f, 0, 0, 0, 0]).ToArray());
        r.Error.Should().Contain("truncated");
    }

    [Fact]
    public async Task A_capture_over_the_size_limit_is_refused_or_stopped_naming_the_limit()
    {
        var capture = new PcapngBuilder().Shb().Idb(1).Epb(0, 0, 0, IkeFrame(0)).Epb(0, 0, 1, IkeFrame(1)).ToArray();
        var (code, _, err) = Inspect(capture, limit: 100);
        code.Should().Be(2);
        err.Should().Contain("more than the 100-byte limit");
        // A FIFO can't say its size: reading stops at the limit with exit 1 and what was read is shown.
        var fifo = Path.Combine(_dir, "pipe");
        Infrastructure.Shell.Run("mkfifo", [fifo]).ExitCode.Should().Be(0);
        var writer = Task.Run(() => File.WriteAllBytes(fifo, capture));
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        InspectCommand.Run(new FileInfo(fifo), null, false, stdout, stderr, capture.Length - 10).Should().Be(1);
        await writer.WaitAsync(TimeSpan.FromSeconds(10));
        stderr.ToString().Should().Contain("longer than the").And.Contain("limit of inspect; stopped there");
        stdout.ToString().Should().Contain("#1 ");
    }

    /// <summary>A pcap of ESP frames produced on the fly: the test never holds the capture either.</summary>
    private sealed class GeneratedPcap(long bytes) : Stream
    {
        private long _position;
        private readonly byte[] _record = Record();

        private static byte[] Record()
        {
            var esp = new byte[1400];
            BinaryPrimitives.WriteUInt32BigEndian(esp, 0xc0010203);
            var frame = CaptureWriter.Frame(1, CaptureWriter.Udp(new IPEndPoint(IPAddress.Parse("192.0.2.2"), 4500), new IPEndPoint(IPAddress.Parse("192.0.2.1"), 4500), esp));
            var r = new byte[16 + frame.Length];
            BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(8), (uint)frame.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(12), (uint)frame.Length);
            frame.CopyTo(r, 16);
            return r;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        private static readonly byte[] Header = MakeHeader();

        private static byte[] MakeHeader()
        {
            var header = new byte[24];
            BinaryPrimitives.WriteUInt32LittleEndian(header, 0xa1b2c3d4);
            BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(4), 2);
            BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(6), 4);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(16), 65535);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(20), 1);
            return header;
        }

        public override int Read(Span<byte> buffer)
        {
            if (_position >= bytes) return 0;
            int n = 0;
            while (n < buffer.Length && _position < bytes)
            {
                if (_position < 24)
                {
                    buffer[n++] = Header[(int)_position++];
                    continue;
                }
                int at = (int)((_position - 24) % _record.Length);
                int take = (int)Math.Min(Math.Min(buffer.Length - n, _record.Length - at), bytes - _position);
                _record.AsSpan(at, take).CopyTo(buffer[n..]);
                n += take;
                _position += take;
            }
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public void Memory_stays_flat_with_capture_size()
    {
        long Peak(long size, out int packets)
        {
            GC.Collect();
            long baseline = GC.GetTotalMemory(forceFullCollection: true), peak = 0;
            int n = 0;
            var (frames, error) = new IkeInspector().Inspect(new GeneratedPcap(size), p =>
            {
                InspectRenderer.WriteText(TextWriter.Null, p);
                if (++n % 20_000 == 0) peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true) - baseline);
            });
            error.Should().Contain("truncated", "the generated stream ends mid-record");
            frames.Should().Be(n);
            packets = n;
            return peak;
        }
        var small = Peak(32L << 20, out var fewer);
        var large = Peak(256L << 20, out var more);
        more.Should().BeGreaterThan(fewer * 7);
        large.Should().BeLessThan(16L << 20, "the capture is streamed: 256 MB of ESP leaves only what one packet needs");
        large.Should().BeLessThan(small + (8L << 20), "memory does not grow with the capture");
    }
}
