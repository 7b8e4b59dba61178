using System.Security.Cryptography;

namespace Ikev2Client.Protocol.Crypto;

/// <summary>AUTH_AES_XCBC_96 (RFC 3566) and AUTH_AES_CMAC_96 (RFC 4494): 128-bit key, 96-bit ICV.</summary>
internal sealed class AesMacIntegrity : IIkeIntegrity
{
    private readonly bool _cmac;

    private AesMacIntegrity(IntegId id, string name, bool cmac)
    {
        Id = id;
        Name = name;
        _cmac = cmac;
    }

    public static readonly AesMacIntegrity Xcbc96 = new(IntegId.AesXcbc96, "AUTH_AES_XCBC_96", cmac: false);
    public static readonly AesMacIntegrity Cmac96 = new(IntegId.AesCmac96, "AUTH_AES_CMAC_96", cmac: true);

    public IntegId Id { get; }
    public string Name { get; }
    public int KeyLength => 16;
    public int IcvLength => 12;

    public void Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> icv)
    {
        Span<byte> mac = stackalloc byte[16];
        if (_cmac)
            AesCmac.Compute(key, data, mac);
        else
            AesXcbcMac.Compute(key, data, mac);
        mac[..IcvLength].CopyTo(icv);
        CryptographicOperations.ZeroMemory(mac);
    }

    public override string ToString() => Name;
}
