using System.Security.Cryptography.X509Certificates;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Ike;

/// <summary>
/// Public-key authentication with certificates (RFC 7296 §2.15, RFC 7427, RFC 4754, RFC 8420). As our
/// authenticator it sends our certificate chain (chosen from the peer's CERTREQ) and signs with our key; as the
/// peer authenticator it validates the peer's certificate (<see cref="ServerCertificateValidator"/>: chain to the
/// configured CAs or the system store, identity against IDr, key usage, revocation) and then its signature.
/// One instance may do both. Keys never appear in messages or <see cref="ToString"/>.
/// </summary>
public sealed class CertificateAuthenticator : IIkeAuthenticator
{
    private readonly ClientCredential? _credential;
    private readonly ServerCertificateValidator? _validator;
    private readonly IReadOnlyList<X509Certificate2> _requestCas;
    private readonly IkeIdentity? _configuredPeer;

    /// <param name="credential">Our certificate and key (needed to <see cref="Sign"/>).</param>
    /// <param name="validation">How to validate the peer's certificate (needed to <see cref="Verify"/>).</param>
    /// <param name="configuredPeerIdentity">The identity the peer's certificate must name; null: the IDr it presents.</param>
    /// <param name="useRsaPss">Sign with RSASSA-PSS instead of PKCS#1 v1.5 (RSA keys, RFC 7427).</param>
    public CertificateAuthenticator(ClientCredential? credential, CertificateValidationOptions? validation,
        IkeIdentity? configuredPeerIdentity = null, bool useRsaPss = false)
    {
        if (credential == null && validation == null) throw new ArgumentException("a credential or validation options are needed");
        _credential = credential;
        _validator = validation == null ? null : new ServerCertificateValidator(validation);
        _requestCas = validation?.TrustedCertificateAuthorities ?? Array.Empty<X509Certificate2>();
        _configuredPeer = configuredPeerIdentity;
        UseRsaPss = useRsaPss;
    }

    /// <summary>Signer only (e.g. our side, with the peer verified another way).</summary>
    public static CertificateAuthenticator Signer(ClientCredential credential, bool useRsaPss = false) => new(credential, null, null, useRsaPss);

    /// <summary>Verifier only (the gateway's certificate when we authenticate with EAP or PSK).</summary>
    public static CertificateAuthenticator Verifier(CertificateValidationOptions validation, IkeIdentity? configuredPeerIdentity = null) =>
        new(null, validation, configuredPeerIdentity);

    /// <summary>RSA keys sign with RSASSA-PSS (RFC 7427) rather than PKCS #1 v1.5.</summary>
    public bool UseRsaPss { get; }

    /// <summary>The result of the last <see cref="Verify"/> (the accepted certificate's identity, warnings).</summary>
    public CertificateValidationResult? LastValidation { get; private set; }

    /// <inheritdoc />
    public IkeError? LastVerificationError { get; private set; }

    /// <inheritdoc />
    public CertReqPayload? CertificateRequest => _validator == null ? null : CertificateRequests.BuildCertReq(_requestCas);

    /// <inheritdoc />
    public IReadOnlyList<Payload> GetCredentialPayloads(bool initiator) => GetCredentialPayloads(initiator, Array.Empty<CertReqPayload>());

    /// <inheritdoc />
    public IReadOnlyList<Payload> GetCredentialPayloads(bool initiator, IReadOnlyList<CertReqPayload> peerCertificateRequests) =>
        _credential == null ? Array.Empty<Payload>() : _credential.GetCertPayloads(CertificateRequests.RequestedCaHashes(peerCertificateRequests));

    /// <inheritdoc />
    public AuthPayload Sign(IkeAuthInput input)
    {
        if (_credential == null) throw new InvalidOperationException("this certificate authenticator has no credential to sign with");
        return PublicKeyAuthenticator.CreateAuth(_credential.SigningKey, input.SignedOctets.Span, input.PeerHashAlgorithms, UseRsaPss);
    }

    /// <inheritdoc />
    public bool Verify(IkeAuthInput input, AuthPayload auth, out string? reason)
    {
        LastVerificationError = null;
        if (_validator == null) throw new InvalidOperationException("this certificate authenticator has no validation options");
        if (auth.Method == Wire.IkeAuthMethod.SharedKeyMessageIntegrityCode)
            return Reject(new IkeError(IkeErrorKind.AuthenticationFailed,
                "The gateway authenticated with a pre-shared key, but the profile expects a certificate. Check the profile's authentication method."), out reason);
        var result = _validator.Validate(input.MessagePayloads.OfType<CertPayload>(), input.Identity, _configuredPeer);
        LastValidation = result;
        if (!result.IsValid)
        {
            var e = result.Error!;
            var kind = e.Kind == CertificateValidationErrorKind.IdentityMismatch ? IkeErrorKind.IdentityMismatch : IkeErrorKind.CertificateInvalid;
            return Reject(new IkeError(kind, e.Message) { CertificateProblem = e.Kind }, out reason);
        }
        var check = PublicKeyAuthenticator.Verify(result.PublicKey!, auth, input.SignedOctets.Span, SignatureSchemes.AdvertisedHashes);
        if (!check.IsValid)
            return Reject(new IkeError(IkeErrorKind.AuthenticationFailed,
                $"The gateway's signature did not verify with the public key of its certificate ({check.Failure}): {check.Message}."), out reason);
        reason = null;
        return true;
    }

    private bool Reject(IkeError error, out string? reason)
    {
        LastVerificationError = error;
        reason = error.Message;
        return false;
    }

    /// <summary>What it signs with and validates against, never key material.</summary>
    public override string ToString() =>
        $"certificate authenticator ({(_credential != null ? _credential.ToString() : "no credential")}, {(_validator != null ? $"{_requestCas.Count} CA(s)" : "no validation")})";
}
