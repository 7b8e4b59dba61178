using System.Buffers.Binary;
using FluentAssertions;
using Ikev2Client.Platform.Linux.Offload;
using Xunit;
using static Ikev2Client.Tests.Platform.OffloadPacketFactory;

namespace Ikev2Client.Tests.Platform;

/// <summary>Userspace GSO/GRO for the TUN with virtio-net headers: checksums, segmentation and coalescing.</summary>
public sealed class TcpOffloadTests
{
    private const int Mss = 1348;

    [Fact]
    public void Checksum_rfc1071_example()
    {
        // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (after the end-around carry).
        byte[] data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        InternetChecksum.Sum(data).Should().Be(0xddf2);
        InternetChecksum.Complement(InternetChecksum.Sum(data)).Should().Be(0x220d);
    }

    [Fact]
    public void Checksum_known_IPv4_header()
    {
        byte[] h = Convert.FromHexString("450000730000400040110000c0a80001c0a800c7");
        InternetChecksum.SetIPv4HeaderChecksum(h, 20);
        BinaryPrimitives.ReadUInt16BigEndian(h.AsSpan(10)).Should().Be(0xb861);
    }

    [Fact]
    public void Checksum_matches_naive_sum_for_every_length_and_alignment()
    {
        var data = new byte[300];
        new Random(7).NextBytes(data);
        for (int start = 0; start < 4; start++)
            for (int len = 0; len <= 260; len++)
                InternetChecksum.Sum(data.AsSpan(start, len)).Should().Be(Sum(data.AsSpan(start, len)), $"start {start}, length {len}");
    }

    public static TheoryData<bool, int> SegmentCases()
    {
        var d = new TheoryData<bool, int>();
        foreach (var v6 in new[] { false, true })
            foreach (var n in new[] { 1, Mss - 1, Mss, Mss + 1, 3 * Mss, 48 * Mss + 7, 65535 - 52 - (v6 ? 40 : 0) })
                d.Add(v6, n);
        return d;
    }

    [Theory]
    [MemberData(nameof(SegmentCases))]
    public void Segment_splits_into_valid_mss_packets(bool v6, int payload)
    {
        const uint seq = 0xfffff000; // wraps inside the run
        var super = Tcp(v6, payload, seq, Ack | Psh | Fin | Cwr);
        int iph = v6 ? 40 : 20, hdr = iph + 32;
        var header = new VirtioNetHeader(VirtioNetHeader.FlagNeedsCsum, v6 ? VirtioNetHeader.GsoTcpV6 : VirtioNetHeader.GsoTcpV4,
            (ushort)hdr, Mss, (ushort)iph, 16);
        TcpSegmenter.TryPlan(super, header, out var plan).Should().BeTrue();
        plan.Count.Should().Be((payload + Mss - 1) / Mss);

        var joined = new List<byte>();
        var buffer = new byte[1500];
        for (int i = 0; i < plan.Count; i++)
        {
            int len = TcpSegmenter.WriteSegment(super, plan, i, buffer);
            int expected = Math.Min(Mss, payload - i * Mss);
            len.Should().Be(hdr + expected);
            var seg = buffer.AsSpan(0, len);
            if (v6) BinaryPrimitives.ReadUInt16BigEndian(seg[4..]).Should().Be((ushort)(len - 40));
            else
            {
                BinaryPrimitives.ReadUInt16BigEndian(seg[2..]).Should().Be((ushort)len);
                BinaryPrimitives.ReadUInt16BigEndian(seg[4..]).Should().Be((ushort)(0x1234 + i));
                IPv4HeaderValid(seg).Should().BeTrue();
            }
            BinaryPrimitives.ReadUInt32BigEndian(seg[(iph + 4)..]).Should().Be(unchecked(seq + (uint)(i * Mss)));
            byte flags = seg[iph + 13];
            ((flags & (Fin | Psh)) != 0).Should().Be(i == plan.Count - 1);
            ((flags & Cwr) != 0).Should().Be(i == 0);
            (flags & Ack).Should().Be(Ack);
            TcpValid(seg, v6).Should().BeTrue($"segment {i}");
            joined.AddRange(seg[hdr..].ToArray());
        }
        joined.Should().Equal(super.AsSpan(hdr).ToArray());
    }

