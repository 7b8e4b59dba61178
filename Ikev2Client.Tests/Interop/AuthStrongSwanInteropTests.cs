using Ikev2Client.Protocol.Wire;
using FluentAssertions;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Eap;
using Ikev2Client.Protocol.Ike;
using Xunit;

namespace Ikev2Client.Tests.Interop;

/// <summary>
/// Our initiator authenticating against a strongSwan 5.9.8 gateway with certificates and EAP, each test with a
/// CA and certificates it makes itself (needs root for the namespaces: fails loudly without it).
/// </summary>
[Trait("Requires", "root")]
[Trait("Requires", "strongswan")]
public sealed class AuthStrongSwanInteropTests
{
    private static readonly IkeIdentity Gateway = IkeIdentity.Fqdn(SwanctlConfigs.GatewayId);
    private const string EapIdAny = "eap_id = %any";

    private static IkeSessionOptions Options(IIkeAuthenticator local, IIkeAuthenticator? peer, IkeIdentity? localId = null, IkeIdentity? remoteId = null) => new()
    {
        LocalIdentity = localId ?? IkeIdentity.Parse(SwanctlConfigs.ClientId),
        RemoteIdentity = remoteId ?? Gateway,
        Authenticator = local,
        PeerAuthenticator = peer,
    };

    private static EapAuthenticator Eap(string password = AuthSwanctlConfigs.EapPassword, bool eapOnly = false, params EapMethodType[] methods) => new(new EapPeerOptions
    {
        Identity = AuthSwanctlConfigs.EapUser,
        Password = password,
        AllowedMethods = methods.Length > 0 ? methods : new[] { EapMethodType.MsChapV2, EapMethodType.Md5Challenge },
    }, eapOnly);

    private static async Task<IkeInteropClient> ConnectAsync(StrongSwanGateway gw, IkeSessionOptions options)
    {
        var client = IkeInteropClient.Create(gw, options);
        try { await client.ConnectAsync(gw); }
        catch (Exception e)
        {
            var detail = $"{e.Message}\n{client.Transcript}\n--- gateway log ---\n{gw.Gateway.LogTail(80)}";
            await client.DisposeAsync();
            throw new Xunit.Sdk.XunitException(detail);
        }
        var sas = gw.ListSas();
        sas.EstablishedCount.Should().Be(1, sas.Raw);
        sas.ChildSaCount.Should().Be(1, sas.Raw);
        client.Session.State.Should().Be(IkeSessionState.Established);
        return client;
    }

    private static async Task<IkeError> FailAsync(StrongSwanGateway gw, IkeSessionOptions options)
    {
        await using var client = IkeInteropClient.Create(gw, options);
        var error = await client.ConnectExpectingFailureAsync(gw);
        client.Session.ChildSas.Should().BeEmpty();
        client.Events.OfType<IkeEvent.ChildSaEstablished>().Should().BeEmpty();
        // No tunnel left on the gateway either.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        SaListing sas;
        while ((sas = gw.ListSas()).ChildSaCount > 0 && DateTime.UtcNow < deadline) await Task.Delay(200);
        sas.ChildSaCount.Should().Be(0, sas.Raw);
        return error;
    }

    private static async Task CloseAsync(IkeInteropClient client)
    {
        (await client.CloseAsync()).Should().BeOfType<IkeEvent.Deleted>();
        await client.DisposeAsync();
    }

    [Fact]
    public async Task Rsa_gateway_certificate_and_eap_mschapv2()
    {
        var pki = AuthInteropPki.Create("rsa");
        using var gw = StrongSwanGateway.Start(AuthSwanctlConfigs.Gateway("eap-mschapv2", extraRemote: EapIdAny), files: pki.GatewayFiles);
        var verifier = CertificateAuthenticator.Verifier(AuthInteropPki.Trusting(pki.Ca), Gateway);
        var client = await ConnectAsync(gw, Options(Eap(), verifier));
        verifier.LastValidation!.CertificateIdentity.Should().Contain(SwanctlConfigs.GatewayId);
        gw.ListSas().Raw.Should().Contain(AuthSwanctlConfigs.EapUser);
        gw.LogText.Should().Contain("EAP_MSCHAPV2");
        await CloseAsync(client);
    }

    [Fact]
    public async Task Ecdsa_gateway_certificate_and_eap_md5()
    {
        var pki = AuthInteropPki.Create("ecdsa256");
        using var gw = StrongSwanGateway.Start(AuthSwanctlConfigs.Gateway("eap-md5", extraRemote: EapIdAny), files: pki.GatewayFiles);
        var client = await ConnectAsync(gw, Options(Eap(methods: EapMethodType.Md5Challenge), CertificateAuthenticator.Verifier(AuthInteropPki.Trusting(pki.Ca), Gateway)));
        gw.LogText.Should().Contain("EAP_MD5");
        await CloseAsync(client);
    }

