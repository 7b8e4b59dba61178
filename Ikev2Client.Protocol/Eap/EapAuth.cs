using System.Security.Cryptography;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Eap;

/// <summary>
/// The AUTH payloads that close an EAP exchange (RFC 7296 §2.16): each side sends
/// AUTH = prf(prf(Shared Key, "Key Pad for IKEv2"), SignedOctets) with method 2, where the shared key is the
/// EAP MSK, or — for methods without an MSK such as EAP-MD5 — SK_pi for the initiator's AUTH and SK_pr for
/// the responder's.
/// </summary>
internal static class EapAuth
{
    private static readonly byte[] KeyPad = "Key Pad for IKEv2"u8.ToArray();

    /// <summary>The AUTH data; <paramref name="msk"/> empty means "use <paramref name="skP"/>".</summary>
    public static byte[] Compute(IIkePrf prf, ReadOnlySpan<byte> msk, ReadOnlySpan<byte> skP, ReadOnlySpan<byte> signedOctets)
    {
        ArgumentNullException.ThrowIfNull(prf);
        var key = msk.IsEmpty ? skP : msk;
        var padKey = KeyDerivation.Prf(prf, key, KeyPad);
        try { return KeyDerivation.Prf(prf, padKey, signedOctets); }
        finally { CryptographicOperations.ZeroMemory(padKey); }
    }

    public static AuthPayload Create(IIkePrf prf, ReadOnlySpan<byte> msk, ReadOnlySpan<byte> skP, ReadOnlySpan<byte> signedOctets) =>
        new(IkeAuthMethod.SharedKeyMessageIntegrityCode, Compute(prf, msk, skP, signedOctets));

    /// <summary>Constant-time check of the peer's AUTH after EAP.</summary>
    public static bool Verify(IIkePrf prf, ReadOnlySpan<byte> msk, ReadOnlySpan<byte> skP, ReadOnlySpan<byte> signedOctets, AuthPayload auth) =>
        auth.Method == IkeAuthMethod.SharedKeyMessageIntegrityCode &&
        CryptographicOperations.FixedTimeEquals(Compute(prf, msk, skP, signedOctets), auth.Data);
}
