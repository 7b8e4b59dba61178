using System.Security.Cryptography;

namespace Ikev2Client.Protocol.Crypto;

/// <summary>Shared validation for X25519/X448: exact length, and the all-zero result of RFC 8031 §2 is rejected.</summary>
internal static class MontgomeryAgreement
{
    public static bool TryDerive(ReadOnlySpan<byte> peerPublicValue, int length, string name, Action<byte[], byte[]> agree,
        out byte[] sharedSecret, out string? error)
    {
        sharedSecret = [];
        if (peerPublicValue.Length != length)
        {
            error = $"{name} public value must be {length} bytes, got {peerPublicValue.Length}.";
            return false;
        }
        var output = new byte[length];
        try
        {
            agree(peerPublicValue.ToArray(), output);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or IndexOutOfRangeException)
        {
            // BouncyCastle reports an all-zero agreement (low-order peer point) as a failure.
            error = $"{name} shared secret is all zeros (invalid peer public value).";
            return false;
        }
        bool allZero = true;
        foreach (byte b in output)
            allZero &= b == 0;
        if (allZero)
        {
            error = $"{name} shared secret is all zeros (invalid peer public value).";
            return false;
        }
        sharedSecret = output;
        error = null;
        return true;
    }
}
