namespace Ikev2Client.Protocol.Auth;

/// <summary>Why the gateway's certificate was rejected. Each kind has its own advice.</summary>
public enum CertificateValidationErrorKind
{
    /// <summary>The chain does not end at a configured CA (or the system store when asked).</summary>
    UntrustedRoot,
    /// <summary>The certificate (or a CA above it) expired.</summary>
    Expired,
    /// <summary>The certificate (or a CA above it) is not valid yet (often a wrong clock).</summary>
    NotYetValid,
    /// <summary>The certificate does not name the gateway identity.</summary>
    IdentityMismatch,
    /// <summary>Key usage or extended key usage forbid IKE authentication (RFC 4945 §5.1.3.2, §5.1.3.12).</summary>
    BadKeyUsage,
    /// <summary>A CRL or OCSP response says the certificate is revoked.</summary>
    Revoked,
    /// <summary>Strict revocation checking was asked for and no CRL/OCSP answer could be obtained.</summary>
    RevocationUnknown,
    /// <summary>The certificate data cannot be parsed, or its key type is unsupported.</summary>
    Malformed,
}

/// <summary>A certificate validation failure with a message that says what to do about it.</summary>
/// <param name="Kind">The failure class.</param>
/// <param name="Message">What happened and what to do, e.g. "… expired on 2026-01-01; ask your administrator to renew it".</param>
/// <param name="Subject">The subject DN of the certificate concerned, when known.</param>
public sealed record CertificateValidationError(CertificateValidationErrorKind Kind, string Message, string? Subject = null)
{
    /// <summary>The kind and the message.</summary>
    public override string ToString() => $"{Kind}: {Message}";
}
