namespace Ikev2Client.Protocol.Auth;

/// <summary>Hash algorithms of the SIGNATURE_HASH_ALGORITHMS notify (RFC 7427 §4, RFC 8420 for Identity).</summary>
internal enum SignatureHashAlgorithm : ushort
{
    Sha1 = 1,
    Sha256 = 2,
    Sha384 = 3,
    Sha512 = 4,
    /// <summary>"Identity" (RFC 8420): the signature algorithm hashes internally, as Ed25519 does.</summary>
    Identity = 5,
}

/// <summary>The kind of key that signs an AUTH payload.</summary>
internal enum SigningKeyType
{
    Rsa,
    Ecdsa,
    Ed25519,
}

/// <summary>One concrete signature algorithm used for public-key AUTH (RFC 7296 §2.15, RFC 4754, RFC 7427).</summary>
internal enum SignatureScheme
{
    /// <summary>RSASSA-PKCS1-v1_5 with SHA-1 (AUTH method 1, and sha1WithRSAEncryption in method 14). Verify only.</summary>
    RsaPkcs1Sha1,
    RsaPkcs1Sha256,
    RsaPkcs1Sha384,
    RsaPkcs1Sha512,
    /// <summary>RSASSA-PSS, MGF1 with the same hash, salt length = hash length.</summary>
    RsaPssSha256,
    RsaPssSha384,
    RsaPssSha512,
    EcdsaSha256,
    EcdsaSha384,
    EcdsaSha512,
    /// <summary>Pure Ed25519 (RFC 8032) over the signed octets (RFC 8420).</summary>
    Ed25519,
}

/// <summary>Facts about each <see cref="SignatureScheme"/>.</summary>
internal static class SignatureSchemes
{
    public static SigningKeyType KeyType(this SignatureScheme scheme) => scheme switch
    {
        SignatureScheme.EcdsaSha256 or SignatureScheme.EcdsaSha384 or SignatureScheme.EcdsaSha512 => SigningKeyType.Ecdsa,
        SignatureScheme.Ed25519 => SigningKeyType.Ed25519,
        _ => SigningKeyType.Rsa,
    };

    /// <summary>The hash as listed in SIGNATURE_HASH_ALGORITHMS.</summary>
    public static SignatureHashAlgorithm Hash(this SignatureScheme scheme) => scheme switch
    {
        SignatureScheme.RsaPkcs1Sha1 => SignatureHashAlgorithm.Sha1,
        SignatureScheme.RsaPkcs1Sha256 or SignatureScheme.RsaPssSha256 or SignatureScheme.EcdsaSha256 => SignatureHashAlgorithm.Sha256,
        SignatureScheme.RsaPkcs1Sha384 or SignatureScheme.RsaPssSha384 or SignatureScheme.EcdsaSha384 => SignatureHashAlgorithm.Sha384,
        SignatureScheme.RsaPkcs1Sha512 or SignatureScheme.RsaPssSha512 or SignatureScheme.EcdsaSha512 => SignatureHashAlgorithm.Sha512,
        _ => SignatureHashAlgorithm.Identity,
    };

    internal static System.Security.Cryptography.HashAlgorithmName HashName(this SignatureScheme scheme) => scheme.Hash() switch
    {
        SignatureHashAlgorithm.Sha1 => System.Security.Cryptography.HashAlgorithmName.SHA1,
        SignatureHashAlgorithm.Sha256 => System.Security.Cryptography.HashAlgorithmName.SHA256,
        SignatureHashAlgorithm.Sha384 => System.Security.Cryptography.HashAlgorithmName.SHA384,
        SignatureHashAlgorithm.Sha512 => System.Security.Cryptography.HashAlgorithmName.SHA512,
        _ => default,
    };

    public static bool IsPss(this SignatureScheme scheme) =>
        scheme is SignatureScheme.RsaPssSha256 or SignatureScheme.RsaPssSha384 or SignatureScheme.RsaPssSha512;

    /// <summary>The hash algorithms we accept and advertise in our SIGNATURE_HASH_ALGORITHMS notify.</summary>
    public static IReadOnlyList<ushort> AdvertisedHashes { get; } = Array.AsReadOnly(new[]
    {
        (ushort)SignatureHashAlgorithm.Sha256, (ushort)SignatureHashAlgorithm.Sha384,
        (ushort)SignatureHashAlgorithm.Sha512, (ushort)SignatureHashAlgorithm.Identity,
    });
}
