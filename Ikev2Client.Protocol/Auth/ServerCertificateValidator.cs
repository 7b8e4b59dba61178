using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Auth;

/// <summary>
/// Validates the gateway's certificate from its CERT payloads (RFC 7296 §3.6, RFC 4945): chain to the
/// profile's CA(s) or the system store, validity at an injectable time, key usage / extended key usage,
/// revocation (none, best effort, strict) and the gateway identity. Every failure is a typed
/// <see cref="CertificateValidationError"/> with advice; nothing throws for bad input.
/// </summary>
internal sealed class ServerCertificateValidator
{
    private const string AnyEku = "2.5.29.37.0";
    private const string ServerAuthEku = "1.3.6.1.5.5.7.3.1";
    private const string IpsecIkeEku = "1.3.6.1.5.5.7.3.17";

    private readonly CertificateValidationOptions _options;

    public ServerCertificateValidator(CertificateValidationOptions options) => _options = options ?? throw new ArgumentNullException(nameof(options));

    /// <summary>
    /// Validates the certificates of an IKE_AUTH message: the first X.509 CERT payload is the gateway's own
    /// certificate, the others are intermediates.
    /// </summary>
    /// <param name="certPayloads">The CERT payloads of the gateway's IKE_AUTH message.</param>
    /// <param name="presentedIdentity">The IDr the gateway sent (checked against the certificate when the profile names none).</param>
    /// <param name="configuredIdentity">The profile's remote identity, or null when the profile names none.</param>
    public CertificateValidationResult Validate(IEnumerable<CertPayload> certPayloads, IkeIdentity? presentedIdentity, IkeIdentity? configuredIdentity)
    {
        var certs = new List<X509Certificate2>();
        foreach (var payload in certPayloads)
        {
            if (payload.Encoding != CertEncoding.X509Signature)
            {
                if (certs.Count == 0)
                    return Fail(CertificateValidationErrorKind.Malformed,
                        $"The gateway sent its certificate in encoding {payload.Encoding}, which is not supported (only X.509 certificates are); ask your administrator.");
                continue;
            }
            try { certs.Add(X509CertificateLoader.LoadCertificate(payload.Data)); }
            catch (CryptographicException)
            {
                return Fail(CertificateValidationErrorKind.Malformed,
                    certs.Count == 0 ? "The gateway's certificate could not be parsed." : "An intermediate certificate sent by the gateway could not be parsed.");
            }
        }
        if (certs.Count == 0)
            return Fail(CertificateValidationErrorKind.Malformed, "The gateway sent no certificate, so it cannot be authenticated with a certificate.");
        return Validate(certs[0], certs.Skip(1), presentedIdentity, configuredIdentity);
    }

