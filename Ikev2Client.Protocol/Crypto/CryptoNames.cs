using Ikev2Client.Protocol.Wire;

namespace Ikev2Client.Protocol.Crypto;

/// <summary>IANA display names of transform IDs ("IKEv2 Transform Type 1..5" registries).</summary>
internal static class CryptoNames
{
    public static string Of(TransformType type, ushort id, int keyBits) => type switch
    {
        TransformType.Encryption => Encryption(id, keyBits),
        TransformType.Prf => Lookup("PRF", id),
        TransformType.Integrity => Lookup("INTEG", id),
        TransformType.KeyExchange => Lookup("KE", id),
        TransformType.ExtendedSequenceNumbers => Lookup("ESN", id),
        >= TransformType.AdditionalKeyExchange1 and <= TransformType.AdditionalKeyExchange7 => Lookup("KE", id),
        _ => $"UNKNOWN_TRANSFORM{(byte)type}_{id}",
    };

    public static string Encryption(ushort id, int keyBits)
    {
        string name = Lookup("ENCR", id);
        return keyBits > 0 && !name.StartsWith("UNKNOWN_", StringComparison.Ordinal) ? $"{name} ({keyBits})" : name;
    }

    private static string Lookup(string type, ushort id)
    {
        string? name = type switch
        {
            "ENCR" => (EncrId)id switch
            {
                EncrId.Des => "ENCR_DES",
                EncrId.TripleDes => "ENCR_3DES",
                EncrId.Null => "ENCR_NULL",
                EncrId.AesCbc => "ENCR_AES_CBC",
                EncrId.AesCtr => "ENCR_AES_CTR",
                EncrId.AesCcm8 => "ENCR_AES_CCM_8",
                EncrId.AesCcm12 => "ENCR_AES_CCM_12",
                EncrId.AesCcm16 => "ENCR_AES_CCM_16",
                EncrId.AesGcm8 => "ENCR_AES_GCM_8",
                EncrId.AesGcm12 => "ENCR_AES_GCM_12",
                EncrId.AesGcm16 => "ENCR_AES_GCM_16",
                EncrId.NullAuthAesGmac => "ENCR_NULL_AUTH_AES_GMAC",
                EncrId.Camellia => "ENCR_CAMELLIA_CBC",
                EncrId.ChaCha20Poly1305 => "ENCR_CHACHA20_POLY1305",
                _ => null,
            },
            "PRF" => (PrfId)id switch
            {
                PrfId.HmacMd5 => "PRF_HMAC_MD5",
                PrfId.HmacSha1 => "PRF_HMAC_SHA1",
                PrfId.AesXcbc128 => "PRF_AES128_XCBC",
                PrfId.HmacSha2_256 => "PRF_HMAC_SHA2_256",
                PrfId.HmacSha2_384 => "PRF_HMAC_SHA2_384",
                PrfId.HmacSha2_512 => "PRF_HMAC_SHA2_512",
                PrfId.AesCmac128 => "PRF_AES128_CMAC",
                _ => null,
            },
            "INTEG" => (IntegId)id switch
            {
                IntegId.None => "NONE",
                IntegId.HmacMd5_96 => "AUTH_HMAC_MD5_96",
                IntegId.HmacSha1_96 => "AUTH_HMAC_SHA1_96",
                IntegId.AesXcbc96 => "AUTH_AES_XCBC_96",
                IntegId.HmacSha1_160 => "AUTH_HMAC_SHA1_160",
                IntegId.AesCmac96 => "AUTH_AES_CMAC_96",
                IntegId.HmacSha2_256_128 => "AUTH_HMAC_SHA2_256_128",
                IntegId.HmacSha2_384_192 => "AUTH_HMAC_SHA2_384_192",
                IntegId.HmacSha2_512_256 => "AUTH_HMAC_SHA2_512_256",
                _ => null,
            },
            "KE" => (KeGroup)id switch
            {
                KeGroup.None => "NONE",
                KeGroup.Modp1024 => "MODP_1024",
                KeGroup.Modp1536 => "MODP_1536",
                KeGroup.Modp2048 => "MODP_2048",
                KeGroup.Modp3072 => "MODP_3072",
                KeGroup.Modp4096 => "MODP_4096",
                KeGroup.Modp6144 => "MODP_6144",
                KeGroup.Modp8192 => "MODP_8192",
                KeGroup.Ecp256 => "ECP_256",
                KeGroup.Ecp384 => "ECP_384",
                KeGroup.Ecp521 => "ECP_521",
                KeGroup.Curve25519 => "CURVE_25519",
                KeGroup.Curve448 => "CURVE_448",
                KeGroup.MlKem512 => "ML-KEM-512",
                KeGroup.MlKem768 => "ML-KEM-768",
                KeGroup.MlKem1024 => "ML-KEM-1024",
                _ => null,
            },
            "ESN" => (EsnId)id switch
            {
                EsnId.NoEsn => "NO_ESN",
                EsnId.Esn => "ESN",
                _ => null,
            },
            _ => null,
        };
        return name ?? $"UNKNOWN_{type}_{id}";
    }
}
