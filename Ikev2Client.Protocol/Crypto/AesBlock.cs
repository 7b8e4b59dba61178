using System.Security.Cryptography;

namespace Ikev2Client.Protocol.Crypto;

/// <summary>Small AES block helpers shared by the XCBC and CMAC MACs and the CTR mode.</summary>
internal static class AesBlock
{
    public const int Size = 16;

    public static Aes CreateKeyed(ReadOnlySpan<byte> key)
    {
        var aes = Aes.Create();
        aes.SetKey(key);
        return aes;
    }

    /// <summary>
    /// Runs CBC-MAC over <paramref name="data"/> (a multiple of 16 bytes) with chaining value
    /// <paramref name="state"/>, leaving the last cipher block in <paramref name="state"/>.
    /// </summary>
    public static void CbcMacChain(Aes aes, ReadOnlySpan<byte> data, Span<byte> state)
    {
        Span<byte> scratch = stackalloc byte[512];
        while (!data.IsEmpty)
        {
            int take = Math.Min(scratch.Length, data.Length);
            Span<byte> output = scratch[..take];
            aes.EncryptCbc(data[..take], state, output, PaddingMode.None);
            output[^Size..].CopyTo(state);
            data = data[take..];
        }
        CryptographicOperations.ZeroMemory(scratch);
    }

    public static void Xor(Span<byte> target, ReadOnlySpan<byte> other)
    {
        for (int i = 0; i < target.Length; i++)
            target[i] ^= other[i];
    }

    /// <summary>
    /// Copies the final (possibly partial, possibly empty) block into <paramref name="block"/>:
    /// returns true when it was complete, else pads it with 0x80 00.. (RFC 3566 §4, RFC 4493 §2.4).
    /// </summary>
    public static bool PadLastBlock(ReadOnlySpan<byte> last, Span<byte> block)
    {
        block.Clear();
        last.CopyTo(block);
        if (last.Length == Size)
            return true;
        block[last.Length] = 0x80;
        return false;
    }

    /// <summary>Length of all blocks before the final one (the final one may be complete).</summary>
    public static int PrefixLength(int dataLength) => dataLength == 0 ? 0 : (dataLength - 1) / Size * Size;
}
