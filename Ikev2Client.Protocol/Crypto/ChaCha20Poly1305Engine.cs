using System.Security.Cryptography;

namespace Ikev2Client.Protocol.Crypto;

/// <summary>
/// ENCR_CHACHA20_POLY1305 (RFC 7634, AEAD of RFC 8439). Key material is the 32-byte key followed by a
/// 4-byte salt; nonce = salt(4) | IV(8); 16-byte tag.
/// </summary>
internal sealed class ChaCha20Poly1305Engine : ISkEngine
{
    private readonly ChaCha20Poly1305 _aead;
    private readonly byte[] _salt;

    public ChaCha20Poly1305Engine(ReadOnlySpan<byte> keyMaterial)
    {
        _aead = new ChaCha20Poly1305(keyMaterial[..32]);
        _salt = keyMaterial[32..36].ToArray();
    }

    public void Encrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData)
    {
        Span<byte> nonce = stackalloc byte[12];
        AeadNonce.Build(_salt, iv, nonce);
        _aead.Encrypt(nonce, plaintext, ciphertext, tag, associatedData);
    }

    public bool Decrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        Span<byte> nonce = stackalloc byte[12];
        AeadNonce.Build(_salt, iv, nonce);
        try
        {
            _aead.Decrypt(nonce, ciphertext, tag, plaintext, associatedData);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        _aead.Dispose();
        CryptographicOperations.ZeroMemory(_salt);
    }
}
