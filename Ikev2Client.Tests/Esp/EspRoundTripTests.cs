using System.Buffers.Binary;
using FluentAssertions;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Esp;
using Xunit;
using static Ikev2Client.Tests.Esp.EspTestSupport;

namespace Ikev2Client.Tests.Esp;

public sealed class EspRoundTripTests
{
    [Theory]
    [MemberData(nameof(SuiteAndEsnData), MemberType = typeof(EspTestSupport))]
    public void SealThenOpen_round_trips_every_size_and_counts_traffic(Suite suite, bool esn)
    {
        var (tx, rx) = Pair(suite, esn);
        using (tx)
        using (rx)
        {
            long bytes = 0;
            for (int size = 20; size <= 1500; size += 97)
            {
                byte[] inner = Ipv4Packet(size, size);
                byte[] packet = Seal(tx, inner);
                ((packet.Length - tx.HeaderLength - tx.IcvLength) % (suite.Encr == EncrId.AesCbc ? 16 : 4)).Should().Be(0);
                rx.TryOpen(packet, out int off, out int len, out byte nh).Should().Be(EspOpenResult.Ok);
                nh.Should().Be(EspSa.NextHeaderIpv4);
                packet.AsSpan(off, len).ToArray().Should().Equal(inner);
                bytes += size;
            }

            tx.Counters.Packets.Should().Be(16);
            rx.Counters.Packets.Should().Be(16);
            rx.Counters.Bytes.Should().Be(bytes);
            tx.Counters.Bytes.Should().Be(bytes);
            rx.Counters.TotalDrops.Should().Be(0);
        }
    }

    [Theory]
    [MemberData(nameof(SuiteData), MemberType = typeof(EspTestSupport))]
    public void SequenceNumbersStartAtOneAndIncrement_aead_iv_is_the_sequence_number(Suite suite)
    {
        var (tx, rx) = Pair(suite);
        using (tx)
        using (rx)
        {
            for (uint expected = 1; expected <= 5; expected++)
            {
                byte[] packet = Seal(tx, Ipv4Packet(60));
                BinaryPrimitives.ReadUInt32BigEndian(packet).Should().Be(0x11223344);
                BinaryPrimitives.ReadUInt32BigEndian(packet.AsSpan(4)).Should().Be(expected);
                if (suite.Encr != EncrId.AesCbc)
                {
                    BinaryPrimitives.ReadUInt64BigEndian(packet.AsSpan(8)).Should().Be(expected);
                }

                tx.LastSentSequence.Should().Be(expected);
            }
        }
    }

    [Fact]
    public void Cbc_ivs_are_distinct_and_unpredictable_looking()
    {
        var (tx, rx) = Pair(Suites[4]);
        using (tx)
        using (rx)
        {
            var ivs = Enumerable.Range(0, 200).Select(_ => Convert.ToHexString(Seal(tx, Ipv4Packet(40)).AsSpan(8, 16))).ToList();
            ivs.Distinct().Should().HaveCount(200);
            ivs.Should().NotContain(iv => iv.StartsWith("00000000", StringComparison.Ordinal));
        }
    }

    [Theory]
    [MemberData(nameof(SuiteData), MemberType = typeof(EspTestSupport))]
    public void TransportMode_carries_the_inner_protocol(Suite suite)
    {
        var (tx, rx) = Pair(suite, mode: EspMode.Transport);
        using (tx)
        using (rx)
        {
            byte[] udp = [0x12, 0x34, 0x00, 0x35, 0x00, 0x0c, 0x00, 0x00, 1, 2, 3, 4];
            byte[] packet = Seal(tx, udp, nextHeader: 17);
            rx.TryOpen(packet, out int off, out int len, out byte nh).Should().Be(EspOpenResult.Ok);
            nh.Should().Be(17);
            packet.AsSpan(off, len).ToArray().Should().Equal(udp);
        }
    }

    [Fact]
    public void TunnelMode_derives_next_header_from_the_ip_version()
    {
        var (tx, rx) = Pair(Suites[2]);
        using (tx)
        using (rx)
        {
            byte[] v6 = new byte[60];
            v6[0] = 0x60;
            byte[] packet = Seal(tx, v6);
            rx.TryOpen(packet, out _, out _, out byte nh).Should().Be(EspOpenResult.Ok);
            nh.Should().Be(EspSa.NextHeaderIpv6);

            byte[] bogus = new byte[tx.HeaderLength + 20 + tx.MaxTrailerLength];
            bogus[tx.HeaderLength] = 0x50;
            tx.Seal(bogus, tx.HeaderLength, 20, out _, out _).Should().Be(EspSealResult.InvalidPayload);
        }
    }

