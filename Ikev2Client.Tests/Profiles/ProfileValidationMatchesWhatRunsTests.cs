using System.Text;
using FluentAssertions;
using Ikev2Client.Connection;
using Ikev2Client.Platform;
using Ikev2Client.Profiles;
using Ikev2Client.Protocol.Crypto;
using Xunit;

namespace Ikev2Client.Tests.Profiles;

/// <summary>
/// Issue 14 item 2: a profile is refused at validation/import when it names something this client cannot run (an ESP
/// algorithm outside <see cref="IpSecAlgorithm.GetSupportedAlgorithms"/>, an IKE transform or group the IKE code lacks),
/// naming the field and the reason; <c>allowedAlgorithms</c> narrows the default proposals as well as explicit ones;
/// and what docs/profiles.md calls required (the username of eapOnly MSCHAPv2/MD5 and certificateThenEap) is required.
/// </summary>
public sealed class ProfileValidationMatchesWhatRunsTests
{
    private static Ikev2VpnProfile.Builder Psk() =>
        new Ikev2VpnProfile.Builder("vpn.example.org", "client@example.org").SetName("t").SetAuthPsk("k"u8.ToArray());

    [Theory]
    [InlineData("aes128ccm16", "aes128ccm16", "ENCR_AES_CCM_16")]
    [InlineData("aes256gcm16,aes128ccm8", "aes128ccm8", "ENCR_AES_CCM_8")]
    [InlineData("3des-sha256", "3des", "ENCR_3DES")]
    [InlineData("null-sha256", "null", "ENCR_NULL")]
    [InlineData("camellia128-sha256", "camellia128", "ENCR_CAMELLIA_CBC")]
    [InlineData("aes128gmac", "aes128gmac", "ENCR_NULL_AUTH_AES_GMAC")]
    [InlineData("aes256-sha1_160", "sha1_160", "AUTH_HMAC_SHA1_160")]
    [InlineData("aes256gcm16-modp1024", "modp1024", "MODP_1024")]
    public void AnEspProposalTheDataPlaneCannotRun_is_refused_naming_esp_proposal_and_the_reason(string proposal, string keyword, string iana)
    {
        var problems = Psk().SetEspProposal(proposal).Validate();
        problems.Should().ContainSingle().Which.Field.Should().Be("espProposal");
        problems[0].Message.Should().Contain($"'{keyword}'").And.Contain(iana);
        problems[0].Message.Should().MatchRegex("cannot run in the ESP data plane|is not implemented");
    }

    [Theory]
    [InlineData("aes128ctr-aesxcbc")]
    [InlineData("aes256-sha1")]
    [InlineData("aes192gcm12")]
    [InlineData("aes128gcm8")]
    [InlineData("aes256-aescmac")]
    [InlineData("aes192-sha384,aes256ctr-sha512-esn")]
    [InlineData("aes128-md5")]
    [InlineData("chacha20poly1305-curve25519")]
    [InlineData("default")]
    public void EspProposalsOfEverySupportedAlgorithm_are_accepted(string proposal)
    {
        Psk().SetEspProposal(proposal).Validate().Should().BeEmpty();
        ProposalConversion.ForProfile(proposal, isEsp: true, null).Should().NotBeEmpty();
    }

    [Theory]
    [InlineData("aes256-sha256-modp1024", "modp1024")]
    [InlineData("aes128ccm16-prfsha256-ecp256", "aes128ccm16")]
    [InlineData("aes256-md5-prfsha256-ecp256", "md5")]
    [InlineData("aes256-sha256-prfmd5-ecp256", "prfmd5")]
    public void AnIkeProposalTheIkeCodeCannotRun_is_refused_naming_ike_proposal(string proposal, string keyword)
    {
        var problems = Psk().SetIkeProposal(proposal).Validate();
        problems.Should().NotBeEmpty().And.OnlyContain(p => p.Field == "ikeProposal");
        problems.Should().Contain(p => p.Message.Contains($"'{keyword}'"));
    }

