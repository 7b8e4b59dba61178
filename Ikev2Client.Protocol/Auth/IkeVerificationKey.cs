using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace Ikev2Client.Protocol.Auth;

/// <summary>A public key that verifies a peer's AUTH payload: RSA, ECDSA or Ed25519, usually from its certificate.</summary>
internal sealed class IkeVerificationKey
{
    /// <summary>id-Ed25519 (RFC 8410).</summary>
    public const string Ed25519Oid = "1.3.101.112";

    private readonly RSAParameters? _rsa;
    private readonly ECParameters? _ec;
    private readonly byte[]? _ed25519;

    private IkeVerificationKey(RSAParameters? rsa, ECParameters? ec, byte[]? ed)
    {
        (_rsa, _ec, _ed25519) = (rsa, ec, ed);
        KeyType = rsa != null ? SigningKeyType.Rsa : ec != null ? SigningKeyType.Ecdsa : SigningKeyType.Ed25519;
        KeySizeBits = rsa is { } r ? r.Modulus!.Length * 8 : ec is { } e ? CurveBits(e) : 256;
    }

    public SigningKeyType KeyType { get; }
    public int KeySizeBits { get; }

    public static IkeVerificationKey FromRsaParameters(RSAParameters parameters) => new(parameters, null, null);
    public static IkeVerificationKey FromEcParameters(ECParameters parameters) => new(null, parameters, null);

    public static IkeVerificationKey FromEd25519(ReadOnlySpan<byte> publicKey)
    {
        if (publicKey.Length != 32) throw new ArgumentException("an Ed25519 public key is 32 bytes", nameof(publicKey));
        return new(null, null, publicKey.ToArray());
    }

    /// <summary>The public key of a certificate, or false when its algorithm is not RSA, EC or Ed25519.</summary>
    public static bool TryFromCertificate(X509Certificate2 certificate, out IkeVerificationKey? key)
    {
        key = null;
        try
        {
            var oid = certificate.PublicKey.Oid.Value;
            if (oid == Ed25519Oid)
            {
                var raw = certificate.PublicKey.EncodedKeyValue.RawData;
                if (raw.Length != 32) return false;
                key = FromEd25519(raw);
                return true;
            }
            using (var rsa = certificate.GetRSAPublicKey())
            {
                if (rsa != null) { key = FromRsaParameters(rsa.ExportParameters(false)); return true; }
            }
            using (var ec = certificate.GetECDsaPublicKey())
            {
                if (ec != null) { key = FromEcParameters(ec.ExportParameters(false)); return true; }
            }
            return false;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static int CurveBits(ECParameters p) => p.Q.X!.Length switch { 32 => 256, 48 => 384, 66 => 521, var n => n * 8 };

    /// <summary>Verifies without throwing: false for a bad signature or malformed signature bytes.</summary>
    internal bool Verify(SignatureScheme scheme, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature, bool ieeeP1363)
    {
        try
        {
            switch (KeyType)
            {
                case SigningKeyType.Rsa:
                    using (var rsa = RSA.Create(_rsa!.Value))
                        return rsa.VerifyData(data, signature, scheme.HashName(), scheme.IsPss() ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1);
                case SigningKeyType.Ecdsa:
                    using (var ec = ECDsa.Create(_ec!.Value))
                        return ec.VerifyData(data, signature, scheme.HashName(),
                            ieeeP1363 ? DSASignatureFormat.IeeeP1363FixedFieldConcatenation : DSASignatureFormat.Rfc3279DerSequence);
                default:
                    if (signature.Length != 64) return false;
                    var verifier = new Ed25519Signer();
                    verifier.Init(false, new Ed25519PublicKeyParameters(_ed25519!, 0));
                    var bytes = data.ToArray();
                    verifier.BlockUpdate(bytes, 0, bytes.Length);
                    return verifier.VerifySignature(signature.ToArray());
            }
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            return false;
        }
    }

    /// <summary>True when both keys are the same public key.</summary>
    public bool SameKeyAs(IkeVerificationKey other) => KeyType == other.KeyType && KeyType switch
    {
        SigningKeyType.Rsa => _rsa!.Value.Modulus.AsSpan().SequenceEqual(other._rsa!.Value.Modulus) &&
                              _rsa.Value.Exponent.AsSpan().SequenceEqual(other._rsa.Value.Exponent),
        SigningKeyType.Ecdsa => _ec!.Value.Q.X.AsSpan().SequenceEqual(other._ec!.Value.Q.X) &&
                                _ec.Value.Q.Y.AsSpan().SequenceEqual(other._ec.Value.Q.Y),
        _ => _ed25519.AsSpan().SequenceEqual(other._ed25519),
    };

    public override string ToString() => KeyType == SigningKeyType.Ed25519 ? "Ed25519 public key" : $"{KeyType} {KeySizeBits}-bit public key";
}
