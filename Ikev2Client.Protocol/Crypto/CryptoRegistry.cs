using System.Diagnostics.CodeAnalysis;
using Ikev2Client.Protocol.Wire;

namespace Ikev2Client.Protocol.Crypto;

/// <summary>The supported IKEv2 algorithms, keyed by IANA transform ID.</summary>
public static class CryptoRegistry
{
    private static readonly Dictionary<(EncrId, int), EncryptionAlgorithm> Encryptions = BuildEncryptions();

    private static Dictionary<(EncrId, int), EncryptionAlgorithm> BuildEncryptions()
    {
        var map = new Dictionary<(EncrId, int), EncryptionAlgorithm>();
        foreach (int bits in new[] { 128, 192, 256 })
        {
            map[(EncrId.AesCbc, bits)] = EncryptionAlgorithm.AesCbc(bits);
            map[(EncrId.AesCtr, bits)] = EncryptionAlgorithm.AesCtr(bits);
            foreach (EncrId gcm in new[] { EncrId.AesGcm8, EncrId.AesGcm12, EncrId.AesGcm16 })
                map[(gcm, bits)] = EncryptionAlgorithm.AesGcm(gcm, bits);
        }
        var chacha = EncryptionAlgorithm.ChaCha20Poly1305();
        map[(EncrId.ChaCha20Poly1305, 0)] = chacha;
        map[(EncrId.ChaCha20Poly1305, 256)] = chacha;
        return map;
    }

    /// <summary>keyBits: 128/192/256 for AES; 0 or 256 for ChaCha20-Poly1305. False when unsupported.</summary>
    internal static bool TryGetEncryption(EncrId id, int keyBits, [NotNullWhen(true)] out IIkeEncryption? encryption)
    {
        encryption = Encryptions.GetValueOrDefault((id, keyBits));
        return encryption is not null;
    }

    internal static bool TryGetPrf(PrfId id, [NotNullWhen(true)] out IIkePrf? prf)
    {
        prf = id switch
        {
            PrfId.HmacSha1 => HmacPrf.Sha1,
            PrfId.HmacSha2_256 => HmacPrf.Sha256,
            PrfId.HmacSha2_384 => HmacPrf.Sha384,
            PrfId.HmacSha2_512 => HmacPrf.Sha512,
            PrfId.AesXcbc128 => AesXcbcPrf.Instance,
            PrfId.AesCmac128 => AesCmacPrf.Instance,
            _ => null,
        };
        return prf is not null;
    }

    internal static bool TryGetIntegrity(IntegId id, [NotNullWhen(true)] out IIkeIntegrity? integrity)
    {
        integrity = id switch
        {
            IntegId.HmacSha1_96 => HmacIntegrity.Sha1_96,
            IntegId.HmacSha2_256_128 => HmacIntegrity.Sha256_128,
            IntegId.HmacSha2_384_192 => HmacIntegrity.Sha384_192,
            IntegId.HmacSha2_512_256 => HmacIntegrity.Sha512_256,
            IntegId.AesXcbc96 => AesMacIntegrity.Xcbc96,
            IntegId.AesCmac96 => AesMacIntegrity.Cmac96,
            _ => null,
        };
        return integrity is not null;
    }

    /// <summary>
    /// Integrity for ESP CHILD SAs: everything <see cref="TryGetIntegrity"/> has plus AUTH_HMAC_MD5_96, which the data plane
    /// runs for old profiles that name it (RFC 8221 forbids it for new ones; it is never in a default proposal).
    /// </summary>
    internal static bool TryGetEspIntegrity(IntegId id, [NotNullWhen(true)] out IIkeIntegrity? integrity)
    {
        if (id == IntegId.HmacMd5_96)
        {
            integrity = HmacIntegrity.Md5_96;
            return true;
        }

        return TryGetIntegrity(id, out integrity);
    }

    /// <summary>True when IKE SAs can use the cipher with this key size (keyBits: 128/192/256 for AES; 0 or 256 for ChaCha20-Poly1305).</summary>
    public static bool IsSupported(EncrId encryption, int keyBits) => TryGetEncryption(encryption, keyBits, out _);

    /// <summary>True when IKE SAs can use the integrity algorithm.</summary>
    public static bool IsSupported(IntegId integrity) => TryGetIntegrity(integrity, out _);

    /// <summary>True when IKE SAs can use the pseudo-random function.</summary>
    public static bool IsSupported(PrfId prf) => TryGetPrf(prf, out _);

    /// <summary>True when the key exchange method is implemented (MODP 14–18, ECP 19–21, Curve25519/448, ML-KEM-512/768/1024).</summary>
    public static bool IsSupported(KeGroup group) => group switch
    {
        KeGroup.Modp2048 or KeGroup.Modp3072 or KeGroup.Modp4096 or KeGroup.Modp6144 or KeGroup.Modp8192 => true,
        KeGroup.Ecp256 or KeGroup.Ecp384 or KeGroup.Ecp521 => true,
        KeGroup.Curve25519 or KeGroup.Curve448 => true,
        KeGroup.MlKem512 or KeGroup.MlKem768 or KeGroup.MlKem1024 => true,
        _ => false,
    };

    /// <summary>
    /// Creates our side of a key exchange; the private key is drawn from <paramref name="random"/>. For a KEM (ML-KEM)
    /// the two sides differ: <paramref name="responder"/> true gives the side that answers the peer's value (it
    /// encapsulates, and has a <see cref="IKeyExchange.PublicValue"/> only after <see cref="IKeyExchange.TryDeriveSharedSecret"/>).
    /// Diffie-Hellman groups ignore it.
    /// </summary>
    /// <exception cref="NotSupportedException">The group is not supported (check <see cref="IsSupported(KeGroup)"/>).</exception>
    internal static IKeyExchange CreateKeyExchange(KeGroup group, IRandomSource random, bool responder = false)
    {
        if (MlKemKeyExchange.IsMlKem(group))
            return responder ? MlKemKeyExchange.Responder(group, random) : MlKemKeyExchange.Initiator(group, random);
        ArgumentNullException.ThrowIfNull(random);
        return group switch
        {
            KeGroup.Modp2048 or KeGroup.Modp3072 or KeGroup.Modp4096 or KeGroup.Modp6144 or KeGroup.Modp8192
                => new ModpKeyExchange(group, random),
            KeGroup.Ecp256 or KeGroup.Ecp384 or KeGroup.Ecp521 => new EcpKeyExchange(group, random),
            KeGroup.Curve25519 => MontgomeryKeyExchange.X25519(random),
            KeGroup.Curve448 => MontgomeryKeyExchange.X448(random),
            _ => throw new NotSupportedException($"Key exchange method {NameOf(TransformType.KeyExchange, (ushort)group)} is not supported."),
        };
    }

    /// <summary>
    /// Human/IANA names for display: "ENCR_AES_GCM_16 (256)", "PRF_HMAC_SHA2_256", "AUTH_HMAC_SHA2_256_128",
    /// "ECP_256", "CURVE_25519", "MODP_2048"; unknown ids give "UNKNOWN_&lt;ENCR|PRF|INTEG|KE|ESN&gt;_&lt;id&gt;".
    /// </summary>
    public static string NameOf(TransformType type, ushort id, int keyBits = 0) => CryptoNames.Of(type, id, keyBits);
}
