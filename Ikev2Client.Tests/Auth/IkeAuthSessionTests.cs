using System.Security.Cryptography;
using FluentAssertions;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Eap;
using Ikev2Client.Protocol.Ike;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Tests.Ike;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using static Ikev2Client.Tests.Auth.IkeAuthSessionSetup;

namespace Ikev2Client.Tests.Auth;

/// <summary>IKE_AUTH with certificates and EAP between our initiator and our responder, in memory.</summary>
public sealed class IkeAuthSessionTests
{
    private static void ShouldBeEstablished(IkeTestPair pair)
    {
        var transcript = string.Join("\n", pair.InitiatorEvents.Concat(pair.ResponderEvents));
        pair.Initiator.State.Should().Be(IkeSessionState.Established, transcript);
        pair.Responder.State.Should().Be(IkeSessionState.Established, transcript);
        pair.InitiatorEvents.OfType<IkeEvent.ChildSaEstablished>().Should().ContainSingle(transcript);
        pair.ResponderEvents.OfType<IkeEvent.ChildSaEstablished>().Should().ContainSingle(transcript);
    }

    private static IkeError ShouldFail(IkeTestPair pair, IkeErrorKind kind)
    {
        var transcript = string.Join("\n", pair.InitiatorEvents.Concat(pair.ResponderEvents));
        pair.Initiator.State.Should().Be(IkeSessionState.Failed, transcript);
        pair.Initiator.ChildSas.Should().BeEmpty();
        pair.InitiatorEvents.OfType<IkeEvent.ChildSaEstablished>().Should().BeEmpty();
        var error = InitiatorError(pair)!;
        error.Kind.Should().Be(kind, transcript);
        return error;
    }

    private static string[] SentAuthRequests(IkeTestPair pair) =>
        pair.InitiatorTrace.Where(t => t.Sent && t.Exchange == ExchangeType.IkeAuth && !t.IsResponse && !t.Retransmission).Select(t => t.Payloads).ToArray();

    [Theory]
    [InlineData("ecdsa256", false)]
    [InlineData("ecdsa384", false)]
    [InlineData("rsa", false)]
    [InlineData("rsa", true)]
    public void Mutual_certificates_establish_and_send_certreq(string keyType, bool pss)
    {
        AsymmetricAlgorithm Key() => keyType switch
        {
            "ecdsa256" => ECDsa.Create(ECCurve.NamedCurves.nistP256),
            "ecdsa384" => ECDsa.Create(ECCurve.NamedCurves.nistP384),
            _ => RSA.Create(2048),
        };
        var client = Credential(Ca, "CN=client@example.org", Array.Empty<string>(), Key(), eku: "1.3.6.1.5.5.7.3.17");
        var gateway = GatewayCredential(Key());
        var clientAuth = new CertificateAuthenticator(client, Validation(), IkeIdentity.Fqdn(GatewayName), pss);
        var gatewayAuth = new CertificateAuthenticator(gateway, new CertificateValidationOptions
        {
            TrustedCertificateAuthorities = new[] { Ca }, Time = new FakeTimeProvider(TestPki.Now),
        }, null, pss);
        using var pair = Run(Initiator(clientAuth, null, IkeIdentity.DistinguishedName("CN=client@example.org")), Responder(gatewayAuth, gatewayAuth));

        ShouldBeEstablished(pair);
        var first = SentAuthRequests(pair).Should().ContainSingle().Subject;
        first.Should().Contain("CERTREQ").And.Contain("CERT").And.Contain("AUTH");
        clientAuth.LastValidation!.IsValid.Should().BeTrue();
        clientAuth.LastValidation.CertificateIdentity.Should().Contain(GatewayName);
    }

