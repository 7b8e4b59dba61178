using System.Security.Cryptography;

namespace Ikev2Client.Platform;

/// <summary>
/// An ESP algorithm with its key (Android <c>android.net.IpSecAlgorithm</c>, same name constants). AEAD keys
/// include the 4-byte salt at the end, as IKE derives them. Key bytes never appear in <see cref="ToString"/>.
/// </summary>
public sealed class IpSecAlgorithm
{
    /// <summary>AES-CBC; key 128 or 256 bits.</summary>
    public const string CryptAesCbc = "cbc(aes)";
    /// <summary>HMAC-SHA2-256, truncated to 128 bits (RFC 4868); key 256 bits.</summary>
    public const string AuthHmacSha256 = "hmac(sha256)";
    /// <summary>HMAC-SHA2-384, truncated to 192 bits; key 384 bits.</summary>
    public const string AuthHmacSha384 = "hmac(sha384)";
    /// <summary>HMAC-SHA2-512, truncated to 256 bits; key 512 bits.</summary>
    public const string AuthHmacSha512 = "hmac(sha512)";
    /// <summary>AES-GCM for ESP (RFC 4106), ICV 128 bits; key+salt 160 or 288 bits.</summary>
    public const string AuthCryptAesGcm = "rfc4106(gcm(aes))";
    /// <summary>ChaCha20-Poly1305 for ESP (RFC 7634), ICV 128 bits; key+salt 288 bits.</summary>
    public const string AuthCryptChaCha20Poly1305 = "rfc7539esp(chacha20,poly1305)";

    private readonly byte[] _key;

    /// <summary>An encryption algorithm (no truncation length).</summary>
    public IpSecAlgorithm(string name, ReadOnlySpan<byte> key) : this(name, key, 0)
    {
    }

    /// <summary>An authentication or AEAD algorithm with its ICV length in bits.</summary>
    /// <exception cref="ArgumentException">Unknown name, wrong key length, or unsupported truncation.</exception>
    public IpSecAlgorithm(string name, ReadOnlySpan<byte> key, int truncLenBits)
    {
        ArgumentNullException.ThrowIfNull(name);
        int keyBits = key.Length * 8;
        (bool keyOk, bool truncOk) = name switch
        {
            CryptAesCbc => (keyBits is 128 or 256, truncLenBits == 0),
            AuthHmacSha256 => (keyBits == 256, truncLenBits == 128),
            AuthHmacSha384 => (keyBits == 384, truncLenBits == 192),
            AuthHmacSha512 => (keyBits == 512, truncLenBits == 256),
            AuthCryptAesGcm => (keyBits is 160 or 288, truncLenBits == 128),
            AuthCryptChaCha20Poly1305 => (keyBits == 288, truncLenBits == 128),
            _ => throw new ArgumentException($"unsupported IPsec algorithm '{name}'", nameof(name)),
        };
        if (!keyOk)
        {
            throw new ArgumentException($"invalid key length {keyBits} bits for {name}", nameof(key));
        }

        if (!truncOk)
        {
            throw new ArgumentException($"unsupported truncation length {truncLenBits} bits for {name}", nameof(truncLenBits));
        }

        Name = name;
        TruncationLengthBits = truncLenBits;
        _key = key.ToArray();
    }

    /// <summary>The Android/Linux algorithm name.</summary>
    public string Name { get; }

    /// <summary>ICV length in bits (0 for plain encryption).</summary>
    public int TruncationLengthBits { get; }

    /// <summary>Key length in bits (including the salt for AEAD).</summary>
    public int KeyLengthBits => _key.Length * 8;

    /// <summary>True for the combined-mode (AEAD) algorithms.</summary>
    public bool IsAead => Name is AuthCryptAesGcm or AuthCryptChaCha20Poly1305;

    /// <summary>True for the authentication-only algorithms.</summary>
    public bool IsAuthentication => Name is AuthHmacSha256 or AuthHmacSha384 or AuthHmacSha512;

    /// <summary>True for the encryption-only algorithms.</summary>
    public bool IsEncryption => Name is CryptAesCbc;

    internal ReadOnlySpan<byte> Key => _key;

    internal void Wipe() => CryptographicOperations.ZeroMemory(_key);

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({KeyLengthBits}-bit key, {TruncationLengthBits}-bit ICV)";
}
