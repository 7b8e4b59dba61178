using System.Security.Cryptography;
using FluentAssertions;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Esp;
using Xunit;
using static Ikev2Client.Tests.Esp.EspTestSupport;

namespace Ikev2Client.Tests.Esp;

public sealed class EspKnownAnswerTests
{
    // RFC 7634 Appendix A: tunnel-mode ESP with ChaCha20-Poly1305, SPI 0x01020304, sequence 5, IV 0x1011121314151617.
    private static readonly byte[] Rfc7634KeyMaterial = Hex("808182838485868788898a8b8c8d8e8f 909192939495969798999a9b9c9d9e9f a0a1a2a3");
    private static readonly byte[] Rfc7634Inner = Hex(
        "45000054a6f200004001e778c6336405 c000020508005b7a3a080000553bec10 0007362708090a0b0c0d0e0f10111213" +
        "1415161718191a1b1c1d1e1f20212223 2425262728292a2b2c2d2e2f30313233 34353637");
    private static readonly byte[] Rfc7634Packet = Hex(
        "01020304000000051011121314151617" +
        "24039428b97f417e3c13753a4f05087b 67c352e6a7fab1b982d466ef407ae5c6 14ee8099d52844eb61aa95dfab4c02f7" +
        "2aa71e7c4c4f64c9befe2facc638e8f3 cbec163fac469b502773f6fb94e664da 9165b82829f641e0" +
        "76aaa8266b7fb0f7b11b369907e1ad43");

    // draft-mcgrew-gcm-test-01: AES-256-GCM ESP, SPI 0x4a2cbfe3, sequence 2, IV 0x0102030405060708, Next Header 1.
    private static readonly byte[] GcmKeyMaterial = Hex("abbccddef00112233445566778899aababbccddef00112233445566778899aab 11223344");
    private static readonly byte[] GcmInner = Hex(
        "4500003069a6400080062690c0a80102 9389155e0a9e008b2dc57ee000000000 7002400020bf0000020405b401010402");
    private static readonly byte[] GcmPacket = Hex(
        "4a2cbfe3000000020102030405060708" +
        "ff425c9b724599df7a3bcd510194e00d 6a78107f1b0b1cbf06efae9d65a5d763 748a637985771d347f0545659f14e99d ef842d8e" +
        "b335f4eecfdbf831824b4c4915956c96");

    [Fact]
    public void Rfc7634_appendix_a_seal_reproduces_packet_byte_for_byte()
    {
        using var sa = new EspSa(0x01020304, EncrId.ChaCha20Poly1305, 256, IntegId.None, Rfc7634KeyMaterial, [], false, EspMode.Tunnel);
        sa.SetLastSentSequence(4);
        byte[] buffer = new byte[sa.HeaderLength + Rfc7634Inner.Length + sa.GetTrailerLength(Rfc7634Inner.Length)];
        Rfc7634Inner.CopyTo(buffer, sa.HeaderLength);

        sa.SealWithIv(buffer, sa.HeaderLength, Rfc7634Inner.Length, EspSa.NextHeaderIpv4, Hex("1011121314151617"), out int off, out int len)
            .Should().Be(EspSealResult.Ok);

        off.Should().Be(0);
        Convert.ToHexString(buffer.AsSpan(off, len)).Should().Be(Convert.ToHexString(Rfc7634Packet));
        sa.LastSentSequence.Should().Be(5);
    }

    [Fact]
    public void Rfc7634_appendix_a_opens_to_the_inner_ipv4_packet_and_the_replay_is_rejected()
    {
        using var sa = new EspSa(0x01020304, EncrId.ChaCha20Poly1305, 256, IntegId.None, Rfc7634KeyMaterial, [], false, EspMode.Tunnel);
        byte[] packet = (byte[])Rfc7634Packet.Clone();

        sa.TryOpen(packet, out int off, out int len, out byte nh).Should().Be(EspOpenResult.Ok);

        nh.Should().Be(EspSa.NextHeaderIpv4);
        Convert.ToHexString(packet.AsSpan(off, len)).Should().Be(Convert.ToHexString(Rfc7634Inner));
        sa.TryOpen((byte[])Rfc7634Packet.Clone(), out _, out _, out _).Should().Be(EspOpenResult.ReplayedOrTooOld);
        sa.Counters.Packets.Should().Be(1);
        sa.Counters.Bytes.Should().Be(Rfc7634Inner.Length);
        sa.Counters.ReplayDrops.Should().Be(1);
    }

