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
    public required IIkePrf Prf { get; init; }
    public required ReadOnlyMemory<byte> SignedOctets { get; init; }
    public required IkeIdentity Identity { get; init; }
    /// <summary>True when the AUTH is the original initiator's.</summary>
    public required bool IsInitiatorAuth { get; init; }
    public IReadOnlyList<Payload> MessagePayloads { get; init; } = Array.Empty<Payload>();
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

    public PskAuthenticator(ReadOnlySpan<byte> secret)
    {
        if (secret.IsEmpty) throw new ArgumentException("the pre-shared key is empty", nameof(secret));
        _secret = secret.ToArray();
    }

    public PskAuthenticator(string secret) : this(System.Text.Encoding.UTF8.GetBytes(secret)) { }

    public AuthPayload Sign(IkeAuthInput input) => new(AuthMethod.SharedKeyMessageIntegrityCode, Compute(input));

    public bool Verify(IkeAuthInput input, AuthPayload auth, out string? reason)
    {
        if (auth.Method != AuthMethod.SharedKeyMessageIntegrityCode)
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

    public void Dispose() => System.Security.Cryptography.CryptographicOperations.ZeroMemory(_secret);

    public override string ToString() => "PSK <secret>";
}
