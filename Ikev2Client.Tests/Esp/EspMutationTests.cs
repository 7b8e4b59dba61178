using FluentAssertions;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Esp;
using Xunit;
using static Ikev2Client.Tests.Esp.EspTestSupport;

namespace Ikev2Client.Tests.Esp;

public sealed class EspMutationTests
{
    [Theory]
    [MemberData(nameof(SuiteAndEsnData), MemberType = typeof(EspTestSupport))]
    public void EverySingleBitFlip_is_rejected_and_nothing_throws(Suite suite, bool esn)
    {
        var (tx, rx) = Pair(suite, esn);
        using (tx)
        using (rx)
        {
            byte[] packet = Seal(tx, Ipv4Packet(45));
            for (int bit = 0; bit < packet.Length * 8; bit++)
            {
                byte[] mutated = (byte[])packet.Clone();
                mutated[bit / 8] ^= (byte)(1 << (bit % 8));
                EspOpenResult result = rx.TryOpen(mutated, out _, out _, out _);
                if (bit < 32)
                {
                    result.Should().Be(EspOpenResult.UnknownSpi, $"bit {bit} is in the SPI");
                }
                else if (bit < 64)
                {
                    result.Should().BeOneOf([EspOpenResult.AuthenticationFailed, EspOpenResult.ReplayedOrTooOld], $"bit {bit} is in the sequence number");
                }
                else
                {
                    result.Should().Be(EspOpenResult.AuthenticationFailed, $"bit {bit} is covered by the ICV");
                }
            }

            rx.Counters.Packets.Should().Be(0);
            rx.TryOpen(packet, out _, out _, out _).Should().Be(EspOpenResult.Ok, "failed attempts must not mark the window");
        }
    }

    [Theory]
    [MemberData(nameof(SuiteData), MemberType = typeof(EspTestSupport))]
    public void EveryTruncationAndExtension_is_rejected(Suite suite)
    {
        var (tx, rx) = Pair(suite);
        using (tx)
        using (rx)
        {
            byte[] packet = Seal(tx, Ipv4Packet(64));
            for (int length = 0; length < packet.Length; length++)
            {
                byte[] cut = packet[..length];
                EspOpenResult result = rx.TryOpen(cut, out _, out _, out _);
                result.Should().NotBe(EspOpenResult.Ok, $"length {length}");
            }

            byte[] longer = [.. packet, 0];
            rx.TryOpen(longer, out _, out _, out _).Should().NotBe(EspOpenResult.Ok);
            rx.TryOpen(packet, out _, out _, out _).Should().Be(EspOpenResult.Ok);
        }
    }

    [Theory]
    [MemberData(nameof(SuiteData), MemberType = typeof(EspTestSupport))]
    public void Replays_are_rejected_before_any_crypto(Suite suite)
    {
        var (tx, rx) = Pair(suite);
        using (tx)
        using (rx)
        {
            byte[][] packets = Enumerable.Range(0, 5).Select(_ => Seal(tx, Ipv4Packet(50))).ToArray();
            foreach (byte[] p in packets)
            {
                rx.TryOpen((byte[])p.Clone(), out _, out _, out _).Should().Be(EspOpenResult.Ok);
            }

            foreach (byte[] p in packets)
            {
                rx.TryOpen((byte[])p.Clone(), out _, out _, out _).Should().Be(EspOpenResult.ReplayedOrTooOld);
            }

            rx.Counters.ReplayDrops.Should().Be(5);
            rx.Counters.Packets.Should().Be(5);
        }
    }

    [Fact]
    public void RandomGarbage_never_throws_and_never_opens()
    {
        var rng = new Random(42);
        foreach (Suite suite in Suites)
        {
            var (tx, rx) = Pair(suite);
            using (tx)
            using (rx)
            {
                for (int i = 0; i < 300; i++)
                {
                    byte[] junk = new byte[rng.Next(0, 200)];
                    rng.NextBytes(junk);
                    if (junk.Length >= 4 && i % 2 == 0)
                    {
                        junk[0] = 0x11; junk[1] = 0x22; junk[2] = 0x33; junk[3] = 0x44;
                    }

                    rx.TryOpen(junk, out _, out _, out _).Should().NotBe(EspOpenResult.Ok);
                }
            }
        }
    }