    [Fact]
    public void McGrewGcmEsp_aes256_seal_reproduces_packet_in_transport_mode()
    {
        using var sa = new EspSa(0x4a2cbfe3, EncrId.AesGcm16, 256, IntegId.None, GcmKeyMaterial, [], false, EspMode.Transport);
        sa.SetLastSentSequence(1);
        byte[] buffer = new byte[sa.HeaderLength + GcmInner.Length + sa.GetTrailerLength(GcmInner.Length)];
        GcmInner.CopyTo(buffer, sa.HeaderLength);

        sa.SealWithIv(buffer, sa.HeaderLength, GcmInner.Length, 1, Hex("0102030405060708"), out int off, out int len)
            .Should().Be(EspSealResult.Ok);

        Convert.ToHexString(buffer.AsSpan(off, len)).Should().Be(Convert.ToHexString(GcmPacket));
    }

    [Fact]
    public void McGrewGcmEsp_aes256_opens_and_tunnel_mode_rejects_its_next_header()
    {
        using var transport = new EspSa(0x4a2cbfe3, EncrId.AesGcm16, 256, IntegId.None, GcmKeyMaterial, [], false, EspMode.Transport);
        byte[] packet = (byte[])GcmPacket.Clone();
        transport.TryOpen(packet, out int off, out int len, out byte nh).Should().Be(EspOpenResult.Ok);
        nh.Should().Be(1);
        Convert.ToHexString(packet.AsSpan(off, len)).Should().Be(Convert.ToHexString(GcmInner));

        using var tunnel = new EspSa(0x4a2cbfe3, EncrId.AesGcm16, 256, IntegId.None, GcmKeyMaterial, [], false, EspMode.Tunnel);
        tunnel.TryOpen((byte[])GcmPacket.Clone(), out _, out _, out _).Should().Be(EspOpenResult.BadNextHeader);
    }

    [Fact]
    public void AesGcmEspFraming_matches_hand_built_nonce_aad_and_trailer()
    {
        // McGrew/Viega GCM test case 15 key (AES-256), salt cafebabe, explicit IV = sequence number.
        byte[] key = Hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
        byte[] salt = Hex("cafebabe");
        byte[] payload = Hex("4500001c000000004011000001020304050607080000000000080000"); // 28 bytes
        using var sa = new EspSa(0xdeadbeef, EncrId.AesGcm16, 256, IntegId.None, [.. key, .. salt], [], false, EspMode.Tunnel);
        byte[] packet = Seal(sa, payload);

        // Expected by hand: SPI | seq=1 | IV=0000000000000001 | GCM(salt|IV, aad=SPI|seq, payload|0102|02|04) | tag.
        byte[] header = Hex("deadbeef00000001");
        byte[] iv = Hex("0000000000000001");
        byte[] plaintext = [.. payload, 0x01, 0x02, 0x02, 0x04];
        byte[] ciphertext = new byte[plaintext.Length];
        byte[] tag = new byte[16];
        using (var gcm = new AesGcm(key, 16))
        {
            byte[] nonce = [.. salt, .. iv];
            gcm.Encrypt(nonce, plaintext, ciphertext, tag, header);
        }

        Convert.ToHexString(packet).Should().Be(Convert.ToHexString([.. header, .. iv, .. ciphertext, .. tag]));
    }

    [Fact]
    public void McGrewViegaTestCase15_aes_gcm256_building_block()
    {
        // The GCM specification's test case 15 (AES-256, 96-bit IV, no AAD), run through the same AesGcm API.
        byte[] key = Hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
        byte[] iv = Hex("cafebabefacedbaddecaf888");
        byte[] p = Hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255");
        byte[] c = new byte[p.Length];
        byte[] t = new byte[16];
        using var gcm = new AesGcm(key, 16);
        gcm.Encrypt(iv, p, c, t);
        Convert.ToHexString(c).Should().Be("522DC1F099567D07F47F37A32A84427D643A8CDCBFE5C0C97598A2BD2555D1AA8CB08E48590DBB3DA7B08B1056828838C5F61E6393BA7A0ABCC9F662898015AD");
        Convert.ToHexString(t).Should().Be("B094DAC5D93471BDEC1A502270E3CC6C");
    }

