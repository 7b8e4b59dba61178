namespace Ikev2Client.Protocol.Crypto;

/// <summary>
/// Parses and formats strongSwan proposal strings (docs.strongswan.org "Algorithm Proposals (Cipher Suites)"):
/// algorithm keywords joined by dashes, several proposals separated by commas, the keyword <c>default</c>
/// standing for strongSwan's default proposals and a trailing <c>!</c> (ipsec.conf "strict") accepted and
/// stripped. Rules applied as strongSwan applies them: in IKE a missing PRF is derived from the integrity
/// algorithms; integrity algorithms are stripped from AEAD proposals; AEAD and classic ciphers cannot share
/// a proposal; IKE needs a PRF and a key exchange group; a classic cipher needs an integrity algorithm; ESP
/// without an ESN keyword means <c>noesn</c>. Never throws on bad input.
/// </summary>
public static class ProposalSyntax
{
    private static readonly Dictionary<string, EncryptionSpec> Ciphers = BuildCiphers();

    private static readonly Dictionary<string, IntegId> Integrities = new(StringComparer.Ordinal)
    {
        ["md5"] = IntegId.HmacMd5_96, ["sha1"] = IntegId.HmacSha1_96, ["sha"] = IntegId.HmacSha1_96,
        ["sha1_160"] = IntegId.HmacSha1_160, ["sha256"] = IntegId.HmacSha2_256_128, ["sha2_256"] = IntegId.HmacSha2_256_128,
        ["sha384"] = IntegId.HmacSha2_384_192, ["sha2_384"] = IntegId.HmacSha2_384_192,
        ["sha512"] = IntegId.HmacSha2_512_256, ["sha2_512"] = IntegId.HmacSha2_512_256,
        ["aesxcbc"] = IntegId.AesXcbc96, ["aescmac"] = IntegId.AesCmac96,
    };

    private static readonly Dictionary<string, PrfId> Prfs = new(StringComparer.Ordinal)
    {
        ["prfmd5"] = PrfId.HmacMd5, ["prfsha1"] = PrfId.HmacSha1, ["prfsha256"] = PrfId.HmacSha2_256,
        ["prfsha384"] = PrfId.HmacSha2_384, ["prfsha512"] = PrfId.HmacSha2_512,
        ["prfaesxcbc"] = PrfId.AesXcbc128, ["prfaescmac"] = PrfId.AesCmac128,
    };

    private static readonly Dictionary<string, KeGroup> Groups = new(StringComparer.Ordinal)
    {
        ["modp1024"] = KeGroup.Modp1024, ["modp1536"] = KeGroup.Modp1536, ["modp2048"] = KeGroup.Modp2048,
        ["modp3072"] = KeGroup.Modp3072, ["modp4096"] = KeGroup.Modp4096, ["modp6144"] = KeGroup.Modp6144,
        ["modp8192"] = KeGroup.Modp8192, ["ecp256"] = KeGroup.Ecp256, ["ecp384"] = KeGroup.Ecp384,
        ["ecp521"] = KeGroup.Ecp521, ["curve25519"] = KeGroup.Curve25519, ["x25519"] = KeGroup.Curve25519,
        ["curve448"] = KeGroup.Curve448, ["x448"] = KeGroup.Curve448,
        ["mlkem512"] = KeGroup.MlKem512, ["mlkem768"] = KeGroup.MlKem768, ["mlkem1024"] = KeGroup.MlKem1024,
    };

    /// <summary>Known strongSwan keywords this implementation does not support (named in the error).</summary>
    private static readonly HashSet<string> KnownUnsupported = new(StringComparer.Ordinal)
    {
        "modp768", "modp1024s160", "modp2048s224", "modp2048s256", "ecp192", "ecp224", "ecp224bp", "ecp256bp",
        "ecp384bp", "ecp512bp", "blowfish", "blowfish128", "blowfish192", "blowfish256", "cast128", "twofish",
        "serpent", "md5_128", "sha256_96", "prfcamellia",
    };

    /// <summary>Parses a comma-separated list of proposals. <paramref name="error"/> names the offending token.</summary>
    public static bool TryParse(string text, bool isEsp, out IReadOnlyList<ProposalSpec> proposals, out string? error)
        => TryParse(text, isEsp, out proposals, out _, out error);

