using System.Security.Cryptography;

namespace Ikev2Client.Protocol.Crypto;

/// <summary>
/// ENCR_AES_GCM_8/12/16 (RFC 4106, RFC 5282 for IKEv2). Key material is the AES key followed by a
/// 4-byte salt; nonce = salt(4) | IV(8).
/// </summary>
internal sealed class AesGcmEngine : ISkEngine
{
    private readonly AesGcm _gcm;
    private readonly byte[] _salt;

    public AesGcmEngine(ReadOnlySpan<byte> keyMaterial, int tagLength)
    {
        _gcm = new AesGcm(keyMaterial[..^4], tagLength);
        _salt = keyMaterial[^4..].ToArray();
    }

    public void Encrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData)
    {
        Span<byte> nonce = stackalloc byte[12];
        AeadNonce.Build(_salt, iv, nonce);
        _gcm.Encrypt(nonce, plaintext, ciphertext, tag, associatedData);
    }

    public bool Decrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        Span<byte> nonce = stackalloc byte[12];
        AeadNonce.Build(_salt, iv, nonce);
        try
        {
            _gcm.Decrypt(nonce, ciphertext, tag, plaintext, associatedData);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        _gcm.Dispose();
        CryptographicOperations.ZeroMemory(_salt);
    }
}
