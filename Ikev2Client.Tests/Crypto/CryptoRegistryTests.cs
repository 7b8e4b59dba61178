using FluentAssertions;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Wire;
using Xunit;

namespace Ikev2Client.Tests.Crypto;

public sealed class CryptoRegistryTests
{
    [Theory]
    [InlineData(TransformType.Encryption, 20, 256, "ENCR_AES_GCM_16 (256)")]
    [InlineData(TransformType.Encryption, 12, 128, "ENCR_AES_CBC (128)")]
    [InlineData(TransformType.Encryption, 28, 0, "ENCR_CHACHA20_POLY1305")]
    [InlineData(TransformType.Prf, 5, 0, "PRF_HMAC_SHA2_256")]
    [InlineData(TransformType.Prf, 4, 0, "PRF_AES128_XCBC")]
    [InlineData(TransformType.Integrity, 12, 0, "AUTH_HMAC_SHA2_256_128")]
    [InlineData(TransformType.KeyExchange, 19, 0, "ECP_256")]
    [InlineData(TransformType.KeyExchange, 31, 0, "CURVE_25519")]
    [InlineData(TransformType.KeyExchange, 14, 0, "MODP_2048")]
    [InlineData(TransformType.ExtendedSequenceNumbers, 1, 0, "ESN")]
    [InlineData(TransformType.Encryption, 999, 128, "UNKNOWN_ENCR_999")]
    [InlineData(TransformType.Prf, 77, 0, "UNKNOWN_PRF_77")]
    [InlineData(TransformType.Integrity, 77, 0, "UNKNOWN_INTEG_77")]
    [InlineData(TransformType.KeyExchange, 1234, 0, "UNKNOWN_KE_1234")]
    public void NameOf_gives_iana_names(TransformType type, ushort id, int bits, string expected) =>
        CryptoRegistry.NameOf(type, id, bits).Should().Be(expected);

    [Fact]
    public void Encryption_parameters()
    {
        CryptoRegistry.TryGetEncryption(EncrId.AesGcm16, 256, out IIkeEncryption? gcm).Should().BeTrue();
        gcm!.Name.Should().Be("ENCR_AES_GCM_16 (256)");
        (gcm.IsAead, gcm.KeyMaterialLength, gcm.IvLength, gcm.IcvLength, gcm.BlockSize).Should().Be((true, 36, 8, 16, 1));
        CryptoRegistry.TryGetEncryption(EncrId.AesGcm8, 128, out IIkeEncryption? gcm8).Should().BeTrue();
        (gcm8!.KeyMaterialLength, gcm8.IcvLength).Should().Be((20, 8));
        CryptoRegistry.TryGetEncryption(EncrId.AesCbc, 192, out IIkeEncryption? cbc).Should().BeTrue();
        (cbc!.IsAead, cbc.KeyMaterialLength, cbc.IvLength, cbc.IcvLength, cbc.BlockSize).Should().Be((false, 24, 16, 0, 16));
        CryptoRegistry.TryGetEncryption(EncrId.AesCtr, 128, out IIkeEncryption? ctr).Should().BeTrue();
        (ctr!.KeyMaterialLength, ctr.IvLength, ctr.BlockSize).Should().Be((20, 8, 1));
        CryptoRegistry.TryGetEncryption(EncrId.ChaCha20Poly1305, 0, out IIkeEncryption? chacha).Should().BeTrue();
        CryptoRegistry.TryGetEncryption(EncrId.ChaCha20Poly1305, 256, out IIkeEncryption? chacha256).Should().BeTrue();
        chacha.Should().BeSameAs(chacha256);
        (chacha!.KeyBits, chacha.KeyMaterialLength, chacha.IvLength, chacha.IcvLength).Should().Be((256, 36, 8, 16));

        CryptoRegistry.TryGetEncryption(EncrId.AesCbc, 0, out _).Should().BeFalse();
        CryptoRegistry.TryGetEncryption(EncrId.AesCbc, 100, out _).Should().BeFalse();
        CryptoRegistry.TryGetEncryption(EncrId.ChaCha20Poly1305, 128, out _).Should().BeFalse();
        CryptoRegistry.TryGetEncryption(EncrId.TripleDes, 0, out _).Should().BeFalse();
        CryptoRegistry.TryGetEncryption(EncrId.AesCcm16, 128, out _).Should().BeFalse();
    }

    [Fact]
    public void Prf_and_integrity_parameters()
    {
        CryptoRegistry.TryGetPrf(PrfId.HmacSha2_384, out IIkePrf? prf).Should().BeTrue();
        (prf!.OutputLength, prf.KeyLength, prf.HasFixedKeyLength, prf.Name).Should().Be((48, 48, false, "PRF_HMAC_SHA2_384"));
        CryptoRegistry.TryGetPrf(PrfId.AesCmac128, out IIkePrf? cmac).Should().BeTrue();
        (cmac!.OutputLength, cmac.KeyLength, cmac.HasFixedKeyLength).Should().Be((16, 16, true));
        CryptoRegistry.TryGetPrf(PrfId.HmacMd5, out _).Should().BeFalse();

        CryptoRegistry.TryGetIntegrity(IntegId.HmacSha2_512_256, out IIkeIntegrity? integ).Should().BeTrue();
        (integ!.KeyLength, integ.IcvLength).Should().Be((64, 32));
        CryptoRegistry.TryGetIntegrity(IntegId.AesXcbc96, out IIkeIntegrity? xcbc).Should().BeTrue();
        (xcbc!.KeyLength, xcbc.IcvLength, xcbc.Name).Should().Be((16, 12, "AUTH_AES_XCBC_96"));
        CryptoRegistry.TryGetIntegrity(IntegId.None, out _).Should().BeFalse();
        CryptoRegistry.TryGetIntegrity(IntegId.HmacMd5_96, out _).Should().BeFalse("never for IKE SAs");
        CryptoRegistry.TryGetEspIntegrity(IntegId.HmacMd5_96, out IIkeIntegrity? md5).Should().BeTrue("ESP proposals of old profiles");
        (md5!.KeyLength, md5.IcvLength, md5.Name).Should().Be((16, 12, "AUTH_HMAC_MD5_96"));
        CryptoRegistry.TryGetEspIntegrity(IntegId.AesCmac96, out _).Should().BeTrue();
        CryptoRegistry.TryGetEspIntegrity(IntegId.None, out _).Should().BeFalse();
    }
}
