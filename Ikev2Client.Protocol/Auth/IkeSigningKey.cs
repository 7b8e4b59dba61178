using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace Ikev2Client.Protocol.Auth;

/// <summary>
/// A private key that signs our AUTH payload: RSA, ECDSA (P-256/384/521) or Ed25519. The key material never
/// appears in <see cref="ToString"/> or in exception messages.
/// </summary>
public sealed class IkeSigningKey : IDisposable
{
    private readonly RSA? _rsa;
    private readonly ECDsa? _ecdsa;
    private readonly Ed25519PrivateKeyParameters? _ed25519;

    private IkeSigningKey(RSA? rsa, ECDsa? ecdsa, Ed25519PrivateKeyParameters? ed)
    {
        (_rsa, _ecdsa, _ed25519) = (rsa, ecdsa, ed);
        KeyType = rsa != null ? SigningKeyType.Rsa : ecdsa != null ? SigningKeyType.Ecdsa : SigningKeyType.Ed25519;
        KeySizeBits = rsa?.KeySize ?? ecdsa?.KeySize ?? 256;
    }

    /// <summary>An RSA key (2048 bits or more is advisable); the key is used, not copied.</summary>
    public static IkeSigningKey FromRsa(RSA rsa) => new(rsa ?? throw new ArgumentNullException(nameof(rsa)), null, null);

    /// <summary>An ECDSA key on P-256, P-384 or P-521; the key is used, not copied.</summary>
    public static IkeSigningKey FromEcdsa(ECDsa ecdsa)
    {
        ArgumentNullException.ThrowIfNull(ecdsa);
        if (ecdsa.KeySize is not (256 or 384 or 521))
            throw new ArgumentException($"ECDSA keys on a {ecdsa.KeySize}-bit curve are not supported; use P-256, P-384 or P-521", nameof(ecdsa));
        return new(null, ecdsa, null);
    }

    /// <summary>An Ed25519 key from its 32-byte private seed (RFC 8032).</summary>
    public static IkeSigningKey FromEd25519(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != 32) throw new ArgumentException("an Ed25519 private key is 32 bytes", nameof(seed));
        return new(null, null, new Ed25519PrivateKeyParameters(seed.ToArray(), 0));
    }

    internal static IkeSigningKey FromEd25519(Ed25519PrivateKeyParameters key) => new(null, null, key);

    internal SigningKeyType KeyType { get; }

    /// <summary>RSA modulus bits, the EC curve's bits (256, 384, 521) or 256 for Ed25519.</summary>
    public int KeySizeBits { get; }

    internal RSA? Rsa => _rsa;
    internal ECDsa? Ecdsa => _ecdsa;

    /// <summary>The matching public key.</summary>
    internal IkeVerificationKey PublicKey => KeyType switch
    {
        SigningKeyType.Rsa => IkeVerificationKey.FromRsaParameters(_rsa!.ExportParameters(false)),
        SigningKeyType.Ecdsa => IkeVerificationKey.FromEcParameters(_ecdsa!.ExportParameters(false)),
        _ => IkeVerificationKey.FromEd25519(_ed25519!.GeneratePublicKey().GetEncoded()),
    };

    /// <summary>The key as PKCS#8 DER (for handing to TLS); callers must clear the returned buffer.</summary>
    internal byte[] ExportPkcs8() => KeyType switch
    {
        SigningKeyType.Rsa => _rsa!.ExportPkcs8PrivateKey(),
        SigningKeyType.Ecdsa => _ecdsa!.ExportPkcs8PrivateKey(),
        _ => Org.BouncyCastle.Pkcs.PrivateKeyInfoFactory.CreatePrivateKeyInfo(_ed25519).GetDerEncoded(),
    };

    /// <summary>Signs <paramref name="data"/>; the scheme must suit the key (see <see cref="SignatureSchemes.KeyType"/>).</summary>
    /// <param name="scheme">The signature scheme.</param>
    /// <param name="data">The octets to sign.</param>
    /// <param name="ieeeP1363">For ECDSA: r|s fixed size (RFC 4754) when true, DER ECDSA-Sig-Value (RFC 7427) when false.</param>
    internal byte[] Sign(SignatureScheme scheme, ReadOnlySpan<byte> data, bool ieeeP1363)
    {
        if (scheme.KeyType() != KeyType)
            throw new InvalidOperationException($"a {KeyType} key cannot sign with {scheme}");
        switch (KeyType)
        {
            case SigningKeyType.Rsa:
                return _rsa!.SignData(data.ToArray(), scheme.HashName(), scheme.IsPss() ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1);
            case SigningKeyType.Ecdsa:
                return _ecdsa!.SignData(data, scheme.HashName(),
                    ieeeP1363 ? DSASignatureFormat.IeeeP1363FixedFieldConcatenation : DSASignatureFormat.Rfc3279DerSequence);
            default:
                var signer = new Ed25519Signer();
                signer.Init(true, _ed25519);
                var bytes = data.ToArray();
                signer.BlockUpdate(bytes, 0, bytes.Length);
                return signer.GenerateSignature();
        }
    }

    /// <summary>Disposes the key.</summary>
    public void Dispose()
    {
        _rsa?.Dispose();
        _ecdsa?.Dispose();
    }

    /// <summary>The key type and size, never key material.</summary>
    public override string ToString() => KeyType == SigningKeyType.Ed25519 ? "Ed25519 private key" : $"{KeyType} {KeySizeBits}-bit private key";
}