    /// <summary>As <see cref="TryParse(string,bool,out IReadOnlyList{ProposalSpec},out string?)"/>, also reporting
    /// whether the list ended in strongSwan's strict marker <c>!</c>.</summary>
    public static bool TryParse(string text, bool isEsp, out IReadOnlyList<ProposalSpec> proposals, out bool strict, out string? error)
    {
        proposals = [];
        strict = false;
        error = null;
        if (text is null || string.IsNullOrWhiteSpace(text))
        {
            error = "empty proposal string";
            return false;
        }
        var trimmed = text.Trim();
        if (trimmed.EndsWith('!'))
        {
            strict = true;
            trimmed = trimmed[..^1].TrimEnd();
        }
        var result = new List<ProposalSpec>();
        foreach (var raw in trimmed.Split(',', StringSplitOptions.TrimEntries))
        {
            if (raw.Length == 0)
            {
                error = "empty proposal between commas";
                return false;
            }
            if (raw.Equals("default", StringComparison.OrdinalIgnoreCase))
            {
                result.AddRange(Defaults(isEsp));
                continue;
            }
            if (!TryParseOne(raw, isEsp, out var spec, out error))
                return false;
            result.Add(spec!);
        }
        proposals = result;
        return true;
    }

    /// <summary>strongSwan's default proposals restricted to the transforms this client implements.</summary>
    public static IReadOnlyList<ProposalSpec> Defaults(bool isEsp)
    {
        var text = isEsp
            ? "aes128gcm16-aes256gcm16-chacha20poly1305,aes128-aes192-aes256-sha256-sha384-sha512"
            : "aes128gcm16-aes192gcm16-aes256gcm16-chacha20poly1305-prfsha256-prfsha384-prfsha512-" + DefaultGroups
              + ",aes128-aes192-aes256-sha256-sha384-sha512-" + DefaultGroups;
        var list = new List<ProposalSpec>();
        foreach (var p in text.Split(','))
        {
            TryParseOne(p, isEsp, out var spec, out _);
            list.Add(spec!);
        }
        return list;
    }

    private const string DefaultGroups = "ecp256-ecp384-ecp521-curve25519-curve448-modp3072-modp4096-modp6144-modp8192-modp2048";

    private static bool TryParseOne(string text, bool isEsp, out ProposalSpec? spec, out string? error)
    {
        spec = null;
        var encr = new List<EncryptionSpec>();
        var integ = new List<IntegId>();
        var prf = new List<PrfId>();
        var ke = new List<KeGroup>();
        var esn = new List<EsnId>();
        var additional = new List<KeGroup>[7];
        foreach (var rawToken in text.Split('-'))
        {
            var token = rawToken.Trim().ToLowerInvariant();
            if (token.Length == 0)
            {
                error = $"empty algorithm keyword in proposal '{text}'";
                return false;
            }
            if (Ciphers.TryGetValue(token, out var c))
            {
                if (!isEsp && c.Id is EncrId.Null or EncrId.NullAuthAesGmac)
                {
                    error = $"'{token}' is allowed in ESP proposals only";
                    return false;
                }
                AddOnce(encr, c);
            }
            else if (Integrities.TryGetValue(token, out var i)) AddOnce(integ, i);
            else if (Prfs.TryGetValue(token, out var p))
            {
                if (isEsp)
                {
                    error = $"'{token}' is a PRF, which ESP proposals do not take";
                    return false;
                }
                AddOnce(prf, p);
            }
            else if (Groups.TryGetValue(token, out var g)) AddOnce(ke, g);
            else if (TryParseAdditional(token, out int index, out var addke, out error))
            {
                if (error != null) return false;
                AddOnce(additional[index] ??= new List<KeGroup>(), addke);
            }
            else if (token == "esn") AddOnce(esn, EsnId.Esn);
            else if (token == "noesn") AddOnce(esn, EsnId.NoEsn);
            else
            {
                error = KnownUnsupported.Contains(token)
                    ? $"algorithm '{token}' is not supported by this client"
                    : $"unknown algorithm keyword '{token}'";
                return false;
            }
        }
        if (!Check(text, isEsp, encr, integ, prf, ke, esn, out spec, out error)) return false;
        int last = Array.FindLastIndex(additional, l => l != null);
        if (last >= 0)
        {
            spec = spec! with { AdditionalKeyExchanges = additional.Take(last + 1).Select(l => (IReadOnlyList<KeGroup>)(l ?? new List<KeGroup>())).ToArray() };
        }
        return true;
    }

