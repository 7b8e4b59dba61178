using System.Security.Cryptography.X509Certificates;
using Ikev2Client.Protocol.Auth;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using CertificateRequest = Org.BouncyCastle.Tls.CertificateRequest;

namespace Ikev2Client.Protocol.Eap;

/// <summary>
/// The TLS side of EAP-TLS on BouncyCastle's non-blocking TLS 1.2 API (Org.BouncyCastle.Tls in
/// BouncyCastle.Cryptography 2.x, with its pure-managed BcTlsCrypto). .NET's SslStream is not used because it exposes neither the TLS 1.2 master
/// secret nor an RFC 5705 exporter, and EAP-TLS needs one of them for the MSK (RFC 5216 §2.3):
/// Key_Material = TLS-PRF(master_secret, "client EAP encryption", client.random || server.random), which is
/// exactly the exporter with that label and no context; MSK = the first 64 bytes, EMSK the next 64.
/// </summary>
internal static class EapTlsKeys
{
    public const string Label = "client EAP encryption";

    /// <summary>
    /// RFC 5216 §2.3: TLS-PRF-128(master_secret, "client EAP encryption", client.random || server.random)[0..63].
    /// Computed with the PRF directly: BouncyCastle's exporter refuses sessions without extended_master_secret
    /// (RFC 7627 §5.4), which strongSwan 5.9 does not negotiate. RFC 5216 predates RFC 7627 and keys EAP-TLS on the
    /// master secret either way (with extended_master_secret both sides simply derive it from the session hash).
    /// </summary>
    public static byte[] Msk(TlsContext context)
    {
        var sp = context.SecurityParameters;
        var seed = sp.ClientRandom.Concat(sp.ServerRandom).ToArray();
        var keys = TlsUtilities.Prf(sp, sp.MasterSecret, Label, seed, 128).Extract();
        try { return keys[..64]; }
        finally { System.Security.Cryptography.CryptographicOperations.ZeroMemory(keys); }
    }

    /// <summary>BouncyCastle's managed TLS crypto: the TLS 1.2 PRF and raw master secret are reachable through it.</summary>
    public static BcTlsCrypto NewCrypto() => new(new SecureRandom());

    public static Certificate ToBcChain(TlsCrypto crypto, ClientCredential credential)
    {
        var chain = new[] { credential.Certificate }.Concat(credential.Chain.Where(c => c.Subject != c.Issuer))
            .Select(c => crypto.CreateCertificate(c.RawData)).ToArray();
        return new Certificate(chain);
    }

    public static TlsCredentialedSigner Signer(TlsContext context, ClientCredential credential) =>
        new BcDefaultTlsCredentialedSigner(new TlsCryptoParameters(context), (BcTlsCrypto)context.Crypto,
            PrivateKey(credential), ToBcChain(context.Crypto, credential), SignatureFor(credential));

    public static AsymmetricKeyParameter PrivateKey(ClientCredential credential)
    {
        var pkcs8 = credential.SigningKey.ExportPkcs8();
        try { return PrivateKeyFactory.CreateKey(pkcs8); }
        finally { System.Security.Cryptography.CryptographicOperations.ZeroMemory(pkcs8); }
    }

    public static SignatureAndHashAlgorithm SignatureFor(ClientCredential credential) => new(HashAlgorithm.sha256,
        credential.SigningKey.KeyType == SigningKeyType.Rsa ? SignatureAlgorithm.rsa : SignatureAlgorithm.ecdsa);

    public static List<X509Certificate2> ToDotNet(Certificate chain) =>
        chain.GetCertificateList().Select(c => X509CertificateLoader.LoadCertificate(c.GetEncoded())).ToList();
}

/// <summary>Our EAP-TLS client: presents our certificate and validates the server's.</summary>
internal sealed class EapTlsClient(EapPeerOptions options) : DefaultTlsClient(EapTlsKeys.NewCrypto())
{
    public TlsContext? Context => m_context;
    public bool HandshakeComplete { get; private set; }
    public EapError? ValidationError { get; private set; }

    /// <summary>TLS 1.2 only: RFC 5216's key derivation is defined for it (TLS 1.3 is RFC 9190, not offered by strongSwan 5.9).</summary>
    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.TLSv12.Only();

    /// <summary>
    /// strongSwan's EAP-TLS server does not send renegotiation_info (RFC 5746); BouncyCastle's default aborts with
    /// handshake_failure then. EAP-TLS never renegotiates, so the missing extension is harmless.
    /// </summary>
    public override void NotifySecureRenegotiation(bool secureRenegotiation) { }

