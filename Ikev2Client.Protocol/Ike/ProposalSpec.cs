using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Ike;

/// <summary>An encryption transform with its key size in bits (0 when the algorithm has a fixed key).</summary>
public readonly record struct EncryptionSpec(EncrId Id, int KeyBits)
{
    public override string ToString() => CryptoRegistry.NameOf(TransformType.Encryption, (ushort)Id, KeyBits);
}

/// <summary>
/// One IKE or ESP proposal as configured: alternative transforms per type, in preference order. IKE proposals
/// use encryption, PRF, integrity (empty for AEAD) and key exchange groups; ESP proposals use encryption,
/// integrity and ESN. Build from code or from strongSwan-style strings with <see cref="Parse"/>.
/// </summary>
public sealed record ProposalSpec(
    IReadOnlyList<EncryptionSpec> Encryption,
    IReadOnlyList<IntegId> Integrity,
    IReadOnlyList<PrfId> Prfs,
    IReadOnlyList<KeGroup> Groups,
    IReadOnlyList<EsnId> Esn)
{
    private static readonly KeGroup[] DefaultGroups = { KeGroup.Curve25519, KeGroup.Ecp256, KeGroup.Ecp384, KeGroup.Modp3072, KeGroup.Modp2048 };
    private static readonly PrfId[] DefaultPrfs = { PrfId.HmacSha2_256, PrfId.HmacSha2_384, PrfId.HmacSha2_512 };
    private static readonly IntegId[] DefaultInteg = { IntegId.HmacSha2_256_128, IntegId.HmacSha2_384_192, IntegId.HmacSha2_512_256 };
    private static readonly EncryptionSpec[] Gcm = { new(EncrId.AesGcm16, 256), new(EncrId.AesGcm16, 128) };
    private static readonly EncryptionSpec[] Cbc = { new(EncrId.AesCbc, 256), new(EncrId.AesCbc, 128) };

    /// <summary>Secure IKE defaults: AES-GCM-16 and AES-CBC + HMAC-SHA2, SHA2 PRFs, X25519/ECP/MODP-3072/2048; no SHA1 or MD5.</summary>
    public static IReadOnlyList<ProposalSpec> DefaultIke { get; } = new[]
    {
        new ProposalSpec(Gcm, Array.Empty<IntegId>(), DefaultPrfs, DefaultGroups, Array.Empty<EsnId>()),
        new ProposalSpec(Cbc, DefaultInteg, DefaultPrfs, DefaultGroups, Array.Empty<EsnId>()),
    };

    private static readonly EncryptionSpec[] EspAead =
    {
        new(EncrId.AesGcm16, 256), new(EncrId.AesGcm16, 128), new(EncrId.AesGcm16, 192),
        new(EncrId.AesGcm12, 256), new(EncrId.AesGcm12, 128), new(EncrId.AesGcm12, 192),
        new(EncrId.AesGcm8, 256), new(EncrId.AesGcm8, 128), new(EncrId.AesGcm8, 192),
        new(EncrId.ChaCha20Poly1305, 0),
    };
    private static readonly EncryptionSpec[] EspClassic =
    {
        new(EncrId.AesCbc, 256), new(EncrId.AesCbc, 128), new(EncrId.AesCbc, 192),
        new(EncrId.AesCtr, 256), new(EncrId.AesCtr, 128), new(EncrId.AesCtr, 192),
    };
    private static readonly IntegId[] EspInteg =
        { IntegId.HmacSha2_256_128, IntegId.HmacSha2_384_192, IntegId.HmacSha2_512_256, IntegId.AesXcbc96, IntegId.AesCmac96 };

    /// <summary>
    /// ESP defaults: Android's default CHILD SA algorithms (its <c>IpSecAlgorithm</c> default list) as far as the managed
    /// data plane runs them: AES-GCM with 16/12/8-byte ICVs and ChaCha20-Poly1305; AES-CBC and AES-CTR with HMAC-SHA2,
    /// AES-XCBC or AES-CMAC; 256/128/192-bit AES keys in that order of preference. No HMAC-SHA1 or HMAC-MD5. Extended
    /// sequence numbers are preferred (RFC 4304), 32-bit ones accepted, so two peers that both support ESN use it.
    /// </summary>
    public static IReadOnlyList<ProposalSpec> DefaultEsp { get; } = new[]
    {
        new ProposalSpec(EspAead, Array.Empty<IntegId>(), Array.Empty<PrfId>(), Array.Empty<KeGroup>(), new[] { EsnId.Esn, EsnId.NoEsn }),
        new ProposalSpec(EspClassic, EspInteg, Array.Empty<PrfId>(), Array.Empty<KeGroup>(), new[] { EsnId.Esn, EsnId.NoEsn }),
    };

    /// <summary>
    /// The IKE algorithms Android's default proposals use, as far as this client implements them: the candidates that
    /// <c>allowedAlgorithms</c> narrows down (AES-GCM-16/12/8 and ChaCha20-Poly1305; AES-CBC and AES-CTR with HMAC-SHA2,
    /// AES-XCBC or AES-CMAC; the SHA2 PRFs; the default groups).
    /// </summary>
    public static IReadOnlyList<ProposalSpec> IkeCandidates { get; } = new[]
    {
        new ProposalSpec(EspAead, Array.Empty<IntegId>(), DefaultPrfs, DefaultGroups, Array.Empty<EsnId>()),
        new ProposalSpec(EspClassic, EspInteg, DefaultPrfs, DefaultGroups, Array.Empty<EsnId>()),
    };

    /// <summary>
    /// Parses one strongSwan-style proposal such as <c>aes256gcm16-prfsha384-x25519</c>, <c>aes128-sha256-modp2048</c>
    /// or (for ESP) <c>aes256gcm16-esn</c>, with the same parser the profiles use (<see cref="ProposalSyntax"/>).
    /// Throws <see cref="FormatException"/> naming the bad token.
    /// </summary>
    public static ProposalSpec Parse(string text, bool esp = false)
    {
        if (!ProposalSyntax.TryParse(text, esp, out var parsed, out var error))
            throw new FormatException(error);
        if (parsed.Count != 1)
            throw new FormatException($"'{text}' holds {parsed.Count} proposals; parse a list with ProposalSyntax and From()");
        return From(parsed[0]);
    }

    /// <summary>Converts a proposal parsed by <see cref="ProposalSyntax"/> (profiles, configs).</summary>
    public static ProposalSpec From(Crypto.ProposalSpec spec) => new(
        spec.Encryption.Select(e => new EncryptionSpec(e.Id, e.KeyBits)).ToArray(),
        spec.Integrity.ToArray(), spec.Prfs.ToArray(), spec.KeGroups.ToArray(), spec.Esn.ToArray());

    /// <summary>The wire proposal offering every alternative (transforms ordered by type, then preference).</summary>
    internal Proposal ToWire(byte number, ProtocolId protocol, byte[] spi)
    {
        var p = new Proposal { Number = number, ProtocolId = protocol, Spi = spi };
        foreach (var e in Encryption) p.Transforms.Add(new Transform(TransformType.Encryption, (ushort)e.Id, e.KeyBits));
        foreach (var prf in Prfs) p.Transforms.Add(new Transform(TransformType.Prf, (ushort)prf));
        foreach (var i in Integrity) p.Transforms.Add(new Transform(TransformType.Integrity, (ushort)i));
        foreach (var g in Groups) p.Transforms.Add(new Transform(TransformType.KeyExchange, (ushort)g));
        foreach (var n in Esn) p.Transforms.Add(new Transform(TransformType.ExtendedSequenceNumbers, (ushort)n));
        return p;
    }

    public override string ToString() => string.Join("-",
        Encryption.Select(e => e.ToString())
            .Concat(Integrity.Select(i => CryptoRegistry.NameOf(TransformType.Integrity, (ushort)i)))
            .Concat(Prfs.Select(p => CryptoRegistry.NameOf(TransformType.Prf, (ushort)p)))
            .Concat(Groups.Select(g => CryptoRegistry.NameOf(TransformType.KeyExchange, (ushort)g)))
            .Concat(Esn.Select(n => n.ToString())));
}