    /// <summary>
    /// An RFC 9370 keyword as strongSwan 6 writes it: <c>ke1_mlkem768</c> … <c>ke7_…</c>, <c>keN_none</c> for "optional".
    /// False when the token is not of that form; true with <paramref name="error"/> set when it is but names something bad.
    /// </summary>
    private static bool TryParseAdditional(string token, out int index, out KeGroup group, out string? error)
    {
        index = 0;
        group = KeGroup.None;
        error = null;
        if (token.Length < 5 || !token.StartsWith("ke", StringComparison.Ordinal) || token[3] != '_' || !char.IsAsciiDigit(token[2])) return false;
        index = token[2] - '1';
        if (index is < 0 or > 6)
        {
            error = $"'{token}': additional key exchanges are numbered ke1 to ke7 (RFC 9370)";
            return true;
        }
        var name = token[4..];
        if (name == "none") return true;
        if (Groups.TryGetValue(name, out group)) return true;
        error = KnownUnsupported.Contains(name)
            ? $"algorithm '{name}' in '{token}' is not supported by this client"
            : $"unknown key exchange method '{name}' in '{token}'";
        return true;
    }

    private static bool Check(string text, bool isEsp, List<EncryptionSpec> encr, List<IntegId> integ,
        List<PrfId> prf, List<KeGroup> ke, List<EsnId> esn, out ProposalSpec? spec, out string? error)
    {
        spec = null;
        error = null;
        if (encr.Count == 0)
        {
            error = $"proposal '{text}' has no encryption algorithm";
            return false;
        }
        bool anyAead = encr.Any(e => e.IsAead), allAead = encr.All(e => e.IsAead);
        if (anyAead && !allAead)
        {
            error = $"proposal '{text}' mixes AEAD and classic ciphers; use two comma-separated proposals";
            return false;
        }
        if (!isEsp && prf.Count == 0)
        {
            // strongSwan derives the PRF from the integrity algorithms (also for AEAD, where integ is then dropped).
            foreach (var i in integ)
                if (PrfFor(i) is { } derived) AddOnce(prf, derived);
            if (prf.Count == 0)
            {
                error = $"IKE proposal '{text}' needs a PRF (e.g. prfsha256) or an integrity algorithm to derive it from";
                return false;
            }
        }
        if (!isEsp && esn.Count > 0)
        {
            error = $"IKE proposal '{text}' must not contain esn/noesn";
            return false;
        }
        if (allAead) integ.Clear();
        else if (integ.Count == 0)
        {
            error = $"proposal '{text}' uses a classic cipher but no integrity algorithm";
            return false;
        }
        if (!isEsp && ke.Count == 0)
        {
            error = $"IKE proposal '{text}' needs a key exchange group (e.g. ecp256)";
            return false;
        }
        if (isEsp && esn.Count == 0) esn.Add(EsnId.NoEsn);
        spec = new ProposalSpec(encr, integ, prf, ke, esn);
        return true;
    }

    /// <summary>Formats one proposal back into canonical strongSwan syntax (parses back to an equal spec).</summary>
    public static string Format(ProposalSpec p, bool isEsp)
    {
        ArgumentNullException.ThrowIfNull(p);
        var parts = new List<string>();
        parts.AddRange(p.Encryption.Select(CipherKeyword));
        parts.AddRange(p.Integrity.Select(i => Integrities.First(kv => kv.Value == i).Key));
        if (!isEsp) parts.AddRange(p.Prfs.Select(f => Prfs.First(kv => kv.Value == f).Key));
        parts.AddRange(p.KeGroups.Select(g => Groups.First(kv => kv.Value == g).Key));
        for (int i = 0; i < p.AdditionalKeyExchanges.Count; i++)
            parts.AddRange(p.AdditionalKeyExchanges[i].Select(g => $"ke{i + 1}_" + (g == KeGroup.None ? "none" : Keyword(g))));
        if (isEsp && !(p.Esn.Count == 1 && p.Esn[0] == EsnId.NoEsn))
            parts.AddRange(p.Esn.Select(e => e == EsnId.Esn ? "esn" : "noesn"));
        return string.Join('-', parts);
    }

    /// <summary>Formats a list of proposals, comma-separated.</summary>
    public static string Format(IEnumerable<ProposalSpec> proposals, bool isEsp) =>
        string.Join(',', proposals.Select(p => Format(p, isEsp)));

