using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using FluentAssertions;
using Ikev2Client.Profiles;
using Xunit;

namespace Ikev2Client.Tests.Profiles;

/// <summary>
/// What a profile lacks to connect (<see cref="ProfileCredentials.Missing"/>), completing it with the user's answers
/// (<see cref="ProfileCredentials.Complete"/>), and <c>profile set</c>'s changes (<see cref="ProfileCredentials.Apply"/>):
/// every result validated like an import, every refusal naming the field and never the value.
/// </summary>
public sealed class ProfileCredentialsTests
{
    private const string P12Password = "test"; // Fixtures/profiles/user.p12

    /// <summary>A .sswan as the strongSwan app exports it, without local.shared_secret (the app asks when connecting).</summary>
    private static Ikev2VpnProfile EapSswanWithoutPassword(bool withUser = true)
    {
        var o = JsonNode.Parse(File.ReadAllText(ProfileTestData.Path("office-eap.sswan")))!.AsObject();
        o["local"]!.AsObject().Remove("shared_secret");
        if (!withUser) o["local"]!.AsObject().Remove("eap_id");
        return ProfileImporter.Import(Encoding.UTF8.GetBytes(o.ToJsonString()), "office.sswan").Profile;
    }

    /// <summary>ikev2-cert-eap with local.p12 and neither the PKCS#12's nor the EAP password.</summary>
    private static Ikev2VpnProfile CertEapSswanWithoutPasswords()
    {
        var o = JsonNode.Parse(File.ReadAllText(ProfileTestData.Path("office-cert.sswan")))!.AsObject();
        o["type"] = "ikev2-cert-eap";
        o["local"]!["eap_id"] = "alice";
        return ProfileImporter.Import(Encoding.UTF8.GetBytes(o.ToJsonString()), "office.sswan").Profile;
    }

    private static Ikev2VpnProfile.Builder Base() => new Ikev2VpnProfile.Builder("vpn.example.org", null).SetName("lab").SetRemoteIdentity("vpn.example.org");

    private static string Keys(IEnumerable<MissingCredential> m) => string.Join(",", m.Select(c => c.Key));

    [Fact]
    public void An_sswan_imported_without_its_password_lacks_exactly_the_password_and_the_prompt_names_the_user()
    {
        var profile = EapSswanWithoutPassword();
        var missing = ProfileCredentials.Missing(profile);
        Keys(missing).Should().Be("password");
        missing[0].Secret.Should().BeTrue();
        missing[0].Label.Should().Be("Password (EAP-MSCHAPv2) of 'alice' for 'Office EAP'");

        var noUser = ProfileCredentials.Missing(EapSswanWithoutPassword(withUser: false));
        Keys(noUser).Should().Be("username,password", "usernamePassword asks for a missing user name too");
        noUser[0].Secret.Should().BeFalse();
    }

    [Fact]
    public void Every_method_lacks_only_what_it_uses()
    {
        ProfileCredentials.Missing(Base().SetAuthPsk("k"u8.ToArray()).Build()).Should().BeEmpty("a PSK profile can't lack its key: it does not validate without one");
        ProfileCredentials.Missing(Base().SetAuthUsernamePassword("alice", "pw", null).Build()).Should().BeEmpty();
        ProfileCredentials.Missing(Base().SetAuthEapOnly(EapMethod.Md5, "alice", null, null).Build()).Single().Label.Should().Contain("EAP-MD5");
        ProfileCredentials.Missing(Base().SetAuthDigitalSignature(ProfileTestData.User, ProfileTestData.UserKeyPem, null).Build())
            .Should().BeEmpty("a PEM key needs no password");
        var p12 = ProfileTestData.Bytes("user.p12");
        Keys(ProfileCredentials.Missing(Base().SetAuthDigitalSignaturePkcs12(p12, null, null).Build())).Should().Be("pkcs12Password");
        ProfileCredentials.Missing(Base().SetAuthDigitalSignaturePkcs12(p12, P12Password, null).Build()).Should().BeEmpty();
        Keys(ProfileCredentials.Missing(CertEapSswanWithoutPasswords())).Should().Be("pkcs12Password,password", "the certificate round first, then EAP");
    }

