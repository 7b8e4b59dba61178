using System.Buffers.Binary;
using System.Security.Cryptography;
using FluentAssertions;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Esp;
using Xunit;
using static Ikev2Client.Tests.Esp.EspTestSupport;

namespace Ikev2Client.Tests.Esp;

/// <summary>
/// Known-answer vectors for the ESP algorithms beyond AES-GCM-16 and CBC + HMAC-SHA2 (issue 14), run through the
/// allocation-free ESP code itself: the draft-mcgrew-gcm-test-01 ESP packets with 16-, 12- and 8-byte ICVs (AES-128
/// with ESN, AES-192, AES-256, an empty payload at sequence 2^32 - 1), RFC 3686 AES-CTR vectors as ESP ciphertext,
/// and the MACs (RFC 3566 AES-XCBC-MAC-96, RFC 4493/4494 AES-CMAC-96, RFC 2202/2404 HMAC-SHA1-96, RFC 2202/2403
/// HMAC-MD5-96) on the ESP integrity classes, several times in a row on one instance so carried state would show.
/// </summary>
public sealed class EspAlgorithmVectorTests
{
    /// <summary>One draft-mcgrew-gcm-test-01 §4 ESP test case. Plaintext is the payload (without the ESP trailer, whose
    /// padding the draft chose as RFC 4303 does); Next Header is 1 in every case.</summary>
    public sealed record GcmCase(string Name, string Key, string Salt, uint Spi, ulong Sequence, bool Esn, string Iv, string Payload,
        string Ciphertext, string Tag)
    {
        public override string ToString() => Name;
    }

    private static readonly GcmCase[] GcmCases =
    [
        new("case 1 AES-128 ESN", "4c80cdefbb5d10da906ac73c3613a634", "2e443b68", 0x00004321, 0x87654321_00000000, true, "4956ed7e3b244cfe",
            "45000048699a000080114db7c0a80102c0a801010a9bf15638d301000001000000000000045f736970045f756470037369700963796265726369747902646b0000210001",
            "fecf537e729d5b07dc30df528dd22b768d1b98736696a6fd348509fa13ceac34cfa2436f14a3f3cf65925bf1f4a13c5d15b21e1884f5ff6247aeabb786b93bce61bc17d768fd9732",
            "459018148f6cbe722fd04796562dfdb4"),
        new("case 2 AES-192", "feffe9928665731c6d6a8f9467308308feffe9928665731c", "cafebabe", 0x0000a5f8, 0x0a, false, "facedbaddecaf888",
            "45000028a4ad4000400678800a01038f0a010612802306b8cb712602dd6bb03e501016d07568",
            "a5b1f8066029aea40e598b8122de02420938b3ab33f828e687b8858b5bfbdbd0315b27452144cc77",
            "95457b9652037f5318027b5b4cd7a636"),
        new("case 3 AES-256", "abbccddef00112233445566778899aababbccddef00112233445566778899aab", "11223344", 0x4a2cbfe3, 2, false, "0102030405060708",
            "4500003069a6400080062690c0a801029389155e0a9e008b2dc57ee0000000007002400020bf0000020405b401010402",
            "ff425c9b724599df7a3bcd510194e00d6a78107f1b0b1cbf06efae9d65a5d763748a637985771d347f0545659f14e99def842d8e",
            "b335f4eecfdbf831824b4c4915956c96"),
        new("case 5 AES-128 empty payload", "7d773d00c144c525ac619d18c84a3f47", "d9664267", 0x335467ae, 0xffffffff, false, "43457e9182443bc6",
            "", "437f866b", "cb3f699fe9b0822bac961c4504bef270"),
    ];

    public static IEnumerable<object[]> GcmCasesAndIcvs() =>
        GcmCases.SelectMany(c => new[] { 16, 12, 8 }.Select(icv => new object[] { c, icv }));

    private static EncrId Gcm(int icv) => icv switch { 8 => EncrId.AesGcm8, 12 => EncrId.AesGcm12, _ => EncrId.AesGcm16 };

