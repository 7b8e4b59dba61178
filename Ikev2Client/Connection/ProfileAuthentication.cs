using Ikev2Client.Profiles;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Eap;
using Ikev2Client.Protocol.Ike;
using AuthMethod = Ikev2Client.Profiles.AuthMethod;

namespace Ikev2Client.Connection;

/// <summary>The authenticators and local identity a profile asks for.</summary>
/// <param name="Local">How we authenticate (PSK, certificate, EAP).</param>
/// <param name="Peer">How the gateway is verified (its certificate), or null: the same as <paramref name="Local"/> (PSK), or nothing to check before EAP-only.</param>
/// <param name="LocalIdentity">Our identity when the profile names none (the certificate's subject), or null.</param>
public sealed record ProfileAuthenticators(IIkeAuthenticator Local, IIkeAuthenticator? Peer, IkeIdentity? LocalIdentity);

/// <summary>
/// Maps an <see cref="Ikev2VpnProfile"/>'s <see cref="AuthMethod"/> to the session's authenticators:
/// psk → <see cref="PskAuthenticator"/>; usernamePassword → EAP-MSCHAPv2 with the gateway's certificate checked
/// against <see cref="Ikev2VpnProfile.ServerRootCaCert"/> (or the system store); digitalSignature → our
/// certificate both ways; eapTls → EAP-TLS with the gateway's certificate; eapOnly → the profile's EAP method with
/// EAP_ONLY_AUTHENTICATION (a gateway certificate is still checked when the gateway sends one); certificateThenEap →
/// two rounds (RFC 4739): our certificate, then EAP-MSCHAPv2 (or EAP-MD5) with username and password, the gateway
/// verified by its certificate in the first round.
/// </summary>
public static class ProfileAuthentication
{
    /// <summary>Builds the authenticators; throws <see cref="VpnConnectionException"/> with a one-line reason when the profile lacks what its method needs.</summary>
    public static ProfileAuthenticators Create(Ikev2VpnProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        IkeIdentity? remote = profile.RemoteIdentity is { Length: > 0 } r ? IkeIdentity.Parse(r) : null;
        switch (profile.AuthMethod)
        {
            case AuthMethod.Psk:
                if (profile.Psk is not { Length: > 0 } psk) throw Problem(profile, "the psk method needs a pre-shared key");
                try { return new(new PskAuthenticator(psk), null, null); }
                finally { System.Security.Cryptography.CryptographicOperations.ZeroMemory(psk); }
            case AuthMethod.UsernamePassword:
                return new(new EapAuthenticator(PasswordOptions(profile, EapMethodType.MsChapV2)), GatewayVerifier(profile, remote), null);
            case AuthMethod.DigitalSignature:
            {
                var credential = LoadCredential(profile);
                var auth = new CertificateAuthenticator(credential, Validation(profile), remote);
                return new(auth, auth, IkeIdentity.DistinguishedName(credential.Certificate.Subject));
            }
            case AuthMethod.CertificateThenEap:
            {
                var options = PasswordOptions(profile, profile.EapMethod == EapMethod.Md5 ? EapMethodType.Md5Challenge : EapMethodType.MsChapV2);
                var credential = LoadCredential(profile);
                var certificate = new CertificateAuthenticator(credential, Validation(profile), remote);
                return new(new CertificateThenEapAuthenticator(certificate, new EapAuthenticator(options)), certificate,
                    IkeIdentity.DistinguishedName(credential.Certificate.Subject));
            }
            case AuthMethod.EapTls:
                return new(new EapAuthenticator(TlsOptions(profile, remote)), GatewayVerifier(profile, remote), null);
            case AuthMethod.EapOnly:
            {
                var options = profile.EapMethod switch
                {
                    EapMethod.Tls => TlsOptions(profile, remote),
                    EapMethod.Md5 => PasswordOptions(profile, EapMethodType.Md5Challenge),
                    _ => PasswordOptions(profile, EapMethodType.MsChapV2),
                };
                return new(new EapAuthenticator(options, eapOnly: true), GatewayVerifier(profile, remote), null);
            }
            default:
                throw Problem(profile, $"authentication method {profile.AuthMethod} is not supported");
        }
    }

    /// <summary>Trust: the profile's CA when it has one, otherwise the system store; revocation checked on a best-effort basis.</summary>
    public static CertificateValidationOptions Validation(Ikev2VpnProfile profile) => new()
    {
        TrustedCertificateAuthorities = profile.ServerRootCaCert is { } ca ? new[] { ca } : Array.Empty<System.Security.Cryptography.X509Certificates.X509Certificate2>(),
        UseSystemTrustStore = profile.ServerRootCaCert == null,
        Revocation = RevocationCheck.BestEffort,
        RevocationTimeout = TimeSpan.FromSeconds(5),
    };

    private static CertificateAuthenticator GatewayVerifier(Ikev2VpnProfile profile, IkeIdentity? remote) =>
        CertificateAuthenticator.Verifier(Validation(profile), remote);

    private static EapPeerOptions PasswordOptions(Ikev2VpnProfile profile, EapMethodType method)
    {
        if (profile.Username is not { Length: > 0 } user || profile.Password is not { Length: > 0 } password)
            throw NotStored(profile); // the CLI asks before it starts; here nobody can (always-on start, an API caller)
        return new EapPeerOptions { Identity = user, Password = password, AllowedMethods = new[] { method } };
    }

    private static EapPeerOptions TlsOptions(Ikev2VpnProfile profile, IkeIdentity? remote)
    {
        var credential = LoadCredential(profile);
        return new EapPeerOptions
        {
            Identity = profile.UserIdentity is { Length: > 0 } u ? u : profile.Username is { Length: > 0 } n ? n : credential.Certificate.GetNameInfo(
                System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, false),
            TlsCredential = credential,
            TlsTrustedCas = profile.ServerRootCaCert is { } ca ? new[] { ca } : Array.Empty<System.Security.Cryptography.X509Certificates.X509Certificate2>(),
            TlsServerName = remote is { Type: Protocol.Wire.IdType.Fqdn } ? remote.ToString().Split(':', 2)[^1] : profile.ServerAddr,
            AllowedMethods = new[] { EapMethodType.Tls },
        };
    }

    private static ClientCredential LoadCredential(Ikev2VpnProfile profile)
    {
        CredentialLoadResult result;
        if (profile.Pkcs12 is { Length: > 0 } && profile.Pkcs12Password is null && ProfileCredentials.Missing(profile).Any(m => m.Key == "pkcs12Password"))
            throw NotStored(profile);
        if (profile.Pkcs12 is { Length: > 0 } p12) result = ClientCredential.LoadPkcs12(p12, profile.Pkcs12Password);
        else if (profile.UserCert is { } cert && profile.UserPrivateKeyPem is { Length: > 0 } key) result = ClientCredential.LoadPem(cert.ExportCertificatePem(), key);
        else throw Problem(profile, $"{profile.AuthMethod} needs a user certificate and private key (userCert + userPrivateKey, or pkcs12)");
        return result.Credential ?? throw Problem(profile, result.Error!.Message);
    }

    /// <summary>A credential the profile was imported without, where nobody was asked for it: which, and how to supply it.</summary>
    private static VpnConnectionException NotStored(Ikev2VpnProfile profile) =>
        new("profile " + ProfileCredentials.HowToSupply(profile.Name, ProfileCredentials.Missing(profile) is { Count: > 0 } missing
            ? missing : [new MissingCredential("password", true, "password")]));

    private static VpnConnectionException Problem(Ikev2VpnProfile profile, string why) => new($"profile '{profile.Name}': {why}");
}
