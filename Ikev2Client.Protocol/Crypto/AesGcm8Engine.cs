using System.Security.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;

namespace Ikev2Client.Protocol.Crypto;

/// <summary>
/// ENCR_AES_GCM_8 (RFC 4106 with a 64-bit ICV). .NET's AesGcm only accepts 12–16 byte tags, so this rarely
/// used variant runs on BouncyCastle's GCM. Key material is key | salt(4); nonce = salt | IV.
/// </summary>
internal sealed class AesGcm8Engine : ISkEngine
{
    private const int TagBits = 64;
    private readonly KeyParameter _key;
    private readonly byte[] _salt;

    public AesGcm8Engine(ReadOnlySpan<byte> keyMaterial)
    {
        _key = new KeyParameter(keyMaterial[..^4].ToArray());
        _salt = keyMaterial[^4..].ToArray();
    }

    public void Encrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData)
    {
        GcmBlockCipher gcm = Init(forEncryption: true, iv, associatedData);
        var output = new byte[plaintext.Length + TagBits / 8];
        int n = gcm.ProcessBytes(plaintext.ToArray(), 0, plaintext.Length, output, 0);
        gcm.DoFinal(output, n);
        output.AsSpan(0, plaintext.Length).CopyTo(ciphertext);
        output.AsSpan(plaintext.Length).CopyTo(tag);
        CryptographicOperations.ZeroMemory(output);
    }

    public bool Decrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        GcmBlockCipher gcm = Init(forEncryption: false, iv, associatedData);
        byte[] input = [.. ciphertext, .. tag];
        var output = new byte[ciphertext.Length];
        try
        {
            int n = gcm.ProcessBytes(input, 0, input.Length, output, 0);
            gcm.DoFinal(output, n);
            output.CopyTo(plaintext);
            return true;
        }
        catch (InvalidCipherTextException)
        {
            return false;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(output);
        }
    }

    private GcmBlockCipher Init(bool forEncryption, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> associatedData)
    {
        var nonce = new byte[12];
        AeadNonce.Build(_salt, iv, nonce);
        var gcm = new GcmBlockCipher(new AesEngine());
        gcm.Init(forEncryption, new AeadParameters(_key, TagBits, nonce, associatedData.ToArray()));
        return gcm;
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_salt);
}
