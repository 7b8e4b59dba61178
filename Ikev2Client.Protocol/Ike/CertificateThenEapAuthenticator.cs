using System.Text;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Ike;

/// <summary>
/// Two authentication rounds (RFC 4739): first our certificate (IDi, CERT, AUTH with N(ANOTHER_AUTH_FOLLOWS)),
/// then, after the gateway's certificate AUTH has verified, EAP in a second IKE_AUTH round that starts with
/// IDi = <see cref="SecondRoundIdentity"/> and ends with AUTH from the MSK (strongSwan's <c>ikev2-cert-eap</c>).
/// As the session's authenticator it signs and verifies like <see cref="Certificate"/>; the session sends
/// MULTIPLE_AUTH_SUPPORTED in IKE_SA_INIT and requires the gateway's.
/// </summary>
public sealed class CertificateThenEapAuthenticator : IIkeAuthenticator
{
    /// <param name="certificate">The first round: our certificate (and, usually, the gateway's verification).</param>
    /// <param name="eap">The second round (EAP-MSCHAPv2, EAP-MD5, ...). EAP-only does not apply.</param>
    /// <param name="secondRoundIdentity">IDi of the second round; null: the EAP identity.</param>
    public CertificateThenEapAuthenticator(CertificateAuthenticator certificate, EapAuthenticator eap, IkeIdentity? secondRoundIdentity = null)
    {
        Certificate = certificate ?? throw new ArgumentNullException(nameof(certificate));
        Eap = eap ?? throw new ArgumentNullException(nameof(eap));
        SecondRoundIdentity = secondRoundIdentity ?? IdentityOf(eap.Options.Identity);
    }

    /// <summary>The first round's authenticator.</summary>
    public CertificateAuthenticator Certificate { get; }
    /// <summary>The second round's authenticator.</summary>
    public EapAuthenticator Eap { get; }

    /// <summary>The IDi sent in the second IKE_AUTH round.</summary>
    public IkeIdentity SecondRoundIdentity { get; }

    /// <summary>An EAP identity as an IKE identity: as strongSwan parses it (address, FQDN, e-mail), else ID_KEY_ID of its UTF-8 bytes.</summary>
    public static IkeIdentity IdentityOf(string eapIdentity)
    {
        try { return IkeIdentity.Parse(eapIdentity); }
        catch (Exception e) when (e is ArgumentException or FormatException or System.Security.Cryptography.CryptographicException)
        {
            return IkeIdentity.KeyId(Encoding.UTF8.GetBytes(eapIdentity));
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<Payload> GetCredentialPayloads(bool initiator) => Certificate.GetCredentialPayloads(initiator);

    /// <inheritdoc />
    public IReadOnlyList<Payload> GetCredentialPayloads(bool initiator, IReadOnlyList<CertReqPayload> peerCertificateRequests) =>
        Certificate.GetCredentialPayloads(initiator, peerCertificateRequests);

    /// <inheritdoc />
    public CertReqPayload? CertificateRequest => Certificate.CertificateRequest;

    /// <inheritdoc />
    public IkeError? LastVerificationError => Certificate.LastVerificationError;

    /// <summary>Our first-round AUTH (signature).</summary>
    public AuthPayload Sign(IkeAuthInput input) => Certificate.Sign(input);

    /// <summary>The gateway's first-round AUTH (its certificate).</summary>
    public bool Verify(IkeAuthInput input, AuthPayload auth, out string? reason) => Certificate.Verify(input, auth, out reason);

    /// <summary>The rounds, never credentials.</summary>
    public override string ToString() => $"certificate then EAP ({Eap.Options})";
}

/// <summary>
/// Responder side of <see cref="CertificateThenEapAuthenticator"/> (the session's peer authenticator): the
/// initiator's first round is verified by <see cref="FirstRound"/> (its certificate) and must carry
/// N(ANOTHER_AUTH_FOLLOWS); the second round runs an EAP server (<see cref="SecondRound"/>) and ends with the
/// MSK-based AUTH both ways. SA, TS and CP of the first request are answered in the last response.
/// </summary>
public sealed class CertificateThenEapServerAuthenticator : IIkeAuthenticator
{
    /// <summary>The responder side of two authentication rounds.</summary>
    public CertificateThenEapServerAuthenticator(IIkeAuthenticator firstRound, EapServerAuthenticator secondRound)
    {
        FirstRound = firstRound ?? throw new ArgumentNullException(nameof(firstRound));
        SecondRound = secondRound ?? throw new ArgumentNullException(nameof(secondRound));
    }

    /// <summary>Verifies the initiator's first round (its certificate).</summary>
    public IIkeAuthenticator FirstRound { get; }
    /// <summary>Runs the second round's EAP server.</summary>
    public EapServerAuthenticator SecondRound { get; }

    /// <inheritdoc />
    public CertReqPayload? CertificateRequest => FirstRound.CertificateRequest;

    /// <inheritdoc />
    public IkeError? LastVerificationError => FirstRound.LastVerificationError;

    /// <summary>Our AUTH after the second round's EAP (MSK or SK_pr).</summary>
    public AuthPayload Sign(IkeAuthInput input) => SecondRound.Sign(input);

    /// <summary>The initiator's first-round AUTH (its certificate).</summary>
    public bool Verify(IkeAuthInput input, AuthPayload auth, out string? reason) => FirstRound.Verify(input, auth, out reason);

    /// <summary>The rounds, never credentials.</summary>
    public override string ToString() => $"certificate then EAP server authenticator ({SecondRound.Options.Method})";
}
