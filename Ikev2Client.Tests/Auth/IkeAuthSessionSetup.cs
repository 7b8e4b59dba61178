using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Eap;
using Ikev2Client.Protocol.Ike;
using Ikev2Client.Tests.Ike;
using Microsoft.Extensions.Time.Testing;

namespace Ikev2Client.Tests.Auth;

/// <summary>Certificates and session options for the in-process IKE_AUTH tests (initiator ↔ responder in memory).</summary>
internal static class IkeAuthSessionSetup
{
    public const string GatewayName = "gw.example.org";
    public const string User = "alice";
    public const string Password = "Pa55word!";

    public static readonly X509Certificate2 Ca = TestPki.CreateCa("IKE Auth Test CA");
    public static readonly X509Certificate2 OtherCa = TestPki.CreateCa("Some Other CA");

    public static ClientCredential Credential(X509Certificate2 issuer, string subject, string[] dns, AsymmetricAlgorithm key,
        DateTimeOffset? notAfter = null, string eku = "1.3.6.1.5.5.7.3.1")
    {
        var cert = TestPki.CreateLeaf(issuer, new TestPki.LeafOptions
        {
            Subject = subject, Dns = dns, Ekus = new[] { eku }, NotAfter = notAfter ?? TestPki.Now.AddYears(1),
        }, key);
        var signing = key switch
        {
            RSA rsa => IkeSigningKey.FromRsa(rsa),
            ECDsa ec => IkeSigningKey.FromEcdsa(ec),
            _ => throw new ArgumentException("key"),
        };
        return ClientCredential.Create(cert, signing, new[] { issuer }).Credential!;
    }

    public static ClientCredential GatewayCredential(AsymmetricAlgorithm? key = null, X509Certificate2? issuer = null, string[]? dns = null, DateTimeOffset? notAfter = null) =>
        Credential(issuer ?? Ca, $"CN={GatewayName}, O=Test", dns ?? new[] { GatewayName }, key ?? ECDsa.Create(ECCurve.NamedCurves.nistP256), notAfter);

    public static CertificateValidationOptions Validation(X509Certificate2? ca = null) => new()
    {
        TrustedCertificateAuthorities = new[] { ca ?? Ca },
        Time = new FakeTimeProvider(TestPki.Now),
    };

    public static IkeSessionOptions Initiator(IIkeAuthenticator local, IIkeAuthenticator? peer, IkeIdentity? localId = null) => new()
    {
        Role = IkeRole.Initiator,
        LocalIdentity = localId ?? IkeIdentity.Parse("client@example.org"),
        RemoteIdentity = IkeIdentity.Fqdn(GatewayName),
        Authenticator = local,
        PeerAuthenticator = peer,
    };

    public static IkeSessionOptions Responder(IIkeAuthenticator local, IIkeAuthenticator peer) => new()
    {
        Role = IkeRole.Responder,
        LocalIdentity = IkeIdentity.Fqdn(GatewayName),
        Authenticator = local,
        PeerAuthenticator = peer,
        Responder = new IkeResponderOptions { AddressPool = new IkeAddressPool(System.Net.IPNetwork.Parse("10.10.0.0/24")) },
    };

    public static EapAuthenticator EapClient(string password = Password, bool eapOnly = false, params EapMethodType[] methods) =>
        new(new EapPeerOptions
        {
            Identity = User, Password = password,
            AllowedMethods = methods.Length > 0 ? methods : new[] { EapMethodType.MsChapV2, EapMethodType.Tls, EapMethodType.Md5Challenge },
        }, eapOnly);

    public static EapServerAuthenticator EapGateway(EapMethodType method = EapMethodType.MsChapV2, bool allowEapOnly = false) =>
        new(new EapServerOptions { Method = method, PasswordLookup = u => u == User ? Password : null }, allowEapOnly);

    public static IkeTestPair Run(IkeSessionOptions initiator, IkeSessionOptions responder)
    {
        var pair = new IkeTestPair(initiator, responder);
        pair.Connect();
        pair.Run(200);
        return pair;
    }

    public static IkeError? InitiatorError(IkeTestPair pair) => pair.InitiatorEvents.OfType<IkeEvent.Failed>().SingleOrDefault()?.Error;
}
