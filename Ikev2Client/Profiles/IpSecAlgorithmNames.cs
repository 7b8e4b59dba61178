namespace Ikev2Client.Profiles;

/// <summary>
/// Android <c>android.net.IpSecAlgorithm</c> names used by <see cref="Ikev2VpnProfile.AllowedAlgorithms"/>,
/// with Android's rules: MD5 and SHA-1 are rejected, and the list must contain an AEAD or a cipher plus an
/// authentication algorithm. The list constrains explicit proposals (validation) and the default ones
/// (<see cref="Connection.ProposalConversion.ForProfile"/>). MD5 and SHA-1 stay usable in an explicit
/// <c>espProposal</c> of a profile without an allowed list (old gateways), as the data plane runs them.
/// </summary>
public static class IpSecAlgorithmNames
{
    /// <summary>CRYPT_AES_CBC.</summary>
    public const string AesCbc = Platform.IpSecAlgorithm.CryptAesCbc;
    /// <summary>CRYPT_AES_CTR.</summary>
    public const string AesCtr = Platform.IpSecAlgorithm.CryptAesCtr;
    /// <summary>AUTH_HMAC_MD5 (refused in allowedAlgorithms, as on Android).</summary>
    public const string HmacMd5 = Platform.IpSecAlgorithm.AuthHmacMd5;
    /// <summary>AUTH_HMAC_SHA1 (refused in allowedAlgorithms, as on Android).</summary>
    public const string HmacSha1 = Platform.IpSecAlgorithm.AuthHmacSha1;
    /// <summary>AUTH_HMAC_SHA256.</summary>
    public const string HmacSha256 = Platform.IpSecAlgorithm.AuthHmacSha256;
    /// <summary>AUTH_HMAC_SHA384.</summary>
    public const string HmacSha384 = Platform.IpSecAlgorithm.AuthHmacSha384;
    /// <summary>AUTH_HMAC_SHA512.</summary>
    public const string HmacSha512 = Platform.IpSecAlgorithm.AuthHmacSha512;
    /// <summary>AUTH_AES_XCBC.</summary>
    public const string AesXcbc = Platform.IpSecAlgorithm.AuthAesXcbc;
    /// <summary>AUTH_AES_CMAC.</summary>
    public const string AesCmac = Platform.IpSecAlgorithm.AuthAesCmac;
    /// <summary>AUTH_CRYPT_AES_GCM.</summary>
    public const string AesGcm = Platform.IpSecAlgorithm.AuthCryptAesGcm;
    /// <summary>AUTH_CRYPT_CHACHA20_POLY1305.</summary>
    public const string ChaCha20Poly1305 = Platform.IpSecAlgorithm.AuthCryptChaCha20Poly1305;

    /// <summary>Ciphers (need an authentication algorithm alongside).</summary>
    public static IReadOnlyList<string> Ciphers { get; } = [AesCbc, AesCtr];
    /// <summary>Authentication (integrity) algorithms.</summary>
    public static IReadOnlyList<string> Auths { get; } = [HmacMd5, HmacSha1, HmacSha256, HmacSha384, HmacSha512, AesXcbc, AesCmac];
    /// <summary>Combined-mode algorithms.</summary>
    public static IReadOnlyList<string> Aeads { get; } = [AesGcm, ChaCha20Poly1305];

    /// <summary>Android's default allowed list for IKEv2 VPN profiles.</summary>
    public static IReadOnlyList<string> Defaults { get; } =
        [AesCbc, AesCtr, HmacSha256, HmacSha384, HmacSha512, AesXcbc, AesCmac, AesGcm, ChaCha20Poly1305];

    /// <summary>Checks a list with Android's rules; returns the problems (empty when valid).</summary>
    public static IEnumerable<string> Check(IReadOnlyList<string> names)
    {
        foreach (var n in names)
        {
            if (n is HmacMd5 or HmacSha1) yield return $"{SafeText.Quote(n)} is not allowed for IKEv2 VPN profiles";
            else if (!Ciphers.Contains(n) && !Auths.Contains(n) && !Aeads.Contains(n)) yield return $"unknown algorithm {SafeText.Quote(n)}";
        }
        bool aead = names.Any(Aeads.Contains);
        bool normal = names.Any(Ciphers.Contains) && names.Any(n => Auths.Contains(n) && n is not HmacMd5 and not HmacSha1);
        if (!aead && !normal) yield return "needs at least one AEAD algorithm, or a cipher and an authentication algorithm";
    }

    /// <summary>The Android name that covers a proposal's cipher or integrity transform, or null if none.</summary>
    public static string? ForCipher(Ikev2Client.Protocol.Crypto.EncrId id) => id switch
    {
        Protocol.Crypto.EncrId.AesCbc => AesCbc,
        Protocol.Crypto.EncrId.AesCtr => AesCtr,
        Protocol.Crypto.EncrId.AesGcm8 or Protocol.Crypto.EncrId.AesGcm12 or Protocol.Crypto.EncrId.AesGcm16 => AesGcm,
        Protocol.Crypto.EncrId.ChaCha20Poly1305 => ChaCha20Poly1305,
        _ => null,
    };

    /// <summary>The Android name for an integrity transform, or null if none.</summary>
    public static string? ForIntegrity(Ikev2Client.Protocol.Crypto.IntegId id) => id switch
    {
        Protocol.Crypto.IntegId.HmacMd5_96 => HmacMd5,
        Protocol.Crypto.IntegId.HmacSha1_96 or Protocol.Crypto.IntegId.HmacSha1_160 => HmacSha1,
        Protocol.Crypto.IntegId.HmacSha2_256_128 => HmacSha256,
        Protocol.Crypto.IntegId.HmacSha2_384_192 => HmacSha384,
        Protocol.Crypto.IntegId.HmacSha2_512_256 => HmacSha512,
        Protocol.Crypto.IntegId.AesXcbc96 => AesXcbc,
        Protocol.Crypto.IntegId.AesCmac96 => AesCmac,
        _ => null,
    };
}