    public override void NotifyHandshakeComplete()
    {
        base.NotifyHandshakeComplete();
        // BouncyCastle clears the master secret right after this callback, so the keys are exported here.
        Msk = EapTlsKeys.Msk(m_context);
        HandshakeComplete = true;
    }

    /// <summary>The RFC 5216 MSK, available once the handshake is complete.</summary>
    public byte[]? Msk { get; private set; }

    public override TlsAuthentication GetAuthentication() => new Authentication(this);

    private sealed class Authentication(EapTlsClient outer) : TlsAuthentication
    {
        public void NotifyServerCertificate(TlsServerCertificate serverCertificate)
        {
            var certs = EapTlsKeys.ToDotNet(serverCertificate.Certificate);
            if (certs.Count == 0)
            {
                outer.ValidationError = new EapError(EapErrorKind.ServerAuthenticationFailed, "The EAP-TLS server sent no certificate.");
                throw new TlsFatalAlert(AlertDescription.bad_certificate);
            }
            var validator = new ServerCertificateValidator(new CertificateValidationOptions
            {
                TrustedCertificateAuthorities = outer._options.TlsTrustedCas,
                Time = outer._options.Time,
            });
            var expected = outer._options.TlsServerName is { } name ? IkeIdentity.Fqdn(name) : null;
            var result = validator.Validate(certs[0], certs.Skip(1), null, expected);
            if (!result.IsValid)
            {
                outer.ValidationError = new EapError(EapErrorKind.ServerAuthenticationFailed, $"EAP-TLS: {result.Error!.Message}");
                throw new TlsFatalAlert(AlertDescription.bad_certificate);
            }
        }

        public TlsCredentials GetClientCredentials(CertificateRequest certificateRequest) =>
            EapTlsKeys.Signer(outer.m_context, outer._options.TlsCredential!);
    }

    private readonly EapPeerOptions _options = options;
}

/// <summary>The authenticator's EAP-TLS server: requires and validates a client certificate.</summary>
internal sealed class EapTlsServer(EapServerOptions options) : DefaultTlsServer(EapTlsKeys.NewCrypto())
{
    public TlsContext? Context => m_context;
    public bool HandshakeComplete { get; private set; }
    public string? ClientSubject { get; private set; }

    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.TLSv12.Only();

    private bool IsRsa => options.TlsCredential!.SigningKey.KeyType == SigningKeyType.Rsa;

    protected override int[] GetSupportedCipherSuites() => IsRsa
        ? new[] { CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 }
        : new[] { CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 };

    private TlsCredentialedSigner Credentials() => EapTlsKeys.Signer(m_context, options.TlsCredential!);

    protected override TlsCredentialedSigner GetRsaSignerCredentials() => Credentials();
    protected override TlsCredentialedSigner GetECDsaSignerCredentials() => Credentials();

    public override CertificateRequest GetCertificateRequest()
    {
        var algorithms = new List<SignatureAndHashAlgorithm>
        {
            new SignatureAndHashAlgorithm(HashAlgorithm.sha256, SignatureAlgorithm.rsa),
            new SignatureAndHashAlgorithm(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa),
            new SignatureAndHashAlgorithm(HashAlgorithm.sha384, SignatureAlgorithm.ecdsa),
        };
        return new CertificateRequest(new[] { ClientCertificateType.rsa_sign, ClientCertificateType.ecdsa_sign }, algorithms, null);
    }

    public override void NotifyClientCertificate(Certificate clientCertificate)
    {
        var certs = EapTlsKeys.ToDotNet(clientCertificate);
        if (certs.Count == 0) throw new TlsFatalAlert(AlertDescription.handshake_failure);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(options.TlsClientCas.ToArray());
        chain.ChainPolicy.ExtraStore.AddRange(certs.Skip(1).ToArray());
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = options.Time.GetUtcNow().UtcDateTime;
        if (!chain.Build(certs[0])) throw new TlsFatalAlert(AlertDescription.bad_certificate);
        ClientSubject = certs[0].Subject;
    }

    public override void NotifyHandshakeComplete()
    {
        base.NotifyHandshakeComplete();
        // BouncyCastle clears the master secret right after this callback, so the keys are exported here.
        Msk = EapTlsKeys.Msk(m_context);
        HandshakeComplete = true;
    }

    /// <summary>The RFC 5216 MSK, available once the handshake is complete.</summary>
    public byte[]? Msk { get; private set; }
}
