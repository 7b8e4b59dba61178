using System.Security.Cryptography;

namespace Ikev2Client.Protocol.Crypto;

/// <summary>PRF_HMAC_SHA1 and PRF_HMAC_SHA2_256/384/512 (RFC 2104, RFC 4868 §2.1).</summary>
internal sealed class HmacPrf : IIkePrf
{
    private readonly HashAlgorithmName _hash;

    private HmacPrf(PrfId id, string name, HashAlgorithmName hash, int outputLength)
    {
        Id = id;
        Name = name;
        _hash = hash;
        OutputLength = outputLength;
    }

    public static readonly HmacPrf Sha1 = new(PrfId.HmacSha1, "PRF_HMAC_SHA1", HashAlgorithmName.SHA1, 20);
    public static readonly HmacPrf Sha256 = new(PrfId.HmacSha2_256, "PRF_HMAC_SHA2_256", HashAlgorithmName.SHA256, 32);
    public static readonly HmacPrf Sha384 = new(PrfId.HmacSha2_384, "PRF_HMAC_SHA2_384", HashAlgorithmName.SHA384, 48);
    public static readonly HmacPrf Sha512 = new(PrfId.HmacSha2_512, "PRF_HMAC_SHA2_512", HashAlgorithmName.SHA512, 64);

    public PrfId Id { get; }
    public string Name { get; }
    public int OutputLength { get; }
    /// <summary>RFC 4868 §2.1.2 / RFC 7296 §2.13: the preferred key length equals the output length.</summary>
    public int KeyLength => OutputLength;
    public bool HasFixedKeyLength => false;

    public void Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> destination) =>
        Hmac.Compute(_hash, key, data, destination[..OutputLength]);

    public override string ToString() => Name;
}