    [Fact]
    public void Segment_rejects_inconsistent_headers()
    {
        var p = Tcp(false, 3000, 1);
        var wrongFamily = new VirtioNetHeader(1, VirtioNetHeader.GsoTcpV6, 52, Mss, 20, 16);
        TcpSegmenter.TryPlan(p, wrongFamily, out _).Should().BeFalse();
        var noMss = new VirtioNetHeader(1, VirtioNetHeader.GsoTcpV4, 52, 0, 20, 16);
        TcpSegmenter.TryPlan(p, noMss, out _).Should().BeFalse();
        var badStart = new VirtioNetHeader(1, VirtioNetHeader.GsoTcpV4, 52, Mss, 24, 16);
        TcpSegmenter.TryPlan(p, badStart, out _).Should().BeFalse();
        var udp = new VirtioNetHeader(1, VirtioNetHeader.GsoUdpL4, 28, Mss, 20, 6);
        TcpSegmenter.TryPlan(p, udp, out _).Should().BeFalse();
        var noCsumStart = new VirtioNetHeader(0, VirtioNetHeader.GsoTcpV4, 0, Mss, 0, 0);
        TcpSegmenter.TryPlan(p, noCsumStart, out var derived).Should().BeTrue("the TCP header is found from the IP header");
        derived.HeaderLength.Should().Be(52);
        derived.Count.Should().Be(3);
        TcpSegmenter.TryPlan(p.AsSpan(0, 30), new VirtioNetHeader(1, VirtioNetHeader.GsoTcpV4, 52, Mss, 20, 16), out _).Should().BeFalse();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CompleteChecksum_finishes_partial_checksum(bool v6)
    {
        var p = Tcp(v6, 777, 42);
        int iph = v6 ? 40 : 20;
        // What the kernel hands over with CHECKSUM_PARTIAL: the field holds the pseudo-header sum only.
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(iph + 16), (ushort)Pseudo(p, v6, p.Length - iph));
        TcpSegmenter.CompleteChecksum(p, new VirtioNetHeader(VirtioNetHeader.FlagNeedsCsum, 0, 0, 0, (ushort)iph, 16)).Should().BeTrue();
        TcpValid(p, v6).Should().BeTrue();
        TcpSegmenter.CompleteChecksum(p, new VirtioNetHeader(VirtioNetHeader.FlagNeedsCsum, 0, 0, 0, (ushort)(p.Length - 1), 16)).Should().BeFalse();
    }

    private static ReadOnlyMemory<byte>[] Run(bool v6, int count, int lastPayload = Mss, uint seq = 1000, int port = 40000)
    {
        var r = new ReadOnlyMemory<byte>[count];
        for (int i = 0; i < count; i++)
            r[i] = Tcp(v6, i == count - 1 ? lastPayload : Mss, seq + (uint)(i * Mss), sourcePort: (ushort)port, seed: i * Mss);
        return r;
    }

    [Theory]
    [InlineData(false, 2, Mss)]
    [InlineData(false, 20, 100)]
    [InlineData(true, 20, Mss)]
    [InlineData(true, 7, 1)]
    public void Coalesce_merges_run_into_one_super_segment_that_segments_back(bool v6, int count, int last)
    {
        var packets = Run(v6, count, last);
        var output = new byte[70000];
        TcpCoalescer.Coalesce(packets, 0, output, out int written).Should().Be(count);
        var header = VirtioNetHeader.Read(output);
        int iph = v6 ? 40 : 20, hdr = iph + 32;
        header.Should().Be(new VirtioNetHeader(VirtioNetHeader.FlagNeedsCsum, v6 ? VirtioNetHeader.GsoTcpV6 : VirtioNetHeader.GsoTcpV4,
            (ushort)hdr, Mss, (ushort)iph, 16));
        var merged = output.AsSpan(VirtioNetHeader.Size, written - VirtioNetHeader.Size).ToArray();
        merged.Length.Should().Be(hdr + (count - 1) * Mss + last);
        if (!v6) IPv4HeaderValid(merged).Should().BeTrue();
        BinaryPrimitives.ReadUInt16BigEndian(merged.AsSpan(iph + 16)).Should().Be((ushort)Pseudo(merged, v6, merged.Length - iph));

        // Segmenting it again gives back exactly the original packets (IPv4 IDs aside, which all were 0x1234).
        TcpSegmenter.TryPlan(merged, header, out var plan).Should().BeTrue();
        plan.Count.Should().Be(count);
        var buffer = new byte[1500];
        for (int i = 0; i < count; i++)
        {
            int len = TcpSegmenter.WriteSegment(merged, plan, i, buffer);
            var seg = buffer.AsSpan(0, len).ToArray();
            if (!v6)
            {
                BinaryPrimitives.WriteUInt16BigEndian(seg.AsSpan(4), 0x1234);
                InternetChecksum.SetIPv4HeaderChecksum(seg, 20);
            }
            seg.Should().Equal(packets[i].ToArray(), $"segment {i}");
        }
    }

