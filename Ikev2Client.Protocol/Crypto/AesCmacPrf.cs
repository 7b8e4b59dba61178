using System.Security.Cryptography;

namespace Ikev2Client.Protocol.Crypto;

/// <summary>PRF_AES128_CMAC (RFC 4615): AES-CMAC with any key length.</summary>
internal sealed class AesCmacPrf : IIkePrf
{
    public static readonly AesCmacPrf Instance = new();

    private AesCmacPrf() { }

    public PrfId Id => PrfId.AesCmac128;
    public string Name => "PRF_AES128_CMAC";
    public int OutputLength => 16;
    public int KeyLength => 16;
    public bool HasFixedKeyLength => true;

    /// <summary>
    /// RFC 4615 §3: a 128-bit key is used as is; any other length is replaced by
    /// AES-CMAC of it under the all-zero key.
    /// </summary>
    public void Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> destination)
    {
        Span<byte> k = stackalloc byte[16];
        k.Clear();
        if (key.Length == 16)
            key.CopyTo(k);
        else
            AesCmac.Compute(k, key, k);
        AesCmac.Compute(k, data, destination);
        CryptographicOperations.ZeroMemory(k);
    }

    public override string ToString() => Name;
}
