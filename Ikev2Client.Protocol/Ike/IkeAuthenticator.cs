using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Ike;

/// <summary>
/// What an authenticator needs to sign or verify one side's AUTH payload (RFC 7296 §2.15).
/// <see cref="SignedOctets"/> is <c>RealMessage | Nonce | prf(SK_p, RestOfIDPayload)</c> of the side being
/// authenticated; <see cref="MessagePayloads"/> are the (decrypted) payloads of the IKE_AUTH message that
/// carries the AUTH (for CERT payloads when certificate authentication is added).
/// </summary>
public sealed class IkeAuthInput
{
    internal IkeAuthInput() { }

    /// <summary>The IKE SA's PRF (PSK and EAP AUTH values are computed with it).</summary>
    internal IIkePrf Prf { get; init; } = null!;

    /// <summary>What the AUTH payload signs or MACs: <c>RealMessage | Nonce | prf(SK_p, RestOfIDPayload)</c>.</summary>
    public ReadOnlyMemory<byte> SignedOctets { get; internal init; }

    /// <summary>The identity (IDi or IDr) of the side being authenticated.</summary>
    public IkeIdentity Identity { get; internal init; } = null!;

    /// <summary>True when the AUTH is the original initiator's.</summary>
    public bool IsInitiatorAuth { get; internal init; }

    /// <summary>The (decrypted) payloads of the IKE_AUTH message that carries the AUTH (CERT, CERTREQ, ...).</summary>
    public IReadOnlyList<Payload> MessagePayloads { get; internal init; } = Array.Empty<Payload>();

    /// <summary>The hash algorithms of the peer's SIGNATURE_HASH_ALGORITHMS notify (RFC 7427), or null when it sent none.</summary>
    public IReadOnlyList<ushort>? PeerHashAlgorithms { get; internal init; }

    /// <summary>After EAP (RFC 7296 §2.16): the key AUTH is computed from, the MSK or SK_pi/SK_pr when the method has none.</summary>
    internal ReadOnlyMemory<byte> EapKey { get; init; }
}

/// <summary>
/// A pluggable authentication method. The session asks the local authenticator to build our AUTH (and any
/// CERT payloads) and the peer authenticator to verify the peer's. PSK is <see cref="PskAuthenticator"/>;
/// certificate and EAP methods implement the same interface.
/// </summary>
public interface IIkeAuthenticator
{
    /// <summary>Extra payloads to put before AUTH in our IKE_AUTH message (CERT, CERTREQ); none for PSK.</summary>
    IReadOnlyList<Payload> GetCredentialPayloads(bool initiator) => Array.Empty<Payload>();

    /// <summary>CERT payloads chosen for the peer's CERTREQ payloads (certificate authenticators); defaults to the overload without.</summary>
    IReadOnlyList<Payload> GetCredentialPayloads(bool initiator, IReadOnlyList<CertReqPayload> peerCertificateRequests) => GetCredentialPayloads(initiator);

    /// <summary>Our CERTREQ (the CAs we trust for the peer's certificate), or null when we verify no certificate.</summary>
    CertReqPayload? CertificateRequest => null;

    /// <summary>The typed error of the last failed <see cref="Verify"/> (certificate problems), or null to report AuthenticationFailed.</summary>
    IkeError? LastVerificationError => null;

    /// <summary>Builds our AUTH payload.</summary>
    AuthPayload Sign(IkeAuthInput input);

    /// <summary>Verifies the peer's AUTH payload; on failure <paramref name="reason"/> says why without revealing secrets.</summary>
    bool Verify(IkeAuthInput input, AuthPayload auth, out string? reason);
}

/// <summary>
/// Pre-shared key authentication (RFC 7296 §2.15): AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), SignedOctets).
/// The secret never appears in ToString, logs or errors.
/// </summary>
public sealed class PskAuthenticator : IIkeAuthenticator, IDisposable
{
    private static readonly byte[] KeyPad = "Key Pad for IKEv2"u8.ToArray();
    private readonly byte[] _secret;

    /// <summary>A PSK authenticator with a binary secret (copied; cleared on dispose).</summary>
    public PskAuthenticator(ReadOnlySpan<byte> secret)
    {
        if (secret.IsEmpty) throw new ArgumentException("the pre-shared key is empty", nameof(secret));
        _secret = secret.ToArray();
    }

    /// <summary>A PSK authenticator with the UTF-8 bytes of <paramref name="secret"/>.</summary>
    public PskAuthenticator(string secret) : this(System.Text.Encoding.UTF8.GetBytes(secret)) { }

    /// <inheritdoc />
    public AuthPayload Sign(IkeAuthInput input) => new(IkeAuthMethod.SharedKeyMessageIntegrityCode, Compute(input));

    /// <inheritdoc />
    public bool Verify(IkeAuthInput input, AuthPayload auth, out string? reason)
    {
        if (auth.Method != IkeAuthMethod.SharedKeyMessageIntegrityCode)
        {
            reason = $"the peer authenticated with method {auth.Method}, a pre-shared key was expected";
            return false;
        }
        var expected = Compute(input);
        bool ok = System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(expected, auth.Data);
        reason = ok ? null : "the peer's AUTH does not match our pre-shared key (the keys differ)";
        return ok;
    }

    private byte[] Compute(IkeAuthInput input)
    {
        var padKey = KeyDerivation.Prf(input.Prf, _secret, KeyPad);
        try { return KeyDerivation.Prf(input.Prf, padKey, input.SignedOctets.Span); }
        finally { System.Security.Cryptography.CryptographicOperations.ZeroMemory(padKey); }
    }

    /// <summary>Clears the secret.</summary>
    public void Dispose() => System.Security.Cryptography.CryptographicOperations.ZeroMemory(_secret);

    /// <summary>A placeholder: the secret is never printed.</summary>
    public override string ToString() => "PSK <secret>";
}