    [Fact]
    public void A_pkcs12_with_an_empty_password_is_not_asked_for()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var cert = new CertificateRequest("CN=empty", key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var pfx = cert.Export(X509ContentType.Pkcs12, "")!;
        ProfileCredentials.Missing(Base().SetAuthDigitalSignaturePkcs12(pfx, null, null).Build()).Should().BeEmpty();
    }

    [Fact]
    public void Complete_fills_in_the_answers_and_validates_them_naming_the_field_never_the_value()
    {
        var profile = EapSswanWithoutPassword();
        var done = ProfileCredentials.Complete(profile, new Dictionary<string, string> { ["password"] = "s3cret-pass" });
        done.Password.Should().Be("s3cret-pass");
        ProfileCredentials.Missing(done).Should().BeEmpty();
        profile.Password.Should().BeNull("profiles are immutable: the stored one is untouched");

        var empty = () => ProfileCredentials.Complete(profile, new Dictionary<string, string> { ["password"] = "" });
        empty.Should().Throw<ProfileValidationException>().Which.Problems.Should().ContainSingle(p => p.Field == "password" && p.Message == "is empty");
        var control = () => ProfileCredentials.Complete(EapSswanWithoutPassword(withUser: false),
            new Dictionary<string, string> { ["username"] = "al\u001bice", ["password"] = "x" });
        control.Should().Throw<ProfileValidationException>().Which.Problems.Should().ContainSingle(p => p.Field == "username");
        var foreign = () => ProfileCredentials.Complete(profile, new Dictionary<string, string> { ["psk"] = "no" });
        foreign.Should().Throw<ProfileValidationException>().Which.Message.Should().Contain("psk").And.NotContain("'no'");

        var cert = CertEapSswanWithoutPasswords();
        var wrong = () => ProfileCredentials.Complete(cert, new Dictionary<string, string> { ["pkcs12Password"] = "WRONG-p12-pass", ["password"] = "eap" });
        var e = wrong.Should().Throw<ProfileValidationException>().Which;
        e.Problems.Should().ContainSingle(p => p.Field == "pkcs12Password" && p.Message.Contains("does not open"));
        e.Message.Should().NotContain("WRONG-p12-pass");
        var right = ProfileCredentials.Complete(cert, new Dictionary<string, string> { ["pkcs12Password"] = P12Password, ["password"] = "eap" });
        right.UserCert!.Thumbprint.Should().Be(ProfileTestData.User.Thumbprint, "the PKCS#12, now open, gives the user certificate");
        ProfileCredentials.Missing(right).Should().BeEmpty();
    }

    [Fact]
    public void Apply_changes_what_the_method_uses_and_refuses_the_rest_naming_the_method()
    {
        var eap = EapSswanWithoutPassword();
        var set = ProfileCredentials.Apply(eap, new CredentialChanges { Username = "bob", Password = "n3w" });
        (set.Username, set.Password).Should().Be(("bob", "n3w"));
        ProfileCredentials.Apply(set, new CredentialChanges { ForgetPassword = true }).Password.Should().BeNull();
        ProfileCredentials.Apply(eap, new CredentialChanges { ServerRootCaCert = ProfileTestData.Ca }).ServerRootCaCert!.Thumbprint.Should().Be(ProfileTestData.Ca.Thumbprint);

        Refused(eap, new CredentialChanges { Pkcs12 = ProfileTestData.Bytes("user.p12") }, "pkcs12", "usernamePassword");
        Refused(eap, new CredentialChanges { Password = "" }, "password", "is empty");
        Refused(eap, new CredentialChanges { Password = "x", ForgetPassword = true }, "password", "not both");
        var psk = Base().SetAuthPsk("k"u8.ToArray()).Build();
        Refused(psk, new CredentialChanges { Username = "u" }, "username", "psk");
        Refused(psk, new CredentialChanges { ServerRootCaCert = ProfileTestData.Ca }, "serverRootCaCert", "pre-shared key");
        var pem = Base().SetAuthDigitalSignature(ProfileTestData.User, ProfileTestData.UserKeyPem, null).Build();
        Refused(pem, new CredentialChanges { Password = "x" }, "password", "--pkcs12-password-stdin");
        Refused(pem, new CredentialChanges { Pkcs12Password = "x" }, "pkcs12Password", "PEM privateKey");
        Refused(pem, new CredentialChanges { Pkcs12 = new byte[] { 1, 2, 3 } }, "pkcs12", "PKCS#12");
    }

