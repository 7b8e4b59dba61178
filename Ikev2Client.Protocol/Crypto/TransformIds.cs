namespace Ikev2Client.Protocol.Crypto;

/// <summary>Transform type 1 — encryption algorithm IDs (IANA "IKEv2 Transform Type 1").</summary>
public enum EncrId : ushort
{
    Des = 2,
    TripleDes = 3,
    Null = 11,
    AesCbc = 12,
    AesCtr = 13,
    AesCcm8 = 14,
    AesCcm12 = 15,
    AesCcm16 = 16,
    AesGcm8 = 18,
    AesGcm12 = 19,
    AesGcm16 = 20,
    NullAuthAesGmac = 21,
    Camellia = 23,
    ChaCha20Poly1305 = 28,
}

/// <summary>Transform type 2 — pseudorandom function IDs.</summary>
public enum PrfId : ushort
{
    HmacMd5 = 1,
    HmacSha1 = 2,
    AesXcbc128 = 4,
    HmacSha2_256 = 5,
    HmacSha2_384 = 6,
    HmacSha2_512 = 7,
    AesCmac128 = 8,
}

/// <summary>Transform type 3 — integrity algorithm IDs.</summary>
public enum IntegId : ushort
{
    None = 0,
    HmacMd5_96 = 1,
    HmacSha1_96 = 2,
    AesXcbc96 = 5,
    HmacSha1_160 = 7,
    AesCmac96 = 8,
    HmacSha2_256_128 = 12,
    HmacSha2_384_192 = 13,
    HmacSha2_512_256 = 14,
}

/// <summary>Transform type 4 — key exchange method (Diffie-Hellman group) IDs.</summary>
public enum KeGroup : ushort
{
    None = 0,
    Modp1024 = 2,
    Modp1536 = 5,
    Modp2048 = 14,
    Modp3072 = 15,
    Modp4096 = 16,
    Modp6144 = 17,
    Modp8192 = 18,
    Ecp256 = 19,
    Ecp384 = 20,
    Ecp521 = 21,
    Curve25519 = 31,
    Curve448 = 32,
}

/// <summary>Transform type 5 — extended sequence numbers.</summary>
public enum EsnId : ushort
{
    NoEsn = 0,
    Esn = 1,
}
