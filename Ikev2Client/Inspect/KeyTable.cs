using System.Text.Json;
using Ikev2Client.Protocol.Crypto;

namespace Ikev2Client.Inspect;

/// <summary>The SK_* keys of one IKE SA, for decrypting a capture. Never printed.</summary>
public sealed record IkeSaSecrets(ulong SpiI, ulong SpiR, byte[] SkEi, byte[] SkEr, byte[] SkAi, byte[] SkAr)
{
    /// <summary>Algorithms named in a Wireshark table, used when the capture lacks the IKE_SA_INIT.</summary>
    public (EncrId Id, int KeyBits)? Encryption { get; init; }
    public IntegId? Integrity { get; init; }

    public override string ToString() => $"keys for IKE SA {SpiI:x16}/{SpiR:x16}";
}

/// <summary>Thrown when a key file can't be read; the message says what to fix and never shows key bytes.</summary>
public sealed class KeyFileException : Exception
{
    public KeyFileException(string message) : base(message) { }
}

/// <summary>
/// Reads keys for <c>ikev2 inspect --keys</c>: a JSON object
/// <c>{"spiI":"hex","spiR":"hex","skEi":"hex","skEr":"hex","skAi":"hex","skAr":"hex"}</c>, a list of such
/// objects, or a Wireshark <c>ikev2_decryption_table</c> (CSV: SPIi, SPIr, SK_ei, SK_er, encryption algorithm,
/// SK_ai, SK_ar, integrity algorithm).
/// </summary>
public static class KeyTable
{
    /// <summary>Largest key file read.</summary>
    public const int MaxFileBytes = 1024 * 1024;
    /// <summary>IKE SAs in one key file.</summary>
    public const int MaxEntries = 4096;

    public static List<IkeSaSecrets> Parse(string text)
    {
        if (text.Length > MaxFileBytes) throw new KeyFileException($"the key file has {text.Length} characters; the limit is {MaxFileBytes}");
        var trimmed = text.TrimStart();
        var list = trimmed.StartsWith('{') || trimmed.StartsWith('[') ? ParseJson(text) : ParseWireshark(text);
        if (list.Count > MaxEntries) throw new KeyFileException($"the key file has {list.Count} entries; the limit is {MaxEntries}");
        return list;
    }