    [Fact]
    public void ImportingAProfileWithAesCcm_fails_before_anything_is_stored_naming_esp_proposal()
    {
        const string json = """
            { "name": "ccm", "serverAddr": "vpn.example.org", "authMethod": "psk", "psk": "secret-psk",
              "espProposal": "aes128ccm16" }
            """;
        var act = () => ProfileImporter.Import(Encoding.UTF8.GetBytes(json), "ccm.json");
        var e = act.Should().Throw<ProfileImportException>().Which;
        e.Problems.Should().ContainSingle().Which.Field.Should().Be("espProposal");
        e.Message.Should().Contain("espProposal").And.Contain("aes128ccm16").And.Contain("ESP data plane").And.NotContain("secret-psk");

        const string sswan = """
            { "uuid": "1c1b5a4e-4a3b-4c6e-9d7f-0a1b2c3d4e5f", "name": "ccm", "type": "ikev2-eap",
              "remote": { "addr": "vpn.example.org" }, "local": { "eap_id": "alice" }, "esp-proposal": "aes256ccm12" }
            """;
        var act2 = () => ProfileImporter.Import(Encoding.UTF8.GetBytes(sswan), "ccm.sswan");
        act2.Should().Throw<ProfileImportException>().Which.Problems.Should().ContainSingle(p => p.Field == "espProposal");
    }

    [Fact]
    public void AllowedAlgorithms_narrow_the_default_proposals_not_just_explicit_ones()
    {
        var gcmOnly = ProposalConversion.ForProfile(null, isEsp: true, [IpSecAlgorithm.AuthCryptAesGcm]);
        gcmOnly.SelectMany(p => p.Encryption).Select(e => e.Id).Distinct().Should().BeEquivalentTo([EncrId.AesGcm16, EncrId.AesGcm12, EncrId.AesGcm8]);
        gcmOnly.SelectMany(p => p.Integrity).Should().BeEmpty();

        var cbcSha256 = ProposalConversion.ForProfile(null, isEsp: true, [IpSecAlgorithm.CryptAesCbc, IpSecAlgorithm.AuthHmacSha256]);
        cbcSha256.Should().ContainSingle();
        cbcSha256[0].Encryption.Select(e => e.Id).Distinct().Should().Equal(EncrId.AesCbc);
        cbcSha256[0].Integrity.Should().Equal(IntegId.HmacSha2_256_128);

        var ctrXcbc = ProposalConversion.ForProfile(null, isEsp: false, [IpSecAlgorithm.CryptAesCtr, IpSecAlgorithm.AuthAesXcbc]);
        ctrXcbc.Should().ContainSingle();
        ctrXcbc[0].Encryption.Select(e => e.Id).Distinct().Should().Equal(EncrId.AesCtr);
        ctrXcbc[0].Integrity.Should().Equal(IntegId.AesXcbc96);
        ctrXcbc[0].Prfs.Should().NotBeEmpty("PRFs are not IpSecAlgorithms and stay");

        var chacha = ProposalConversion.ForProfile(null, isEsp: false, [IpSecAlgorithm.AuthCryptChaCha20Poly1305]);
        chacha.Should().ContainSingle().Which.Encryption.Should().Equal(new EncryptionSpec(EncrId.ChaCha20Poly1305, 0));

        ProposalConversion.ForProfile(null, isEsp: true, null).Should().BeSameAs(ProposalSpec.DefaultEsp);
        ProposalConversion.ForProfile(null, isEsp: false, null).Should().BeSameAs(ProposalSpec.DefaultIke);
        ProposalConversion.ForProfile("aes256-sha1", isEsp: true, null)[0].Integrity.Should().Equal(IntegId.HmacSha1_96);
    }

    [Fact]
    public void AConnectingProfileWithAllowedAlgorithms_offers_no_cbc_when_only_gcm_is_allowed()
    {
        var profile = Psk().SetServer("192.0.2.10").SetAllowedAlgorithms([IpSecAlgorithm.AuthCryptAesGcm]).Build();
        var options = ProfileConnection.CreateOptions(profile, new ProfileConnectionSettings());
        EncrId[] gcm = [EncrId.AesGcm16, EncrId.AesGcm12, EncrId.AesGcm8];
        options.Session.EspProposals.SelectMany(p => p.Encryption).Select(e => e.Id).Distinct().Should().BeEquivalentTo(gcm);
        options.Session.IkeProposals.SelectMany(p => p.Encryption).Select(e => e.Id).Distinct().Should().BeEquivalentTo(gcm);

        var free = ProfileConnection.CreateOptions(Psk().SetServer("192.0.2.10").Build(), new ProfileConnectionSettings());
        free.Session.EspProposals.Should().BeSameAs(ProposalSpec.DefaultEsp);
    }

