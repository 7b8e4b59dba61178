using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Auth;

/// <summary>
/// Creates and verifies public-key AUTH payload data (RFC 7296 §2.15, RFC 4754, RFC 7427, RFC 8420). The
/// caller builds the signed octets (RealMessage | Nonce | prf(SK_p, RestOfIDPayload)); this class only signs
/// or verifies them. Verification never throws: every failure is a <see cref="SignatureVerification"/>.
/// </summary>
internal static class PublicKeyAuthenticator
{
    /// <summary>
    /// Picks our signature scheme. With a SIGNATURE_HASH_ALGORITHMS list from the peer we use method 14 with a
    /// hash the peer accepts (ECDSA prefers the hash that matches its curve; RSA prefers SHA-256; RSA-PSS when
    /// <paramref name="useRsaPss"/>). Without the list: ECDSA uses methods 9/10/11, RSA still uses method 14
    /// with sha256WithRSAEncryption (we never create SHA-1 signatures), Ed25519 always uses method 14.
    /// </summary>
    /// <returns>The scheme, and whether it is sent as method 14 (false: the classic ECDSA methods).</returns>
    public static (SignatureScheme Scheme, bool DigitalSignatureMethod) ChooseScheme(
        IkeSigningKey key, IReadOnlyCollection<ushort>? peerHashAlgorithms, bool useRsaPss)
    {
        ArgumentNullException.ThrowIfNull(key);
        bool peerSupports7427 = peerHashAlgorithms is { Count: > 0 };
        switch (key.KeyType)
        {
            case SigningKeyType.Ed25519:
                return (SignatureScheme.Ed25519, true);
            case SigningKeyType.Ecdsa:
            {
                var natural = key.KeySizeBits switch { 256 => SignatureHashAlgorithm.Sha256, 384 => SignatureHashAlgorithm.Sha384, _ => SignatureHashAlgorithm.Sha512 };
                if (!peerSupports7427) return (EcdsaScheme(natural), false);
                var hash = Pick(peerHashAlgorithms!, natural, SignatureHashAlgorithm.Sha256, SignatureHashAlgorithm.Sha384, SignatureHashAlgorithm.Sha512);
                return hash is { } h ? (EcdsaScheme(h), true) : (EcdsaScheme(natural), false);
            }
            default:
            {
                var hash = peerSupports7427
                    ? Pick(peerHashAlgorithms!, SignatureHashAlgorithm.Sha256, SignatureHashAlgorithm.Sha384, SignatureHashAlgorithm.Sha512) ?? SignatureHashAlgorithm.Sha256
                    : SignatureHashAlgorithm.Sha256;
                return (RsaScheme(hash, useRsaPss), true);
            }
        }
    }

    private static SignatureHashAlgorithm? Pick(IReadOnlyCollection<ushort> offered, params SignatureHashAlgorithm[] preference)
    {
        foreach (var h in preference) if (offered.Contains((ushort)h)) return h;
        return null;
    }

    private static SignatureScheme EcdsaScheme(SignatureHashAlgorithm h) => h switch
    {
        SignatureHashAlgorithm.Sha384 => SignatureScheme.EcdsaSha384,
        SignatureHashAlgorithm.Sha512 => SignatureScheme.EcdsaSha512,
        _ => SignatureScheme.EcdsaSha256,
    };

    private static SignatureScheme RsaScheme(SignatureHashAlgorithm h, bool pss) => (h, pss) switch
    {
        (SignatureHashAlgorithm.Sha384, false) => SignatureScheme.RsaPkcs1Sha384,
        (SignatureHashAlgorithm.Sha512, false) => SignatureScheme.RsaPkcs1Sha512,
        (SignatureHashAlgorithm.Sha384, true) => SignatureScheme.RsaPssSha384,
        (SignatureHashAlgorithm.Sha512, true) => SignatureScheme.RsaPssSha512,
        (_, true) => SignatureScheme.RsaPssSha256,
        _ => SignatureScheme.RsaPkcs1Sha256,
    };

    /// <summary>Chooses the scheme (see <see cref="ChooseScheme"/>) and signs: our AUTH payload.</summary>
    public static AuthPayload CreateAuth(IkeSigningKey key, ReadOnlySpan<byte> signedOctets, IReadOnlyCollection<ushort>? peerHashAlgorithms, bool useRsaPss)
    {
        var (scheme, method14) = ChooseScheme(key, peerHashAlgorithms, useRsaPss);
        return CreateAuth(key, signedOctets, scheme, method14);
    }

