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
    [InlineData("aes256gcm16-prfsha384-x25519-ke8_mlkem768", false, "ke1 to ke7")]
    [InlineData("aes256gcm16-prfsha384-x25519-ke1_mlkem2048", false, "unknown key exchange method 'mlkem2048'")]
    [InlineData("aes256gcm16-prfsha384-x25519-ke1_ecp224", false, "'ecp224' in 'ke1_ecp224' is not supported")]
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
    [InlineData("aes256gcm16-prfsha384-x25519-ke1_mlkem768", false)]
    [InlineData("aes256-sha384-ecp384-ke1_mlkem768-ke1_none-ke3_mlkem1024", false)]
    [InlineData("aes256gcm16-x25519-ke1_mlkem768-esn", true)]
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

    [Fact]
    public void StrongSwan6HybridProposal_ParsesIntoAdditionalKeyExchanges()
    {
        var p = One("aes256gcm16-prfsha384-x25519-ke1_mlkem768", false);
        p.KeGroups.Should().Equal(KeGroup.Curve25519);
        p.AdditionalKeyExchanges.Should().ContainSingle().Which.Should().Equal(KeGroup.MlKem768);
        p.RequiresAdditionalKeyExchange.Should().BeTrue();
        p.IsPostQuantum.Should().BeTrue();
        ProposalSyntax.Format(p, false).Should().Be("aes256gcm16-prfsha384-curve25519-ke1_mlkem768");

        // ke2 without ke1 leaves ADDKE1 unoffered; NONE makes an exchange optional.
        var q = One("aes128-sha256-ecp256-ke2_mlkem512-ke2_none", false);
        q.AdditionalKeyExchanges.Should().HaveCount(2);
        q.AdditionalKeyExchanges[0].Should().BeEmpty();
        q.AdditionalKeyExchanges[1].Should().Equal(KeGroup.MlKem512, KeGroup.None);
        q.RequiresAdditionalKeyExchange.Should().BeFalse();
        One("aes128-sha256-ecp256", false).IsPostQuantum.Should().BeFalse();
    }

    [Fact]
    public void AdditionalKeyExchanges_GoOnTheWireAsTransformTypes6To12()
    {
        var wire = One("aes256gcm16-prfsha384-x25519-ke1_mlkem768-ke2_mlkem1024-ke2_none", false)
            .ToWire(1, Protocol.Wire.ProtocolId.Ike, []);
        wire.OfType(Protocol.Wire.TransformType.AdditionalKeyExchange1).Select(t => t.Id).Should().Equal((ushort)36);
        wire.OfType(Protocol.Wire.TransformType.AdditionalKeyExchange2).Select(t => t.Id).Should().Equal((ushort)37, (ushort)0);
        ((byte)Protocol.Wire.TransformType.AdditionalKeyExchange7).Should().Be(12);
    }
}
