using System.Security.Cryptography.X509Certificates;

namespace Ikev2Client.Protocol.Auth;

/// <summary>The outcome of <see cref="ServerCertificateValidator"/>: a trusted key and identity, or a typed error.</summary>
public sealed class CertificateValidationResult
{
    private CertificateValidationResult() { }

    /// <summary>Why validation failed; null when it succeeded.</summary>
    public CertificateValidationError? Error { get; private init; }
    /// <summary>True when the certificate was accepted.</summary>
    public bool IsValid => Error == null;

    /// <summary>The validated end-entity certificate.</summary>
    public X509Certificate2? Certificate { get; private init; }

    /// <summary>Its public key, for verifying the AUTH payload.</summary>
    internal IkeVerificationKey? PublicKey { get; private init; }

    /// <summary>The certificate's names (subject and alternative names), for reports.</summary>
    public string? CertificateIdentity { get; private init; }

    /// <summary>
    /// True when the profile named no remote identity and the certificate's identity was accepted as it is;
    /// the caller should show <see cref="CertificateIdentity"/> to the person.
    /// </summary>
    public bool IdentityAcceptedWithoutProfileMatch { get; private init; }

    /// <summary>Non-fatal notes, e.g. that revocation status could not be determined in best-effort mode.</summary>
    public IReadOnlyList<string> Warnings { get; private init; } = Array.Empty<string>();

    internal static CertificateValidationResult Fail(CertificateValidationError error) => new() { Error = error };

    internal static CertificateValidationResult Ok(X509Certificate2 cert, IkeVerificationKey key, string identity, bool unmatched, IReadOnlyList<string> warnings) =>
        new() { Certificate = cert, PublicKey = key, CertificateIdentity = identity, IdentityAcceptedWithoutProfileMatch = unmatched, Warnings = warnings };

    /// <summary>The accepted identity or the error.</summary>
    public override string ToString() => IsValid ? $"valid: {CertificateIdentity}" : Error!.ToString();
}