    [Fact]
    public void Gateway_certificate_and_eap_mschapv2_establish_over_several_ike_auth_exchanges()
    {
        using var pair = Run(Initiator(EapClient(), CertificateAuthenticator.Verifier(Validation(), IkeIdentity.Fqdn(GatewayName))),
            Responder(CertificateAuthenticator.Signer(GatewayCredential()), EapGateway()));

        ShouldBeEstablished(pair);
        var requests = SentAuthRequests(pair);
        requests[0].Should().NotContain("AUTH").And.Contain("IDi").And.Contain("SA");
        requests.Skip(1).SkipLast(1).Should().AllSatisfy(r => r.Should().Contain("EAP").And.NotContain("AUTH"));
        requests[^1].Should().Contain("AUTH").And.NotContain("EAP");
        requests.Length.Should().BeGreaterThanOrEqualTo(4, "identity, challenge, success ack, AUTH");
        pair.Initiator.Configuration!.VirtualAddresses.Should().ContainSingle();
    }

    [Fact]
    public void Eap_md5_uses_sk_p_for_the_final_auth()
    {
        using var pair = Run(Initiator(EapClient(methods: EapMethodType.Md5Challenge), CertificateAuthenticator.Verifier(Validation())),
            Responder(CertificateAuthenticator.Signer(GatewayCredential()), EapGateway(EapMethodType.Md5Challenge)));
        ShouldBeEstablished(pair);
    }

    [Fact]
    public void Eap_tls_inside_ike_auth_establishes()
    {
        var eapClient = new EapAuthenticator(new EapPeerOptions
        {
            Identity = "alice", TlsCredential = Eap.EapTestSetup.ClientTlsCredential, TlsTrustedCas = new[] { Eap.EapTestSetup.Ca },
            TlsServerName = "eap.example.com", Time = new FakeTimeProvider(TestPki.Now),
        });
        var server = new EapServerAuthenticator(new EapServerOptions
        {
            Method = EapMethodType.Tls, TlsCredential = Eap.EapTestSetup.ServerCredential, TlsClientCas = new[] { Eap.EapTestSetup.Ca },
            ServerName = "eap.example.com", Time = new FakeTimeProvider(TestPki.Now),
        });
        using var pair = Run(Initiator(eapClient, CertificateAuthenticator.Verifier(Validation())),
            Responder(CertificateAuthenticator.Signer(GatewayCredential()), server));
        ShouldBeEstablished(pair);
    }

    [Fact]
    public void Eap_only_with_mschapv2_skips_the_gateway_certificate()
    {
        using var pair = Run(Initiator(EapClient(eapOnly: true), null),
            Responder(CertificateAuthenticator.Signer(GatewayCredential()), EapGateway(allowEapOnly: true)));
        ShouldBeEstablished(pair);
        SentAuthRequests(pair)[0].Should().Contain("N(EapOnlyAuthentication)");
        var firstResponse = pair.InitiatorTrace.First(t => !t.Sent && t.Exchange == ExchangeType.IkeAuth).Payloads;
        firstResponse.Should().NotContain("AUTH").And.NotContain("CERT");
    }

    [Fact]
    public void Eap_only_gateway_is_refused_when_the_profile_does_not_allow_it()
    {
        using var pair = Run(Initiator(EapClient(eapOnly: false), CertificateAuthenticator.Verifier(Validation())),
            Responder(CertificateAuthenticator.Signer(GatewayCredential()), EapGateway(allowEapOnly: true)));
        // We did not ask for EAP-only, so the gateway authenticates with its certificate anyway.
        ShouldBeEstablished(pair);
    }

    [Fact]
    public void Eap_only_with_md5_is_refused_because_md5_is_not_mutual()
    {
        using var pair = Run(Initiator(EapClient(eapOnly: true, methods: EapMethodType.Md5Challenge), null),
            Responder(CertificateAuthenticator.Signer(GatewayCredential()), new EapServerAuthenticator(
                new EapServerOptions { Method = EapMethodType.Md5Challenge, PasswordLookup = _ => Password }, allowEapOnly: true)));
        // The responder honours EAP-only only for mutual methods, so it sends its certificate AUTH, which this
        // profile (no CA) cannot check: no tunnel with an unauthenticated gateway.
        var error = ShouldFail(pair, IkeErrorKind.CertificateInvalid);
        error.Message.Should().Contain("no CA certificate");
    }