    [Fact]
    public void Coalesce_stops_at_64KiB()
    {
        var packets = Run(false, 60);
        var output = new byte[70000];
        int used = TcpCoalescer.Coalesce(packets, 0, output, out int written);
        used.Should().Be((65535 - 52) / Mss);
        written.Should().BeLessThanOrEqualTo(VirtioNetHeader.Size + 65535);
        TcpCoalescer.Coalesce(packets, used, output, out _).Should().Be(60 - used);
    }

    [Fact]
    public void Coalesce_keeps_apart_what_must_not_merge()
    {
        var output = new byte[70000];
        // Sequence gap.
        var gap = Run(false, 3);
        gap[2] = Tcp(false, Mss, 1000 + 3 * Mss);
        TcpCoalescer.Coalesce(gap, 0, output, out _).Should().Be(2);
        // Other flow in between.
        var mixed = Run(false, 3);
        mixed[1] = Tcp(false, Mss, 1000 + Mss, sourcePort: 40001);
        TcpCoalescer.Coalesce(mixed, 0, output, out _).Should().Be(1);
        // A bad checksum is never hidden inside a super-segment.
        var corrupt = Run(false, 3);
        var bad = corrupt[1].ToArray();
        bad[^1] ^= 0x40;
        corrupt[1] = bad;
        TcpCoalescer.Coalesce(corrupt, 0, output, out _).Should().Be(1);
        var corruptFirst = Run(true, 3);
        var badFirst = corruptFirst[0].ToArray();
        badFirst[^1] ^= 1;
        corruptFirst[0] = badFirst;
        TcpCoalescer.Coalesce(corruptFirst, 0, output, out _).Should().Be(1);
        // PSH ends a run (the PSH packet joins as the last one, and the merged header carries PSH).
        var push = Run(false, 4);
        push[1] = Tcp(false, Mss, 1000 + Mss, Ack | Psh, seed: Mss);
        TcpCoalescer.Coalesce(push, 0, output, out _).Should().Be(2);
        (output[VirtioNetHeader.Size + 20 + 13] & Psh).Should().Be(Psh);
        // A shorter segment is the last one; a larger one after the first is refused.
        var shortThenLong = Run(false, 3);
        shortThenLong[1] = Tcp(false, 500, 1000 + Mss);
        TcpCoalescer.Coalesce(shortThenLong, 0, output, out _).Should().Be(2);
        var larger = new ReadOnlyMemory<byte>[] { Tcp(false, 500, 1), Tcp(false, 600, 501) };
        TcpCoalescer.Coalesce(larger, 0, output, out _).Should().Be(1);
        // SYN/FIN, pure ACKs and a lone packet are written as they are.
        TcpCoalescer.Coalesce(new ReadOnlyMemory<byte>[] { Tcp(false, 10, 1, Syn | Ack), Tcp(false, 10, 11) }, 0, output, out _).Should().Be(1);
        TcpCoalescer.Coalesce(new ReadOnlyMemory<byte>[] { Tcp(false, 0, 1), Tcp(false, 0, 1) }, 0, output, out _).Should().Be(1);
        TcpCoalescer.Coalesce(Run(false, 1), 0, output, out _).Should().Be(1);
        // IPv4 and IPv6 never mix.
        TcpCoalescer.Coalesce(new[] { Run(false, 1)[0], Run(true, 2)[1] }, 0, output, out _).Should().Be(1);
    }
}
