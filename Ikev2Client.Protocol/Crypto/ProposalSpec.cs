using System.Collections.ObjectModel;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Crypto;

/// <summary>
/// One encryption transform: the IANA id plus the KEY LENGTH attribute in bits (0 for ciphers whose key length is
/// fixed and carry no attribute: ChaCha20-Poly1305, 3DES, DES, NULL).
/// </summary>
/// <param name="Id">The ENCR transform id.</param>
/// <param name="KeyBits">The key length in bits, or 0 for a cipher with a fixed key.</param>
public readonly record struct EncryptionSpec(EncrId Id, int KeyBits)
{
    /// <summary>True for combined-mode (AEAD) ciphers, which take no separate integrity transform.</summary>
    public bool IsAead => Id is EncrId.AesGcm8 or EncrId.AesGcm12 or EncrId.AesGcm16
        or EncrId.AesCcm8 or EncrId.AesCcm12 or EncrId.AesCcm16 or EncrId.ChaCha20Poly1305 or EncrId.NullAuthAesGmac;

    /// <summary>The IANA name with the key size, e.g. <c>ENCR_AES_GCM_16_256</c>.</summary>
    public override string ToString() => CryptoRegistry.NameOf(TransformType.Encryption, (ushort)Id, KeyBits);
}

/// <summary>
/// One IKE or ESP proposal: the alternative transforms of each type, in preference order. IKE proposals carry
/// encryption, PRFs, integrity (none for AEAD ciphers) and at least one key exchange group; ESP proposals carry
/// encryption, integrity, an optional key exchange group (PFS) and the ESN modes. Build one from code, from
/// strongSwan proposal syntax with <see cref="Parse"/> or <see cref="ProposalSyntax.TryParse(string, bool, out IReadOnlyList{ProposalSpec}, out string?)"/>, or take the
/// defaults (<see cref="DefaultIke"/>, <see cref="DefaultEsp"/>). Immutable: the lists are copied on construction.
/// </summary>
public sealed record ProposalSpec
{
    private readonly IReadOnlyList<EncryptionSpec> _encryption = [];
    private readonly IReadOnlyList<IntegId> _integrity = [];
    private readonly IReadOnlyList<PrfId> _prfs = [];
    private readonly IReadOnlyList<KeGroup> _keGroups = [];
    private readonly IReadOnlyList<EsnId> _esn = [];
    private readonly IReadOnlyList<IReadOnlyList<KeGroup>> _additional = [];

    /// <summary>A proposal of the given alternatives (each list in preference order; copied).</summary>
    public ProposalSpec(IEnumerable<EncryptionSpec> encryption, IEnumerable<IntegId> integrity, IEnumerable<PrfId> prfs,
        IEnumerable<KeGroup> keGroups, IEnumerable<EsnId> esn)
    {
        Encryption = Freeze(encryption);
        Integrity = Freeze(integrity);
        Prfs = Freeze(prfs);
        KeGroups = Freeze(keGroups);
        Esn = Freeze(esn);
    }

    /// <summary>The encryption transforms (ciphers with key sizes); never mixes AEAD and classic ciphers.</summary>
    public IReadOnlyList<EncryptionSpec> Encryption { get => _encryption; init => _encryption = Freeze(value); }

    /// <summary>The integrity transforms; empty for AEAD ciphers.</summary>
    public IReadOnlyList<IntegId> Integrity { get => _integrity; init => _integrity = Freeze(value); }

    /// <summary>The pseudo-random functions (IKE proposals only).</summary>
    public IReadOnlyList<PrfId> Prfs { get => _prfs; init => _prfs = Freeze(value); }

    /// <summary>The key exchange groups: at least one for IKE; for ESP, the PFS group(s) or none.</summary>
    public IReadOnlyList<KeGroup> KeGroups { get => _keGroups; init => _keGroups = Freeze(value); }

    /// <summary>The extended sequence number modes (ESP proposals only).</summary>
    public IReadOnlyList<EsnId> Esn { get => _esn; init => _esn = Freeze(value); }

    /// <summary>
    /// The additional key exchanges of RFC 9370: element <c>i</c> lists the alternatives of transform type ADDKE<c>i+1</c>
    /// (at most seven; an empty list means the type is not offered). <see cref="KeGroup.None"/> among the alternatives
    /// makes that exchange optional (the peer may skip it). strongSwan writes them <c>ke1_mlkem768-ke2_none</c>.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<KeGroup>> AdditionalKeyExchanges
    {
        get => _additional;
        init
        {
            if (value.Count > 7) throw new ArgumentException("RFC 9370 defines at most seven additional key exchanges", nameof(value));
            _additional = Array.AsReadOnly(value.Select(l => (IReadOnlyList<KeGroup>)Freeze(l)).ToArray());
        }
    }

