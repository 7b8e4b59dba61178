using FluentAssertions;
using Ikev2Client.Protocol.Crypto;
using Xunit;

namespace Ikev2Client.Tests.Crypto;

/// <summary>
/// The IKEv2 KDF against the NIST CAVP SP 800-135 IKEv2 KDF vector (SHA-1, 64-bit nonces, 256-bit g^ir,
/// 1056-bit DKM): SKEYSEED, DKM, DKM(Child SA), DKM(Child SA D-H) and SKEYSEED(Rekey).
/// </summary>
public sealed class KeyDerivationTests
{
    private static readonly byte[] Ni = Hex.Parse("32b50d5f4a3763f3");
    private static readonly byte[] Nr = Hex.Parse("9206a04b26564cb1");
    private static readonly byte[] Gir = Hex.Parse("4b2c1f971981a8ad8d0abeafabf38cf75fc8349c148142465ed9c8b516b8be52");
    private static readonly byte[] GirNew = Hex.Parse("863f3c9d06efd39d2b907b97f8699e5dd5251ef64a2a176f36ee40c87d4f9330");
    private const ulong SpiI = 0x34c9e7c188868785;
    private const ulong SpiR = 0x3ff77d760d2b2199;
    private static readonly byte[] Skeyseed = Hex.Parse("a9a7b222b59f8f48645f28a1db5b5f5d7479cba7");
    private static readonly byte[] Dkm = Hex.Parse("""
        a14293677cc80ff8f9cc0eee30d895da9d8f405666e30ef0dfcb63c634a46002a2a63080e514a062768b76606f9fa5e992204fc5a670bde3
        f10d6b027113936a5c55b648a194ae587b0088d52204b702c979fa280870d2ed41efa9c549fd11198af1670b143d384bd275c5f594cf266b
        05ebadca855e4249520a441a81157435a7a56cc4
        """);
    private static readonly byte[] DkmChild = Hex.Parse("""
        8059e3ee8810e6c3a91bc8bcd2a7a41151b8d0e6ae239c7b38093ad85ef4c5811a8e7b5d1cdabd9560b2d5e092d1f24e2d4b85eccdf0ad0d
        c9abd94b51ee71814ca6dbc8bb51b6309f5b9545c7eb35cf5580b1e521a8fe20754a2d883ba0c2cf285f524aea6545b33106bc03e614296d
        319d41d4b50b3f510b1c0a22f3e664994d234cb4
        """);
    private static readonly byte[] DkmChildDh = Hex.Parse("""
        bb43244c1860ad65ee1e211ffe8bb3661750c8f89cb9f547df7f4fa61d37301628190e38c66232eab4b3ab14c400a5197dd3730ed4820a8a
        10394d51e1c0400052f63ebd36b0e7ef53aaed31eba4a5080d7d4b5666023a8bbb5ffb7857240f9a05884d1b7d2f933708450b7b3288f1fc
        863ab49fa901227cffc06e27899c7054d56fd74c
        """);
    private static readonly byte[] SkeyseedRekey = Hex.Parse("63e81194946ebd05df7df5ebf5d8750056bf1f1d");

    private static IIkePrf Sha1Prf => CryptoRegistry.TryGetPrf(PrfId.HmacSha1, out IIkePrf? prf) ? prf : throw new InvalidOperationException();

    [Fact]
    public void Cavp_skeyseed() => KeyDerivation.ComputeSkeyseed(Sha1Prf, Ni, Nr, Gir).Should().Equal(Skeyseed);

    [Fact]
    public void Cavp_dkm_as_prf_plus()
    {
        byte[] seed = [.. Ni, .. Nr, .. Hex.Parse("34c9e7c188868785"), .. Hex.Parse("3ff77d760d2b2199")];
        KeyDerivation.PrfPlus(Sha1Prf, Skeyseed, seed, Dkm.Length).Should().Equal(Dkm);
    }

