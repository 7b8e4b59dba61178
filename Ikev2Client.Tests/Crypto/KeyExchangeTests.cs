using System.Numerics;
using FluentAssertions;
using Ikev2Client.Protocol.Crypto;
using Xunit;

namespace Ikev2Client.Tests.Crypto;

/// <summary>Key exchange KATs (RFC 5903, RFC 7748), MODP agreement and rejection of invalid peer values.</summary>
public sealed class KeyExchangeTests
{
    public static TheoryData<KeGroup, string, string, string, string, string> EcpVectors => new()
    {
        { KeGroup.Ecp256, // RFC 5903 §8.1
            "C88F01F5 10D9AC3F 70A292DA A2316DE5 44E9AAB8 AFE84049 C62A9C57 862D1433",
            "DAD0B653 94221CF9 B051E1FE CA5787D0 98DFE637 FC90B9EF 945D0C37 72581180 5271A046 1CDB8252 D61F1C45 6FA3E59A B1F45B33 ACCF5F58 389E0577 B8990BB3",
            "D12DFB52 89C8D4F8 1208B702 70398C34 2296970A 0BCCB74C 736FC755 4494BF63",
            "56FBF3CA 366CC23E 8157854C 13C58D6A AC23F046 ADA30F83 53E74F33 039872AB",
            "D6840F6B 42F6EDAF D13116E0 E1256520 2FEF8E9E CE7DCE03 812464D0 4B9442DE" },
        { KeGroup.Ecp384, // RFC 5903 §8.2
            "099F3C70 34D4A2C6 99884D73 A375A67F 7624EF7C 6B3C0F16 0647B674 14DCE655 E35B5380 41E649EE 3FAEF896 783AB194",
            "667842D7 D180AC2C DE6F74F3 7551F557 55C7645C 20EF73E3 1634FE72 B4C55EE6 DE3AC808 ACB4BDB4 C88732AE E95F41AA" +
            "9482ED1F C0EEB9CA FC498462 5CCFC23F 65032149 E0E144AD A0241815 35A0F38E EB9FCFF3 C2C947DA E69B4C63 4573A81C",
            "E558DBEF 53EECDE3 D3FCCFC1 AEA08A89 A987475D 12FD950D 83CFA417 32BC509D 0D1AC43A 0336DEF9 6FDA41D0 774A3571",
            "DCFBEC7A ACF31964 72169E83 8430367F 66EEBE3C 6E70C416 DD5F0C68 759DD1FF F83FA401 42209DFF 5EAAD96D B9E6386C",
            "11187331 C279962D 93D60424 3FD592CB 9D0A926F 422E4718 7521287E 7156C5C4 D6031355 69B9E9D0 9CF5D4A2 70F59746" },
        { KeGroup.Ecp521, // RFC 5903 §8.3
            "0037ADE9 319A89F4 DABDB3EF 411AACCC A5123C61 ACAB57B5 393DCE47 608172A0 95AA85A3 0FE1C295 2C6771D9 37BA9777 F5957B26 39BAB072 462F68C2 7A57382D 4A52",
            "0015417E 84DBF28C 0AD3C278 713349DC 7DF153C8 97A1891B D98BAB43 57C9ECBE E1E3BF42 E00B8E38 0AEAE57C 2D107564 94188594 2AF5A7F4 601723C4 195D176C ED3E" +
            "017CAE20 B6641D2E EB695786 D8C94614 6239D099 E18E1D5A 514C739D 7CB4A10A D8A78801 5AC405D7 799DC75E 7B7D5B6C F2261A6A 7F150743 8BF01BEB 6CA3926F 9582",
            "00D0B397 5AC4B799 F5BEA16D 5E13E9AF 971D5E9B 984C9F39 728B5E57 39735A21 9B97C356 436ADC6E 95BB0352 F6BE64A6 C2912D4E F2D0433C ED2B6171 640012D9 460F",
            "015C6822 6383956E 3BD066E7 97B623C2 7CE0EAC2 F551A10C 2C724D98 52077B87 220B6536 C5C408A1 D2AEBB8E 86D678AE 49CB5709 1F473229 6579AB44 FCD17F0F C56A",
            "01144C7D 79AE6956 BC8EDB8E 7C787C45 21CB086F A64407F9 7894E5E6 B2D79B04 D1427E73 CA4BAA24 0A347868 59810C06 B3C715A3 A8CC3151 F2BEE417 996D19F3 DDEA" },
    };

    [Theory]
    [MemberData(nameof(EcpVectors))]
    public void Ecp_rfc5903(KeGroup group, string i, string gi, string grx, string gry, string girx)
    {
        using IKeyExchange ke = CryptoRegistry.CreateKeyExchange(group, new FixedRandomSource(Hex.Parse(i)));
        ke.PublicValue.ToArray().Should().Equal(Hex.Parse(gi));
        byte[] gr = [.. Hex.Parse(grx), .. Hex.Parse(gry)];
        ke.TryDeriveSharedSecret(gr, out byte[] secret, out string? error).Should().BeTrue(error);
        secret.Should().Equal(Hex.Parse(girx));
    }

