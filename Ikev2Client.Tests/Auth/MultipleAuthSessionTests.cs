using System.Security.Cryptography;
using FluentAssertions;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Eap;
using Ikev2Client.Protocol.Ike;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Tests.Ike;
using Xunit;
using static Ikev2Client.Tests.Auth.IkeAuthSessionSetup;

namespace Ikev2Client.Tests.Auth;

/// <summary>RFC 4739 certificate then EAP-MSCHAPv2 between our initiator and our responder, in memory.</summary>
public sealed class MultipleAuthSessionTests
{
    private static readonly IkeIdentity ClientId = IkeIdentity.DistinguishedName("CN=client@example.org");

    private static ClientCredential ClientCredential(System.Security.Cryptography.X509Certificates.X509Certificate2? issuer = null) =>
        Credential(issuer ?? Ca, "CN=client@example.org", Array.Empty<string>(), ECDsa.Create(ECCurve.NamedCurves.nistP256), eku: "1.3.6.1.5.5.7.3.17");

    private static IkeSessionOptions TwoRoundClient(string password = Password, ClientCredential? credential = null)
    {
        var certificate = new CertificateAuthenticator(credential ?? ClientCredential(), Validation(), IkeIdentity.Fqdn(GatewayName));
        var eap = EapClient(password, methods: EapMethodType.MsChapV2);
        return Initiator(new CertificateThenEapAuthenticator(certificate, eap), certificate, ClientId);
    }

    private static IkeSessionOptions TwoRoundGateway(bool requireSecondRound = true)
    {
        var gatewayAuth = new CertificateAuthenticator(GatewayCredential(), Validation());
        return Responder(gatewayAuth, requireSecondRound ? new CertificateThenEapServerAuthenticator(gatewayAuth, EapGateway()) : gatewayAuth);
    }

    private static string[] Sent(IkeTestPair pair, ExchangeType exchange, bool initiator, bool responses) =>
        (initiator ? pair.InitiatorTrace : pair.ResponderTrace)
        .Where(t => t.Sent && t.Exchange == exchange && t.IsResponse == responses && !t.Retransmission).Select(t => t.Payloads).ToArray();

    private static string Transcript(IkeTestPair pair) => string.Join("\n", pair.InitiatorEvents.Concat(pair.ResponderEvents));

    [Fact]
    public void Certificate_then_eap_mschapv2_establishes_in_two_rounds()
    {
        using var pair = Run(TwoRoundClient(), TwoRoundGateway());

        pair.Initiator.State.Should().Be(IkeSessionState.Established, Transcript(pair));
        pair.Responder.State.Should().Be(IkeSessionState.Established, Transcript(pair));
        pair.InitiatorEvents.OfType<IkeEvent.ChildSaEstablished>().Should().ContainSingle();
        pair.ResponderEvents.OfType<IkeEvent.ChildSaEstablished>().Should().ContainSingle();
        pair.Initiator.Configuration!.VirtualAddresses.Should().ContainSingle();

        Sent(pair, ExchangeType.IkeSaInit, initiator: true, responses: false)[0].Should().Contain("N(MultipleAuthSupported)");
        Sent(pair, ExchangeType.IkeSaInit, initiator: false, responses: true)[0].Should().Contain("N(MultipleAuthSupported)");

        var requests = Sent(pair, ExchangeType.IkeAuth, initiator: true, responses: false);
        requests[0].Should().Contain("IDi").And.Contain("CERT").And.Contain("AUTH").And.Contain("N(AnotherAuthFollows)")
            .And.Contain("SA").And.Contain("TSi").And.Contain("CP");
        requests[1].Should().Contain("IDi").And.NotContain("AUTH").And.NotContain("EAP").And.NotContain("SA");
        requests.Skip(2).SkipLast(1).Should().AllSatisfy(r => r.Should().Contain("EAP").And.NotContain("AUTH"));
        requests[^1].Should().Contain("AUTH").And.NotContain("EAP");
        requests.Length.Should().BeGreaterThanOrEqualTo(5, "certificate round, IDi, EAP identity/challenge answers, success ack, AUTH");

        var responses = Sent(pair, ExchangeType.IkeAuth, initiator: false, responses: true);
        responses[0].Should().Contain("IDr").And.Contain("AUTH").And.NotContain("EAP").And.NotContain("TSi");
        responses[1].Should().Contain("EAP").And.NotContain("AUTH").And.NotContain("IDr");
        responses[^1].Should().Contain("AUTH").And.Contain("SA").And.Contain("TSi").And.Contain("CP");
    }

