using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Ikev2Client.Protocol.Crypto;

/// <summary>
/// ENCR_AES_CTR (RFC 3686, RFC 5930 for IKEv2). Key material is the AES key followed by a 4-byte nonce;
/// counter block = nonce(4) | IV(8) | block counter(4, big-endian, starting at 1).
/// </summary>
internal sealed class AesCtrEngine : ISkEngine
{
    private const int ChunkBlocks = 32;
    private readonly Aes _aes;
    private readonly byte[] _nonce;

    public AesCtrEngine(ReadOnlySpan<byte> keyMaterial)
    {
        _aes = AesBlock.CreateKeyed(keyMaterial[..^4]);
        _nonce = keyMaterial[^4..].ToArray();
    }

    public void Encrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData) =>
        Transform(iv, plaintext, ciphertext);

    public bool Decrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        Transform(iv, ciphertext, plaintext);
        return true;
    }

    private void Transform(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output)
    {
        Span<byte> keystream = stackalloc byte[ChunkBlocks * AesBlock.Size];
        uint counter = 1;
        for (int offset = 0; offset < input.Length; offset += keystream.Length)
        {
            int take = Math.Min(keystream.Length, input.Length - offset);
            int blocks = (take + AesBlock.Size - 1) / AesBlock.Size;
            Span<byte> ks = keystream[..(blocks * AesBlock.Size)];
            for (int b = 0; b < blocks; b++)
            {
                Span<byte> block = ks.Slice(b * AesBlock.Size, AesBlock.Size);
                _nonce.CopyTo(block);
                iv[..8].CopyTo(block[4..]);
                BinaryPrimitives.WriteUInt32BigEndian(block[12..], counter++);
            }
            _aes.EncryptEcb(ks, ks, PaddingMode.None);
            ReadOnlySpan<byte> src = input.Slice(offset, take);
            Span<byte> dst = output.Slice(offset, take);
            for (int i = 0; i < take; i++)
                dst[i] = (byte)(src[i] ^ ks[i]);
        }
        CryptographicOperations.ZeroMemory(keystream);
    }

    public void Dispose()
    {
        _aes.Dispose();
        CryptographicOperations.ZeroMemory(_nonce);
    }
}