    [Fact]
    public void Cavp_dkm_split_into_ike_sa_keys()
    {
        // PRF-HMAC-SHA1 (20) + HMAC-SHA1-96 (20) x2 + AES-CBC-128 (16) x2 + SK_p (20) x2 = 132 bytes = the DKM length.
        CryptoRegistry.TryGetEncryption(EncrId.AesCbc, 128, out IIkeEncryption? encr).Should().BeTrue();
        CryptoRegistry.TryGetIntegrity(IntegId.HmacSha1_96, out IIkeIntegrity? integ).Should().BeTrue();
        IkeSaKeys keys = KeyDerivation.DeriveIkeSaKeys(Sha1Prf, encr!, integ, Skeyseed, Ni, Nr, SpiI, SpiR);
        byte[] all = [.. keys.SkD, .. keys.SkAi, .. keys.SkAr, .. keys.SkEi, .. keys.SkEr, .. keys.SkPi, .. keys.SkPr];
        all.Should().Equal(Dkm);
        keys.SkD.Should().HaveCount(20);
        keys.SkEi.Should().Equal(Dkm[60..76]);
        keys.ToString().Should().NotContain(Convert.ToHexString(keys.SkD[..4]));
    }

    [Fact]
    public void Cavp_child_sa_keys_without_and_with_pfs()
    {
        byte[] skD = Dkm[..20];
        ChildSaKeys child = KeyDerivation.DeriveChildSaKeys(Sha1Prf, skD, [], Ni, Nr, 36, 30);
        byte[] all = [.. child.EncrKeyI, .. child.IntegKeyI, .. child.EncrKeyR, .. child.IntegKeyR];
        all.Should().Equal(DkmChild);
        child.EncrKeyI.Should().HaveCount(36);
        child.IntegKeyR.Should().HaveCount(30);

        ChildSaKeys pfs = KeyDerivation.DeriveChildSaKeys(Sha1Prf, skD, GirNew, Ni, Nr, 16, 20);
        byte[] pfsAll = [.. pfs.EncrKeyI, .. pfs.IntegKeyI, .. pfs.EncrKeyR, .. pfs.IntegKeyR];
        pfsAll.Should().Equal(DkmChildDh[..72]);
    }

    [Fact]
    public void Cavp_rekey_skeyseed() =>
        KeyDerivation.ComputeRekeySkeyseed(Sha1Prf, Dkm[..20], GirNew, Ni, Nr).Should().Equal(SkeyseedRekey);

    [Fact]
    public void Skeyseed_fixed_key_prf_uses_first64_bits_of_each_nonce()
    {
        // RFC 7296 §2.14: for AES-XCBC/CMAC PRFs the key is Ni[0..8] | Nr[0..8].
        byte[] ni = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        byte[] nr = Enumerable.Range(100, 32).Select(i => (byte)i).ToArray();
        foreach (PrfId id in new[] { PrfId.AesXcbc128, PrfId.AesCmac128 })
        {
            CryptoRegistry.TryGetPrf(id, out IIkePrf? prf).Should().BeTrue();
            byte[] expected = KeyDerivation.Prf(prf!, [.. ni[..8], .. nr[..8]], Gir);
            KeyDerivation.ComputeSkeyseed(prf!, ni, nr, Gir).Should().Equal(expected);
            KeyDerivation.ComputeSkeyseed(prf!, ni[..8], nr[..8], Gir).Should().Equal(expected);
        }
    }

    [Fact]
    public void PrfPlus_blocks_chain_as_specified()
    {
        // T1 = prf(K, S | 0x01), T2 = prf(K, T1 | S | 0x02)
        IIkePrf prf = Sha1Prf;
        byte[] key = [1, 2, 3], seed = [9, 8, 7];
        byte[] t1 = KeyDerivation.Prf(prf, key, [.. seed, 1]);
        byte[] t2 = KeyDerivation.Prf(prf, key, [.. t1, .. seed, 2]);
        KeyDerivation.PrfPlus(prf, key, seed, 30).Should().Equal([.. t1, .. t2[..10]]);
        FluentActions.Invoking(() => KeyDerivation.PrfPlus(prf, key, seed, 255 * 20 + 1)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void IkeSaKeys_aead_has_no_integrity_keys_and_salted_encryption_keys()
    {
        CryptoRegistry.TryGetEncryption(EncrId.AesGcm16, 256, out IIkeEncryption? gcm).Should().BeTrue();
        CryptoRegistry.TryGetPrf(PrfId.HmacSha2_256, out IIkePrf? prf).Should().BeTrue();
        IkeSaKeys keys = KeyDerivation.DeriveIkeSaKeys(prf!, gcm!, null, Skeyseed, Ni, Nr, SpiI, SpiR);
        keys.SkAi.Should().BeEmpty();
        keys.SkAr.Should().BeEmpty();
        keys.SkEi.Should().HaveCount(36);
        keys.SkD.Should().HaveCount(32);
        keys.SkPr.Should().HaveCount(32);
    }
}