    [Fact]
    public async Task Eap_tls_with_client_certificate()
    {
        const string user = "carol@test";
        var pki = AuthInteropPki.Create("rsa", clientSubject: $"CN={user}, O=Ikev2Client", clientEmails: new[] { user });
        using var gw = StrongSwanGateway.Start(AuthSwanctlConfigs.Gateway("eap-tls", extraRemote: EapIdAny), files: pki.GatewayFiles);
        var eap = new EapAuthenticator(new EapPeerOptions
        {
            Identity = user, TlsCredential = pki.Client, TlsTrustedCas = new[] { pki.Ca }, TlsServerName = SwanctlConfigs.GatewayId,
            AllowedMethods = new[] { EapMethodType.Tls },
        });
        var client = await ConnectAsync(gw, Options(eap, CertificateAuthenticator.Verifier(AuthInteropPki.Trusting(pki.Ca), Gateway)));
        gw.LogText.Should().Contain("EAP_TLS");
        await CloseAsync(client);
    }

    [Theory]
    [InlineData("ecdsa256", "ecdsa-256")]
    [InlineData("ecdsa384", "ecdsa-384")]
    [InlineData("rsa", "rsa-2048")]
    public async Task Mutual_certificate_authentication(string keyType, string strongSwanKey)
    {
        var pki = AuthInteropPki.Create(keyType, clientSubject: $"CN={SwanctlConfigs.ClientId}, O=Ikev2Client", clientDns: new[] { SwanctlConfigs.ClientId });
        using var gw = StrongSwanGateway.Start(AuthSwanctlConfigs.Gateway("pubkey", remoteId: SwanctlConfigs.ClientId), files: pki.GatewayFiles);
        var auth = new CertificateAuthenticator(pki.Client, AuthInteropPki.Trusting(pki.Ca), Gateway);
        var client = await ConnectAsync(gw, Options(auth, null));
        gw.LogText.Should().Contain($"authentication of '{SwanctlConfigs.ClientId}' with");
        gw.LogText.Should().Contain($"key: {strongSwanKey.Split('-')[1]} bit {(keyType.StartsWith("rsa") ? "RSA" : "ECDSA")}");
        await CloseAsync(client);
    }

    /// <summary>
    /// Issue 7: a certificate chain larger than the path MTU. Both peers limit IKE messages to 576 bytes, so the
    /// RSA certificates force IKE_AUTH into fragments (RFC 7383) in both directions, and each side reassembles.
    /// </summary>
    [Fact]
    public async Task Certificates_larger_than_the_mtu_are_fragmented_and_reassembled_both_ways()
    {
        var pki = AuthInteropPki.Create("rsa", clientSubject: $"CN={SwanctlConfigs.ClientId}, O=Ikev2Client", clientDns: new[] { SwanctlConfigs.ClientId });
        using var gw = StrongSwanGateway.Start(AuthSwanctlConfigs.Gateway("pubkey", remoteId: SwanctlConfigs.ClientId),
            new StrongSwanOptions { FragmentSize = 576 }, files: pki.GatewayFiles);
        var auth = new CertificateAuthenticator(pki.Client, AuthInteropPki.Trusting(pki.Ca), Gateway);
        var options = new IkeSessionOptions
        {
            LocalIdentity = IkeIdentity.Parse(SwanctlConfigs.ClientId),
            RemoteIdentity = Gateway,
            Authenticator = auth,
            MaxMessageSize = 576,
        };
        var client = await ConnectAsync(gw, options);
        pki.Client!.Certificate.RawData.Length.Should().BeGreaterThan(576, "the certificate alone exceeds the fragment size");
        var sent = client.Events.OfType<IkeEvent.MessageTraced>().Single(t => t.Sent && t.Exchange == ExchangeType.IkeAuth);
        sent.Fragments.Should().BeGreaterThan(1, "our IKE_AUTH request is fragmented");
        gw.LogText.Should().Contain("reassembled fragmented IKE message", "the gateway reassembled our fragments");
        gw.LogText.Should().MatchRegex(@"splitting IKE message \(\d+ bytes\) into \d+ fragments", "the gateway fragmented its response, which we reassembled");
        await CloseAsync(client);
    }

