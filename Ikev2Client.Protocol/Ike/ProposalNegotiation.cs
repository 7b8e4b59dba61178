using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Ike;

/// <summary>
/// The algorithms agreed for an IKE SA or a CHILD SA: one transform of each type. <see cref="Integrity"/> is
/// <see cref="IntegId.None"/> for AEAD ciphers, <see cref="Prf"/> null for CHILD SAs, <see cref="Group"/>
/// <see cref="KeGroup.None"/> when no key exchange was negotiated (a CHILD SA without PFS).
/// </summary>
public sealed record NegotiatedAlgorithms
{
    internal NegotiatedAlgorithms(IIkeEncryption cipher, IIkeIntegrity? mac, IIkePrf? prf, KeGroup group, EsnId esn,
        IReadOnlyList<KeGroup>? additionalKeyExchanges = null)
    {
        Cipher = cipher;
        Mac = mac;
        PrfFunction = prf;
        Group = group;
        Esn = esn;
        AdditionalKeyExchanges = additionalKeyExchanges ?? [];
    }

    /// <summary>
    /// The additional key exchanges agreed (RFC 9370), in the order they run (ADDKE1 first); transform types the
    /// peer answered with NONE are left out. Empty for a classical SA.
    /// </summary>
    public IReadOnlyList<KeGroup> AdditionalKeyExchanges { get; }

    /// <summary>The encryption transform and its key size (AEAD or not: <see cref="EncryptionSpec.IsAead"/>).</summary>
    public EncryptionSpec Encryption => new(Cipher.Id, Cipher.KeyBits);

    /// <summary>The integrity transform; <see cref="IntegId.None"/> with an AEAD cipher.</summary>
    public IntegId Integrity => Mac?.Id ?? IntegId.None;

    /// <summary>The pseudo-random function of an IKE SA; null for a CHILD SA.</summary>
    public PrfId? Prf => PrfFunction?.Id;

    /// <summary>The key exchange group; <see cref="KeGroup.None"/> when none was negotiated.</summary>
    public KeGroup Group { get; }

    /// <summary>Whether a CHILD SA uses extended sequence numbers (RFC 4304).</summary>
    public EsnId Esn { get; }

    /// <summary>Bytes of encryption key material per direction (the key plus any salt).</summary>
    public int EncryptionKeyLength => Cipher.KeyMaterialLength;

    /// <summary>Bytes of integrity key per direction; 0 with an AEAD cipher.</summary>
    public int IntegrityKeyLength => Mac?.KeyLength ?? 0;

    internal IIkeEncryption Cipher { get; }
    internal IIkeIntegrity? Mac { get; }
    internal IIkePrf? PrfFunction { get; }

    /// <summary>The IANA names, e.g. <c>ENCR_AES_GCM_16_256/PRF_HMAC_SHA2_256/CURVE25519/ML-KEM-768</c>.</summary>
    public override string ToString()
    {
        var parts = new List<string> { Cipher.Name };
        if (Mac != null) parts.Add(Mac.Name);
        if (PrfFunction != null) parts.Add(PrfFunction.Name);
        if (Group != KeGroup.None) parts.Add(CryptoRegistry.NameOf(TransformType.KeyExchange, (ushort)Group));
        parts.AddRange(AdditionalKeyExchanges.Select(g => CryptoRegistry.NameOf(TransformType.KeyExchange, (ushort)g)));
        if (PrfFunction == null) parts.Add(Esn == EsnId.Esn ? "ESN" : "NO_ESN");
        return string.Join("/", parts);
    }
}

