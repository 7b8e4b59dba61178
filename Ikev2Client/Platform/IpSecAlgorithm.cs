using System.Collections.Frozen;
using System.Security.Cryptography;
using Ikev2Client.Protocol.Crypto;

namespace Ikev2Client.Platform;

/// <summary>
/// An ESP algorithm with its key (Android <c>android.net.IpSecAlgorithm</c>: same name constants, same key and
/// truncation length rules). AEAD and AES-CTR keys include the 4-byte salt/nonce at the end, as IKE derives them.
/// <see cref="GetSupportedAlgorithms"/> is the single list of what the managed ESP data plane runs. Key bytes never
/// appear in <see cref="ToString"/>.
/// </summary>
public sealed class IpSecAlgorithm
{
    /// <summary>AES-CBC (RFC 3602); key 128, 192 or 256 bits.</summary>
    public const string CryptAesCbc = "cbc(aes)";
    /// <summary>AES-CTR (RFC 3686); key material 160, 224 or 288 bits (key plus 32-bit nonce).</summary>
    public const string CryptAesCtr = "rfc3686(ctr(aes))";
    /// <summary>HMAC-MD5 (RFC 2403); key 128 bits, ICV 96–128 bits. Only for old profiles: never offered by default.</summary>
    public const string AuthHmacMd5 = "hmac(md5)";
    /// <summary>HMAC-SHA1 (RFC 2404); key 160 bits, ICV 96–160 bits.</summary>
    public const string AuthHmacSha1 = "hmac(sha1)";
    /// <summary>HMAC-SHA2-256 (RFC 4868); key 256 bits, ICV 96–256 bits (IKE negotiates 128).</summary>
    public const string AuthHmacSha256 = "hmac(sha256)";
    /// <summary>HMAC-SHA2-384; key 384 bits, ICV 192–384 bits (IKE negotiates 192).</summary>
    public const string AuthHmacSha384 = "hmac(sha384)";
    /// <summary>HMAC-SHA2-512; key 512 bits, ICV 256–512 bits (IKE negotiates 256).</summary>
    public const string AuthHmacSha512 = "hmac(sha512)";
    /// <summary>AES-XCBC-MAC-96 (RFC 3566); key 128 bits, ICV 96 bits.</summary>
    public const string AuthAesXcbc = "xcbc(aes)";
    /// <summary>AES-CMAC-96 (RFC 4494); key 128 bits, ICV 96 bits.</summary>
    public const string AuthAesCmac = "cmac(aes)";
    /// <summary>AES-GCM for ESP (RFC 4106); key material 160, 224 or 288 bits (key plus salt), ICV 64, 96 or 128 bits.</summary>
    public const string AuthCryptAesGcm = "rfc4106(gcm(aes))";
    /// <summary>ChaCha20-Poly1305 for ESP (RFC 7634); key material 288 bits, ICV 128 bits.</summary>
    public const string AuthCryptChaCha20Poly1305 = "rfc7539esp(chacha20,poly1305)";

    private enum Kind { Encryption, Authentication, Aead }

    /// <summary>Android's <c>IpSecAlgorithm.isValidLen</c> rules per name; truncation in bits (ignored for plain encryption).</summary>
    private sealed record Rule(Kind Kind, int[] KeyBits, int MinTruncation, int MaxTruncation, int[]? Truncations = null)
    {
        public bool TruncationOk(int bits) => Kind == Kind.Encryption
            || (Truncations?.Contains(bits) ?? (bits >= MinTruncation && bits <= MaxTruncation && bits % 8 == 0));
    }

    private static readonly FrozenDictionary<string, Rule> Rules = new Dictionary<string, Rule>
    {
        [CryptAesCbc] = new(Kind.Encryption, [128, 192, 256], 0, 0),
        [CryptAesCtr] = new(Kind.Encryption, [160, 224, 288], 0, 0),
        [AuthHmacMd5] = new(Kind.Authentication, [128], 96, 128),
        [AuthHmacSha1] = new(Kind.Authentication, [160], 96, 160),
        [AuthHmacSha256] = new(Kind.Authentication, [256], 96, 256),
        [AuthHmacSha384] = new(Kind.Authentication, [384], 192, 384),
        [AuthHmacSha512] = new(Kind.Authentication, [512], 256, 512),
        [AuthAesXcbc] = new(Kind.Authentication, [128], 96, 96),
        [AuthAesCmac] = new(Kind.Authentication, [128], 96, 96),
        [AuthCryptAesGcm] = new(Kind.Aead, [160, 224, 288], 0, 0, [64, 96, 128]),
        [AuthCryptChaCha20Poly1305] = new(Kind.Aead, [288], 128, 128),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly IReadOnlySet<string> Supported = Rules.Keys.ToFrozenSet(StringComparer.Ordinal);

    private readonly byte[] _key;

    /// <summary>An encryption algorithm (no truncation length).</summary>
    public IpSecAlgorithm(string name, ReadOnlySpan<byte> key) : this(name, key, 0)
    {
    }

    /// <summary>An algorithm with its ICV length in bits (ignored for the encryption algorithms, as on Android).</summary>
    /// <exception cref="ArgumentException">Unknown name, wrong key length, or unsupported truncation.</exception>
    public IpSecAlgorithm(string name, ReadOnlySpan<byte> key, int truncLenBits)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!Rules.TryGetValue(name, out var rule))
        {
            throw new ArgumentException($"unsupported IPsec algorithm '{name}'", nameof(name));
        }