    [Theory]
    [InlineData(IntegId.HmacSha2_256_128, 32, "198a607eb44bfbc69903a0f1cf2bbdc5")]
    [InlineData(IntegId.HmacSha2_384_192, 48, "b6a8d5636f5c6a7224f9977dcf7ee6c7fb6d0c48cbdee973")]
    [InlineData(IntegId.HmacSha2_512_256, 64, "637edc6e01dce7e6742a99451aae82df23da3e92439e590e43e761b33e910fb8")]
    public void CbcHmac_icv_is_truncated_hmac_over_header_iv_and_ciphertext_rfc4868(IntegId integ, int keyLength, string rfc4868Auth1)
    {
        // RFC 4868 §2.7.2 test case AUTH-1 (key 0x0b..., data "Hi There") fixes the truncation length.
        HashAlgorithmName hash = integ switch
        {
            IntegId.HmacSha2_256_128 => HashAlgorithmName.SHA256,
            IntegId.HmacSha2_384_192 => HashAlgorithmName.SHA384,
            _ => HashAlgorithmName.SHA512,
        };
        int icv = rfc4868Auth1.Length / 2;
        byte[] vectorKey = Enumerable.Repeat((byte)0x0b, keyLength).ToArray();
        Convert.ToHexString(Mac(hash, vectorKey, "Hi There"u8.ToArray())[..icv]).Should().BeEquivalentTo(rfc4868Auth1);

        byte[] integrityKey = Enumerable.Range(0, keyLength).Select(i => (byte)i).ToArray();
        using var sa = new EspSa(0x1000, EncrId.AesCbc, 256, integ, new byte[32], integrityKey, false, EspMode.Tunnel);
        sa.IcvLength.Should().Be(icv);
        byte[] packet = Seal(sa, Ipv4Packet(100));
        byte[] expectedIcv = Mac(hash, integrityKey, packet[..^icv])[..icv];
        Convert.ToHexString(packet[^icv..]).Should().Be(Convert.ToHexString(expectedIcv));
        (packet.Length - sa.HeaderLength - icv).Should().Be(112, "100 + 2 rounded up to the AES block size");
    }

    [Fact]
    public void CbcHmac_with_esn_icv_covers_the_high_sequence_bits_appended_after_the_packet()
    {
        byte[] integrityKey = Enumerable.Range(0, 32).Select(i => (byte)(i * 3)).ToArray();
        using var sa = new EspSa(0x1000, EncrId.AesCbc, 128, IntegId.HmacSha2_256_128, new byte[16], integrityKey, true, EspMode.Tunnel);
        sa.SetLastSentSequence(0x1_0000_0004);
        byte[] packet = Seal(sa, Ipv4Packet(40));
        Convert.ToHexString(packet.AsSpan(4, 4)).Should().Be("00000005");
        byte[] expected = Mac(HashAlgorithmName.SHA256, integrityKey, [.. packet[..^16], 0, 0, 0, 1])[..16];
        Convert.ToHexString(packet[^16..]).Should().Be(Convert.ToHexString(expected));
    }

    [Fact]
    public void CbcDecryption_matches_the_one_shot_aes_cbc()
    {
        byte[] encKey = Enumerable.Range(0, 32).Select(i => (byte)(255 - i)).ToArray();
        using var sa = new EspSa(0x1000, EncrId.AesCbc, 256, IntegId.HmacSha2_256_128, encKey, new byte[32], false, EspMode.Tunnel);
        byte[] inner = Ipv4Packet(60);
        for (int n = 0; n < 3; n++)
        {
            byte[] packet = Seal(sa, inner);
            byte[] iv = packet[8..24];
            byte[] ciphertext = packet[24..^16];
            using var aes = Aes.Create();
            aes.Key = encKey;
            byte[] plain = aes.DecryptCbc(ciphertext, iv, PaddingMode.None);
            Convert.ToHexString(plain[..60]).Should().Be(Convert.ToHexString(inner));
            plain[60..].Should().Equal(0x01, 0x02, 0x02, 0x04);
        }
    }

    private static byte[] Mac(HashAlgorithmName hash, byte[] key, byte[] data)
    {
        using var h = IncrementalHash.CreateHMAC(hash, key);
        h.AppendData(data);
        return h.GetHashAndReset();
    }
}
