using System.Security.Cryptography;

namespace Ikev2Client.Protocol.Crypto;

/// <summary>PRF_AES128_XCBC (RFC 4434): AES-XCBC-MAC with any key length.</summary>
internal sealed class AesXcbcPrf : IIkePrf
{
    public static readonly AesXcbcPrf Instance = new();

    private AesXcbcPrf() { }

    public PrfId Id => PrfId.AesXcbc128;
    public string Name => "PRF_AES128_XCBC";
    public int OutputLength => 16;
    public int KeyLength => 16;
    public bool HasFixedKeyLength => true;

    /// <summary>
    /// RFC 4434 §2: a 128-bit key is used as is; a shorter key is padded with zero bits;
    /// a longer key is replaced by AES-XCBC-PRF-128 of it under the all-zero key.
    /// </summary>
    public void Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> destination)
    {
        Span<byte> k = stackalloc byte[16];
        k.Clear();
        if (key.Length <= 16)
            key.CopyTo(k);
        else
            AesXcbcMac.Compute(k, key, k);
        AesXcbcMac.Compute(k, data, destination);
        CryptographicOperations.ZeroMemory(k);
    }

    public override string ToString() => Name;
}