    [Fact]
    public void Apply_replaces_a_pem_key_with_a_pkcs12_and_checks_its_password()
    {
        var pem = Base().SetAuthDigitalSignature(ProfileTestData.User, ProfileTestData.UserKeyPem, null).Build();
        var p12 = ProfileTestData.Bytes("user.p12");
        var replaced = ProfileCredentials.Apply(pem, new CredentialChanges { Pkcs12 = p12, Pkcs12Password = P12Password });
        replaced.UserPrivateKeyPem.Should().BeNull("the PKCS#12 replaces the whole credential");
        replaced.Pkcs12.Should().Equal(p12);
        replaced.UserCert!.Thumbprint.Should().Be(ProfileTestData.User.Thumbprint);
        var noPassword = ProfileCredentials.Apply(pem, new CredentialChanges { Pkcs12 = p12 });
        Keys(ProfileCredentials.Missing(noPassword)).Should().Be("pkcs12Password", "asked when connecting");
        var wrong = () => ProfileCredentials.Apply(noPassword, new CredentialChanges { Pkcs12Password = "nope-WRONG" });
        wrong.Should().Throw<ProfileValidationException>().Which.Problems.Should().ContainSingle(p => p.Field == "pkcs12Password");
        ProfileCredentials.Apply(noPassword, new CredentialChanges { Pkcs12Password = P12Password }).Pkcs12Password.Should().Be(P12Password);
    }

    [Fact]
    public void How_to_supply_names_the_fields_and_the_commands_for_this_profile()
    {
        var missing = ProfileCredentials.Missing(EapSswanWithoutPassword(withUser: false));
        ProfileCredentials.HowToSupply("Office EAP", missing, "standard input is not a terminal").Should().Be(
            "'Office EAP' has no username and password stored, and it could not be asked (standard input is not a terminal): "
            + "run \"ikev2 connect 'Office EAP'\" on a terminal to be asked, or store it with "
            + "\"ikev2 profile set 'Office EAP' --username USER --password-stdin\"");
        ProfileCredentials.HowToSupply("lab", ProfileCredentials.Missing(CertEapSswanWithoutPasswords()))
            .Should().EndWith("\"ikev2 profile set lab --pkcs12-password-stdin --password-stdin\"");
    }

    [Fact]
    public void Where_nobody_was_asked_the_connection_fails_naming_the_field_and_how_to_store_it()
    {
        // An always-on start by the service, an API caller: ProfileAuthentication is the last line.
        var act = () => Ikev2Client.Connection.ProfileAuthentication.Create(EapSswanWithoutPassword());
        var e = act.Should().Throw<Ikev2Client.Connection.VpnConnectionException>().Which;
        e.Message.Should().Be("profile 'Office EAP' has no password stored: run \"ikev2 connect 'Office EAP'\" on a terminal to be asked, "
            + "or store it with \"ikev2 profile set 'Office EAP' --password-stdin\"");
        Ikev2Client.Service.VpnConnectionAdapter.Map(e).CodeName.Should().Be("ERROR_CODE_PROFILE_INVALID", "a profile error: not recoverable, no retry");

        var cert = () => Ikev2Client.Connection.ProfileAuthentication.Create(
            Base().SetAuthDigitalSignaturePkcs12(ProfileTestData.Bytes("user.p12"), null, null).Build());
        cert.Should().Throw<Ikev2Client.Connection.VpnConnectionException>().Which.Message.Should().Contain("has no pkcs12Password stored")
            .And.Contain("--pkcs12-password-stdin");
    }

    private static void Refused(Ikev2VpnProfile profile, CredentialChanges changes, string field, string why)
    {
        var act = () => ProfileCredentials.Apply(profile, changes);
        act.Should().Throw<ProfileValidationException>().Which.Problems.Should().Contain(p => p.Field == field && p.Message.Contains(why),
            $"{field} is refused because of {why}");
    }
}
