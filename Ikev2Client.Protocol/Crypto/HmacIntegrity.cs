using System.Security.Cryptography;

namespace Ikev2Client.Protocol.Crypto;

/// <summary>
/// AUTH_HMAC_SHA1_96 (RFC 2404) and AUTH_HMAC_SHA2_256_128 / 384_192 / 512_256 (RFC 4868 §2.2):
/// HMAC with a key as long as the hash output, truncated to the leftmost bits. AUTH_HMAC_MD5_96 (RFC 2403) exists for
/// ESP proposals of old profiles only (<see cref="CryptoRegistry.TryGetEspIntegrity"/>); IKE SAs never use it.
/// </summary>
internal sealed class HmacIntegrity : IIkeIntegrity
{
    private readonly HashAlgorithmName _hash;
    private readonly int _fullLength;

    private HmacIntegrity(IntegId id, string name, HashAlgorithmName hash, int icvLength)
    {
        Id = id;
        Name = name;
        _hash = hash;
        _fullLength = Hmac.OutputLength(hash);
        IcvLength = icvLength;
    }

    public static readonly HmacIntegrity Md5_96 = new(IntegId.HmacMd5_96, "AUTH_HMAC_MD5_96", HashAlgorithmName.MD5, 12);
    public static readonly HmacIntegrity Sha1_96 = new(IntegId.HmacSha1_96, "AUTH_HMAC_SHA1_96", HashAlgorithmName.SHA1, 12);
    public static readonly HmacIntegrity Sha256_128 = new(IntegId.HmacSha2_256_128, "AUTH_HMAC_SHA2_256_128", HashAlgorithmName.SHA256, 16);
    public static readonly HmacIntegrity Sha384_192 = new(IntegId.HmacSha2_384_192, "AUTH_HMAC_SHA2_384_192", HashAlgorithmName.SHA384, 24);
    public static readonly HmacIntegrity Sha512_256 = new(IntegId.HmacSha2_512_256, "AUTH_HMAC_SHA2_512_256", HashAlgorithmName.SHA512, 32);

    public IntegId Id { get; }
    public string Name { get; }
    public int KeyLength => _fullLength;
    public int IcvLength { get; }

    public void Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> icv)
    {
        Span<byte> full = stackalloc byte[64];
        full = full[.._fullLength];
        Hmac.Compute(_hash, key, data, full);
        full[..IcvLength].CopyTo(icv);
        CryptographicOperations.ZeroMemory(full);
    }

    public override string ToString() => Name;
}