    [Fact]
    public void Wrong_password_fails_with_advice_and_no_tunnel()
    {
        using var pair = Run(Initiator(EapClient("wrong"), CertificateAuthenticator.Verifier(Validation())),
            Responder(CertificateAuthenticator.Signer(GatewayCredential()), EapGateway()));
        var error = ShouldFail(pair, IkeErrorKind.AuthenticationFailed);
        error.EapProblem.Should().Be(EapErrorKind.WrongCredentials);
        error.Message.Should().Contain("check your username and password");
        error.Message.Should().NotContain("wrong");
        pair.Responder.State.Should().BeOneOf(IkeSessionState.Failed, IkeSessionState.Closed);
        pair.Responder.ChildSas.Should().BeEmpty();
    }

    [Fact]
    public void Untrusted_gateway_certificate_fails_before_any_password_is_sent()
    {
        using var pair = Run(Initiator(EapClient(), CertificateAuthenticator.Verifier(Validation())),
            Responder(CertificateAuthenticator.Signer(GatewayCredential(issuer: OtherCa)), EapGateway()));
        var error = ShouldFail(pair, IkeErrorKind.CertificateInvalid);
        error.CertificateProblem.Should().Be(CertificateValidationErrorKind.UntrustedRoot);
        SentAuthRequests(pair).Should().ContainSingle("no EAP response may leave before the gateway is authenticated");
    }

    [Fact]
    public void Expired_gateway_certificate_fails_with_its_own_error()
    {
        using var pair = Run(Initiator(EapClient(), CertificateAuthenticator.Verifier(Validation())),
            Responder(CertificateAuthenticator.Signer(GatewayCredential(notAfter: TestPki.Now.AddDays(-3))), EapGateway()));
        var error = ShouldFail(pair, IkeErrorKind.CertificateInvalid);
        error.CertificateProblem.Should().Be(CertificateValidationErrorKind.Expired);
        error.Message.Should().Contain("expired");
    }

    [Fact]
    public void Certificate_not_naming_the_gateway_is_an_identity_mismatch()
    {
        using var pair = Run(Initiator(EapClient(), CertificateAuthenticator.Verifier(Validation(), IkeIdentity.Fqdn(GatewayName))),
            Responder(CertificateAuthenticator.Signer(GatewayCredential(dns: new[] { "other.example.org" })), EapGateway()));
        var error = ShouldFail(pair, IkeErrorKind.IdentityMismatch);
        error.CertificateProblem.Should().Be(CertificateValidationErrorKind.IdentityMismatch);
    }

    [Fact]
    public void Gateway_rejecting_our_certificate_is_authentication_failed_with_certificate_advice()
    {
        var client = Credential(OtherCa, "CN=client@example.org", Array.Empty<string>(), ECDsa.Create(ECCurve.NamedCurves.nistP256), eku: "1.3.6.1.5.5.7.3.17");
        var gatewayAuth = new CertificateAuthenticator(GatewayCredential(), Validation());
        using var pair = Run(Initiator(new CertificateAuthenticator(client, Validation()), null, IkeIdentity.DistinguishedName("CN=client@example.org")),
            Responder(gatewayAuth, gatewayAuth));
        var error = ShouldFail(pair, IkeErrorKind.AuthenticationFailed);
        error.NotifyType.Should().Be(NotifyType.AuthenticationFailed);
        error.Message.Should().Contain("certificate");
        pair.Responder.State.Should().Be(IkeSessionState.Failed);
    }

    [Fact]
    public void Eap_client_against_a_certificate_only_gateway_fails_clearly()
    {
        var gatewayAuth = new CertificateAuthenticator(GatewayCredential(), Validation());
        using var pair = Run(Initiator(EapClient(), CertificateAuthenticator.Verifier(Validation())), Responder(gatewayAuth, gatewayAuth));
        ShouldFail(pair, IkeErrorKind.AuthenticationFailed);
    }
}