    /// <summary>Signs with an explicit scheme: method 14 (AlgorithmIdentifier + signature) or, for ECDSA with the hash that matches the curve, method 9/10/11.</summary>
    public static AuthPayload CreateAuth(IkeSigningKey key, ReadOnlySpan<byte> signedOctets, SignatureScheme scheme, bool digitalSignatureMethod)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (scheme == SignatureScheme.RsaPkcs1Sha1)
            throw new ArgumentException("we do not create SHA-1 signatures; RSA uses RFC 7427 with SHA-2", nameof(scheme));
        if (!digitalSignatureMethod)
        {
            var method = ClassicEcdsaMethod(key.KeySizeBits, scheme)
                ?? throw new ArgumentException($"{scheme} with a {key.KeySizeBits}-bit key has no classic AUTH method; use method 14", nameof(scheme));
            return new AuthPayload(method, key.Sign(scheme, signedOctets, ieeeP1363: true));
        }
        var algId = AlgorithmIdentifiers.For(scheme);
        var signature = key.Sign(scheme, signedOctets, ieeeP1363: false);
        var data = new byte[1 + algId.Length + signature.Length];
        data[0] = (byte)algId.Length;
        algId.CopyTo(data, 1);
        signature.CopyTo(data, 1 + algId.Length);
        return new AuthPayload(IkeAuthMethod.DigitalSignature, data);
    }

    private static IkeAuthMethod? ClassicEcdsaMethod(int curveBits, SignatureScheme scheme) => (curveBits, scheme) switch
    {
        (256, SignatureScheme.EcdsaSha256) => IkeAuthMethod.EcdsaSha256P256,
        (384, SignatureScheme.EcdsaSha384) => IkeAuthMethod.EcdsaSha384P384,
        (521, SignatureScheme.EcdsaSha512) => IkeAuthMethod.EcdsaSha512P521,
        _ => null,
    };

    /// <summary>
    /// Verifies the peer's AUTH payload against its public key. Methods 1 (RSA PKCS#1 v1.5 SHA-1), 9, 10, 11
    /// (ECDSA r|s, RFC 4754) and 14 (RFC 7427) are supported.
    /// </summary>
    /// <param name="peerKey">The peer's public key (from its validated certificate).</param>
    /// <param name="auth">The peer's AUTH payload.</param>
    /// <param name="signedOctets">What the AUTH signs (RFC 7296 §2.15).</param>
    /// <param name="offeredHashes">When not null, method 14 must use one of these hashes (the ones we advertised; Identity for Ed25519).</param>
    public static SignatureVerification Verify(IkeVerificationKey peerKey, AuthPayload auth, ReadOnlySpan<byte> signedOctets, IReadOnlyCollection<ushort>? offeredHashes = null)
    {
        ArgumentNullException.ThrowIfNull(peerKey);
        ArgumentNullException.ThrowIfNull(auth);
        return Verify(peerKey, auth.Method, auth.Data, signedOctets, offeredHashes);
    }

    public static SignatureVerification Verify(IkeVerificationKey peerKey, IkeAuthMethod method, ReadOnlySpan<byte> authData, ReadOnlySpan<byte> signedOctets, IReadOnlyCollection<ushort>? offeredHashes = null)
    {
        switch (method)
        {
            case IkeAuthMethod.RsaDigitalSignature:
                return Check(peerKey, SignatureScheme.RsaPkcs1Sha1, authData, signedOctets, ieee: false, "RSA digital signature (method 1)");
            case IkeAuthMethod.EcdsaSha256P256:
            case IkeAuthMethod.EcdsaSha384P384:
            case IkeAuthMethod.EcdsaSha512P521:
            {
                var (scheme, bits) = method switch
                {
                    IkeAuthMethod.EcdsaSha256P256 => (SignatureScheme.EcdsaSha256, 256),
                    IkeAuthMethod.EcdsaSha384P384 => (SignatureScheme.EcdsaSha384, 384),
                    _ => (SignatureScheme.EcdsaSha512, 521),
                };
                if (peerKey.KeyType != SigningKeyType.Ecdsa || peerKey.KeySizeBits != bits)
                    return SignatureVerification.Fail(SignatureFailure.KeyMismatch,
                        $"the peer signed with ECDSA on P-{bits} (method {(byte)method}) but its certificate holds a {peerKey}", scheme);
                int field = (bits + 7) / 8;
                if (authData.Length != 2 * field)
                    return SignatureVerification.Fail(SignatureFailure.Malformed,
                        $"an ECDSA P-{bits} signature is {2 * field} bytes (r|s), the peer sent {authData.Length}", scheme);
                return Check(peerKey, scheme, authData, signedOctets, ieee: true, $"ECDSA P-{bits} signature");
            }
            case IkeAuthMethod.DigitalSignature:
            {
                if (authData.Length < 1 || authData[0] == 0 || authData.Length < 1 + authData[0] + 1)
                    return SignatureVerification.Fail(SignatureFailure.Malformed, "the Digital Signature AUTH data is truncated");
                var algId = authData.Slice(1, authData[0]);
                if (!AlgorithmIdentifiers.TryParse(algId, out var scheme))
                    return SignatureVerification.Fail(SignatureFailure.UnsupportedAlgorithm,
                        $"the peer signed with an unsupported algorithm (AlgorithmIdentifier {Convert.ToHexString(algId)})");
                if (offeredHashes != null && !offeredHashes.Contains((ushort)scheme.Hash()))
                    return SignatureVerification.Fail(SignatureFailure.HashNotOffered,
                        $"the peer signed with {scheme}, whose hash we did not offer", scheme);
                return Check(peerKey, scheme, authData.Slice(1 + authData[0]), signedOctets, ieee: false, $"{scheme} signature");
            }
            default:
                return SignatureVerification.Fail(SignatureFailure.UnsupportedMethod,
                    $"the peer authenticated with AUTH method {(byte)method} ({method}), which is not a supported signature method");
        }
    }

    private static SignatureVerification Check(IkeVerificationKey key, SignatureScheme scheme, ReadOnlySpan<byte> signature, ReadOnlySpan<byte> signedOctets, bool ieee, string what)
    {
        if (scheme.KeyType() != key.KeyType)
            return SignatureVerification.Fail(SignatureFailure.KeyMismatch, $"the peer's {what} needs a {scheme.KeyType()} key, but its certificate holds a {key}", scheme);
        return key.Verify(scheme, signedOctets, signature, ieee)
            ? SignatureVerification.Ok(scheme)
            : SignatureVerification.Fail(SignatureFailure.BadSignature,
                $"the peer's {what} does not verify with the public key in its certificate (wrong key, or the exchange was tampered with)", scheme);
    }
}