    [Theory]
    [MemberData(nameof(SuiteData), MemberType = typeof(EspTestSupport))]
    public void Seal_refuses_missing_headroom_or_tailroom(Suite suite)
    {
        var (tx, rx) = Pair(suite);
        using (tx)
        using (rx)
        {
            int payload = 100;
            byte[] exact = new byte[tx.HeaderLength + payload + tx.GetTrailerLength(payload)];
            exact[tx.HeaderLength] = 0x45;
            tx.Seal(exact, tx.HeaderLength - 1, payload, EspSa.NextHeaderIpv4, out _, out _).Should().Be(EspSealResult.BufferTooSmall);
            tx.Seal(exact.AsSpan(0, exact.Length - 1), tx.HeaderLength, payload, EspSa.NextHeaderIpv4, out _, out _).Should().Be(EspSealResult.BufferTooSmall);
            tx.Seal(exact, tx.HeaderLength, payload, out int off, out int len).Should().Be(EspSealResult.Ok);
            (off, len).Should().Be((0, exact.Length));
            (tx.HeaderLength + tx.MaxTrailerLength).Should().BeLessThanOrEqualTo(EspSa.MaxOverhead);
            tx.LastSentSequence.Should().Be(1, "refused seals do not consume sequence numbers");
        }
    }

    [Theory]
    [MemberData(nameof(SuiteData), MemberType = typeof(EspTestSupport))]
    public void WithoutEsn_the_sequence_never_wraps_and_rekey_is_flagged_early(Suite suite)
    {
        var (tx, rx) = Pair(suite);
        using (tx)
        using (rx)
        {
            tx.RekeyThreshold.Should().Be((1UL << 32) - (1UL << 20));
            tx.SetLastSentSequence(tx.RekeyThreshold - 2);
            tx.NeedsRekey.Should().BeFalse();
            Seal(tx, Ipv4Packet(40));
            tx.NeedsRekey.Should().BeFalse();
            Seal(tx, Ipv4Packet(40));
            tx.NeedsRekey.Should().BeTrue();

            tx.SetLastSentSequence(uint.MaxValue - 1);
            byte[] last = Seal(tx, Ipv4Packet(40));
            BinaryPrimitives.ReadUInt32BigEndian(last.AsSpan(4)).Should().Be(uint.MaxValue);
            byte[] buffer = new byte[200];
            buffer[tx.HeaderLength] = 0x45;
            tx.Seal(buffer, tx.HeaderLength, 40, out _, out _).Should().Be(EspSealResult.SequenceExhausted);
            tx.Seal(buffer, tx.HeaderLength, 40, out _, out _).Should().Be(EspSealResult.SequenceExhausted);
            tx.LastSentSequence.Should().Be(uint.MaxValue);
        }
    }

    [Theory]
    [MemberData(nameof(SuiteData), MemberType = typeof(EspTestSupport))]
    public void WithEsn_the_sequence_crosses2_to32_and_the_receiver_reconstructs_the_high_bits(Suite suite)
    {
        var (tx, rx) = Pair(suite, esn: true);
        using (tx)
        using (rx)
        {
            tx.SetLastSentSequence(uint.MaxValue - 2);
            rx.ReplayWindow.Mark(uint.MaxValue - 10);
            for (ulong expected = uint.MaxValue - 1; expected <= (ulong)uint.MaxValue + 3; expected++)
            {
                byte[] packet = Seal(tx, Ipv4Packet(80));
                BinaryPrimitives.ReadUInt32BigEndian(packet.AsSpan(4)).Should().Be((uint)expected);
                rx.TryOpen(packet, out _, out _, out _).Should().Be(EspOpenResult.Ok);
                rx.ReplayWindow.Highest.Should().Be(expected);
            }

            tx.RekeyThreshold.Should().Be(ulong.MaxValue - (1UL << 32) + 1, "2^64 - 2^32");
            tx.SetLastSentSequence(ulong.MaxValue - 1);
            Seal(tx, Ipv4Packet(40));
            tx.NeedsRekey.Should().BeTrue();
            byte[] buffer = new byte[200];
            buffer[tx.HeaderLength] = 0x45;
            tx.Seal(buffer, tx.HeaderLength, 40, out _, out _).Should().Be(EspSealResult.SequenceExhausted);
        }
    }

    [Theory]
    [MemberData(nameof(SuiteData), MemberType = typeof(EspTestSupport))]
    public void WithEsn_the_high_bits_are_authenticated(Suite suite)
    {
        var (tx, rx) = Pair(suite, esn: true);
        using (tx)
        using (rx)
        {
            // Sender is in the second 2^32 block; the receiver still believes it is in the first one.
            tx.SetLastSentSequence((1UL << 32) + 100);
            rx.ReplayWindow.Mark(50);
            rx.TryOpen(Seal(tx, Ipv4Packet(60)), out _, out _, out _).Should().Be(EspOpenResult.AuthenticationFailed);
        }
    }