    public static IEnumerable<object[]> AeadAndCbc() =>
        Suites.Where(s => s.Name is "AES-GCM-16-256" or "ChaCha20-Poly1305" or "AES-256-CBC+HMAC-SHA2-256-128" or "AES-GCM-8-128"
            or "AES-128-CTR+AES-XCBC-96" or "AES-256-CBC+AES-CMAC-96").Select(s => new object[] { s });

    [Theory]
    [MemberData(nameof(AeadAndCbc))]
    public void AuthenticatedButNonMonotonicPadding_is_bad_padding(Suite suite)
    {
        int align = suite.Encr == EncrId.AesCbc ? 16 : 4;
        foreach (byte[] badTrailer in new[]
        {
            new byte[] { 0x01, 0x03, 0x02, 0x04 },       // pad bytes 1,3
            new byte[] { 0x00, 0x00, 0x02, 0x04 },       // zero padding
            new byte[] { 0x01, 0x02, 0x03, 0x04 },       // pad length longer than the data before it? no: 3 bytes claimed, 2 present with wrong values
        })
        {
            var (tx, rx) = Pair(suite);
            using (tx)
            using (rx)
            {
                int dataLength = (24 + badTrailer.Length + align - 1) / align * align;
                byte[] buffer = new byte[tx.HeaderLength + dataLength + tx.IcvLength];
                byte[] inner = Ipv4Packet(dataLength - badTrailer.Length);
                inner.CopyTo(buffer, tx.HeaderLength);
                badTrailer.CopyTo(buffer, tx.HeaderLength + inner.Length);
                tx.SealPreformatted(buffer, tx.HeaderLength, dataLength, out int off, out int len);
                rx.TryOpen(buffer.AsSpan(off, len), out _, out _, out _).Should().Be(EspOpenResult.BadPadding);
                rx.Counters.PaddingDrops.Should().Be(1);
            }
        }
    }

    [Theory]
    [MemberData(nameof(AeadAndCbc))]
    public void AuthenticatedPadLengthBeyondTheData_is_bad_padding(Suite suite)
    {
        var (tx, rx) = Pair(suite);
        using (tx)
        using (rx)
        {
            int dataLength = 16;
            byte[] buffer = new byte[tx.HeaderLength + dataLength + tx.IcvLength];
            buffer[tx.HeaderLength + dataLength - 2] = 200;
            buffer[tx.HeaderLength + dataLength - 1] = 4;
            tx.SealPreformatted(buffer, tx.HeaderLength, dataLength, out int off, out int len);
            rx.TryOpen(buffer.AsSpan(off, len), out _, out _, out _).Should().Be(EspOpenResult.BadPadding);
        }
    }

    [Theory]
    [InlineData((byte)6, EspOpenResult.BadNextHeader)]
    [InlineData((byte)17, EspOpenResult.BadNextHeader)]
    [InlineData((byte)59, EspOpenResult.Ok)]
    [InlineData((byte)41, EspOpenResult.Ok)]
    public void TunnelMode_checks_the_next_header(byte nextHeader, EspOpenResult expected)
    {
        var (tx, rx) = Pair(Suites[2]);
        using (tx)
        using (rx)
        {
            byte[] packet = Seal(tx, Ipv4Packet(30), nextHeader);
            rx.TryOpen(packet, out _, out _, out byte nh).Should().Be(expected);
            if (expected == EspOpenResult.Ok)
            {
                nh.Should().Be(nextHeader);
            }
        }
    }

    [Fact]
    public void CbcCiphertextNotBlockAligned_is_malformed()
    {
        var (tx, rx) = Pair(Suites[4]);
        using (tx)
        using (rx)
        {
            byte[] packet = Seal(tx, Ipv4Packet(30));
            byte[] odd = [.. packet[..^16], 0, .. packet[^16..]];
            rx.TryOpen(odd, out _, out _, out _).Should().Be(EspOpenResult.Malformed);
            rx.Counters.MalformedDrops.Should().Be(1);
        }
    }
}