    private static List<IkeSaSecrets> ParseJson(string text)
    {
        // The same strict reading as profiles: UTF-8, decodable strings, no repeated keys, bounded depth and size.
        var utf8 = System.Text.Encoding.UTF8.GetBytes(text);
        if (Profiles.JsonInput.Validate(utf8) is { } error) throw new KeyFileException($"the key file is not valid JSON: {error}");
        using var doc = JsonDocument.Parse(utf8, new JsonDocumentOptions { MaxDepth = Profiles.ProfileLimits.MaxJsonDepth + 1, AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        var list = new List<IkeSaSecrets>();
        if (doc.RootElement.ValueKind == JsonValueKind.Array)
        {
            int i = 0;
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                if (++i > MaxEntries) throw new KeyFileException($"the key file has more than {MaxEntries} entries (the limit)");
                list.Add(FromJson(e, $"entry {i}"));
            }
        }
        else list.Add(FromJson(doc.RootElement, "the key object"));
        return list;
    }

    private static IkeSaSecrets FromJson(JsonElement e, string where)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new KeyFileException($"{where} is not a JSON object");
        string Field(string name, bool required = true)
        {
            foreach (var p in e.EnumerateObject())
                if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase) && p.Value.ValueKind == JsonValueKind.String)
                    return p.Value.GetString()!;
            if (required) throw new KeyFileException($"{where} lacks \"{name}\"");
            return "";
        }
        return new IkeSaSecrets(Spi(Field("spiI"), where, "spiI"), Spi(Field("spiR"), where, "spiR"),
            Hex(Field("skEi"), where, "skEi"), Hex(Field("skEr"), where, "skEr"),
            Hex(Field("skAi", false), where, "skAi"), Hex(Field("skAr", false), where, "skAr"));
    }

    private static List<IkeSaSecrets> ParseWireshark(string text)
    {
        var list = new List<IkeSaSecrets>();
        int lineNo = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNo++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            if (list.Count >= MaxEntries) throw new KeyFileException($"the key file has more than {MaxEntries} entries (the limit)");
            var f = SplitCsv(line);
            if (f.Count < 4) throw new KeyFileException($"line {lineNo} of the key table has {f.Count} fields; expected SPIi,SPIr,SK_ei,SK_er,encryption,SK_ai,SK_ar,integrity");
            var where = $"line {lineNo}";
            var entry = new IkeSaSecrets(Spi(f[0], where, "SPIi"), Spi(f[1], where, "SPIr"), Hex(f[2], where, "SK_ei"), Hex(f[3], where, "SK_er"),
                f.Count > 5 ? Hex(f[5], where, "SK_ai") : Array.Empty<byte>(), f.Count > 6 ? Hex(f[6], where, "SK_ar") : Array.Empty<byte>())
            {
                Encryption = f.Count > 4 ? WiresharkEncryption(f[4]) : null,
                Integrity = f.Count > 7 ? WiresharkIntegrity(f[7]) : null,
            };
            list.Add(entry);
        }
        if (list.Count == 0) throw new KeyFileException("the key file has no entries");
        return list;
    }

    private static (EncrId, int)? WiresharkEncryption(string name)
    {
        var n = name.ToUpperInvariant();
        int bits = n.Contains("256") ? 256 : n.Contains("192") ? 192 : 128;
        if (n.Contains("CBC")) return (EncrId.AesCbc, bits);
        if (n.Contains("CTR")) return (EncrId.AesCtr, bits);
        if (n.Contains("GCM")) return (n.Contains("8 OCTET") ? EncrId.AesGcm8 : n.Contains("12 OCTET") ? EncrId.AesGcm12 : EncrId.AesGcm16, bits);
        if (n.Contains("CHACHA")) return (EncrId.ChaCha20Poly1305, 256);
        return null;
    }

    private static IntegId? WiresharkIntegrity(string name)
    {
        var n = name.ToUpperInvariant().Replace('-', '_');
        if (n.Contains("SHA2_256")) return IntegId.HmacSha2_256_128;
        if (n.Contains("SHA2_384")) return IntegId.HmacSha2_384_192;
        if (n.Contains("SHA2_512")) return IntegId.HmacSha2_512_256;
        if (n.Contains("SHA1")) return IntegId.HmacSha1_96;
        if (n.Contains("XCBC")) return IntegId.AesXcbc96;
        if (n.Contains("CMAC")) return IntegId.AesCmac96;
        if (n.Contains("NONE")) return IntegId.None;
        return null;
    }

    private static List<string> SplitCsv(string line)
    {
        var fields = new List<string>();
        var cur = new System.Text.StringBuilder();
        bool quoted = false;
        foreach (char c in line)
        {
            if (c == '"') quoted = !quoted;
            else if (c == ',' && !quoted) { fields.Add(cur.ToString().Trim()); cur.Clear(); }
            else cur.Append(c);
        }
        fields.Add(cur.ToString().Trim());
        return fields;
    }

    private static ulong Spi(string hex, string where, string name)
    {
        var b = Hex(hex, where, name);
        if (b.Length != 8) throw new KeyFileException($"{where}: {name} must be 8 bytes (16 hex digits), found {b.Length} bytes");
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(b);
    }

    private static byte[] Hex(string hex, string where, string name)
    {
        var clean = hex.Replace(" ", "").Replace(":", "");
        if (clean.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) clean = clean[2..];
        try { return Convert.FromHexString(clean); }
        catch (FormatException) { throw new KeyFileException($"{where}: {name} is not valid hex"); }
    }
}