    [Fact]
    public async Task Rsa_pss_both_ways()
    {
        var pki = AuthInteropPki.Create("rsa", clientSubject: $"CN={SwanctlConfigs.ClientId}, O=Ikev2Client", clientDns: new[] { SwanctlConfigs.ClientId });
        using var gw = StrongSwanGateway.Start(
            AuthSwanctlConfigs.Gateway("pubkey", localAuth: "rsa/pss-sha256", remoteId: SwanctlConfigs.ClientId), files: pki.GatewayFiles);
        var auth = new CertificateAuthenticator(pki.Client, AuthInteropPki.Trusting(pki.Ca), Gateway, useRsaPss: true);
        var client = await ConnectAsync(gw, Options(auth, null));
        gw.LogText.Should().Contain($"authentication of '{SwanctlConfigs.ClientId}' with RSA_EMSA_PSS");
        gw.LogText.Should().Contain($"authentication of '{SwanctlConfigs.GatewayId}' (myself) with RSA_EMSA_PSS");
        await CloseAsync(client);
    }

    [Fact]
    public async Task Ed25519_both_ways()
    {
        var pki = AuthInteropPki.CreateEd25519(SwanctlConfigs.ClientId);
        using var gw = StrongSwanGateway.Start(AuthSwanctlConfigs.Gateway("pubkey", remoteId: SwanctlConfigs.ClientId), files: pki.GatewayFiles);
        var auth = new CertificateAuthenticator(pki.Client, AuthInteropPki.Trusting(pki.Ca), Gateway);
        var client = await ConnectAsync(gw, Options(auth, null));
        gw.LogText.Should().Contain("ED25519");
        await CloseAsync(client);
    }

    [Fact]
    public async Task Eap_only_with_mschapv2()
    {
        var pki = AuthInteropPki.Create("ecdsa256");
        using var gw = StrongSwanGateway.Start(AuthSwanctlConfigs.Gateway("eap-mschapv2", localAuth: "eap", extraRemote: EapIdAny), files: pki.GatewayFiles);
        var client = await ConnectAsync(gw, Options(Eap(eapOnly: true), null));
        client.Events.OfType<IkeEvent.MessageTraced>().First(t => !t.Sent && t.Exchange == Protocol.Wire.ExchangeType.IkeAuth).Payloads
            .Should().NotContain("AUTH", "the gateway authenticates only through EAP");
        await CloseAsync(client);
    }

    [Fact]
    public async Task Wrong_password_is_authentication_failed_with_advice()
    {
        var pki = AuthInteropPki.Create("rsa");
        using var gw = StrongSwanGateway.Start(AuthSwanctlConfigs.Gateway("eap-mschapv2", extraRemote: EapIdAny), files: pki.GatewayFiles);
        var error = await FailAsync(gw, Options(Eap("not-the-password"), CertificateAuthenticator.Verifier(AuthInteropPki.Trusting(pki.Ca), Gateway)));
        error.Kind.Should().Be(IkeErrorKind.AuthenticationFailed, error.ToString());
        error.EapProblem.Should().Be(EapErrorKind.WrongCredentials, error.ToString());
        error.Message.Should().Contain("check your username and password");
    }

    [Fact]
    public async Task Gateway_certificate_from_another_ca_is_untrusted()
    {
        var pki = AuthInteropPki.Create("rsa");
        var other = AuthInteropPki.Create("ecdsa256");
        using var gw = StrongSwanGateway.Start(AuthSwanctlConfigs.Gateway("eap-mschapv2", extraRemote: EapIdAny), files: pki.GatewayFiles);
        var error = await FailAsync(gw, Options(Eap(), CertificateAuthenticator.Verifier(AuthInteropPki.Trusting(other.Ca), Gateway)));
        error.Kind.Should().Be(IkeErrorKind.CertificateInvalid, error.ToString());
        error.CertificateProblem.Should().Be(CertificateValidationErrorKind.UntrustedRoot);
    }

    [Fact]
    public async Task Gateway_identity_not_the_profiles_is_identity_mismatch()
    {
        var pki = AuthInteropPki.Create("ecdsa256", gatewayDns: "other.test");
        using var gw = StrongSwanGateway.Start(AuthSwanctlConfigs.Gateway("eap-mschapv2", gatewayId: "other.test", extraRemote: EapIdAny), files: pki.GatewayFiles);
        // We do not send IDr, so the gateway answers as other.test, which is not the profile's gw.test.
        var options = new IkeSessionOptions
        {
            LocalIdentity = IkeIdentity.Parse(SwanctlConfigs.ClientId), RemoteIdentity = Gateway, SendRemoteIdentity = false, Authenticator = Eap(),
            PeerAuthenticator = CertificateAuthenticator.Verifier(AuthInteropPki.Trusting(pki.Ca), Gateway),
        };
        var error = await FailAsync(gw, options);
        error.Kind.Should().Be(IkeErrorKind.IdentityMismatch, error.ToString());
        error.Message.Should().Contain("other.test");
    }

