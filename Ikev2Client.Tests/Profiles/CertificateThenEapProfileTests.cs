using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using FluentAssertions;
using Ikev2Client.Connection;
using Ikev2Client.Profiles;
using Ikev2Client.Protocol.Eap;
using Ikev2Client.Protocol.Ike;
using Xunit;

namespace Ikev2Client.Tests.Profiles;

/// <summary>authMethod certificateThenEap (RFC 4739, strongSwan ikev2-cert-eap): import, validation, JSON, mapping.</summary>
public sealed class CertificateThenEapProfileTests
{
    private static byte[] CertEapSswan(bool withSecret)
    {
        var o = JsonNode.Parse(File.ReadAllText(ProfileTestData.Path("office-cert.sswan")))!.AsObject();
        o["type"] = "ikev2-cert-eap";
        o["local"]!["eap_id"] = "alice";
        if (withSecret) o["local"]!["shared_secret"] = "eap-Pa55";
        return Encoding.UTF8.GetBytes(o.ToJsonString());
    }

    private static Ikev2VpnProfile.Builder Base() => new Ikev2VpnProfile.Builder("vpn.example.org", null).SetName("t").SetRemoteIdentity("vpn.example.org");

    [Fact]
    public void Sswan_cert_eap_carries_the_certificate_and_the_eap_credentials()
    {
        var r = ProfileImporter.Import(CertEapSswan(withSecret: true), "office.sswan");
        var p = r.Profile;
        p.AuthMethod.Should().Be(AuthMethod.CertificateThenEap);
        p.Pkcs12.Should().Equal(ProfileTestData.Bytes("user.p12"));
        (p.Username, p.Password, p.UserIdentity).Should().Be(("alice", "eap-Pa55", "alice@example.com"));
        r.Notes.Should().NotContain(n => n.Key == "type");
        r.Notes.Should().NotContain(n => n.Key == "local.eap_id" || n.Key == "local.shared_secret");

        var again = ProfileTestData.RoundTrip(p);
        again.AuthMethod.Should().Be(AuthMethod.CertificateThenEap);
        NativeProfileJson.Serialize(again, true).Should().Be(NativeProfileJson.Serialize(p, true)).And.Contain("\"certificateThenEap\"");
        NativeProfileJson.Serialize(p, false).Should().NotContain("eap-Pa55");
    }

    [Fact]
    public void Sswan_cert_eap_without_password_asks_for_it_when_connecting()
    {
        var r = ProfileImporter.Import(CertEapSswan(withSecret: false), "office.sswan");
        r.Profile.Password.Should().BeNull();
        r.Notes.Should().Contain(n => n.Key == "local.shared_secret" && n.Kind == ImportNoteKind.DefaultApplied);
    }

    [Fact]
    public void Validation_needs_the_credential_and_a_password_method()
    {
        var noCredential = Base();
        noCredential.SetAuthUsernamePassword("alice", "pw", null);
        var json = NativeProfileJson.Serialize(noCredential.Build(), true).Replace("\"usernamePassword\"", "\"certificateThenEap\"");
        var act = () => NativeProfileJson.Import(Encoding.UTF8.GetBytes(json));
        act.Should().Throw<Exception>().Which.Message.Should().Contain("userCert");

        var tls = Base().SetAuthCertificateThenEap(ProfileTestData.User, ProfileTestData.UserKeyPem, "alice", "pw", ProfileTestData.Ca);
        var tlsJson = NativeProfileJson.Serialize(tls.Build(), true).Replace("\"authMethod\"", "\"eapMethod\": \"tls\", \"authMethod\"");
        var bad = () => NativeProfileJson.Import(Encoding.UTF8.GetBytes(tlsJson));
        bad.Should().Throw<Exception>().Which.Message.Should().Contain("eapMethod");
    }

    [Fact]
    public void Maps_to_certificate_then_eap_mschapv2_with_gateway_certificate()
    {
        var profile = Base().SetAuthCertificateThenEap(ProfileTestData.User, ProfileTestData.UserKeyPem, "alice", "pw", ProfileTestData.Ca).Build();
        var a = ProfileAuthentication.Create(profile);
        var two = a.Local.Should().BeOfType<CertificateThenEapAuthenticator>().Subject;
        two.Eap.Options.AllowedMethods.Should().Equal(EapMethodType.MsChapV2);
        two.Eap.Options.Identity.Should().Be("alice");
        two.Eap.EapOnly.Should().BeFalse();
        two.SecondRoundIdentity.Should().Be(CertificateThenEapAuthenticator.IdentityOf("alice"));
        a.Peer.Should().BeSameAs(two.Certificate);
        a.Peer!.CertificateRequest.Should().NotBeNull();
        a.LocalIdentity!.Type.Should().Be(Protocol.Wire.IdType.DerAsn1Dn);
    }

    [Fact]
    public void Missing_password_is_a_clear_error_when_connecting()
    {
        var profile = Base().SetAuthCertificateThenEap(ProfileTestData.User, ProfileTestData.UserKeyPem, "alice", null, ProfileTestData.Ca).Build();
        var act = () => ProfileAuthentication.Create(profile);
        act.Should().Throw<VpnConnectionException>().WithMessage("profile 't' has no password stored*\"ikev2 profile set t --password-stdin\"");
    }
}