    /// <summary>True when the proposal cannot be chosen without at least one additional key exchange (no NONE alternative).</summary>
    public bool RequiresAdditionalKeyExchange => AdditionalKeyExchanges.Any(l => l.Count > 0 && !l.Contains(KeGroup.None));

    /// <summary>True when some key exchange of the proposal is post-quantum (ML-KEM), as primary or additional method.</summary>
    public bool IsPostQuantum => KeGroups.Concat(AdditionalKeyExchanges.SelectMany(l => l)).Any(MlKemKeyExchange.IsMlKem);

    /// <summary>True when the proposal's ciphers are AEAD (a proposal never mixes AEAD and classic ciphers).</summary>
    public bool IsAead => Encryption.Count > 0 && Encryption[0].IsAead;

    private static readonly KeGroup[] DefaultGroups = [KeGroup.Curve25519, KeGroup.Ecp256, KeGroup.Ecp384, KeGroup.Modp3072, KeGroup.Modp2048];
    private static readonly PrfId[] DefaultPrfs = [PrfId.HmacSha2_256, PrfId.HmacSha2_384, PrfId.HmacSha2_512];
    private static readonly IntegId[] DefaultInteg = [IntegId.HmacSha2_256_128, IntegId.HmacSha2_384_192, IntegId.HmacSha2_512_256];
    private static readonly EncryptionSpec[] Gcm = [new(EncrId.AesGcm16, 256), new(EncrId.AesGcm16, 128)];
    private static readonly EncryptionSpec[] Cbc = [new(EncrId.AesCbc, 256), new(EncrId.AesCbc, 128)];

    private static readonly EncryptionSpec[] EspAead =
    [
        new(EncrId.AesGcm16, 256), new(EncrId.AesGcm16, 128), new(EncrId.AesGcm16, 192),
        new(EncrId.AesGcm12, 256), new(EncrId.AesGcm12, 128), new(EncrId.AesGcm12, 192),
        new(EncrId.AesGcm8, 256), new(EncrId.AesGcm8, 128), new(EncrId.AesGcm8, 192),
        new(EncrId.ChaCha20Poly1305, 0),
    ];
    private static readonly EncryptionSpec[] EspClassic =
    [
        new(EncrId.AesCbc, 256), new(EncrId.AesCbc, 128), new(EncrId.AesCbc, 192),
        new(EncrId.AesCtr, 256), new(EncrId.AesCtr, 128), new(EncrId.AesCtr, 192),
    ];
    private static readonly IntegId[] EspInteg =
        [IntegId.HmacSha2_256_128, IntegId.HmacSha2_384_192, IntegId.HmacSha2_512_256, IntegId.AesXcbc96, IntegId.AesCmac96];
    private static readonly EsnId[] EspEsn = [EsnId.Esn, EsnId.NoEsn];

    /// <summary>Secure IKE defaults: AES-GCM-16 and AES-CBC + HMAC-SHA2, SHA2 PRFs, X25519/ECP/MODP-3072/2048; no SHA1 or MD5.</summary>
    public static IReadOnlyList<ProposalSpec> DefaultIke { get; } = Array.AsReadOnly(
    [
        new ProposalSpec(Gcm, [], DefaultPrfs, DefaultGroups, []),
        new ProposalSpec(Cbc, DefaultInteg, DefaultPrfs, DefaultGroups, []),
    ]);

    /// <summary>
    /// ESP defaults: Android's default CHILD SA algorithms (its <c>IpSecAlgorithm</c> default list) as far as the managed
    /// data plane runs them: AES-GCM with 16/12/8-byte ICVs and ChaCha20-Poly1305; AES-CBC and AES-CTR with HMAC-SHA2,
    /// AES-XCBC or AES-CMAC; 256/128/192-bit AES keys in that order of preference. No HMAC-SHA1 or HMAC-MD5. Extended
    /// sequence numbers are preferred (RFC 4304), 32-bit ones accepted, so two peers that both support ESN use it.
    /// </summary>
    public static IReadOnlyList<ProposalSpec> DefaultEsp { get; } = Array.AsReadOnly(
    [
        new ProposalSpec(EspAead, [], [], [], EspEsn),
        new ProposalSpec(EspClassic, EspInteg, [], [], EspEsn),
    ]);

