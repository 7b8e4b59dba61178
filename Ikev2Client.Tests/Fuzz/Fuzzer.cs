using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Ikev2Client.Profiles;

namespace Ikev2Client.Tests.Fuzz;

/// <summary>What one input did: accepted, or refused with a typed error (its message).</summary>
internal readonly record struct FuzzOutcome(bool Accepted, string? Error)
{
    public static FuzzOutcome Ok => new(true, null);
    public static FuzzOutcome Refused(string message) => new(false, message);
}

/// <summary>Counts of a fuzz run, for the test output and docs/architecture.md.</summary>
internal sealed record FuzzStats(string Surface, int Inputs, int Accepted, int Refused, TimeSpan Elapsed, TimeSpan Slowest, long MostAllocated)
{
    public override string ToString() =>
        $"{Surface}: {Inputs} inputs in {Elapsed.TotalSeconds:0.0} s ({Accepted} accepted, {Refused} refused with a typed error); " +
        $"slowest {Slowest.TotalMilliseconds:0} ms, most allocated {MostAllocated / 1024} KiB";
}

/// <summary>
/// Runs mutated inputs through one input surface and fails on the first input that lets an exception escape,
/// takes longer than <see cref="MaxTimePerInput"/>, or allocates more than <see cref="MaxAllocation"/>; every
/// refusal must carry a one-line message without control characters. The failure names the iteration, the
/// seed and the input (base64), so it can be replayed.
/// </summary>
internal static class Fuzzer
{
    /// <summary>The bound: no input under the size limit takes more than a second (generous: most take microseconds).</summary>
    public static readonly TimeSpan MaxTimePerInput = TimeSpan.FromSeconds(1);

    /// <summary>Bytes one input may allocate: 64 MiB plus 64 times its size (the JSON, XML and certificate parsers copy).</summary>
    public static long MaxAllocation(int inputBytes) => (64L << 20) + 64L * inputBytes;

    public static FuzzStats Run(string surface, IReadOnlyList<(string Name, byte[] Bytes)> seeds, int iterations, int rngSeed,
        Func<byte[], Random, byte[]> mutate, Func<byte[], int, FuzzOutcome> target)
    {
        if (seeds.Count == 0) throw new InvalidOperationException($"{surface}: no seeds");
        var rng = new Random(rngSeed);
        int accepted = 0, refused = 0;
        var slowest = TimeSpan.Zero;
        long mostAllocated = 0;
        var total = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++)
        {
            var (name, seed) = seeds[i % seeds.Count];
            var input = i < seeds.Count ? seed : mutate(seed, rng); // every seed once as it is, then mutations
            FuzzOutcome outcome;
            long before = GC.GetAllocatedBytesForCurrentThread();
            var watch = Stopwatch.StartNew();
            try { outcome = target(input, i); }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException(
                    $"{surface}: iteration {i} (seed {rngSeed}, from {name}) let {e.GetType().Name} escape: {e.Message}\ninput (base64): {Show(input)}\n{e}");
            }
            watch.Stop();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (watch.Elapsed > MaxTimePerInput && Again(() => target(input, i)) > MaxTimePerInput) // once more: a slow input is slow twice, a load spike is not
                throw new Xunit.Sdk.XunitException($"{surface}: iteration {i} (from {name}, {input.Length} bytes) took {watch.Elapsed.TotalMilliseconds:0} ms\ninput (base64): {Show(input)}");
            if (allocated > MaxAllocation(input.Length))
                throw new Xunit.Sdk.XunitException($"{surface}: iteration {i} (from {name}, {input.Length} bytes) allocated {allocated} bytes\ninput (base64): {Show(input)}");
            if (outcome.Accepted) accepted++;
            else
            {
                refused++;
                var m = outcome.Error;
                if (string.IsNullOrWhiteSpace(m) || m.Contains('\n') || m.Any(char.IsControl) || m.Contains("   at ", StringComparison.Ordinal))
                    throw new Xunit.Sdk.XunitException($"{surface}: iteration {i} (from {name}) was refused with an unsafe or empty message: {m}\ninput (base64): {Show(input)}");
            }
            if (watch.Elapsed > slowest) slowest = watch.Elapsed;
            if (allocated > mostAllocated) mostAllocated = allocated;
        }
        return new FuzzStats(surface, iterations, accepted, refused, total.Elapsed, slowest, mostAllocated);
    }

    /// <summary>
    /// <see cref="Run"/> for an asynchronous target (the service's request handling). Allocation is measured over the
    /// whole process (<see cref="GC.GetTotalAllocatedBytes"/>), since continuations may run on other threads.
    /// </summary>
    public static async Task<FuzzStats> RunAsync(string surface, IReadOnlyList<(string Name, byte[] Bytes)> seeds, int iterations, int rngSeed,
        Func<byte[], Random, byte[]> mutate, Func<byte[], int, Task<FuzzOutcome>> target)
    {
        var rng = new Random(rngSeed);
        int accepted = 0, refused = 0;
        var slowest = TimeSpan.Zero;
        long mostAllocated = 0;
        var total = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++)
        {
            var (name, seed) = seeds[i % seeds.Count];
            var input = i < seeds.Count ? seed : mutate(seed, rng);
            FuzzOutcome outcome;
            long before = GC.GetTotalAllocatedBytes(precise: false);
            var watch = Stopwatch.StartNew();
            try { outcome = await target(input, i); }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException(
                    $"{surface}: iteration {i} (seed {rngSeed}, from {name}) let {e.GetType().Name} escape: {e.Message}\ninput (base64): {Show(input)}\n{e}");
            }
            watch.Stop();
            long allocated = GC.GetTotalAllocatedBytes(precise: false) - before;
            if (watch.Elapsed > MaxTimePerInput && await AgainAsync(() => target(input, i)) > MaxTimePerInput)
                throw new Xunit.Sdk.XunitException($"{surface}: iteration {i} (from {name}, {input.Length} bytes) took {watch.Elapsed.TotalMilliseconds:0} ms\ninput (base64): {Show(input)}");
            if (allocated > MaxAllocation(input.Length))
                throw new Xunit.Sdk.XunitException($"{surface}: iteration {i} (from {name}, {input.Length} bytes) allocated {allocated} bytes\ninput (base64): {Show(input)}");
            if (outcome.Accepted) accepted++;
            else
            {
                refused++;
                var m = outcome.Error;
                if (string.IsNullOrWhiteSpace(m) || m.Contains('\n') || m.Any(char.IsControl))
                    throw new Xunit.Sdk.XunitException($"{surface}: iteration {i} (from {name}) was refused with an unsafe or empty message: {m}\ninput (base64): {Show(input)}");
            }
            if (watch.Elapsed > slowest) slowest = watch.Elapsed;
            if (allocated > mostAllocated) mostAllocated = allocated;
        }
        return new FuzzStats(surface, iterations, accepted, refused, total.Elapsed, slowest, mostAllocated);
    }

    private static TimeSpan Again(Func<FuzzOutcome> target)
    {
        var watch = Stopwatch.StartNew();
        target();
        return watch.Elapsed;
    }

    private static async Task<TimeSpan> AgainAsync(Func<Task<FuzzOutcome>> target)
    {
        var watch = Stopwatch.StartNew();
        await target();
        return watch.Elapsed;
    }

    private static string Show(byte[] input) => input.Length <= 4096 ? Convert.ToBase64String(input) : Convert.ToBase64String(input, 0, 4096) + $"… ({input.Length} bytes)";
}

