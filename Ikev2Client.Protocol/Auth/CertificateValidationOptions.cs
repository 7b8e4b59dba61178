using System.Security.Cryptography.X509Certificates;

namespace Ikev2Client.Protocol.Auth;

/// <summary>How revocation is checked (strongSwan's <c>.sswan</c> <c>remote.revocation</c>).</summary>
public enum RevocationCheck
{
    /// <summary>No CRL/OCSP lookups.</summary>
    None,
    /// <summary>Look up CRL/OCSP; a revoked certificate fails, an unknown status (no network, no CRL) passes.</summary>
    BestEffort,
    /// <summary>Look up CRL/OCSP; the certificate must be positively known not to be revoked (<c>remote.revocation.strict</c>).</summary>
    Strict,
}

/// <summary>What the gateway's certificate is checked against.</summary>
public sealed class CertificateValidationOptions
{
    /// <summary>The profile's CA certificate(s): the chain must end at one of them.</summary>
    public IReadOnlyList<X509Certificate2> TrustedCertificateAuthorities { get; init; } = Array.Empty<X509Certificate2>();

    /// <summary>Trust the operating system's root store instead of (when no CAs are given) or besides the profile's CAs.</summary>
    public bool UseSystemTrustStore { get; init; }

    /// <summary>Whether and how strictly CRL/OCSP revocation is checked.</summary>
    public RevocationCheck Revocation { get; init; } = RevocationCheck.None;

    /// <summary>How long one CRL/OCSP fetch may take.</summary>
    public TimeSpan RevocationTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The clock validity is checked against (its <see cref="TimeProvider.GetUtcNow"/>); the system clock unless a test injects another.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
