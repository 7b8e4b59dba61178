using FluentAssertions;
using Ikev2Client.Protocol.Crypto;
using Xunit;

namespace Ikev2Client.Tests.Profiles;

public sealed class ProposalSyntaxTests
{
    private static ProposalSpec One(string text, bool esp)
    {
        ProposalSyntax.TryParse(text, esp, out var list, out var error).Should().BeTrue(error);
        list.Should().HaveCount(1);
        return list[0];
    }

    [Fact]
    public void Aead_ike_with_explicit_prf()
    {
        var p = One("aes256gcm16-prfsha384-ecp384", esp: false);
        p.Encryption.Should().Equal(new EncryptionSpec(EncrId.AesGcm16, 256));
        p.Prfs.Should().Equal(PrfId.HmacSha2_384);
        p.Integrity.Should().BeEmpty();
        p.KeGroups.Should().Equal(KeGroup.Ecp384);
        p.IsAead.Should().BeTrue();
    }

    [Fact]
    public void Classic_ike_derives_prf_from_integrity()
    {
        var p = One("aes128-sha256-modp2048", esp: false);
        p.Encryption.Should().Equal(new EncryptionSpec(EncrId.AesCbc, 128));
        p.Integrity.Should().Equal(IntegId.HmacSha2_256_128);
        p.Prfs.Should().Equal(PrfId.HmacSha2_256);
        p.KeGroups.Should().Equal(KeGroup.Modp2048);
    }

    [Fact]
    public void Aead_ike_uses_integrity_keyword_as_prf_and_drops_it()
    {
        var p = One("aes128gcm16-sha256-ecp256", esp: false);
        p.Prfs.Should().Equal(PrfId.HmacSha2_256);
        p.Integrity.Should().BeEmpty();
    }

    [Theory]
    [InlineData("chacha20poly1305-prfsha256-x25519", EncrId.ChaCha20Poly1305, 0, KeGroup.Curve25519)]
    [InlineData("aes256-sha1-curve25519", EncrId.AesCbc, 256, KeGroup.Curve25519)]
    [InlineData("aes256-sha256-ecp256", EncrId.AesCbc, 256, KeGroup.Ecp256)]
    public void Ike_variants(string text, EncrId encr, int bits, KeGroup group)
    {
        var p = One(text, esp: false);
        p.Encryption[0].Should().Be(new EncryptionSpec(encr, bits));
        p.KeGroups.Should().Equal(group);
    }

    [Fact]
    public void Esp_aead_without_group_defaults_to_no_esn()
    {
        var p = One("aes256gcm16", esp: true);
        p.Encryption.Should().Equal(new EncryptionSpec(EncrId.AesGcm16, 256));
        p.KeGroups.Should().BeEmpty();
        p.Prfs.Should().BeEmpty();
        p.Esn.Should().Equal(EsnId.NoEsn);
    }

    [Fact]
    public void Esp_with_pfs_and_both_esn_modes()
    {
        var p = One("aes128-sha256-modp3072-esn-noesn", esp: true);
        p.KeGroups.Should().Equal(KeGroup.Modp3072);
        p.Esn.Should().Equal(EsnId.Esn, EsnId.NoEsn);
    }

    [Fact]
    public void Lists_strict_marker_and_default()
    {
        ProposalSyntax.TryParse("aes256gcm16-prfsha384-ecp384, aes128-sha256-modp2048!", false, out var list, out var strict, out var error)
            .Should().BeTrue(error);
        strict.Should().BeTrue();
        list.Should().HaveCount(2);
        ProposalSyntax.TryParse("aes256gcm16,default", true, out var withDefault, out _).Should().BeTrue();
        withDefault.Should().HaveCount(1 + ProposalSyntax.Defaults(true).Count);
        ProposalSyntax.Defaults(false).Should().OnlyContain(p => p.KeGroups.Count > 0 && p.Prfs.Count > 0);
    }

    [Fact]
    public void Several_algorithms_of_one_kind_keep_order()
    {
        var p = One("aes256gcm16-aes128gcm16-prfsha384-prfsha256-ecp384-modp3072", esp: false);
        p.Encryption.Select(e => e.KeyBits).Should().Equal(256, 128);
        p.Prfs.Should().Equal(PrfId.HmacSha2_384, PrfId.HmacSha2_256);
        p.KeGroups.Should().Equal(KeGroup.Ecp384, KeGroup.Modp3072);
    }

    [Theory]
    [InlineData("aes256-sha256-bogus", false, "'bogus'")]
    [InlineData("aes256gcm16-ecp256", false, "PRF")]
    [InlineData("aes256-sha256", false, "key exchange")]
    [InlineData("aes256-modp2048", false, "integrity")]
    [InlineData("aes256-aes256gcm16-sha256-modp2048", false, "mixes")]
    [InlineData("aes256gcm16-prfsha256", true, "'prfsha256'")]
    [InlineData("aes128-sha256-modp768", false, "'modp768' is not supported")]
    [InlineData("aes128-sha256-modp2048-esn", false, "esn")]
    [InlineData("null-sha256-modp2048", false, "ESP proposals only")]
    [InlineData("", true, "empty")]
    [InlineData("aes128--sha256", true, "empty algorithm")]
    [InlineData("aes128-sha256,,aes256gcm16", true, "empty proposal")]
    public void Bad_input_gives_typed_error_naming_token(string text, bool esp, string expected)
    {
        ProposalSyntax.TryParse(text, esp, out var list, out var error).Should().BeFalse();
        list.Should().BeEmpty();
        error.Should().Contain(expected);
    }

    [Theory]
    [InlineData("aes256gcm16-prfsha384-ecp384", false)]
    [InlineData("aes128-aes256-sha256-sha1-prfsha256-modp2048-ecp256", false)]
    [InlineData("chacha20poly1305-prfsha512-curve448", false)]
    [InlineData("aes256gcm16", true)]
    [InlineData("aes128ctr-aesxcbc-modp3072-esn", true)]
    [InlineData("3des-md5", true)]
    public void Format_round_trips(string text, bool esp)
    {
        var p = One(text, esp);
        var formatted = ProposalSyntax.Format(p, esp);
        One(formatted, esp).Should().Be(p);
    }

    [Fact]
    public void Format_is_canonical()
    {
        ProposalSyntax.Format(One("AES128GCM-X25519-PRFSHA256", false), false).Should().Be("aes128gcm16-prfsha256-curve25519");
    }
}
