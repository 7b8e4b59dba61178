using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Nist;
using Org.BouncyCastle.Asn1.Pkcs;

namespace Ikev2Client.Protocol.Auth;

/// <summary>
/// The DER AlgorithmIdentifiers carried in a Digital Signature (method 14) AUTH payload (RFC 7427 §3 and
/// Appendix A, RFC 8420 for Ed25519). We send exactly these encodings; on receipt the known encodings are
/// matched byte for byte, and other RSASSA-PSS parameter encodings are parsed (hash, MGF1 hash, salt).
/// </summary>
internal static class AlgorithmIdentifiers
{
    private const string RsaOid = "2a864886f70d0101";

    /// <summary>sha1WithRSAEncryption (RFC 7427 A.1.1).</summary>
    public static readonly byte[] Sha1WithRsa = Convert.FromHexString("300d06092a864886f70d0101050500");
    /// <summary>sha256WithRSAEncryption (RFC 7427 A.1.2).</summary>
    public static readonly byte[] Sha256WithRsa = Convert.FromHexString("300d06092a864886f70d01010b0500");
    /// <summary>sha384WithRSAEncryption (RFC 7427 A.1.3).</summary>
    public static readonly byte[] Sha384WithRsa = Convert.FromHexString("300d06092a864886f70d01010c0500");
    /// <summary>sha512WithRSAEncryption (RFC 7427 A.1.4).</summary>
    public static readonly byte[] Sha512WithRsa = Convert.FromHexString("300d06092a864886f70d01010d0500");
    /// <summary>ecdsa-with-sha256 (RFC 7427 A.3.2).</summary>
    public static readonly byte[] EcdsaWithSha256 = Convert.FromHexString("300a06082a8648ce3d040302");
    /// <summary>ecdsa-with-sha384 (RFC 7427 A.3.3).</summary>
    public static readonly byte[] EcdsaWithSha384 = Convert.FromHexString("300a06082a8648ce3d040303");
    /// <summary>ecdsa-with-sha512 (RFC 7427 A.3.4).</summary>
    public static readonly byte[] EcdsaWithSha512 = Convert.FromHexString("300a06082a8648ce3d040304");
    /// <summary>id-Ed25519 (RFC 8420 / RFC 8410): no parameters.</summary>
    public static readonly byte[] Ed25519 = Convert.FromHexString("300506032b6570");
    /// <summary>RSASSA-PSS with SHA-256, MGF1-SHA-256, salt 32, trailerField 1, exactly as RFC 7427 A.4.3.</summary>
    public static readonly byte[] RsaPssSha256 = PssIdentifier("608648016503040201", 32);
    /// <summary>RSASSA-PSS with SHA-384, MGF1-SHA-384, salt 48 (same structure as A.4.3).</summary>
    public static readonly byte[] RsaPssSha384 = PssIdentifier("608648016503040202", 48);
    /// <summary>RSASSA-PSS with SHA-512, MGF1-SHA-512, salt 64 (same structure as A.4.3).</summary>
    public static readonly byte[] RsaPssSha512 = PssIdentifier("608648016503040203", 64);

    // RFC 7427 A.4.3 (72 bytes): SEQUENCE { rsassa-pss, SEQUENCE { [0] { hashAlg NULL }, [1] { mgf1 { hashAlg NULL } },
    // [2] INTEGER salt, [3] INTEGER 1 (trailerField, written out as the RFC does) } }. On receipt the shorter
    // encoding without trailerField (as X.509 uses) is accepted too.
    private static byte[] PssIdentifier(string hashOid, byte salt) => Convert.FromHexString(
        "3046" + "0609" + RsaOid + "0a" + "3039" +
        "a00f" + "300d0609" + hashOid + "0500" +
        "a11c" + "301a0609" + RsaOid + "08" + "300d0609" + hashOid + "0500" +
        "a203" + "0201" + salt.ToString("x2") + "a303020101");