    /// <summary>Validates <paramref name="certificate"/> with <paramref name="intermediates"/> as untrusted chain material.</summary>
    public CertificateValidationResult Validate(X509Certificate2 certificate, IEnumerable<X509Certificate2> intermediates,
        IkeIdentity? presentedIdentity, IkeIdentity? configuredIdentity)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        try
        {
            return ValidateCore(certificate, intermediates, presentedIdentity, configuredIdentity);
        }
        catch (CryptographicException)
        {
            // A certificate that parsed at first but whose fields cannot be decoded (e.g. a corrupt validity date).
            return Fail(CertificateValidationErrorKind.Malformed, "The gateway's certificate is malformed (its fields cannot be decoded); ask your administrator.");
        }
    }

    private CertificateValidationResult ValidateCore(X509Certificate2 certificate, IEnumerable<X509Certificate2> intermediates,
        IkeIdentity? presentedIdentity, IkeIdentity? configuredIdentity)
    {
        var names = new CertificateIdentity(certificate);
        string who = (configuredIdentity ?? presentedIdentity)?.Value ?? certificate.GetNameInfo(X509NameType.SimpleName, false);
        var subject = certificate.Subject;
        var now = _options.Time.GetUtcNow();

        if (!IkeVerificationKey.TryFromCertificate(certificate, out var key))
            return Fail(CertificateValidationErrorKind.Malformed,
                $"The gateway's certificate for {who} holds a key type we cannot use ({certificate.PublicKey.Oid.FriendlyName ?? certificate.PublicKey.Oid.Value}); RSA, ECDSA and Ed25519 are supported.", subject);

        if (DateCheck(certificate, now, $"the gateway's certificate for {who}") is { } dateError) return Fail(dateError with { Subject = subject });

        var warnings = new List<string>();
        var chainError = BuildChain(certificate, intermediates.ToList(), now, who, warnings);
        if (chainError != null) return Fail(chainError);

        if (UsageCheck(certificate, who) is { } usage) return Fail(usage with { Subject = subject });

        bool unmatched;
        if (configuredIdentity != null)
        {
            if (!names.Matches(configuredIdentity))
                return Fail(CertificateValidationErrorKind.IdentityMismatch,
                    $"The gateway's certificate is for {names.Describe()}, which does not include {configuredIdentity.Value}. " +
                    "Check the server address / remote identity in the profile, or ask your administrator to issue a certificate that names it.", subject);
            unmatched = false;
        }
        else
        {
            if (presentedIdentity != null && !names.Matches(presentedIdentity))
                return Fail(CertificateValidationErrorKind.IdentityMismatch,
                    $"The gateway identified itself as {presentedIdentity.Value}, but its certificate is for {names.Describe()}. " +
                    "Ask your administrator to make the gateway's identity match its certificate.", subject);
            unmatched = true;
        }
        return CertificateValidationResult.Ok(certificate, key!, names.Describe(), unmatched, warnings);
    }

    private static CertificateValidationError? DateCheck(X509Certificate2 cert, DateTimeOffset now, string what)
    {
        var notAfter = new DateTimeOffset(cert.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        var notBefore = new DateTimeOffset(cert.NotBefore.ToUniversalTime(), TimeSpan.Zero);
        if (now > notAfter)
            return new(CertificateValidationErrorKind.Expired,
                $"{Capitalize(what)} expired on {notAfter:yyyy-MM-dd}; ask your administrator to renew it (and check this device's date and time).", cert.Subject);
        if (now < notBefore)
            return new(CertificateValidationErrorKind.NotYetValid,
                $"{Capitalize(what)} is not valid until {notBefore:yyyy-MM-dd HH:mm} UTC; check this device's date and time, or ask your administrator.", cert.Subject);
        return null;
    }

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    private CertificateValidationError? BuildChain(X509Certificate2 cert, List<X509Certificate2> intermediates, DateTimeOffset now, string who, List<string> warnings)
    {
        var cas = _options.TrustedCertificateAuthorities;
        CertificateValidationError? error = null;
        if (cas.Count > 0 || !_options.UseSystemTrustStore)
        {
            error = BuildOnce(cert, intermediates, now, who, warnings, customRoots: cas);
            if (error == null || error.Kind != CertificateValidationErrorKind.UntrustedRoot || !_options.UseSystemTrustStore) return error;
            warnings.Clear();
        }
        return BuildOnce(cert, intermediates, now, who, warnings, customRoots: null);
    }

    private CertificateValidationError? BuildOnce(X509Certificate2 cert, List<X509Certificate2> intermediates, DateTimeOffset now, string who,
        List<string> warnings, IReadOnlyList<X509Certificate2>? customRoots)
    {
        using var chain = new X509Chain();
        var policy = chain.ChainPolicy;
        policy.VerificationTime = now.UtcDateTime;
        policy.DisableCertificateDownloads = true;
        policy.ExtraStore.AddRange(intermediates.ToArray());
        if (customRoots != null)
        {
            policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            policy.CustomTrustStore.AddRange(customRoots.ToArray());
        }
        policy.RevocationMode = _options.Revocation == RevocationCheck.None ? X509RevocationMode.NoCheck : X509RevocationMode.Online;
        policy.RevocationFlag = X509RevocationFlag.ExcludeRoot;
        policy.UrlRetrievalTimeout = _options.RevocationTimeout;

        bool built;
        try { built = chain.Build(cert); }
        catch (CryptographicException e)
        {
            return new(CertificateValidationErrorKind.Malformed, $"The gateway's certificate chain for {who} could not be processed ({e.Message}).", cert.Subject);
        }

        bool revocationUnknown = false;
        foreach (var element in chain.ChainElements)
        {
            var c = element.Certificate;
            bool isEndEntity = c.RawData.AsSpan().SequenceEqual(cert.RawData);
            string what = isEndEntity ? $"the gateway's certificate for {who}" : $"the CA certificate \"{c.Subject}\" in the gateway's chain";
            foreach (var status in element.ChainElementStatus)
            {
                switch (status.Status)
                {
                    case X509ChainStatusFlags.NoError:
                        break;
                    case X509ChainStatusFlags.NotTimeValid:
                        return DateCheck(c, now, what) ?? new(CertificateValidationErrorKind.Expired, $"{Capitalize(what)} is outside its validity period; ask your administrator.", c.Subject);
                    case X509ChainStatusFlags.Revoked:
                        return new(CertificateValidationErrorKind.Revoked,
                            $"{Capitalize(what)} has been revoked by its CA. Do not connect; tell your administrator.", c.Subject);
                    case X509ChainStatusFlags.RevocationStatusUnknown:
                    case X509ChainStatusFlags.OfflineRevocation:
                        revocationUnknown = true;
                        break;
                    case X509ChainStatusFlags.UntrustedRoot:
                    case X509ChainStatusFlags.PartialChain:
                        return Untrusted(cert, who, customRoots);
                    case X509ChainStatusFlags.NotSignatureValid:
                        return new(CertificateValidationErrorKind.UntrustedRoot,
                            $"The signature on {what} does not verify; the certificate was not issued by the CA it names. Ask your administrator.", c.Subject);
                    default:
                        return new(CertificateValidationErrorKind.UntrustedRoot,
                            $"{Capitalize(what)} could not be validated ({status.Status}: {status.StatusInformation.Trim()}); ask your administrator.", c.Subject);
                }
            }
        }
        if (!built && chain.ChainStatus.Any(s => s.Status is X509ChainStatusFlags.UntrustedRoot or X509ChainStatusFlags.PartialChain))
            return Untrusted(cert, who, customRoots);

        if (revocationUnknown)
        {
            if (_options.Revocation == RevocationCheck.Strict)
                return new(CertificateValidationErrorKind.RevocationUnknown,
                    $"The revocation status of the gateway's certificate for {who} is unknown: no CRL or OCSP answer could be obtained, and the profile requires strict revocation checking. " +
                    "Check the network connection to the CA's CRL/OCSP server, or ask your administrator whether strict checking is needed.", cert.Subject);
            warnings.Add($"The revocation status of the gateway's certificate for {who} could not be determined (no CRL/OCSP answer); accepted because checking is best-effort.");
        }
        else if (!built)
        {
            var flags = string.Join(", ", chain.ChainStatus.Select(s => s.Status));
            return new(CertificateValidationErrorKind.UntrustedRoot, $"The gateway's certificate chain for {who} is not valid ({flags}); ask your administrator.", cert.Subject);
        }
        return null;
    }

    private static CertificateValidationError Untrusted(X509Certificate2 cert, string who, IReadOnlyList<X509Certificate2>? customRoots) => new(
        CertificateValidationErrorKind.UntrustedRoot,
        customRoots == null
            ? $"The gateway's certificate for {who} (issued by \"{cert.Issuer}\") does not chain to a CA trusted by this system. Add the gateway's CA certificate to the profile or ask your administrator."
            : customRoots.Count == 0
                ? $"The gateway's certificate for {who} cannot be checked: the profile has no CA certificate. Add your organisation's CA certificate to the profile."
                : $"The gateway's certificate for {who} (issued by \"{cert.Issuer}\") does not chain to the CA certificate in the profile. Make sure the profile has the right CA certificate, or ask your administrator.",
        cert.Subject);

    private static CertificateValidationError? UsageCheck(X509Certificate2 cert, string who)
    {
        foreach (var ext in cert.Extensions)
        {
            if (ext is X509KeyUsageExtension ku &&
                (ku.KeyUsages & (X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation)) == 0)
                return new(CertificateValidationErrorKind.BadKeyUsage,
                    $"The gateway's certificate for {who} may not be used for signatures (key usage: {ku.KeyUsages}); ask your administrator for a certificate with digitalSignature.", cert.Subject);
            if (ext is X509EnhancedKeyUsageExtension eku)
            {
                var oids = eku.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value).ToList();
                if (!oids.Any(o => o is AnyEku or ServerAuthEku or IpsecIkeEku))
                    return new(CertificateValidationErrorKind.BadKeyUsage,
                        $"The gateway's certificate for {who} is not meant for VPN gateways (extended key usage: {string.Join(", ", eku.EnhancedKeyUsages.Cast<Oid>().Select(o => o.FriendlyName ?? o.Value))}); " +
                        "ask your administrator for a certificate with serverAuth or ipsecIKE.", cert.Subject);
            }
        }
        return null;
    }

    private static CertificateValidationResult Fail(CertificateValidationErrorKind kind, string message, string? subject = null) =>
        CertificateValidationResult.Fail(new CertificateValidationError(kind, message, subject));

    private static CertificateValidationResult Fail(CertificateValidationError error) => CertificateValidationResult.Fail(error);
}