/// <summary>Mutations: byte-level for every format, plus structure-aware ones for JSON, XML and captures.</summary>
internal static class Mutations
{
    private static readonly byte[][] JsonTokens =
    [
        "\""u8.ToArray(), "{"u8.ToArray(), "}"u8.ToArray(), "["u8.ToArray(), "]"u8.ToArray(), ","u8.ToArray(), ":"u8.ToArray(),
        "null"u8.ToArray(), "true"u8.ToArray(), "1e999"u8.ToArray(), "-0"u8.ToArray(), "\"\\ud800\""u8.ToArray(), "\"\\u0000\""u8.ToArray(),
        "\"\\u001b]0;x\\u0007\""u8.ToArray(), [0xff], [0xc3], [0xed, 0xa0, 0x80], "\"name\":1,"u8.ToArray(), "\"name\":\"x\",\"name\":\"y\","u8.ToArray(),
        Encoding.ASCII.GetBytes(new string('[', 40)), Encoding.ASCII.GetBytes("\"" + new string('a', 20_000) + "\""), "/*"u8.ToArray(), "\\"u8.ToArray(),
    ];

    private static readonly byte[][] XmlTokens =
    [
        "<"u8.ToArray(), ">"u8.ToArray(), "</"u8.ToArray(), "/>"u8.ToArray(), "&amp;"u8.ToArray(), "&x;"u8.ToArray(), "&#0;"u8.ToArray(),
        "&#x1b;"u8.ToArray(), "<!DOCTYPE x [<!ENTITY x \"xxxxxxxx\">]>"u8.ToArray(), "<![CDATA[x]]>"u8.ToArray(), "<?xml version=\"1.0\"?>"u8.ToArray(),
        "<dict>"u8.ToArray(), "</dict>"u8.ToArray(), "<array>"u8.ToArray(), "<key>x</key>"u8.ToArray(), "<integer>99999999999999999999</integer>"u8.ToArray(),
        "<data>!!</data>"u8.ToArray(), "<true/>"u8.ToArray(), "<real>NaN</real>"u8.ToArray(), [0xff], [0xc3],
        Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("<a>", 80))), Encoding.ASCII.GetBytes(new string('A', 20_000)),
    ];

    /// <summary>Interesting values that replace a JSON value or an XML text: wrong types, escapes, huge and odd strings.</summary>
    private static readonly JsonNode?[] JsonValues =
    [
        null, true, false, 0, -1, 1, 65536, int.MaxValue, long.MaxValue, 1.5, 1e300, "", " ", "0", "-1", "true", "1e999",
        "\u001b[2J\u0007", "a\nb", "\ud800", "x\udc00y", "\u202eevil", "${VAR}", "{{VAR}}", "../../etc/passwd", "x@y", "10.0.0.0/8", "10.0.0.1 - 10.0.0.9", "::1",
        "aes256-sha256-modp2048", "aes-bogus", "!!!", "MIIB", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
        new string('x', 300), new string('y', 70_000), new JsonArray(), new JsonObject(), new JsonArray("a", 1, null),
    ];

    private static readonly string[] TextValues =
    [
        "", " ", "0", "-1", "1", "99999999999999999999", "true", "IKEv2", "AlwaysOn", "Certificate", "SharedSecret", "None", "EAP",
        "13", "26", "25", "GCMAES256", "SHA256128", "ECP384", "PFS2048", "Automatic", "SplitTunnel", "\u001b[2J", "&amp;&lt;", "${X}",
        new string('z', 300), new string('w', 70_000), "10.0.0.0", "64", "vpn.example.com", "MIIB!!", "5A1B2C3D-0000-4000-8000-0000000000AA",
    ];

    private const string Specials = "\"{}[]<>/:,\\&;\0\n";

    private static readonly uint[] Edges32 = [0, 1, 4, 8, 12, 16, 28, 0x7f, 0xff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffc, 0xffffffff, 0x10000000, 0x0a0d0d0a, 0x1a2b3c4d, 6, 3, 9];

    /// <summary>One to three byte-level edits: flips, random bytes, cuts, junk, repeats, deletions, tokens.</summary>
    public static byte[] Bytes(byte[] seed, Random rng, byte[][]? tokens = null)
    {
        var b = (byte[])seed.Clone();
        int ops = 1 + rng.Next(3);
        for (int op = 0; op < ops; op++)
        {
            if (b.Length == 0) return b;
            int at = rng.Next(b.Length);
            switch (rng.Next(tokens is null ? 7 : 9))
            {
                case 0: b[at] ^= (byte)(1 << rng.Next(8)); break;
                case 1: b[at] = (byte)rng.Next(256); break;
                case 2: b = b[..rng.Next(b.Length)]; break;
                case 3:
                {
                    var junk = new byte[1 + rng.Next(64)];
                    rng.NextBytes(junk);
                    b = [.. b[..at], .. junk, .. b[at..]];
                    break;
                }
                case 4: // repeat a chunk
                {
                    int len = Math.Min(b.Length - at, 1 + rng.Next(256));
                    b = [.. b[..(at + len)], .. b[at..(at + len)], .. b[(at + len)..]];
                    break;
                }
                case 5: // delete a chunk
                {
                    int len = Math.Min(b.Length - at, 1 + rng.Next(64));
                    b = [.. b[..at], .. b[(at + len)..]];
                    break;
                }
                case 6: b[at] = (byte)Specials[rng.Next(Specials.Length)]; break;
                default: // insert or overwrite with a format token
                {
                    var t = tokens![rng.Next(tokens.Length)];
                    b = rng.Next(2) == 0 ? [.. b[..at], .. t, .. b[at..]] : [.. b[..at], .. t, .. b[Math.Min(b.Length, at + t.Length)..]];
                    break;
                }
            }
        }
        return b;
    }

    /// <summary>Half the time a structural edit of the parsed document (a value of another type or size, a removed or
    /// repeated key, deep nesting), else byte-level edits with JSON tokens.</summary>
    public static byte[] Json(byte[] seed, Random rng)
    {
        if (rng.Next(2) == 0) return Bytes(seed, rng, JsonTokens);
        JsonNode? root;
        try { root = JsonNode.Parse(seed); }
        catch (System.Text.Json.JsonException) { return Bytes(seed, rng, JsonTokens); }
        if (root is null) return Bytes(seed, rng, JsonTokens);
        int ops = 1 + rng.Next(3);
        for (int i = 0; i < ops; i++)
        {
            var nodes = new List<JsonNode>();
            Collect(root, nodes);
            var node = nodes[rng.Next(nodes.Count)];
            switch (rng.Next(7))
            {
                case 6: // repeat an array element (several profiles, applications, payloads)
                {
                    var arrays = nodes.OfType<JsonArray>().Where(a => a.Count > 0).ToList();
                    if (arrays.Count > 0) { var a = arrays[rng.Next(arrays.Count)]; a.Add(a[rng.Next(a.Count)]?.DeepClone()); }
                    break;
                }
                case 0 or 1: Replace(node, Value(rng)); break;
                case 2 or 5: // remove a key, chosen evenly among every key of the document
                {
                    var keys = nodes.OfType<JsonObject>().SelectMany(o => o.Select(kv => (o, kv.Key))).ToList();
                    if (keys.Count > 0) { var (o, key) = keys[rng.Next(keys.Count)]; o.Remove(key); }
                    break;
                }
                case 3 when node is JsonObject o: o["k" + rng.Next(1000)] = Value(rng); break;
                case 4:
                {
                    JsonNode deep = new JsonArray();
                    for (int d = 0; d < 10 + rng.Next(40); d++) deep = new JsonArray(deep);
                    Replace(node, deep);
                    break;
                }
            }
        }
        var text = Encoding.UTF8.GetBytes(root.ToJsonString());
        // A repeated key can't be built with JsonObject: splice one into the text.
        if (rng.Next(8) == 0 && Array.IndexOf(text, (byte)'{') is var brace and >= 0)
            text = [.. text[..(brace + 1)], .. "\"name\":\"dup\",\"name\":\"dup\","u8.ToArray(), .. text[(brace + 1)..]];
        return text;
    }

    /// <summary>Half the time a text node or element name rewritten, a block repeated or deleted, else byte-level edits with XML tokens.</summary>
    public static byte[] Xml(byte[] seed, Random rng)
    {
        if (rng.Next(2) == 0) return Bytes(seed, rng, XmlTokens);
        string text;
        try { text = new UTF8Encoding(false, true).GetString(seed); }
        catch (DecoderFallbackException) { return Bytes(seed, rng, XmlTokens); }
        var texts = Regex.Matches(text, ">([^<]*)<").Cast<Match>().ToList();
        var elements = Regex.Matches(text, "<(/?)([A-Za-z][A-Za-z0-9]*)").Cast<Match>().ToList();
        switch (rng.Next(4))
        {
            case 0 or 1 when texts.Count > 0:
            {
                var g = texts[rng.Next(texts.Count)].Groups[1];
                var value = System.Security.SecurityElement.Escape(TextValues[rng.Next(TextValues.Length)]);
                text = text[..g.Index] + value + text[(g.Index + g.Length)..];
                break;
            }
            case 2 when elements.Count > 0:
            {
                var g = elements[rng.Next(elements.Count)].Groups[2];
                string[] names = ["dict", "array", "string", "integer", "data", "true", "key", "VPNProfile", "NativeProfile", "Route", "Type", "x"];
                text = text[..g.Index] + names[rng.Next(names.Length)] + text[(g.Index + g.Length)..];
                break;
            }
            default:
            {
                if (elements.Count < 2) break;
                int a = elements[rng.Next(elements.Count)].Index, b = elements[rng.Next(elements.Count)].Index;
                if (a > b) (a, b) = (b, a);
                text = rng.Next(2) == 0 ? text[..b] + text[a..b] + text[b..] : text[..a] + text[b..];
                break;
            }
        }
        return Encoding.UTF8.GetBytes(text);
    }

    /// <summary>Half the time a 32-bit field (at a 4-byte boundary, either byte order) set to an edge value, else byte-level edits.</summary>
    public static byte[] Binary(byte[] seed, Random rng)
    {
        if (rng.Next(2) == 0 || seed.Length < 8) return Bytes(seed, rng);
        var b = (byte[])seed.Clone();
        int ops = 1 + rng.Next(2);
        for (int i = 0; i < ops; i++)
        {
            int at = rng.Next(b.Length / 4) * 4;
            if (at + 4 > b.Length) continue;
            var v = Edges32[rng.Next(Edges32.Length)];
            if (rng.Next(2) == 0) BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(at), v);
            else BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(at), v);
        }
        return b;
    }

    private static JsonNode? Value(Random rng) => JsonValues[rng.Next(JsonValues.Length)]?.DeepClone();

    private static void Collect(JsonNode node, List<JsonNode> into)
    {
        into.Add(node);
        if (node is JsonObject o) foreach (var (_, v) in o) { if (v is not null) Collect(v, into); }
        else if (node is JsonArray a) foreach (var v in a) if (v is not null) Collect(v, into);
    }

    private static void Replace(JsonNode node, JsonNode? value)
    {
        switch (node.Parent)
        {
            case JsonObject o: o[node.GetPropertyName()] = value; break;
            case JsonArray a: a[node.GetElementIndex()] = value; break;
        }
    }
}

/// <summary>The profile store's files, to show a failed import changed nothing.</summary>
internal static class StoreSnapshot
{
    public static string Of(string dir) =>
        !Directory.Exists(dir) ? "" : string.Join("\n", Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => $"{f} {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f)))}"));
}