    /// <summary>The AlgorithmIdentifier DER we send for <paramref name="scheme"/>.</summary>
    public static byte[] For(SignatureScheme scheme) => (scheme switch
    {
        SignatureScheme.RsaPkcs1Sha1 => Sha1WithRsa,
        SignatureScheme.RsaPkcs1Sha256 => Sha256WithRsa,
        SignatureScheme.RsaPkcs1Sha384 => Sha384WithRsa,
        SignatureScheme.RsaPkcs1Sha512 => Sha512WithRsa,
        SignatureScheme.RsaPssSha256 => RsaPssSha256,
        SignatureScheme.RsaPssSha384 => RsaPssSha384,
        SignatureScheme.RsaPssSha512 => RsaPssSha512,
        SignatureScheme.EcdsaSha256 => EcdsaWithSha256,
        SignatureScheme.EcdsaSha384 => EcdsaWithSha384,
        SignatureScheme.EcdsaSha512 => EcdsaWithSha512,
        SignatureScheme.Ed25519 => Ed25519,
        _ => throw new ArgumentOutOfRangeException(nameof(scheme)),
    }).ToArray();

    private static readonly (byte[] Der, SignatureScheme Scheme)[] Known =
    {
        (Sha1WithRsa, SignatureScheme.RsaPkcs1Sha1), (Sha256WithRsa, SignatureScheme.RsaPkcs1Sha256),
        (Sha384WithRsa, SignatureScheme.RsaPkcs1Sha384), (Sha512WithRsa, SignatureScheme.RsaPkcs1Sha512),
        (RsaPssSha256, SignatureScheme.RsaPssSha256), (RsaPssSha384, SignatureScheme.RsaPssSha384),
        (RsaPssSha512, SignatureScheme.RsaPssSha512), (EcdsaWithSha256, SignatureScheme.EcdsaSha256),
        (EcdsaWithSha384, SignatureScheme.EcdsaSha384), (EcdsaWithSha512, SignatureScheme.EcdsaSha512),
        (Ed25519, SignatureScheme.Ed25519),
        // Some encoders omit the NULL parameters of the RSA identifiers (RFC 4055 allows both).
        (Convert.FromHexString("300b06092a864886f70d01010b"), SignatureScheme.RsaPkcs1Sha256),
        (Convert.FromHexString("300b06092a864886f70d01010c"), SignatureScheme.RsaPkcs1Sha384),
        (Convert.FromHexString("300b06092a864886f70d01010d"), SignatureScheme.RsaPkcs1Sha512),
    };

    /// <summary>Maps a received AlgorithmIdentifier to a scheme; false for anything we do not support.</summary>
    public static bool TryParse(ReadOnlySpan<byte> der, out SignatureScheme scheme)
    {
        foreach (var (known, s) in Known)
        {
            if (der.SequenceEqual(known)) { scheme = s; return true; }
        }
        return TryParsePss(der, out scheme);
    }

    /// <summary>RSASSA-PSS with other but acceptable parameter encodings: hash = MGF1 hash, salt = hash length.</summary>
    private static bool TryParsePss(ReadOnlySpan<byte> der, out SignatureScheme scheme)
    {
        scheme = default;
        if (der.Length < 13 || der[0] != 0x30) return false;
        try
        {
            var seq = Asn1Sequence.GetInstance(Asn1Object.FromByteArray(der.ToArray()));
            var alg = Org.BouncyCastle.Asn1.X509.AlgorithmIdentifier.GetInstance(seq);
            if (!alg.Algorithm.Equals(PkcsObjectIdentifiers.IdRsassaPss) || alg.Parameters == null) return false;
            var p = RsassaPssParameters.GetInstance(alg.Parameters);
            if (!p.MaskGenAlgorithm.Algorithm.Equals(PkcsObjectIdentifiers.IdMgf1)) return false;
            var mgfHash = Org.BouncyCastle.Asn1.X509.AlgorithmIdentifier.GetInstance(p.MaskGenAlgorithm.Parameters).Algorithm;
            var hash = p.HashAlgorithm.Algorithm;
            if (!hash.Equals(mgfHash) || p.TrailerField.IntValueExact != 1) return false;
            int salt = p.SaltLength.IntValueExact;
            if (hash.Equals(NistObjectIdentifiers.IdSha256) && salt == 32) scheme = SignatureScheme.RsaPssSha256;
            else if (hash.Equals(NistObjectIdentifiers.IdSha384) && salt == 48) scheme = SignatureScheme.RsaPssSha384;
            else if (hash.Equals(NistObjectIdentifiers.IdSha512) && salt == 64) scheme = SignatureScheme.RsaPssSha512;
            else return false;
            return true;
        }
        catch (Exception) // BouncyCastle's ASN.1 parser throws several exception types on malformed input
        {
            return false;
        }
    }
}