        int keyBits = key.Length * 8;
        if (!rule.KeyBits.Contains(keyBits))
        {
            throw new ArgumentException($"invalid key length {keyBits} bits for {name} (valid: {string.Join(", ", rule.KeyBits)})", nameof(key));
        }

        if (!rule.TruncationOk(truncLenBits))
        {
            throw new ArgumentException($"unsupported truncation length {truncLenBits} bits for {name}", nameof(truncLenBits));
        }

        Name = name;
        TruncationLengthBits = rule.Kind == Kind.Encryption ? 0 : truncLenBits;
        _kind = rule.Kind;
        _key = key.ToArray();
    }

    private readonly Kind _kind;

    /// <summary>
    /// The algorithm names the managed ESP data plane runs (Android <c>IpSecAlgorithm.getSupportedAlgorithms()</c>):
    /// AES-CBC, AES-CTR, HMAC-MD5/SHA1/SHA2-256/384/512, AES-XCBC, AES-CMAC, AES-GCM and ChaCha20-Poly1305.
    /// </summary>
    public static IReadOnlySet<string> GetSupportedAlgorithms() => Supported;

    /// <summary>The Android/Linux algorithm name.</summary>
    public string Name { get; }

    /// <summary>ICV length in bits (0 for plain encryption).</summary>
    public int TruncationLengthBits { get; }

    /// <summary>Key length in bits (including the salt/nonce for AEAD and AES-CTR).</summary>
    public int KeyLengthBits => _key.Length * 8;

    /// <summary>True for the combined-mode (AEAD) algorithms.</summary>
    public bool IsAead => _kind == Kind.Aead;

    /// <summary>True for the authentication-only algorithms.</summary>
    public bool IsAuthentication => _kind == Kind.Authentication;

    /// <summary>True for the encryption-only algorithms.</summary>
    public bool IsEncryption => _kind == Kind.Encryption;

    internal ReadOnlySpan<byte> Key => _key;

    internal void Wipe() => CryptographicOperations.ZeroMemory(_key);

    /// <summary>
    /// The IpSecAlgorithm that runs an IKE-negotiated ESP encryption transform (RFC 7296 §3.3.2) and its ICV length in
    /// bits (0 for plain encryption); false when the data plane has none (AES-CCM, NULL, 3DES, Camellia, ...).
    /// </summary>
    public static bool TryMapEncryption(EncrId id, int keyBits, out string name, out int truncLenBits)
    {
        bool aes = keyBits is 128 or 192 or 256;
        (name, truncLenBits) = id switch
        {
            EncrId.AesCbc when aes => (CryptAesCbc, 0),
            EncrId.AesCtr when aes => (CryptAesCtr, 0),
            EncrId.AesGcm8 when aes => (AuthCryptAesGcm, 64),
            EncrId.AesGcm12 when aes => (AuthCryptAesGcm, 96),
            EncrId.AesGcm16 when aes => (AuthCryptAesGcm, 128),
            EncrId.ChaCha20Poly1305 when keyBits is 0 or 256 => (AuthCryptChaCha20Poly1305, 128),
            _ => ("", 0),
        };
        return name.Length > 0 && Supported.Contains(name);
    }

    /// <summary>The IpSecAlgorithm that runs an IKE-negotiated ESP integrity transform and its ICV length in bits; false when there is none.</summary>
    public static bool TryMapIntegrity(IntegId id, out string name, out int truncLenBits)
    {
        (name, truncLenBits) = id switch
        {
            IntegId.HmacMd5_96 => (AuthHmacMd5, 96),
            IntegId.HmacSha1_96 => (AuthHmacSha1, 96),
            IntegId.HmacSha2_256_128 => (AuthHmacSha256, 128),
            IntegId.HmacSha2_384_192 => (AuthHmacSha384, 192),
            IntegId.HmacSha2_512_256 => (AuthHmacSha512, 256),
            IntegId.AesXcbc96 => (AuthAesXcbc, 96),
            IntegId.AesCmac96 => (AuthAesCmac, 96),
            _ => ("", 0),
        };
        return name.Length > 0 && Supported.Contains(name);
    }

    /// <summary>The integrity transform behind an authentication algorithm name (for building the ESP SA).</summary>
    internal static IntegId IntegrityOf(string name) => name switch
    {
        AuthHmacMd5 => IntegId.HmacMd5_96,
        AuthHmacSha1 => IntegId.HmacSha1_96,
        AuthHmacSha256 => IntegId.HmacSha2_256_128,
        AuthHmacSha384 => IntegId.HmacSha2_384_192,
        AuthHmacSha512 => IntegId.HmacSha2_512_256,
        AuthAesXcbc => IntegId.AesXcbc96,
        AuthAesCmac => IntegId.AesCmac96,
        _ => throw new ArgumentException($"{name} is not an authentication algorithm", nameof(name)),
    };

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({KeyLengthBits}-bit key, {TruncationLengthBits}-bit ICV)";
}