    /// <summary>
    /// The IKE algorithms Android's default proposals use, as far as this client implements them: the candidates that
    /// <c>allowedAlgorithms</c> narrows down (AES-GCM-16/12/8 and ChaCha20-Poly1305; AES-CBC and AES-CTR with HMAC-SHA2,
    /// AES-XCBC or AES-CMAC; the SHA2 PRFs; the default groups).
    /// </summary>
    public static IReadOnlyList<ProposalSpec> IkeCandidates { get; } = Array.AsReadOnly(
    [
        new ProposalSpec(EspAead, [], DefaultPrfs, DefaultGroups, []),
        new ProposalSpec(EspClassic, EspInteg, DefaultPrfs, DefaultGroups, []),
    ]);

    /// <summary>
    /// Parses one strongSwan-style proposal such as <c>aes256gcm16-prfsha384-x25519</c>, <c>aes128-sha256-modp2048</c>
    /// or (for ESP) <c>aes256gcm16-esn</c> with <see cref="ProposalSyntax"/> (which parses lists too).
    /// </summary>
    /// <exception cref="FormatException">The text is not one valid proposal; the message names the bad token.</exception>
    public static ProposalSpec Parse(string text, bool esp = false)
    {
        if (!ProposalSyntax.TryParse(text, esp, out var parsed, out var error))
            throw new FormatException(error);
        if (parsed.Count != 1)
            throw new FormatException($"'{text}' holds {parsed.Count} proposals; parse a list with ProposalSyntax.TryParse");
        return parsed[0];
    }

    /// <summary>The wire proposal offering every alternative (transforms ordered by type, then preference).</summary>
    internal Proposal ToWire(byte number, ProtocolId protocol, byte[] spi)
    {
        var p = new Proposal { Number = number, ProtocolId = protocol, Spi = spi };
        foreach (var e in Encryption) p.Transforms.Add(new Transform(TransformType.Encryption, (ushort)e.Id, e.KeyBits));
        foreach (var prf in Prfs) p.Transforms.Add(new Transform(TransformType.Prf, (ushort)prf));
        foreach (var i in Integrity) p.Transforms.Add(new Transform(TransformType.Integrity, (ushort)i));
        foreach (var g in KeGroups) p.Transforms.Add(new Transform(TransformType.KeyExchange, (ushort)g));
        foreach (var n in Esn) p.Transforms.Add(new Transform(TransformType.ExtendedSequenceNumbers, (ushort)n));
        for (int i = 0; i < AdditionalKeyExchanges.Count; i++)
            foreach (var g in AdditionalKeyExchanges[i]) p.Transforms.Add(new Transform((TransformType)((int)TransformType.AdditionalKeyExchange1 + i), (ushort)g));
        return p;
    }

    /// <summary>True when both offer the same transforms in the same order.</summary>
    public bool Equals(ProposalSpec? other) =>
        other is not null && Encryption.SequenceEqual(other.Encryption) && Prfs.SequenceEqual(other.Prfs)
        && Integrity.SequenceEqual(other.Integrity) && KeGroups.SequenceEqual(other.KeGroups) && Esn.SequenceEqual(other.Esn)
        && AdditionalKeyExchanges.Count == other.AdditionalKeyExchanges.Count
        && AdditionalKeyExchanges.Zip(other.AdditionalKeyExchanges).All(p => p.First.SequenceEqual(p.Second));

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Encryption.Count, Prfs.Count, Integrity.Count, KeGroups.Count, Esn.Count);

    /// <summary>The IANA names of every transform, dash-separated (for logs; <see cref="ProposalSyntax.Format(ProposalSpec, bool)"/> gives strongSwan syntax).</summary>
    public override string ToString() => string.Join("-",
        Encryption.Select(e => e.ToString())
            .Concat(Integrity.Select(i => CryptoRegistry.NameOf(TransformType.Integrity, (ushort)i)))
            .Concat(Prfs.Select(p => CryptoRegistry.NameOf(TransformType.Prf, (ushort)p)))
            .Concat(KeGroups.Select(g => CryptoRegistry.NameOf(TransformType.KeyExchange, (ushort)g)))
            .Concat(AdditionalKeyExchanges.SelectMany((l, i) => l.Select(g => $"ADDKE{i + 1}:{CryptoRegistry.NameOf(TransformType.KeyExchange, (ushort)g)}")))
            .Concat(Esn.Select(n => n.ToString())));

    private static ReadOnlyCollection<T> Freeze<T>(IEnumerable<T> items) =>
        Array.AsReadOnly(items.ToArray());
}
