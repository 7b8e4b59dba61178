using System.Security.Cryptography;

namespace Ikev2Client.Protocol.Crypto;

/// <summary>AES-XCBC-MAC with a 128-bit key and full 128-bit output (RFC 3566 §4).</summary>
internal static class AesXcbcMac
{
    public static void Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> mac)
    {
        if (key.Length != AesBlock.Size)
            throw new ArgumentException("AES-XCBC-MAC needs a 128-bit key.", nameof(key));

        // K1 = E(K, 0x01..), K2 = E(K, 0x02..), K3 = E(K, 0x03..)
        Span<byte> derived = stackalloc byte[3 * AesBlock.Size];
        derived[..16].Fill(0x01);
        derived[16..32].Fill(0x02);
        derived[32..].Fill(0x03);
        using (Aes aes = AesBlock.CreateKeyed(key))
            aes.EncryptEcb(derived, derived, PaddingMode.None);

        using Aes aes1 = AesBlock.CreateKeyed(derived[..16]);
        Span<byte> state = stackalloc byte[AesBlock.Size];
        state.Clear();
        int prefix = AesBlock.PrefixLength(data.Length);
        AesBlock.CbcMacChain(aes1, data[..prefix], state);

        Span<byte> block = stackalloc byte[AesBlock.Size];
        bool complete = AesBlock.PadLastBlock(data[prefix..], block);
        AesBlock.Xor(block, complete ? derived[16..32] : derived[32..]);
        AesBlock.Xor(block, state);
        aes1.EncryptEcb(block, mac[..AesBlock.Size], PaddingMode.None);
        CryptographicOperations.ZeroMemory(derived);
        CryptographicOperations.ZeroMemory(state);
        CryptographicOperations.ZeroMemory(block);
    }
}