/// <summary>
/// Proposal selection (responder) and validation of the chosen proposal (initiator), RFC 7296 §2.7 and §3.3.6:
/// every transform type present in the proposal must be matched by exactly one transform.
/// </summary>
internal static class ProposalNegotiation
{
    /// <summary>Picks the first of the peer's proposals (in its order) that one of ours covers; the transform
    /// within each type is the peer's most preferred one that we support.</summary>
    // ikeAuth: the CHILD SA of IKE_AUTH negotiates no additional key exchanges (RFC 9370 §2.2.3).
    public static Proposal? Select(IReadOnlyList<Proposal> offered, IReadOnlyList<ProposalSpec> ours, ProtocolId protocol, bool ikeAuth = false)
    {
        var oursWire = ours.Select((s, i) => s.ToWire((byte)(i + 1), protocol, Array.Empty<byte>())).ToList();
        foreach (var theirs in offered)
        {
            if (theirs.ProtocolId != protocol) continue;
            foreach (var mine in oursWire)
            {
                var chosen = new Proposal { Number = theirs.Number, ProtocolId = protocol };
                bool ok = true;
                foreach (var type in TypesOf(theirs).Union(TypesOf(mine)))
                {
                    if (ikeAuth && IsAdditional(type)) continue;
                    var pick = theirs.OfType(type).FirstOrDefault(t => Contains(mine, t) && IsSupported(t, protocol));
                    if (pick == null)
                    {
                        // An additional exchange the peer marked optional (NONE) that we do not offer at all.
                        if (IsAdditional(type) && !mine.OfType(type).Any() && theirs.OfType(type).Any(t => t.Id == 0)) continue;
                        // AEAD: "no integrity" on one side matches absent integrity on the other.
                        if (type == TransformType.Integrity && IsAead(theirs) && !mine.OfType(type).Any(t => t.Id != 0)) continue;
                        if (type == TransformType.Integrity && IsAead(theirs) && !theirs.OfType(type).Any(t => t.Id != 0)) continue;
                        ok = false;
                        break;
                    }
                    if (type == TransformType.Integrity && pick.Id == 0) continue;
                    if (IsAdditional(type) && pick.Id == 0) continue; // NONE: this additional exchange is skipped (RFC 9370 §2.2.1)
                    chosen.Transforms.Add(Clone(pick));
                }
                if (ok && chosen.OfType(TransformType.Encryption).Any()) return chosen;
            }
        }
        return null;
    }

    /// <summary>Checks the responder's answer: one proposal, one transform per type, all of them offered by us in one proposal.</summary>
    // ikeAuth: the CHILD SA of IKE_AUTH, which has no key exchanges of its own: the responder may drop them.
    public static bool Validate(SaPayload answer, IReadOnlyList<ProposalSpec> ours, ProtocolId protocol, out string? error, bool ikeAuth = false)
    {
        error = null;
        if (answer.Proposals.Count != 1) { error = $"the peer chose {answer.Proposals.Count} proposals, exactly one expected"; return false; }
        var chosen = answer.Proposals[0];
        if (chosen.ProtocolId != protocol) { error = $"the peer chose a {chosen.ProtocolId} proposal, {protocol} expected"; return false; }
        foreach (var g in chosen.Transforms.GroupBy(t => t.Type))
            if (g.Count() != 1) { error = $"the peer chose {g.Count()} {g.Key} transforms"; return false; }
        foreach (var spec in ours)
        {
            var mine = spec.ToWire(1, protocol, Array.Empty<byte>());
            bool covered = chosen.Transforms.All(t => Contains(mine, t) || (t.Type == TransformType.Integrity && t.Id == 0)
                || (IsAdditional(t.Type) && t.Id == 0 && mine.OfType(t.Type).Any(x => x.Id == 0)));
            // A CHILD SA created in IKE_AUTH has no KE of its own: the responder drops the PFS group (RFC 7296 §1.2).
            // An additional key exchange we offered with NONE may be skipped; in IKE_AUTH a CHILD SA has none at all.
            bool complete = TypesOf(mine).All(type => chosen.OfType(type).Any() || type == TransformType.ExtendedSequenceNumbers
                || (type == TransformType.KeyExchange && protocol == ProtocolId.Esp)
                || (IsAdditional(type) && (ikeAuth || mine.OfType(type).Any(t => t.Id == 0))));
            if (covered && complete) return true;
        }
        error = $"the peer chose a proposal we did not offer ({Describe(chosen)})";
        return false;
    }

