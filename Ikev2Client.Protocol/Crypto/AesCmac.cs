using System.Security.Cryptography;

namespace Ikev2Client.Protocol.Crypto;

/// <summary>AES-CMAC with a 128-bit key and full 128-bit output (RFC 4493 §2).</summary>
internal static class AesCmac
{
    public static void Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> mac)
    {
        if (key.Length != AesBlock.Size)
            throw new ArgumentException("AES-CMAC needs a 128-bit key.", nameof(key));

        using Aes aes = AesBlock.CreateKeyed(key);

        // Subkeys: L = AES-128(K, 0^128); K1 = dbl(L); K2 = dbl(K1)  (RFC 4493 §2.3)
        Span<byte> k1 = stackalloc byte[AesBlock.Size];
        Span<byte> k2 = stackalloc byte[AesBlock.Size];
        k1.Clear();
        aes.EncryptEcb(k1, k1, PaddingMode.None);
        Double(k1);
        k1.CopyTo(k2);
        Double(k2);

        Span<byte> state = stackalloc byte[AesBlock.Size];
        state.Clear();
        int prefix = AesBlock.PrefixLength(data.Length);
        AesBlock.CbcMacChain(aes, data[..prefix], state);

        Span<byte> block = stackalloc byte[AesBlock.Size];
        bool complete = AesBlock.PadLastBlock(data[prefix..], block);
        AesBlock.Xor(block, complete ? k1 : k2);
        AesBlock.Xor(block, state);
        aes.EncryptEcb(block, mac[..AesBlock.Size], PaddingMode.None);
        CryptographicOperations.ZeroMemory(k1);
        CryptographicOperations.ZeroMemory(k2);
        CryptographicOperations.ZeroMemory(state);
        CryptographicOperations.ZeroMemory(block);
    }

    /// <summary>Left shift by one bit; XOR Rb = 0x87 into the last byte when the MSB was set.</summary>
    private static void Double(Span<byte> block)
    {
        int msb = block[0] >> 7;
        for (int i = 0; i < block.Length - 1; i++)
            block[i] = (byte)((block[i] << 1) | (block[i + 1] >> 7));
        block[^1] = (byte)((block[^1] << 1) ^ (0x87 & -msb));
    }
}
