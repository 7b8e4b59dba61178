using FluentAssertions;
using Ikev2Client.Protocol.Esp;
using Xunit;

namespace Ikev2Client.Tests.Esp;

public sealed class ReplayWindowTests
{
    private static bool Accept(ReplayWindow w, ulong seq)
    {
        if (!w.IsAcceptable(seq))
        {
            return false;
        }

        w.Mark(seq);
        return true;
    }

    [Fact]
    public void Default_window_is_at_least1024()
    {
        new ReplayWindow().Size.Should().BeGreaterThanOrEqualTo(1024);
        new ReplayWindow(100).Size.Should().Be(128);
    }

    [Fact]
    public void Zero_is_never_acceptable()
    {
        var w = new ReplayWindow();
        w.IsAcceptable(0).Should().BeFalse();
    }

    [Fact]
    public void InOrder_then_duplicates()
    {
        var w = new ReplayWindow();
        for (ulong s = 1; s <= 5000; s++)
        {
            Accept(w, s).Should().BeTrue();
        }

        for (ulong s = 5000 - 1023; s <= 5000; s++)
        {
            w.IsAcceptable(s).Should().BeFalse($"{s} was seen");
        }

        w.Highest.Should().Be(5000);
    }

    [Fact]
    public void Check_does_not_mark()
    {
        var w = new ReplayWindow();
        w.IsAcceptable(7).Should().BeTrue();
        w.IsAcceptable(7).Should().BeTrue();
        w.Highest.Should().Be(0);
        w.Mark(7);
        w.IsAcceptable(7).Should().BeFalse();
    }

    [Fact]
    public void OutOfOrderWithinWindow_each_accepted_once()
    {
        var w = new ReplayWindow();
        var rng = new Random(3);
        ulong[] seqs = Enumerable.Range(1, 1000).Select(i => (ulong)i).OrderBy(_ => rng.Next()).ToArray();
        foreach (ulong s in seqs)
        {
            Accept(w, s).Should().BeTrue($"{s} is new");
        }

        foreach (ulong s in seqs)
        {
            Accept(w, s).Should().BeFalse($"{s} is a duplicate");
        }
    }

    [Fact]
    public void TooOld_is_exactly_at_the_left_edge()
    {
        var w = new ReplayWindow(1024);
        Accept(w, 10_000).Should().BeTrue();
        w.IsAcceptable(10_000 - 1024).Should().BeFalse("Highest - Size is outside the window");
        w.IsAcceptable(10_000 - 1023).Should().BeTrue("Highest - Size + 1 is the oldest inside");
        Accept(w, 10_000 - 1023).Should().BeTrue();
        Accept(w, 10_000 - 1023).Should().BeFalse();
        w.Mark(5); // marking a too-old number is a no-op
        w.IsAcceptable(5).Should().BeFalse();
        w.Highest.Should().Be(10_000);
    }

    [Fact]
    public void BigJump_clears_the_whole_ring()
    {
        var w = new ReplayWindow(1024);
        for (ulong s = 1; s <= 2048; s++)
        {
            w.Mark(s);
        }

        Accept(w, 1_000_000).Should().BeTrue();
        for (ulong s = 1_000_000 - 1023; s < 1_000_000; s++)
        {
            w.IsAcceptable(s).Should().BeTrue($"{s} was never seen even though its bit position was used before");
        }

        w.IsAcceptable(2048).Should().BeFalse("too old now");
        Accept(w, 1_000_000).Should().BeFalse();
    }

    [Fact]
    public void SmallJumpsAcrossBlocks_keep_bits_of_the_surviving_blocks()
    {
        var w = new ReplayWindow(128);
        Accept(w, 60).Should().BeTrue();
        Accept(w, 63).Should().BeTrue();
        Accept(w, 64).Should().BeTrue();
        Accept(w, 130).Should().BeTrue();
        w.IsAcceptable(63).Should().BeFalse("63 is inside (130-128, 130] and was seen");
        w.IsAcceptable(64).Should().BeFalse();
        w.IsAcceptable(62).Should().BeTrue("62 is inside (2, 130] and unseen");
        w.IsAcceptable(2).Should().BeFalse("2 <= 130 - 128 is too old");
        w.IsAcceptable(3).Should().BeTrue();
        w.IsAcceptable(65).Should().BeTrue();
        Accept(w, 200).Should().BeTrue();
        w.IsAcceptable(130).Should().BeFalse();
        w.IsAcceptable(129).Should().BeTrue();
    }

    [Fact]
    public void RingWrapsManyTimes_matches_a_reference_set()
    {
        var w = new ReplayWindow(256);
        var seen = new HashSet<ulong>();
        ulong highest = 0;
        var rng = new Random(11);
        ulong cursor = 1;
        for (int i = 0; i < 50_000; i++)
        {
            cursor += (ulong)rng.Next(0, 40);
            ulong s = cursor > 300 ? cursor - (ulong)rng.Next(0, 300) : cursor;
            if (s == 0)
            {
                continue;
            }

            bool expected = !seen.Contains(s) && (s > highest || highest - s < 256);
            Accept(w, s).Should().Be(expected, $"step {i} seq {s} highest {highest}");
            if (expected)
            {
                seen.Add(s);
                highest = Math.Max(highest, s);
            }
        }
    }

    [Fact]
    public void EsnReconstruction_follows_rfc4303_appendix_a()
    {
        var w = new ReplayWindow(1024);
        w.ReconstructEsn(5).Should().Be(5UL);
        w.ReconstructEsn(0xFFFF_FF00).Should().Be(0xFFFF_FF00UL, "at the start of the SA a large value is simply ahead");

        // Window inside one subspace: right of the window or wrapped past 2^32.
        w.Mark(0x2_0000_5000);
        w.ReconstructEsn(0x5001).Should().Be(0x2_0000_5001UL);
        w.ReconstructEsn(0x5000 - 1023).Should().Be(0x2_0000_5000UL - 1023);
        w.ReconstructEsn(0x5000 - 1024).Should().Be(0x3_0000_5000UL - 1024, "below the window means the next subspace");

        // Window straddles a 2^32 boundary: numbers near 2^32 belong to the previous subspace.
        var v = new ReplayWindow(1024);
        v.Mark(0x3_0000_0010);
        v.ReconstructEsn(0x20).Should().Be(0x3_0000_0020UL);
        v.ReconstructEsn(0xFFFF_FFF0).Should().Be(0x2_FFFF_FFF0UL);
        v.ReconstructEsn(0xFFFF_FC11).Should().Be(0x2_FFFF_FC11UL, "oldest number inside the window");
        v.ReconstructEsn(0xFFFF_FC10).Should().Be(0x3_FFFF_FC10UL, "outside the window: taken as ahead (and then fails the ICV)");
    }
}