    [Theory]
    [InlineData(KeGroup.Ecp256, 64)]
    [InlineData(KeGroup.Ecp384, 96)]
    [InlineData(KeGroup.Ecp521, 132)]
    public void Ecp_rejects_invalid_peer_values(KeGroup group, int length)
    {
        using IKeyExchange ke = CryptoRegistry.CreateKeyExchange(group, new SeededRandomSource(1));
        using IKeyExchange peer = CryptoRegistry.CreateKeyExchange(group, new SeededRandomSource(2));
        byte[] valid = peer.PublicValue.ToArray();
        ke.TryDeriveSharedSecret(valid, out _, out _).Should().BeTrue();

        ke.TryDeriveSharedSecret(valid.AsSpan(1).ToArray(), out _, out string? error).Should().BeFalse();
        error.Should().Contain("bytes");
        ke.TryDeriveSharedSecret([.. valid, 0], out _, out _).Should().BeFalse();
        ke.TryDeriveSharedSecret([0x04, .. valid], out _, out _).Should().BeFalse();

        byte[] offCurve = (byte[])valid.Clone();
        offCurve[^1] ^= 0x01; // y changed: no longer on the curve
        ke.TryDeriveSharedSecret(offCurve, out byte[] secret, out error).Should().BeFalse();
        error.Should().Contain("curve");
        secret.Should().BeEmpty();

        ke.TryDeriveSharedSecret(new byte[length], out _, out _).Should().BeFalse(); // point at infinity / (0,0)
    }