    private static EspSa GcmSa(GcmCase c, int icv) =>
        new(c.Spi, Gcm(icv), c.Key.Length * 4, IntegId.None, Hex(c.Key + c.Salt), [], c.Esn, EspMode.Transport);

    /// <summary>The whole ESP packet of the case with the tag truncated to its leftmost <paramref name="icv"/> bytes (NIST SP 800-38D).</summary>
    private static byte[] GcmPacket(GcmCase c, int icv)
    {
        byte[] header = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(header, c.Spi);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), (uint)c.Sequence);
        return [.. header, .. Hex(c.Iv), .. Hex(c.Ciphertext), .. Hex(c.Tag)[..icv]];
    }

    [Theory]
    [MemberData(nameof(GcmCasesAndIcvs))]
    public void DraftMcGrewGcmTest_seal_reproduces_the_packet_with_each_icv_length(GcmCase c, int icv)
    {
        using var sa = GcmSa(c, icv);
        sa.IcvLength.Should().Be(icv);
        sa.SetLastSentSequence(c.Sequence - 1);
        byte[] payload = Hex(c.Payload);
        byte[] buffer = new byte[sa.HeaderLength + payload.Length + sa.GetTrailerLength(payload.Length)];
        payload.CopyTo(buffer, sa.HeaderLength);

        sa.SealWithIv(buffer, sa.HeaderLength, payload.Length, 1, Hex(c.Iv), out int off, out int len).Should().Be(EspSealResult.Ok);

        Convert.ToHexString(buffer.AsSpan(off, len)).Should().Be(Convert.ToHexString(GcmPacket(c, icv)));
        sa.LastSentSequence.Should().Be(c.Sequence);
    }

    [Theory]
    [MemberData(nameof(GcmCasesAndIcvs))]
    public void DraftMcGrewGcmTest_opens_to_the_payload_and_rejects_any_tag_bit_flip(GcmCase c, int icv)
    {
        using var sa = GcmSa(c, icv);
        sa.ReplayWindow.Mark(c.Sequence - 1);
        byte[] packet = GcmPacket(c, icv);
        for (int bit = 0; bit < icv * 8; bit++)
        {
            byte[] forged = (byte[])packet.Clone();
            forged[^(1 + bit / 8)] ^= (byte)(1 << (bit % 8));
            sa.TryOpen(forged, out _, out _, out _).Should().Be(EspOpenResult.AuthenticationFailed, $"tag bit {bit}");
        }

        sa.TryOpen(packet, out int off, out int len, out byte nh).Should().Be(EspOpenResult.Ok);
        nh.Should().Be(1);
        Convert.ToHexString(packet.AsSpan(off, len)).Should().Be(Convert.ToHexString(Hex(c.Payload)));
        sa.ReplayWindow.Highest.Should().Be(c.Sequence, "the 64-bit sequence number (ESN high half reconstructed) was marked");
    }

    [Fact]
    public void Gcm8_truncated_tag_is_the_left_half_of_what_aes_gcm_computes_for_many_sizes()
    {
        byte[] keyMaterial = Hex("00112233445566778899aabbccddeeff0011223344556677" + "a1b2c3d4");
        using var gcm8 = new EspSa(0x99, EncrId.AesGcm8, 192, IntegId.None, keyMaterial, [], false, EspMode.Tunnel);
        using var gcm16 = new EspSa(0x99, EncrId.AesGcm16, 192, IntegId.None, keyMaterial, [], false, EspMode.Tunnel);
        using var open8 = new EspSa(0x99, EncrId.AesGcm8, 192, IntegId.None, keyMaterial, [], false, EspMode.Tunnel);
        for (int size = 20; size < 3000; size += 211)
        {
            byte[] short8 = Seal(gcm8, Ipv4Packet(size, size));
            byte[] full16 = Seal(gcm16, Ipv4Packet(size, size));
            Convert.ToHexString(short8).Should().Be(Convert.ToHexString(full16[..^8]), $"size {size}");
            open8.TryOpen(short8, out int off, out int len, out _).Should().Be(EspOpenResult.Ok);
            short8.AsSpan(off, len).ToArray().Should().Equal(Ipv4Packet(size, size));
        }
    }

    /// <summary>RFC 3686 §6 test vectors: key | nonce, IV, plaintext, ciphertext.</summary>
    public static IEnumerable<object[]> Rfc3686Vectors() =>
    [
        ["#1 AES-128", "AE6852F8121067CC4BF7A5765577F39E" + "00000030", "0000000000000000", "53696E676C6520626C6F636B206D7367", "E4095D4FB7A7B3792D6175A3261311B8"],
        ["#2 AES-128", "7E24067817FAE0D743D6CE1F32539163" + "006CB6DB", "C0543B59DA48D90B",
            "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", "5104A106168A72D9790D41EE8EDAD388EB2E1EFC46DA57C8FCE630DF9141BE28"],
        ["#3 AES-128", "7691BE035E5020A8AC6E618529F9A0DC" + "00E0017B", "27777F3F4A1786F0",
            "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F20212223",
            "C1CF48A89F2FFDD9CF4652E9EFDB72D74540A42BDE6D7836D59A5CEAAEF3105325B2072F"],
        ["#4 AES-192", "16AF5B145FC9F579C175F93E3BFB0EED863D06CCFDB78515" + "00000048", "36733C147D6D93CB",
            "53696E676C6520626C6F636B206D7367", "4B55384FE259C9C84E7935A003CBE928"],
        ["#5 AES-192", "7C5CB2401B3DC33C19E7340819E0F69C678C3DB8E6F6A91A" + "0096B03B", "020C6EADC2CB500D",
            "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", "453243FC609B23327EDFAAFA7131CD9F8490701C5AD4A79CFC1FE0FF42F4FB00"],
        ["#7 AES-256", "776BEFF2851DB06F4C8A0542C8696F6C6A81AF1EEC96B4D37FC1D689E6C1C104" + "00000060", "DB5672C97AA8F0B2",
            "53696E676C6520626C6F636B206D7367", "145AD01DBF824EC7560863DC71E3E0C0"],
    ];

    [Theory]
    [MemberData(nameof(Rfc3686Vectors))]
    public void Rfc3686_aes_ctr_vectors_are_the_esp_ciphertext_and_the_xcbc_icv_covers_it(string name, string keyMaterial, string iv, string plaintext, string ciphertext)
    {
        byte[] km = Hex(keyMaterial);
        int keyBits = (km.Length - 4) * 8;
        byte[] integrityKey = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray();
        using var tx = new EspSa(0x3686, EncrId.AesCtr, keyBits, IntegId.AesXcbc96, km, integrityKey, false, EspMode.Transport);
        using var rx = new EspSa(0x3686, EncrId.AesCtr, keyBits, IntegId.AesXcbc96, km, integrityKey, false, EspMode.Transport);
        byte[] payload = Hex(plaintext);
        byte[] buffer = new byte[tx.HeaderLength + payload.Length + tx.GetTrailerLength(payload.Length)];
        payload.CopyTo(buffer, tx.HeaderLength);

        tx.SealWithIv(buffer, tx.HeaderLength, payload.Length, 17, Hex(iv), out int off, out int len).Should().Be(EspSealResult.Ok);
        byte[] packet = buffer.AsSpan(off, len).ToArray();

        tx.HeaderLength.Should().Be(16, name);
        Convert.ToHexString(packet.AsSpan(8, 8)).Should().Be(iv, "the 8-byte IV follows SPI and sequence number");
        Convert.ToHexString(packet.AsSpan(16, payload.Length)).Should().Be(ciphertext);
        ((packet.Length - 16 - 12) % 4).Should().Be(0, "RFC 3686 ESP pads to 4 bytes only");
        byte[] icv = new byte[12];
        AesMacIntegrity.Xcbc96.Compute(integrityKey, packet[..^12], icv);
        Convert.ToHexString(packet[^12..]).Should().Be(Convert.ToHexString(icv));

        rx.TryOpen(packet, out int innerOff, out int innerLen, out byte nh).Should().Be(EspOpenResult.Ok);
        nh.Should().Be(17);
        Convert.ToHexString(packet.AsSpan(innerOff, innerLen)).Should().Be(plaintext);
    }

    [Fact]
    public void AesCtr_iv_is_the_sequence_number_and_distinct_packets_get_distinct_keystreams()
    {
        byte[] km = Hex("7691BE035E5020A8AC6E618529F9A0DC00E0017B");
        using var sa = new EspSa(0x1, EncrId.AesCtr, 128, IntegId.HmacSha2_256_128, km, new byte[32], false, EspMode.Tunnel);
        byte[] zeros = new byte[64];
        zeros[0] = 0x45;
        byte[] first = Seal(sa, zeros);
        byte[] second = Seal(sa, zeros);
        BinaryPrimitives.ReadUInt64BigEndian(first.AsSpan(8)).Should().Be(1);
        BinaryPrimitives.ReadUInt64BigEndian(second.AsSpan(8)).Should().Be(2);
        first.AsSpan(16, 64).ToArray().Should().NotEqual(second.AsSpan(16, 64).ToArray());

        // Block i of packet n is AES(key, nonce | n | i): compute it with the one-shot ECB API and compare.
        using var aes = Aes.Create();
        aes.Key = km[..16];
        byte[] counter = [.. km[16..], 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 4];
        byte[] block = aes.EncryptEcb(counter, PaddingMode.None);
        for (int i = 0; i < 16; i++)
        {
            second[16 + 48 + i].Should().Be((byte)(zeros[48 + i] ^ block[i]), $"byte {i} of block 4");
        }
    }

    private static byte[] Range(int count) => Enumerable.Range(0, count).Select(i => (byte)i).ToArray();

    private static byte[] Icv(EspIntegrity mac, byte[] data, uint high = 0, bool esn = false)
    {
        byte[] icv = new byte[mac.IcvLength];
        mac.Compute(data, high, esn, icv);
        return icv;
    }

    [Fact] // RFC 3566 §4.6 test cases 1-7; AES-XCBC-MAC-96 is the leftmost 96 bits
    public void Rfc3566_aes_xcbc_mac96_on_the_esp_integrity_repeated_on_one_instance()
    {
        (byte[] Message, string Mac)[] cases =
        [
            (Range(0), "75f0251d528ac01c4573dfd584d79f29"), (Range(3), "5b376580ae2f19afe7219ceef172756f"),
            (Range(16), "d2a246fa349b68a79998a4394ff7a263"), (Range(20), "47f51b4564966215b8985c63055ed308"),
            (Range(32), "f54f0ec8d2b9f3d36807734bd5283fd4"), (Range(34), "becbb3bccdb518a30677d5481fb6b4d8"),
            (new byte[1000], "f0dafee895db30253761103b5d84528f"),
        ];
        using var mac = new EspAesMacIntegrity(cmac: false, Range(16));
        mac.IcvLength.Should().Be(12);
        for (int round = 0; round < 3; round++)
        {
            foreach (var (message, expected) in cases)
            {
                Convert.ToHexString(Icv(mac, message)).Should().BeEquivalentTo(expected[..24], $"{message.Length}-byte message, round {round}");
            }
        }

        // With ESN the high sequence bits are appended: 16 bytes + 4 = RFC case 4's 20-byte message.
        Convert.ToHexString(Icv(mac, Range(16), 0x10111213, esn: true)).Should().BeEquivalentTo("47f51b4564966215b8985c63");
        Convert.ToHexString(Icv(mac, Range(30), 0x1e1f2021, esn: true)).Should().BeEquivalentTo("becbb3bccdb518a30677d548");
    }

    [Fact] // RFC 4493 §4 examples 1-4; RFC 4494 AES-CMAC-96 is the leftmost 96 bits
    public void Rfc4493_rfc4494_aes_cmac96_on_the_esp_integrity_repeated_on_one_instance()
    {
        byte[] message = Hex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");
        (int Length, string Mac)[] cases =
            [(0, "bb1d6929e95937287fa37d129b756746"), (16, "070a16b46b4d4144f79bdd9dd04a287c"), (40, "dfa66747de9ae63030ca32611497c827"), (64, "51f0bebf7e3b9d92fc49741779363cfe")];
        using var mac = new EspAesMacIntegrity(cmac: true, Hex("2b7e151628aed2a6abf7158809cf4f3c"));
        for (int round = 0; round < 3; round++)
        {
            foreach (var (length, expected) in cases)
            {
                Convert.ToHexString(Icv(mac, message[..length])).Should().BeEquivalentTo(expected[..24], $"{length}-byte message, round {round}");
            }
        }

        uint high = BinaryPrimitives.ReadUInt32BigEndian(message.AsSpan(36));
        Convert.ToHexString(Icv(mac, message[..36], high, esn: true)).Should().BeEquivalentTo("dfa66747de9ae63030ca3261");
        high = BinaryPrimitives.ReadUInt32BigEndian(message.AsSpan(60));
        Convert.ToHexString(Icv(mac, message[..60], high, esn: true)).Should().BeEquivalentTo("51f0bebf7e3b9d92fc497417");
    }

    private static byte[] Repeat(byte value, int count) => Enumerable.Repeat(value, count).ToArray();

    public static IEnumerable<object[]> Rfc2202() =>
    [
        // RFC 2202 §2 (HMAC-MD5) and §3 (HMAC-SHA1) test cases 1, 2, 3, 4 and 6; RFC 2403/2404 keep the leftmost 96 bits.
        ["MD5", 1, "9294727a3638bb1c13f48ef8158bfc9d"], ["MD5", 2, "750c783e6ab0b503eaa86e310a5db738"],
        ["MD5", 3, "56be34521d144c88dbb8c733f0e8b3f6"], ["MD5", 4, "697eaf0aca3a3aea3a75164746ffaa79"],
        ["MD5", 6, "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"],
        ["SHA1", 1, "b617318655057264e28bc0b6fb378c8ef146be00"], ["SHA1", 2, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"],
        ["SHA1", 3, "125d7342b9ac11cd91a39af48aa17b4f63f175d3"], ["SHA1", 4, "4c9007f4026250c6bc8414f9bf50c86c2d7235da"],
        ["SHA1", 6, "aa4ae5e15272d00e95705637ce8a3b55ed402112"],
    ];

    [Theory]
    [MemberData(nameof(Rfc2202))]
    public void Rfc2202_hmac_md5_96_and_hmac_sha1_96_on_the_esp_integrity(string hash, int testCase, string full)
    {
        int keyLength = hash == "MD5" ? 16 : 20;
        (byte[] key, byte[] data) = testCase switch
        {
            1 => (Repeat(0x0b, keyLength), "Hi There"u8.ToArray()),
            2 => ("Jefe"u8.ToArray(), "what do ya want for nothing?"u8.ToArray()),
            3 => (Repeat(0xaa, keyLength), Repeat(0xdd, 50)),
            4 => (Enumerable.Range(1, 25).Select(i => (byte)i).ToArray(), Repeat(0xcd, 50)),
            _ => (Repeat(0xaa, 80), "Test Using Larger Than Block-Size Key - Hash Key First"u8.ToArray()),
        };
        using var mac = new EspHmacIntegrity(new HashAlgorithmName(hash), key, 12);
        for (int round = 0; round < 2; round++)
        {
            Convert.ToHexString(Icv(mac, data)).Should().BeEquivalentTo(full[..24]);
        }
    }

    public static IEnumerable<object[]> ClassicSuites() =>
        Suites.Where(s => s.Integ != IntegId.None).SelectMany(s => new[] { new object[] { s, false }, new object[] { s, true } });

    [Theory]
    [MemberData(nameof(ClassicSuites))]
    public void ClassicIcv_is_the_rfc_mac_over_header_iv_ciphertext_plus_the_high_sequence_bits_with_esn(Suite suite, bool esn)
    {
        var (tx, rx) = Pair(suite, esn);
        using (tx)
        using (rx)
        {
            tx.SetLastSentSequence(esn ? 0x2_0000_0007UL : 7);
            byte[] packet = Seal(tx, Ipv4Packet(77));
            byte[] integrityKey = new byte[suite.IntegKeyLength];
            var rng = new Random(1);
            rng.NextBytes(new byte[suite.EncrKeyLength]);
            rng.NextBytes(integrityKey);
            byte[] covered = esn ? [.. packet[..^tx.IcvLength], 0, 0, 0, 2] : packet[..^tx.IcvLength];
            Convert.ToHexString(packet[^tx.IcvLength..]).Should().Be(Convert.ToHexString(ReferenceIcv(suite.Integ, integrityKey, covered)));
        }
    }

    /// <summary>The ICV from the IKE-side implementations (RFC-vector tested in Crypto/MacVectorTests) or .NET's HMAC-MD5.</summary>
    private static byte[] ReferenceIcv(IntegId integ, byte[] key, byte[] data)
    {
        if (integ == IntegId.HmacMd5_96)
        {
            return HMACMD5.HashData(key, data)[..12];
        }

        CryptoRegistry.TryGetIntegrity(integ, out IIkeIntegrity? reference).Should().BeTrue();
        byte[] icv = new byte[reference!.IcvLength];
        reference.Compute(key, data, icv);
        return icv;
    }

    [Theory]
    [InlineData(IntegId.HmacSha2_256_128, 32, 12)]
    [InlineData(IntegId.HmacSha2_256_128, 32, 32)]
    [InlineData(IntegId.HmacSha1_96, 20, 20)]
    [InlineData(IntegId.HmacMd5_96, 16, 16)]
    [InlineData(IntegId.HmacSha2_512_256, 64, 64)]
    public void HmacTruncationsAndroidAllows_round_trip_and_are_the_leftmost_bytes(IntegId integ, int keyLength, int icv)
    {
        byte[] key = Enumerable.Range(0, keyLength).Select(i => (byte)(i * 7)).ToArray();
        using var tx = new EspSa(0x77, EncrId.AesCbc, 128, integ, new byte[16], key, false, EspMode.Tunnel, icvLength: icv);
        using var rx = new EspSa(0x77, EncrId.AesCbc, 128, integ, new byte[16], key, false, EspMode.Tunnel, icvLength: icv);
        tx.IcvLength.Should().Be(icv);
        (tx.HeaderLength + tx.MaxTrailerLength).Should().BeLessThanOrEqualTo(EspSa.MaxOverhead);
        byte[] packet = Seal(tx, Ipv4Packet(90));
        var hash = integ switch
        {
            IntegId.HmacMd5_96 => HashAlgorithmName.MD5,
            IntegId.HmacSha1_96 => HashAlgorithmName.SHA1,
            IntegId.HmacSha2_512_256 => HashAlgorithmName.SHA512,
            _ => HashAlgorithmName.SHA256,
        };
        using var h = IncrementalHash.CreateHMAC(hash, key);
        h.AppendData(packet[..^icv]);
        Convert.ToHexString(packet[^icv..]).Should().Be(Convert.ToHexString(h.GetHashAndReset()[..icv]));
        rx.TryOpen(packet, out int off, out int len, out _).Should().Be(EspOpenResult.Ok);
        packet.AsSpan(off, len).ToArray().Should().Equal(Ipv4Packet(90));
    }
}
