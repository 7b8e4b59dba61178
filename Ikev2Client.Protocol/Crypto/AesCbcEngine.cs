using System.Security.Cryptography;

namespace Ikev2Client.Protocol.Crypto;

/// <summary>ENCR_AES_CBC (RFC 3602): 16-byte random IV, input already padded to the block size.</summary>
internal sealed class AesCbcEngine : ISkEngine
{
    private readonly Aes _aes;

    public AesCbcEngine(ReadOnlySpan<byte> key) => _aes = AesBlock.CreateKeyed(key);

    public void Encrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData) =>
        _aes.EncryptCbc(plaintext, iv, ciphertext, PaddingMode.None);

    public bool Decrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        _aes.DecryptCbc(ciphertext, iv, plaintext, PaddingMode.None);
        return true;
    }

    public void Dispose() => _aes.Dispose();
}