    [Fact]
    public void DefaultEspProposals_offer_androids_set_without_sha1_or_md5_and_prefer_esn_and_all_run_in_the_data_plane()
    {
        var esp = ProposalSpec.DefaultEsp;
        esp.SelectMany(p => p.Encryption).Should().Contain(e => e.Id == EncrId.AesCtr).And.Contain(e => e.Id == EncrId.AesGcm8)
            .And.Contain(e => e.Id == EncrId.AesGcm12).And.Contain(e => e.KeyBits == 192).And.Contain(e => e.Id == EncrId.ChaCha20Poly1305);
        esp.SelectMany(p => p.Integrity).Should().Contain([IntegId.AesXcbc96, IntegId.AesCmac96])
            .And.NotContain([IntegId.HmacSha1_96, IntegId.HmacMd5_96]);
        esp.Should().OnlyContain(p => p.Esn.SequenceEqual(new[] { Protocol.Crypto.EsnId.Esn, Protocol.Crypto.EsnId.NoEsn }));
        esp.SelectMany(p => p.Encryption).Where(e => !IpSecAlgorithm.TryMapEncryption(e.Id, e.KeyBits, out _, out _)).Should().BeEmpty();
        esp.SelectMany(p => p.Integrity).Where(i => !IpSecAlgorithm.TryMapIntegrity(i, out _, out _)).Should().BeEmpty();
        esp[0].Encryption[0].Should().Be(new EncryptionSpec(EncrId.AesGcm16, 256), "the first choice is unchanged");
    }

    [Theory]
    [InlineData(EapMethod.MsChapV2, "msChapV2")]
    [InlineData(EapMethod.Md5, "md5")]
    public void EapOnlyWithAPassword_requires_a_username(EapMethod method, string name)
    {
        var b = new Ikev2VpnProfile.Builder("vpn.example.org", null).SetName("t").SetAuthEapOnly(method, null, "pw", null);
        b.Validate().Should().ContainSingle().Which.Should().Be(new ProfileProblem("username", $"is required for authMethod eapOnly with eapMethod {name}"));
        b.SetAuthEapOnly(method, "  ", "pw", null).Validate().Should().ContainSingle(p => p.Field == "username");
        b.SetAuthEapOnly(method, "alice", null, null).Validate().Should().BeEmpty("the password may still be asked when connecting");
    }

    [Fact]
    public void CertificateThenEap_requires_a_username_username_password_still_asks_for_it()
    {
        var b = new Ikev2VpnProfile.Builder("vpn.example.org", null).SetName("t")
            .SetAuthCertificateThenEap(ProfileTestData.User, ProfileTestData.UserKeyPem, null, null, ProfileTestData.Ca);
        b.Validate().Should().ContainSingle().Which.Field.Should().Be("username");
        b.SetAuthCertificateThenEap(ProfileTestData.User, ProfileTestData.UserKeyPem, "alice", null, ProfileTestData.Ca).Validate().Should().BeEmpty();
        new Ikev2VpnProfile.Builder("vpn.example.org", null).SetName("t").SetAuthUsernamePassword(null!, null, null).Validate().Should().BeEmpty();
    }

    [Fact]
    public void ImportingAnEapOnlyOrCertThenEapProfileWithoutUsername_fails_naming_username()
    {
        const string eapOnly = """{ "name": "e", "serverAddr": "vpn.example.org", "authMethod": "eapOnly", "eapMethod": "md5" }""";
        var act = () => ProfileImporter.Import(Encoding.UTF8.GetBytes(eapOnly), "e.json");
        act.Should().Throw<ProfileImportException>().Which.Problems.Should().ContainSingle(p => p.Field == "username");

        string certThenEap = $$"""
            { "uuid": "1c1b5a4e-4a3b-4c6e-9d7f-0a1b2c3d4e5f", "name": "c", "type": "ikev2-cert-eap",
              "remote": { "addr": "vpn.example.org" }, "local": { "p12": "{{Convert.ToBase64String(ProfileTestData.Bytes("user.p12"))}}" } }
            """;
        var act2 = () => ProfileImporter.Import(Encoding.UTF8.GetBytes(certThenEap), "c.sswan");
        act2.Should().Throw<ProfileImportException>().Which.Problems.Should().Contain(p => p.Field == "username");
    }
}