    [Fact]
    public void Wrong_password_in_the_second_round_fails_with_eap_advice()
    {
        using var pair = Run(TwoRoundClient(password: "not-the-password"), TwoRoundGateway());

        pair.Initiator.State.Should().Be(IkeSessionState.Failed);
        pair.Initiator.ChildSas.Should().BeEmpty();
        var error = InitiatorError(pair)!;
        error.Kind.Should().Be(IkeErrorKind.AuthenticationFailed, Transcript(pair));
        error.EapProblem.Should().Be(EapErrorKind.WrongCredentials);
        error.Message.Should().Contain("check your username and password").And.NotContain("not-the-password");
        pair.Responder.ChildSas.Should().BeEmpty();
        pair.Responder.State.Should().BeOneOf(IkeSessionState.Failed, IkeSessionState.Closed);
    }

    [Fact]
    public void Untrusted_gateway_certificate_fails_before_the_second_round()
    {
        var gatewayAuth = new CertificateAuthenticator(GatewayCredential(issuer: OtherCa), Validation());
        using var pair = Run(TwoRoundClient(), Responder(gatewayAuth, new CertificateThenEapServerAuthenticator(gatewayAuth, EapGateway())));

        InitiatorError(pair)!.Kind.Should().Be(IkeErrorKind.CertificateInvalid);
        InitiatorError(pair)!.CertificateProblem.Should().Be(CertificateValidationErrorKind.UntrustedRoot);
        Sent(pair, ExchangeType.IkeAuth, initiator: true, responses: false).Should().ContainSingle("no EAP identity may leave before the gateway is authenticated");
    }

    [Fact]
    public void Gateway_rejecting_our_certificate_in_the_first_round_gives_certificate_advice()
    {
        using var pair = Run(TwoRoundClient(credential: ClientCredential(OtherCa)), TwoRoundGateway());

        var error = InitiatorError(pair)!;
        error.Kind.Should().Be(IkeErrorKind.AuthenticationFailed, Transcript(pair));
        error.NotifyType.Should().Be(NotifyType.AuthenticationFailed);
        error.Message.Should().Contain("first round").And.Contain("CA");
        Sent(pair, ExchangeType.IkeAuth, initiator: true, responses: false).Should().ContainSingle();
    }

    [Fact]
    public void Gateway_without_multiple_auth_support_is_refused_with_a_clear_error()
    {
        using var pair = Run(TwoRoundClient(), TwoRoundGateway(requireSecondRound: false));

        var error = InitiatorError(pair)!;
        error.Kind.Should().Be(IkeErrorKind.AuthenticationFailed, Transcript(pair));
        error.Message.Should().Contain("MULTIPLE_AUTH_SUPPORTED");
        Sent(pair, ExchangeType.IkeAuth, initiator: true, responses: false).Should().BeEmpty();
    }

    [Fact]
    public void Responder_requiring_two_rounds_refuses_a_certificate_only_initiator()
    {
        var clientAuth = new CertificateAuthenticator(ClientCredential(), Validation(), IkeIdentity.Fqdn(GatewayName));
        using var pair = Run(Initiator(clientAuth, null, ClientId), TwoRoundGateway());

        InitiatorError(pair)!.Kind.Should().Be(IkeErrorKind.AuthenticationFailed, Transcript(pair));
        pair.ResponderEvents.OfType<IkeEvent.Failed>().Single().Error.Message.Should().Contain("second (EAP) authentication round");
        pair.Responder.ChildSas.Should().BeEmpty();
    }

    [Fact]
    public void Second_round_identity_defaults_to_the_eap_identity()
    {
        var certificate = CertificateAuthenticator.Signer(ClientCredential());
        new CertificateThenEapAuthenticator(certificate, EapClient()).SecondRoundIdentity.ToString().Should().Contain(User);
        new CertificateThenEapAuthenticator(certificate, EapClient(), IkeIdentity.Email("alice@example.org"))
            .SecondRoundIdentity.Should().Be(IkeIdentity.Email("alice@example.org"));
        CertificateThenEapAuthenticator.IdentityOf("alice@example.org").Type.Should().Be(IdType.Rfc822Addr);
        new CertificateThenEapAuthenticator(certificate, EapClient()).ToString().Should().NotContain(Password);
    }
}
