using System.Security.Cryptography;
using Ikev2Client.Protocol.Crypto;

namespace Ikev2Client.Protocol.Ike;

/// <summary>
/// The SPIs, algorithms and keys of one IKE SA generation: the current one, a rekeyed successor (RFC 7296 §2.18)
/// or a retired predecessor kept only to finish its DELETE. Never prints key material.
/// </summary>
internal sealed record IkeSaKeyState(
    ulong SpiI, ulong SpiR, bool OriginalInitiator, NegotiatedAlgorithms Algorithms,
    byte[] SkD, byte[] SkPi, byte[] SkPr, SkCipher Outbound, SkCipher Inbound, byte[] NonceI, byte[] NonceR) : IDisposable
{
    /// <summary>
    /// The keys of a rekeyed IKE SA: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), then the seven keys from prf+ with the
    /// new SPIs (RFC 7296 §2.18). <paramref name="weInitiated"/>: we sent the CREATE_CHILD_SA and so become its original initiator.
    /// </summary>
    public static IkeSaKeyState DeriveRekeyed(IIkePrf oldPrf, byte[] oldSkD, NegotiatedAlgorithms algorithms, byte[] shared,
        byte[] nonceI, byte[] nonceR, ulong spiI, ulong spiR, bool weInitiated)
    {
        var skeyseed = KeyDerivation.ComputeRekeySkeyseed(oldPrf, oldSkD, shared, nonceI, nonceR);
        var keys = KeyDerivation.DeriveIkeSaKeys(algorithms.PrfFunction!, algorithms.Cipher, algorithms.Mac, skeyseed, nonceI, nonceR, spiI, spiR);
        CryptographicOperations.ZeroMemory(skeyseed);
        CryptographicOperations.ZeroMemory(shared);
        var i = SkCipher.Create(algorithms.Cipher, algorithms.Mac, keys.SkEi, keys.SkAi);
        var r = SkCipher.Create(algorithms.Cipher, algorithms.Mac, keys.SkEr, keys.SkAr);
        foreach (var k in new[] { keys.SkEi, keys.SkEr, keys.SkAi, keys.SkAr }) CryptographicOperations.ZeroMemory(k);
        return new IkeSaKeyState(spiI, spiR, weInitiated, algorithms, keys.SkD, keys.SkPi, keys.SkPr,
            weInitiated ? i : r, weInitiated ? r : i, nonceI, nonceR);
    }

    /// <summary>The lowest of this exchange's two nonces (for the collision rule of RFC 7296 §2.8.2).</summary>
    public byte[] LowestNonce => NonceOrder.Lowest(NonceI, NonceR);

    public void Dispose()
    {
        Outbound.Dispose();
        Inbound.Dispose();
        CryptographicOperations.ZeroMemory(SkD);
        CryptographicOperations.ZeroMemory(SkPi);
        CryptographicOperations.ZeroMemory(SkPr);
    }

    public override string ToString() => $"IKE SA {SpiI:x16}_i {SpiR:x16}_r {Algorithms} <keys>";
}

/// <summary>Nonce comparison for simultaneous rekeys: "lowest" is the lexicographic order of the octets (RFC 7296 §2.8.1).</summary>
internal static class NonceOrder
{
    public static int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => a.SequenceCompareTo(b);

    public static byte[] Lowest(byte[] a, byte[] b) => Compare(a, b) <= 0 ? a : b;
}
