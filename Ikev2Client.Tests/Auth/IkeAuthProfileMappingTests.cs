using System.Security.Cryptography;
using FluentAssertions;
using Ikev2Client.Connection;
using Ikev2Client.Profiles;
using Ikev2Client.Protocol.Eap;
using Ikev2Client.Protocol.Ike;
using Xunit;

namespace Ikev2Client.Tests.Auth;

/// <summary>Profile AuthMethod → session authenticators (ProfileAuthentication).</summary>
public sealed class IkeAuthProfileMappingTests
{
    private static readonly System.Security.Cryptography.X509Certificates.X509Certificate2 Ca = IkeAuthSessionSetup.Ca;

    private static Ikev2VpnProfile.Builder Base() => new Ikev2VpnProfile.Builder("vpn.example.org", null).SetName("t").SetRemoteIdentity("vpn.example.org");

    [Fact]
    public void Psk_maps_to_psk_both_ways()
    {
        var a = ProfileAuthentication.Create(Base().SetAuthPsk("secret-secret"u8.ToArray()).Build());
        a.Local.Should().BeOfType<PskAuthenticator>();
        a.Peer.Should().BeNull();
    }

    [Fact]
    public void Username_password_maps_to_eap_mschapv2_and_gateway_certificate()
    {
        var a = ProfileAuthentication.Create(Base().SetAuthUsernamePassword("alice", "pw", Ca).Build());
        var eap = a.Local.Should().BeOfType<EapAuthenticator>().Subject;
        eap.Options.AllowedMethods.Should().Equal(EapMethodType.MsChapV2);
        eap.Options.Identity.Should().Be("alice");
        eap.EapOnly.Should().BeFalse();
        var verifier = a.Peer.Should().BeOfType<CertificateAuthenticator>().Subject;
        verifier.CertificateRequest.Should().NotBeNull("we ask for a certificate from the profile's CA");
    }

    [Fact]
    public void Digital_signature_uses_our_certificate_and_its_subject_as_identity()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var cert = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(
            TestPki.CreateLeaf(Ca, new TestPki.LeafOptions { Subject = "CN=alice, O=Test", Dns = Array.Empty<string>() }, key).RawData);
        var pem = new string(PemEncoding.Write("PRIVATE KEY", key.ExportPkcs8PrivateKey()));
        var a = ProfileAuthentication.Create(Base().SetAuthDigitalSignature(cert, pem, Ca).Build());
        a.Local.Should().BeOfType<CertificateAuthenticator>();
        a.Peer.Should().BeSameAs(a.Local);
        a.LocalIdentity!.ToString().Should().Contain("alice");
    }

    [Fact]
    public void Eap_tls_and_eap_only_map_to_eap()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var cert = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(
            TestPki.CreateLeaf(Ca, new TestPki.LeafOptions { Subject = "CN=alice, O=Test", Dns = Array.Empty<string>() }, key).RawData);
        var pem = new string(PemEncoding.Write("PRIVATE KEY", key.ExportPkcs8PrivateKey()));
        var tls = ProfileAuthentication.Create(Base().SetAuthEapTls(cert, pem, Ca).Build());
        var eap = tls.Local.Should().BeOfType<EapAuthenticator>().Subject;
        eap.Options.AllowedMethods.Should().Equal(EapMethodType.Tls);
        eap.Options.TlsServerName.Should().Be("vpn.example.org");
        tls.Peer.Should().BeOfType<CertificateAuthenticator>();

        var only = ProfileAuthentication.Create(Base().SetAuthEapOnly(EapMethod.MsChapV2, "alice", "pw", Ca).Build());
        only.Local.Should().BeOfType<EapAuthenticator>().Which.EapOnly.Should().BeTrue();
    }

    [Fact]
    public void Missing_secrets_are_a_clear_error()
    {
        var act = () => ProfileAuthentication.Create(Base().SetAuthUsernamePassword("alice", null, Ca).Build());
        act.Should().Throw<VpnConnectionException>().WithMessage("profile '*' has no password stored*--password-stdin*");
    }
}
