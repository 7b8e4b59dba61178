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

    /// <summary>Secure ESP defaults: AES-GCM-16 and AES-CBC + HMAC-SHA2, with and without extended sequence numbers.</summary>
    public static IReadOnlyList<ProposalSpec> DefaultEsp { get; } = new[]
    {
        new ProposalSpec(Gcm, Array.Empty<IntegId>(), Array.Empty<PrfId>(), Array.Empty<KeGroup>(), new[] { EsnId.NoEsn, EsnId.Esn }),
        new ProposalSpec(Cbc, DefaultInteg, Array.Empty<PrfId>(), Array.Empty<KeGroup>(), new[] { EsnId.NoEsn, EsnId.Esn }),
    };

    /// <summary>
    /// Parses a strongSwan-style proposal such as <c>aes256gcm16-prfsha384-x25519</c>, <c>aes128-sha256-modp2048</c>
    /// or (for ESP) <c>aes256gcm16-esn</c>. For IKE without an explicit <c>prf</c> token the integrity
    /// algorithms' hashes are used as PRFs. Throws <see cref="FormatException"/> naming the bad token.
    /// </summary>
    public static ProposalSpec Parse(string text, bool esp = false)
    {
        var encr = new List<EncryptionSpec>();
        var integ = new List<IntegId>();
        var prfs = new List<PrfId>();
        var groups = new List<KeGroup>();
        var esn = new List<EsnId>();
        foreach (var raw in text.ToLowerInvariant().Split('-', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (TryEncryption(raw, out var e)) encr.Add(e);
            else if (raw.StartsWith("prf") && TryHash(raw[3..], out var p, out _)) prfs.Add(p);
            else if (TryHash(raw, out var prf, out var i)) { integ.Add(i); if (!esp) prfs.Add(prf); }
            else if (TryGroup(raw, out var g)) groups.Add(g);
            else if (raw == "esn") esn.Add(EsnId.Esn);
            else if (raw == "noesn") esn.Add(EsnId.NoEsn);
            else throw new FormatException($"unknown algorithm '{raw}' in proposal '{text}'");
        }
        if (encr.Count == 0) throw new FormatException($"proposal '{text}' names no encryption algorithm");
        bool aead = encr.All(x => x.Id is EncrId.AesGcm16 or EncrId.AesGcm12 or EncrId.AesGcm8 or EncrId.ChaCha20Poly1305);
        if (!aead && integ.Count == 0) throw new FormatException($"proposal '{text}' needs an integrity algorithm");
        if (aead && !esp && prfs.Count == 0) throw new FormatException($"proposal '{text}' needs a PRF (e.g. prfsha256)");
        if (!esp && groups.Count == 0) throw new FormatException($"proposal '{text}' needs a key exchange group");
        if (esp && esn.Count == 0) esn.Add(EsnId.NoEsn);
        return new ProposalSpec(encr, aead ? Array.Empty<IntegId>() : integ, prfs.Distinct().ToArray(), groups, esn);
    }

    private static bool TryEncryption(string t, out EncryptionSpec spec)
    {
        spec = default;
        if (t is "chacha20poly1305") { spec = new(EncrId.ChaCha20Poly1305, 0); return true; }
        foreach (int bits in new[] { 128, 192, 256 })
        {
            string p = $"aes{bits}";
            if (t == p) { spec = new(EncrId.AesCbc, bits); return true; }
            if (t == p + "gcm16" || t == p + "gcm128" || t == p + "gcm") { spec = new(EncrId.AesGcm16, bits); return true; }
            if (t == p + "gcm12" || t == p + "gcm96") { spec = new(EncrId.AesGcm12, bits); return true; }
            if (t == p + "gcm8" || t == p + "gcm64") { spec = new(EncrId.AesGcm8, bits); return true; }
            if (t == p + "ctr") { spec = new(EncrId.AesCtr, bits); return true; }
        }
        return false;
    }

    private static bool TryHash(string t, out PrfId prf, out IntegId integ)
    {
        (prf, integ) = t switch
        {
            "sha256" or "sha2_256" => (PrfId.HmacSha2_256, IntegId.HmacSha2_256_128),
            "sha384" or "sha2_384" => (PrfId.HmacSha2_384, IntegId.HmacSha2_384_192),
            "sha512" or "sha2_512" => (PrfId.HmacSha2_512, IntegId.HmacSha2_512_256),
            "sha1" => (PrfId.HmacSha1, IntegId.HmacSha1_96),
            "aesxcbc" => (PrfId.AesXcbc128, IntegId.AesXcbc96),
            "aescmac" => (PrfId.AesCmac128, IntegId.AesCmac96),
            _ => ((PrfId)0, IntegId.None),
        };
        return prf != 0;
    }

    private static bool TryGroup(string t, out KeGroup g)
    {
        g = t switch
        {
            "modp2048" => KeGroup.Modp2048,
            "modp3072" => KeGroup.Modp3072,
            "modp4096" => KeGroup.Modp4096,
            "modp6144" => KeGroup.Modp6144,
            "modp8192" => KeGroup.Modp8192,
            "ecp256" => KeGroup.Ecp256,
            "ecp384" => KeGroup.Ecp384,
            "ecp521" => KeGroup.Ecp521,
            "x25519" or "curve25519" => KeGroup.Curve25519,
            "x448" or "curve448" => KeGroup.Curve448,
            _ => KeGroup.None,
        };
        return g != KeGroup.None;
    }

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