    [Theory]
    [MemberData(nameof(SuiteData), MemberType = typeof(EspTestSupport))]
    public void Esn_and_non_esn_sas_do_not_interoperate(Suite suite)
    {
        var (tx, _) = Pair(suite, esn: true);
        var (_, rx) = Pair(suite, esn: false);
        using (tx)
        using (rx)
        {
            rx.TryOpen(Seal(tx, Ipv4Packet(60)), out _, out _, out _).Should().Be(EspOpenResult.AuthenticationFailed);
        }
    }

    [Fact]
    public void WrongKeyOrWrongSpi_is_rejected()
    {
        var (tx, _) = Pair(Suites[1], seed: 1);
        var (_, other) = Pair(Suites[1], seed: 99);
        var (_, otherSpi) = Pair(Suites[1], spi: 0x55, seed: 1);
        using (tx)
        using (other)
        using (otherSpi)
        {
            byte[] packet = Seal(tx, Ipv4Packet(60));
            other.TryOpen((byte[])packet.Clone(), out _, out _, out _).Should().Be(EspOpenResult.AuthenticationFailed);
            otherSpi.TryOpen((byte[])packet.Clone(), out _, out _, out _).Should().Be(EspOpenResult.UnknownSpi);
        }
    }

    [Fact]
    public void Unsupported_transforms_and_bad_key_lengths_are_refused_at_construction()
    {
        var act1 = () => new EspSa(1000, EncrId.AesCtr, 128, IntegId.None, new byte[20], [], false, EspMode.Tunnel);
        var act2 = () => new EspSa(1000, EncrId.AesGcm16, 256, IntegId.None, new byte[32], [], false, EspMode.Tunnel);
        var act3 = () => new EspSa(1000, EncrId.AesCbc, 128, IntegId.HmacSha1_160, new byte[16], new byte[20], false, EspMode.Tunnel);
        var act4 = () => new EspSa(0, EncrId.AesGcm16, 128, IntegId.None, new byte[20], [], false, EspMode.Tunnel);
        var ccm = () => new EspSa(1000, EncrId.AesCcm16, 128, IntegId.None, new byte[19], [], false, EspMode.Tunnel);
        var tripleDes = () => new EspSa(1000, EncrId.TripleDes, 192, IntegId.HmacSha2_256_128, new byte[24], new byte[32], false, EspMode.Tunnel);
        var aes64 = () => new EspSa(1000, EncrId.AesCbc, 64, IntegId.HmacSha2_256_128, new byte[8], new byte[32], false, EspMode.Tunnel);
        var ctrWithoutNonce = () => new EspSa(1000, EncrId.AesCtr, 192, IntegId.AesXcbc96, new byte[24], new byte[16], false, EspMode.Tunnel);
        var xcbcLongKey = () => new EspSa(1000, EncrId.AesCtr, 128, IntegId.AesXcbc96, new byte[20], new byte[32], false, EspMode.Tunnel);
        var aeadWithIntegrity = () => new EspSa(1000, EncrId.AesGcm12, 192, IntegId.HmacSha1_96, new byte[28], new byte[20], false, EspMode.Tunnel);
        var sha256Icv8 = () => new EspSa(1000, EncrId.AesCbc, 128, IntegId.HmacSha2_256_128, new byte[16], new byte[32], false, EspMode.Tunnel, icvLength: 8);
        var sha384Icv16 = () => new EspSa(1000, EncrId.AesCbc, 128, IntegId.HmacSha2_384_192, new byte[16], new byte[48], false, EspMode.Tunnel, icvLength: 16);
        var xcbcIcv16 = () => new EspSa(1000, EncrId.AesCbc, 128, IntegId.AesXcbc96, new byte[16], new byte[16], false, EspMode.Tunnel, icvLength: 16);
        act1.Should().Throw<NotSupportedException>();
        act2.Should().Throw<ArgumentException>();
        act3.Should().Throw<NotSupportedException>();
        act4.Should().Throw<ArgumentOutOfRangeException>();
        ccm.Should().Throw<NotSupportedException>();
        tripleDes.Should().Throw<NotSupportedException>();
        aes64.Should().Throw<NotSupportedException>();
        ctrWithoutNonce.Should().Throw<ArgumentException>();
        xcbcLongKey.Should().Throw<ArgumentException>();
        aeadWithIntegrity.Should().Throw<ArgumentException>();
        sha256Icv8.Should().Throw<ArgumentOutOfRangeException>();
        sha384Icv16.Should().Throw<ArgumentOutOfRangeException>();
        xcbcIcv16.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void To_string_never_shows_keys()
    {
        byte[] key = Enumerable.Repeat((byte)0xAB, 36).ToArray();
        using var sa = new EspSa(0x1234, EncrId.ChaCha20Poly1305, 256, IntegId.None, key, [], false, EspMode.Tunnel);
        sa.ToString().Should().NotContainAny("AB", "ab", "171").And.Contain("00001234");
    }
}