    /// <summary>Resolves a single-transform proposal into algorithm objects.</summary>
    public static bool TryResolve(Proposal p, out NegotiatedAlgorithms? algorithms, out string? error)
    {
        algorithms = null;
        error = null;
        var e = p.OfType(TransformType.Encryption).FirstOrDefault();
        if (e == null || !CryptoRegistry.TryGetEncryption((EncrId)e.Id, e.KeyLength, out var encr)) { error = "no supported encryption transform"; return false; }
        IIkeIntegrity? integ = null;
        var i = p.OfType(TransformType.Integrity).FirstOrDefault();
        bool integOk = p.ProtocolId == ProtocolId.Esp
            ? CryptoRegistry.TryGetEspIntegrity((IntegId)(i?.Id ?? 0), out integ)
            : CryptoRegistry.TryGetIntegrity((IntegId)(i?.Id ?? 0), out integ);
        if (i != null && i.Id != 0 && !integOk) { error = "unsupported integrity transform"; return false; }
        if (!encr.IsAead && integ == null) { error = $"{encr.Name} needs an integrity transform"; return false; }
        if (encr.IsAead && integ != null) { error = $"{encr.Name} must not be combined with an integrity transform"; return false; }
        IIkePrf? prf = null;
        var f = p.OfType(TransformType.Prf).FirstOrDefault();
        if (f != null && !CryptoRegistry.TryGetPrf((PrfId)f.Id, out prf)) { error = "unsupported PRF"; return false; }
        if (p.ProtocolId == ProtocolId.Ike && prf == null) { error = "IKE proposal without a PRF"; return false; }
        var g = (KeGroup)(p.OfType(TransformType.KeyExchange).FirstOrDefault()?.Id ?? 0);
        var esn = (EsnId)(p.OfType(TransformType.ExtendedSequenceNumbers).FirstOrDefault()?.Id ?? 0);
        var additional = new List<KeGroup>();
        foreach (var t in p.Transforms.Where(t => IsAdditional(t.Type) && t.Id != 0).OrderBy(t => t.Type))
        {
            if (!CryptoRegistry.IsSupported((KeGroup)t.Id)) { error = $"unsupported additional key exchange {CryptoRegistry.NameOf(t.Type, t.Id)}"; return false; }
            additional.Add((KeGroup)t.Id);
        }
        algorithms = new NegotiatedAlgorithms(encr, integ, prf, g, esn, additional);
        return true;
    }

    public static string Describe(Proposal p) => string.Join("/", p.Transforms.Select(t =>
        CryptoRegistry.NameOf(t.Type, t.Id, t.KeyLength)));

    /// <summary>ADDKE1..ADDKE7 (RFC 9370 transform types 6–12).</summary>
    public static bool IsAdditional(TransformType type) => type is >= TransformType.AdditionalKeyExchange1 and <= TransformType.AdditionalKeyExchange7;

    /// <summary>True when the proposal offers an additional key exchange it cannot do without (no NONE alternative).</summary>
    public static bool RequiresAdditional(Proposal p) =>
        p.Transforms.Where(t => IsAdditional(t.Type)).GroupBy(t => t.Type).Any(g => g.All(t => t.Id != 0));

    private static IEnumerable<TransformType> TypesOf(Proposal p) => p.Transforms.Select(t => t.Type).Distinct();

    private static bool IsAead(Proposal p) => p.OfType(TransformType.Encryption).Any(t =>
        (EncrId)t.Id is EncrId.AesGcm8 or EncrId.AesGcm12 or EncrId.AesGcm16 or EncrId.ChaCha20Poly1305 or EncrId.AesCcm8 or EncrId.AesCcm12 or EncrId.AesCcm16);

    private static bool Contains(Proposal p, Transform t) => p.Transforms.Any(x => x.Type == t.Type && x.Id == t.Id && x.KeyLength == t.KeyLength);

    private static bool IsSupported(Transform t, ProtocolId protocol) => t.Type switch
    {
        TransformType.Encryption => CryptoRegistry.TryGetEncryption((EncrId)t.Id, t.KeyLength, out _),
        TransformType.Prf => CryptoRegistry.TryGetPrf((PrfId)t.Id, out _),
        TransformType.Integrity => t.Id == 0 || (protocol == ProtocolId.Esp
            ? CryptoRegistry.TryGetEspIntegrity((IntegId)t.Id, out _)
            : CryptoRegistry.TryGetIntegrity((IntegId)t.Id, out _)),
        TransformType.KeyExchange => CryptoRegistry.IsSupported((KeGroup)t.Id),
        TransformType.ExtendedSequenceNumbers => t.Id <= 1,
        _ when IsAdditional(t.Type) => t.Id == 0 || CryptoRegistry.IsSupported((KeGroup)t.Id),
        _ => false,
    };

    private static Transform Clone(Transform t) => new(t.Type, t.Id, t.KeyLength);
}