    [Fact] // RFC 7748 §6.1
    public void X25519_rfc7748_6_1()
    {
        using IKeyExchange alice = CryptoRegistry.CreateKeyExchange(KeGroup.Curve25519,
            new FixedRandomSource(Hex.Parse("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")));
        alice.PublicValue.ToArray().Should().Equal(Hex.Parse("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"));
        using IKeyExchange bob = CryptoRegistry.CreateKeyExchange(KeGroup.Curve25519,
            new FixedRandomSource(Hex.Parse("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")));
        bob.PublicValue.ToArray().Should().Equal(Hex.Parse("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"));

        byte[] k = Hex.Parse("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
        alice.TryDeriveSharedSecret(bob.PublicValue.Span, out byte[] ka, out _).Should().BeTrue();
        bob.TryDeriveSharedSecret(alice.PublicValue.Span, out byte[] kb, out _).Should().BeTrue();
        ka.Should().Equal(k);
        kb.Should().Equal(k);
    }

    [Theory] // RFC 7748 §5.2 scalar / u-coordinate vectors
    [InlineData("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
        "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
        "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552")]
    [InlineData("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
        "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
        "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957")]
    public void X25519_rfc7748_5_2(string scalar, string u, string expected)
    {
        using IKeyExchange ke = CryptoRegistry.CreateKeyExchange(KeGroup.Curve25519, new FixedRandomSource(Hex.Parse(scalar)));
        ke.TryDeriveSharedSecret(Hex.Parse(u), out byte[] secret, out _).Should().BeTrue();
        secret.Should().Equal(Hex.Parse(expected));
    }

    [Fact] // RFC 7748 §6.2
    public void X448_rfc7748_6_2()
    {
        using IKeyExchange alice = CryptoRegistry.CreateKeyExchange(KeGroup.Curve448, new FixedRandomSource(Hex.Parse(
            "9a8f4925d1519f5775cf46b04b5800d4ee9ee8bae8bc5565d498c28dd9c9baf574a9419744897391006382a6f127ab1d9ac2d8c0a598726b")));
        alice.PublicValue.ToArray().Should().Equal(Hex.Parse(
            "9b08f7cc31b7e3e67d22d5aea121074a273bd2b83de09c63faa73d2c22c5d9bbc836647241d953d40c5b12da88120d53177f80e532c41fa0"));
        alice.TryDeriveSharedSecret(Hex.Parse(
            "3eb7a829b0cd20f5bcfc0b599b6feccf6da4627107bdb0d4f345b43027d8b972fc3e34fb4232a13ca706dcb57aec3dae07bdc1c67bf33609"),
            out byte[] secret, out _).Should().BeTrue();
        secret.Should().Equal(Hex.Parse(
            "07fff4181ac6cc95ec1c16a94a0f74d12da232ce40a77552281d282bb60c0b56fd2464c335543936521c24403085d59a449a5037514a879d"));
    }

    [Theory]
    [InlineData(KeGroup.Curve25519, 32)]
    [InlineData(KeGroup.Curve448, 56)]
    public void Montgomery_rejects_wrong_length_and_low_order_points(KeGroup group, int length)
    {
        using IKeyExchange ke = CryptoRegistry.CreateKeyExchange(group, new SeededRandomSource(3));
        ke.PublicValue.Length.Should().Be(length);
        ke.TryDeriveSharedSecret(new byte[length - 1], out _, out string? error).Should().BeFalse();
        error.Should().Contain("bytes");
        // u = 0 and u = 1 are low-order points: the result is all zeros (RFC 8031 §2 / RFC 7748 §6).
        ke.TryDeriveSharedSecret(new byte[length], out byte[] secret, out error).Should().BeFalse();
        error.Should().Contain("all zeros");
        secret.Should().BeEmpty();
        byte[] one = new byte[length];
        one[0] = 1;
        ke.TryDeriveSharedSecret(one, out _, out _).Should().BeFalse();
    }

    [Theory] // RFC 3526
    [InlineData(KeGroup.Modp2048, 2048)]
    [InlineData(KeGroup.Modp3072, 3072)]
    [InlineData(KeGroup.Modp4096, 4096)]
    [InlineData(KeGroup.Modp6144, 6144)]
    [InlineData(KeGroup.Modp8192, 8192)]
    public void Modp_primes_agreement_and_validation(KeGroup group, int bits)
    {
        (BigInteger p, _) = ModpGroups.Get(group);
        p.GetBitLength().Should().Be(bits);
        // RFC 3526: every prime begins and ends with 64 one bits.
        (p >> (bits - 64)).Should().Be((BigInteger.One << 64) - 1);
        (p & ((BigInteger.One << 64) - 1)).Should().Be((BigInteger.One << 64) - 1);

        using IKeyExchange a = CryptoRegistry.CreateKeyExchange(group, new SeededRandomSource(10));
        using IKeyExchange b = CryptoRegistry.CreateKeyExchange(group, new SeededRandomSource(11));
        a.PublicValue.Length.Should().Be(bits / 8);
        a.TryDeriveSharedSecret(b.PublicValue.Span, out byte[] sa, out _).Should().BeTrue();
        b.TryDeriveSharedSecret(a.PublicValue.Span, out byte[] sb, out _).Should().BeTrue();
        sa.Should().HaveCount(bits / 8).And.Equal(sb);

        byte[] Encode(BigInteger v)
        {
            var buffer = new byte[bits / 8];
            v.TryWriteBytes(buffer.AsSpan(buffer.Length - v.GetByteCount(true)), out _, true, true);
            return buffer;
        }
        foreach (BigInteger bad in new[] { BigInteger.Zero, BigInteger.One, p - 1, p, p + 1 })
        {
            byte[] value = bad.GetByteCount(true) > bits / 8 ? Enumerable.Repeat((byte)0xff, bits / 8).ToArray() : Encode(bad);
            a.TryDeriveSharedSecret(value, out _, out string? error).Should().BeFalse();
            error.Should().Contain("range");
        }
        a.TryDeriveSharedSecret(b.PublicValue.Span[1..], out _, out string? lengthError).Should().BeFalse();
        lengthError.Should().Contain("bytes");
    }

    [Fact]
    public void SharedSecret_is_padded_to_the_length_of_p()
    {
        // Find a peer value whose shared secret has a leading zero byte: roughly 1 in 256 tries.
        using IKeyExchange a = CryptoRegistry.CreateKeyExchange(KeGroup.Modp2048, new SeededRandomSource(20));
        for (int seed = 0; seed < 2000; seed++)
        {
            using IKeyExchange b = CryptoRegistry.CreateKeyExchange(KeGroup.Modp2048, new SeededRandomSource(1000 + seed));
            a.TryDeriveSharedSecret(b.PublicValue.Span, out byte[] secret, out _).Should().BeTrue();
            secret.Should().HaveCount(256);
            if (secret[0] == 0)
                return;
        }
        Assert.Fail("No shared secret with a leading zero byte found.");
    }

    [Fact]
    public void Registry_supports_the_required_groups()
    {
        foreach (KeGroup g in new[] { KeGroup.Modp2048, KeGroup.Modp3072, KeGroup.Modp4096, KeGroup.Modp6144, KeGroup.Modp8192,
                     KeGroup.Ecp256, KeGroup.Ecp384, KeGroup.Ecp521, KeGroup.Curve25519, KeGroup.Curve448 })
        {
            CryptoRegistry.IsSupported(g).Should().BeTrue();
            using IKeyExchange ke = CryptoRegistry.CreateKeyExchange(g, new SeededRandomSource(5));
            ke.Group.Should().Be(g);
        }
        CryptoRegistry.IsSupported(KeGroup.Modp1024).Should().BeFalse();
        CryptoRegistry.IsSupported(KeGroup.None).Should().BeFalse();
        FluentActions.Invoking(() => CryptoRegistry.CreateKeyExchange(KeGroup.Modp1024, new SeededRandomSource(1)))
            .Should().Throw<NotSupportedException>();
    }
}