    /// <summary>The strongSwan keyword of a cipher (e.g. <c>aes128ctr</c>, <c>aes192gcm8</c>, <c>chacha20poly1305</c>).</summary>
    public static string Keyword(EncryptionSpec cipher) => CipherKeyword(cipher);

    /// <summary>The strongSwan keyword of an integrity algorithm (e.g. <c>aesxcbc</c>, <c>sha1</c>).</summary>
    public static string Keyword(IntegId integrity) => Integrities.First(kv => kv.Value == integrity).Key;

    /// <summary>The strongSwan keyword of a PRF (e.g. <c>prfsha256</c>).</summary>
    public static string Keyword(PrfId prf) => Prfs.First(kv => kv.Value == prf).Key;

    /// <summary>The strongSwan keyword of a key exchange group (e.g. <c>ecp256</c>).</summary>
    public static string Keyword(KeGroup group) => Groups.First(kv => kv.Value == group).Key;

    /// <summary>The PRF strongSwan pairs with an integrity algorithm, or null when there is none.</summary>
    public static PrfId? PrfFor(IntegId integ) => integ switch
    {
        IntegId.HmacMd5_96 => PrfId.HmacMd5,
        IntegId.HmacSha1_96 or IntegId.HmacSha1_160 => PrfId.HmacSha1,
        IntegId.HmacSha2_256_128 => PrfId.HmacSha2_256,
        IntegId.HmacSha2_384_192 => PrfId.HmacSha2_384,
        IntegId.HmacSha2_512_256 => PrfId.HmacSha2_512,
        IntegId.AesXcbc96 => PrfId.AesXcbc128,
        IntegId.AesCmac96 => PrfId.AesCmac128,
        _ => null,
    };

    private static string CipherKeyword(EncryptionSpec e)
    {
        // Prefer the canonical spelling (first inserted) for each (id, bits).
        foreach (var kv in Ciphers)
            if (kv.Value == e) return kv.Key;
        throw new ArgumentException($"cipher {e.Id}/{e.KeyBits} has no strongSwan keyword", nameof(e));
    }

    private static void AddOnce<T>(List<T> list, T item)
    {
        if (!list.Contains(item)) list.Add(item);
    }

    private static Dictionary<string, EncryptionSpec> BuildCiphers()
    {
        var d = new Dictionary<string, EncryptionSpec>(StringComparer.Ordinal);
        foreach (var bits in new[] { 128, 192, 256 })
        {
            d[$"aes{bits}"] = new(EncrId.AesCbc, bits);
            d[$"aes{bits}ctr"] = new(EncrId.AesCtr, bits);
            d[$"aes{bits}gcm16"] = new(EncrId.AesGcm16, bits);
            d[$"aes{bits}gcm12"] = new(EncrId.AesGcm12, bits);
            d[$"aes{bits}gcm8"] = new(EncrId.AesGcm8, bits);
            d[$"aes{bits}gcm128"] = new(EncrId.AesGcm16, bits);
            d[$"aes{bits}gcm96"] = new(EncrId.AesGcm12, bits);
            d[$"aes{bits}gcm64"] = new(EncrId.AesGcm8, bits);
            d[$"aes{bits}gcm"] = new(EncrId.AesGcm16, bits);
            d[$"aes{bits}ccm16"] = new(EncrId.AesCcm16, bits);
            d[$"aes{bits}ccm12"] = new(EncrId.AesCcm12, bits);
            d[$"aes{bits}ccm8"] = new(EncrId.AesCcm8, bits);
            d[$"aes{bits}ccm128"] = new(EncrId.AesCcm16, bits);
            d[$"aes{bits}ccm96"] = new(EncrId.AesCcm12, bits);
            d[$"aes{bits}ccm64"] = new(EncrId.AesCcm8, bits);
            d[$"aes{bits}ccm"] = new(EncrId.AesCcm16, bits);
            d[$"aes{bits}gmac"] = new(EncrId.NullAuthAesGmac, bits);
            d[$"camellia{bits}"] = new(EncrId.Camellia, bits);
        }
        d["aes"] = new(EncrId.AesCbc, 128);
        d["camellia"] = new(EncrId.Camellia, 128);
        d["chacha20poly1305"] = new(EncrId.ChaCha20Poly1305, 0);
        d["3des"] = new(EncrId.TripleDes, 0);
        d["des"] = new(EncrId.Des, 0);
        d["null"] = new(EncrId.Null, 0);
        return d;
    }
}
