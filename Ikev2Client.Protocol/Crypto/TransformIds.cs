namespace Ikev2Client.Protocol.Crypto;

/// <summary>Transform type 1 — encryption algorithm IDs (IANA "IKEv2 Transform Type 1").</summary>
public enum EncrId : ushort
{
    /// <summary>ENCR_DES (not supported: insecure).</summary>
    Des = 2,
    /// <summary>ENCR_3DES (not supported: insecure).</summary>
    TripleDes = 3,
    /// <summary>ENCR_NULL (ESP only, no confidentiality; not supported by the data plane).</summary>
    Null = 11,
    /// <summary>ENCR_AES_CBC (RFC 3602).</summary>
    AesCbc = 12,
    /// <summary>ENCR_AES_CTR (RFC 3686, RFC 5930).</summary>
    AesCtr = 13,
    /// <summary>ENCR_AES_CCM_8 (RFC 4309; not supported).</summary>
    AesCcm8 = 14,
    /// <summary>ENCR_AES_CCM_12 (RFC 4309; not supported).</summary>
    AesCcm12 = 15,
    /// <summary>ENCR_AES_CCM_16 (RFC 4309; not supported).</summary>
    AesCcm16 = 16,
    /// <summary>ENCR_AES_GCM_8: AES-GCM with an 8-octet ICV (RFC 4106, RFC 5282).</summary>
    AesGcm8 = 18,
    /// <summary>ENCR_AES_GCM_12: AES-GCM with a 12-octet ICV (RFC 4106, RFC 5282).</summary>
    AesGcm12 = 19,
    /// <summary>ENCR_AES_GCM_16: AES-GCM with a 16-octet ICV (RFC 4106, RFC 5282).</summary>
    AesGcm16 = 20,
    /// <summary>ENCR_NULL_AUTH_AES_GMAC (RFC 4543; not supported).</summary>
    NullAuthAesGmac = 21,
    /// <summary>ENCR_CAMELLIA_CBC (RFC 5529; not supported).</summary>
    Camellia = 23,
    /// <summary>ENCR_CHACHA20_POLY1305 (RFC 7634).</summary>
    ChaCha20Poly1305 = 28,
}

/// <summary>Transform type 2 — pseudorandom function IDs.</summary>
public enum PrfId : ushort
{
    /// <summary>PRF_HMAC_MD5 (RFC 2104; not supported).</summary>
    HmacMd5 = 1,
    /// <summary>PRF_HMAC_SHA1 (RFC 2104).</summary>
    HmacSha1 = 2,
    /// <summary>PRF_AES128_XCBC (RFC 4434).</summary>
    AesXcbc128 = 4,
    /// <summary>PRF_HMAC_SHA2_256 (RFC 4868).</summary>
    HmacSha2_256 = 5,
    /// <summary>PRF_HMAC_SHA2_384 (RFC 4868).</summary>
    HmacSha2_384 = 6,
    /// <summary>PRF_HMAC_SHA2_512 (RFC 4868).</summary>
    HmacSha2_512 = 7,
    /// <summary>PRF_AES128_CMAC (RFC 4615).</summary>
    AesCmac128 = 8,
}

/// <summary>Transform type 3 — integrity algorithm IDs.</summary>
public enum IntegId : ushort
{
    /// <summary>NONE: no integrity transform (AEAD ciphers).</summary>
    None = 0,
    /// <summary>AUTH_HMAC_MD5_96 (RFC 2403; ESP only, and only when a profile names it).</summary>
    HmacMd5_96 = 1,
    /// <summary>AUTH_HMAC_SHA1_96 (RFC 2404).</summary>
    HmacSha1_96 = 2,
    /// <summary>AUTH_AES_XCBC_96 (RFC 3566).</summary>
    AesXcbc96 = 5,
    /// <summary>AUTH_HMAC_SHA1_160 (RFC 4595; not supported).</summary>
    HmacSha1_160 = 7,
    /// <summary>AUTH_AES_CMAC_96 (RFC 4494).</summary>
    AesCmac96 = 8,
    /// <summary>AUTH_HMAC_SHA2_256_128 (RFC 4868).</summary>
    HmacSha2_256_128 = 12,
    /// <summary>AUTH_HMAC_SHA2_384_192 (RFC 4868).</summary>
    HmacSha2_384_192 = 13,
    /// <summary>AUTH_HMAC_SHA2_512_256 (RFC 4868).</summary>
    HmacSha2_512_256 = 14,
}

/// <summary>Transform type 4 — key exchange method (Diffie-Hellman group) IDs.</summary>
public enum KeGroup : ushort
{
    /// <summary>NONE: no key exchange (a CHILD SA without PFS).</summary>
    None = 0,
    /// <summary>1024-bit MODP group (RFC 2409; not supported: too weak).</summary>
    Modp1024 = 2,
    /// <summary>1536-bit MODP group (RFC 3526; not supported: too weak).</summary>
    Modp1536 = 5,
    /// <summary>2048-bit MODP group (RFC 3526).</summary>
    Modp2048 = 14,
    /// <summary>3072-bit MODP group (RFC 3526).</summary>
    Modp3072 = 15,
    /// <summary>4096-bit MODP group (RFC 3526).</summary>
    Modp4096 = 16,
    /// <summary>6144-bit MODP group (RFC 3526).</summary>
    Modp6144 = 17,
    /// <summary>8192-bit MODP group (RFC 3526).</summary>
    Modp8192 = 18,
    /// <summary>256-bit random ECP group, NIST P-256 (RFC 5903).</summary>
    Ecp256 = 19,
    /// <summary>384-bit random ECP group, NIST P-384 (RFC 5903).</summary>
    Ecp384 = 20,
    /// <summary>521-bit random ECP group, NIST P-521 (RFC 5903).</summary>
    Ecp521 = 21,
    /// <summary>Curve25519, X25519 (RFC 8031).</summary>
    Curve25519 = 31,
    /// <summary>Curve448, X448 (RFC 8031).</summary>
    Curve448 = 32,
    /// <summary>ML-KEM-512 (FIPS 203; draft-ietf-ipsecme-ikev2-mlkem), normally an additional key exchange (RFC 9370).</summary>
    MlKem512 = 35,
    /// <summary>ML-KEM-768 (FIPS 203; draft-ietf-ipsecme-ikev2-mlkem), normally an additional key exchange (RFC 9370).</summary>
    MlKem768 = 36,
    /// <summary>ML-KEM-1024 (FIPS 203; draft-ietf-ipsecme-ikev2-mlkem), normally an additional key exchange (RFC 9370).</summary>
    MlKem1024 = 37,
}

/// <summary>Transform type 5 — extended sequence numbers.</summary>
public enum EsnId : ushort
{
    /// <summary>No extended sequence numbers: 32-bit sequence numbers.</summary>
    NoEsn = 0,
    /// <summary>Extended (64-bit) sequence numbers (RFC 4304).</summary>
    Esn = 1,
}
