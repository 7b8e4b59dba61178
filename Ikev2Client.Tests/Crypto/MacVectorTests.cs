using FluentAssertions;
using Ikev2Client.Protocol.Crypto;
using Xunit;

namespace Ikev2Client.Tests.Crypto;

/// <summary>Known-answer tests for the PRFs and integrity algorithms.</summary>
public sealed class MacVectorTests
{
    private static byte[] Prf(PrfId id, byte[] key, byte[] data)
    {
        CryptoRegistry.TryGetPrf(id, out IIkePrf? prf).Should().BeTrue();
        return KeyDerivation.Prf(prf!, key, data);
    }

    private static byte[] Integ(IntegId id, byte[] key, byte[] data)
    {
        CryptoRegistry.TryGetIntegrity(id, out IIkeIntegrity? integ).Should().BeTrue();
        var icv = new byte[integ!.IcvLength];
        integ.Compute(key, data, icv);
        return icv;
    }

    private static byte[] Repeat(byte value, int count) => Enumerable.Repeat(value, count).ToArray();
    private static byte[] Range(int count) => Enumerable.Range(0, count).Select(i => (byte)i).ToArray();

    [Fact] // RFC 2202 §3 test cases 1, 2 and 6 (PRF_HMAC_SHA1), and HMAC-SHA1-96 (RFC 2404) as the first 96 bits
    public void HmacSha1_rfc2202()
    {
        Prf(PrfId.HmacSha1, Repeat(0x0b, 20), "Hi There"u8.ToArray()).Should().Equal(Hex.Parse("b617318655057264e28bc0b6fb378c8ef146be00"));
        Prf(PrfId.HmacSha1, "Jefe"u8.ToArray(), "what do ya want for nothing?"u8.ToArray())
            .Should().Equal(Hex.Parse("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"));
        Prf(PrfId.HmacSha1, Repeat(0xaa, 80), "Test Using Larger Than Block-Size Key - Hash Key First"u8.ToArray())
            .Should().Equal(Hex.Parse("aa4ae5e15272d00e95705637ce8a3b55ed402112"));
        Integ(IntegId.HmacSha1_96, Repeat(0x0b, 20), "Hi There"u8.ToArray()).Should().Equal(Hex.Parse("b617318655057264e28bc0b6"));
    }

    [Theory] // RFC 4868 §2.7.1 PRF test case 1 (20-byte key 0x0b, "Hi There")
    [InlineData(PrfId.HmacSha2_256, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")]
    [InlineData(PrfId.HmacSha2_384, "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6")]
    [InlineData(PrfId.HmacSha2_512, "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854")]
    public void HmacSha2Prf_rfc4868(PrfId id, string expected) =>
        Prf(id, Repeat(0x0b, 20), "Hi There"u8.ToArray()).Should().Equal(Hex.Parse(expected));

    [Theory] // RFC 4868 §2.7.2 authenticator test case 1 (key 0x0b of the full length, "Hi There"), truncated
    [InlineData(IntegId.HmacSha2_256_128, 32, "198a607eb44bfbc69903a0f1cf2bbdc5")]
    [InlineData(IntegId.HmacSha2_384_192, 48, "b6a8d5636f5c6a7224f9977dcf7ee6c7fb6d0c48cbdee973")]
    [InlineData(IntegId.HmacSha2_512_256, 64, "637edc6e01dce7e6742a99451aae82df23da3e92439e590e43e761b33e910fb8")]
    public void HmacSha2Integrity_rfc4868(IntegId id, int keyLength, string expected)
    {
        CryptoRegistry.TryGetIntegrity(id, out IIkeIntegrity? integ).Should().BeTrue();
        integ!.KeyLength.Should().Be(keyLength);
        Integ(id, Repeat(0x0b, keyLength), "Hi There"u8.ToArray()).Should().Equal(Hex.Parse(expected));
    }

    [Theory] // RFC 3566 §4.6 test cases 1-7 (key 000102..0f); AUTH_AES_XCBC_96 is the first 96 bits
    [InlineData(0, "75f0251d528ac01c4573dfd584d79f29")]
    [InlineData(3, "5b376580ae2f19afe7219ceef172756f")]
    [InlineData(16, "d2a246fa349b68a79998a4394ff7a263")]
    [InlineData(20, "47f51b4564966215b8985c63055ed308")]
    [InlineData(32, "f54f0ec8d2b9f3d36807734bd5283fd4")]
    [InlineData(34, "becbb3bccdb518a30677d5481fb6b4d8")]
    [InlineData(-1000, "f0dafee895db30253761103b5d84528f")]
    public void AesXcbcMac_rfc3566(int messageLength, string expected)
    {
        byte[] message = messageLength < 0 ? new byte[-messageLength] : Range(messageLength);
        Integ(IntegId.AesXcbc96, Range(16), message).Should().Equal(Hex.Parse(expected)[..12]);
        Prf(PrfId.AesXcbc128, Range(16), message).Should().Equal(Hex.Parse(expected));
    }

    [Theory] // RFC 4434 §4: PRF-AES128-XCBC with 16-, 10- and 18-byte keys
    [InlineData("000102030405060708090a0b0c0d0e0f", "47f51b4564966215b8985c63055ed308")]
    [InlineData("00010203040506070809", "0fa087af7d866e7653434e602fdde835")]
    [InlineData("000102030405060708090a0b0c0d0e0fedcb", "8cd3c93ae598a9803006ffb67c40e9e4")]
    public void PrfAesXcbc_rfc4434(string key, string expected) =>
        Prf(PrfId.AesXcbc128, Hex.Parse(key), Range(20)).Should().Equal(Hex.Parse(expected));

    private const string CmacKey = "2b7e151628aed2a6abf7158809cf4f3c";
    private const string CmacMessage =
        "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";

    [Theory] // RFC 4493 §4 examples 1-4; RFC 4494 AES-CMAC-96 is the first 96 bits
    [InlineData(0, "bb1d6929e95937287fa37d129b756746")]
    [InlineData(16, "070a16b46b4d4144f79bdd9dd04a287c")]
    [InlineData(40, "dfa66747de9ae63030ca32611497c827")]
    [InlineData(64, "51f0bebf7e3b9d92fc49741779363cfe")]
    public void AesCmac_rfc4493_rfc4494(int length, string expected)
    {
        byte[] message = Hex.Parse(CmacMessage)[..length];
        Integ(IntegId.AesCmac96, Hex.Parse(CmacKey), message).Should().Equal(Hex.Parse(expected)[..12]);
        Prf(PrfId.AesCmac128, Hex.Parse(CmacKey), message).Should().Equal(Hex.Parse(expected));
    }

    [Theory] // RFC 4615 §4: PRF-AES-CMAC-128 with 18-, 16- and 10-byte keys
    [InlineData("000102030405060708090a0b0c0d0e0fedcb", "84a348a4a45d235babfffc0d2b4da09a")]
    [InlineData("000102030405060708090a0b0c0d0e0f", "980ae87b5f4c9c5214f5b6a8455e4c2d")]
    [InlineData("00010203040506070809", "290d9e112edb09ee141fcf64c0b72f3d")]
    public void PrfAesCmac_rfc4615(string key, string expected) =>
        Prf(PrfId.AesCmac128, Hex.Parse(key), Range(20)).Should().Equal(Hex.Parse(expected));
}