    [Fact]
    public async Task Gateway_certificate_not_naming_the_profiles_identity_is_identity_mismatch()
    {
        var pki = AuthInteropPki.Create("ecdsa256", gatewayDns: "other.test");
        using var gw = StrongSwanGateway.Start(AuthSwanctlConfigs.Gateway("eap-mschapv2", gatewayId: "other.test", extraRemote: EapIdAny), files: pki.GatewayFiles);
        // The profile names no remote identity (it accepts the IDr), but the certificate must still name the server we meant.
        var verifier = CertificateAuthenticator.Verifier(AuthInteropPki.Trusting(pki.Ca), Gateway);
        var options = new IkeSessionOptions
        {
            LocalIdentity = IkeIdentity.Parse(SwanctlConfigs.ClientId), Authenticator = Eap(), PeerAuthenticator = verifier, SendRemoteIdentity = false,
        };
        var error = await FailAsync(gw, options);
        error.Kind.Should().Be(IkeErrorKind.IdentityMismatch, error.ToString());
        error.CertificateProblem.Should().Be(CertificateValidationErrorKind.IdentityMismatch);
    }

    [Fact]
    public async Task Expired_gateway_certificate_is_rejected()
    {
        var pki = AuthInteropPki.Create("rsa", gatewayNotAfter: DateTimeOffset.UtcNow.AddDays(-2));
        using var gw = StrongSwanGateway.Start(AuthSwanctlConfigs.Gateway("eap-mschapv2", extraRemote: EapIdAny), files: pki.GatewayFiles);
        var error = await FailAsync(gw, Options(Eap(), CertificateAuthenticator.Verifier(AuthInteropPki.Trusting(pki.Ca), Gateway)));
        error.Kind.Should().Be(IkeErrorKind.CertificateInvalid, error.ToString());
        error.CertificateProblem.Should().Be(CertificateValidationErrorKind.Expired);
        error.Message.Should().Contain("expired");
    }

    private static IkeSessionOptions CertificateThenEapOptions(AuthInteropPki pki, string password = AuthSwanctlConfigs.EapPassword)
    {
        var certificate = new CertificateAuthenticator(pki.Client, AuthInteropPki.Trusting(pki.Ca), Gateway);
        return Options(new CertificateThenEapAuthenticator(certificate, Eap(password, methods: EapMethodType.MsChapV2)), certificate);
    }

    [Fact]
    public async Task Certificate_then_eap_mschapv2_in_two_rounds()
    {
        var pki = AuthInteropPki.Create("ecdsa256", clientSubject: $"CN={SwanctlConfigs.ClientId}, O=Ikev2Client", clientDns: new[] { SwanctlConfigs.ClientId });
        using var gw = StrongSwanGateway.Start(AuthSwanctlConfigs.GatewayCertificateThenEap(SwanctlConfigs.ClientId), files: pki.GatewayFiles);
        var client = await ConnectAsync(gw, CertificateThenEapOptions(pki));
        gw.LogText.Should().Contain($"authentication of '{SwanctlConfigs.ClientId}' with");
        gw.LogText.Should().Contain("EAP_MSCHAPV2");
        var sent = client.Events.OfType<IkeEvent.MessageTraced>().Where(t => t.Sent && t.Exchange == Protocol.Wire.ExchangeType.IkeAuth && !t.Retransmission).ToList();
        sent[0].Payloads.Should().Contain("N(AnotherAuthFollows)").And.Contain("AUTH");
        sent[1].Payloads.Should().Contain("IDi").And.NotContain("AUTH");
        client.Session.ChildSas.Should().ContainSingle();
        await CloseAsync(client);
    }

    [Fact]
    public async Task Certificate_then_eap_with_wrong_password_fails_in_the_second_round()
    {
        var pki = AuthInteropPki.Create("ecdsa256", clientSubject: $"CN={SwanctlConfigs.ClientId}, O=Ikev2Client", clientDns: new[] { SwanctlConfigs.ClientId });
        using var gw = StrongSwanGateway.Start(AuthSwanctlConfigs.GatewayCertificateThenEap(SwanctlConfigs.ClientId), files: pki.GatewayFiles);
        var error = await FailAsync(gw, CertificateThenEapOptions(pki, "not-the-password"));
        error.Kind.Should().Be(IkeErrorKind.AuthenticationFailed, error.ToString());
        error.EapProblem.Should().Be(EapErrorKind.WrongCredentials, error.ToString());
        error.Message.Should().Contain("check your username and password");
        gw.LogText.Should().Contain($"authentication of '{SwanctlConfigs.ClientId}' with", "the certificate round succeeded first");
    }
}
