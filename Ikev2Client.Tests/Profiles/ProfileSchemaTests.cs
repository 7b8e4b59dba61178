using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FluentAssertions;
using Ikev2Client.Profiles;
using Xunit;

namespace Ikev2Client.Tests.Profiles;

/// <summary>
/// docs/profiles.md against the program: its JSON Schema is read from the markdown and every probe value is judged
/// twice — by the schema (a small evaluator of the keywords the schema uses) and by the importer's validator — and the
/// verdicts must agree; the schema names exactly the keys the reader knows; the complete examples import without a
/// note and together use every key.
/// </summary>
public sealed class ProfileSchemaTests
{
    internal static string RepositoryFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, relative))) return Path.Combine(dir.FullName, relative);
        throw new FileNotFoundException($"{relative} not found above {AppContext.BaseDirectory}");
    }

    private static readonly string Markdown = File.ReadAllText(RepositoryFile("docs/profiles.md"));

    /// <summary>The ```json blocks of the section that starts with <paramref name="heading"/>, parsed.</summary>
    private static List<JsonObject> JsonBlocks(string heading)
    {
        var at = Markdown.IndexOf(heading, StringComparison.Ordinal);
        at.Should().BeGreaterThan(0, $"docs/profiles.md has '{heading}'");
        var next = Markdown.IndexOf("\n#", at + heading.Length, StringComparison.Ordinal);
        var section = next < 0 ? Markdown[at..] : Markdown[at..next];
        return Regex.Matches(section, "```json\n(.*?)\n```", RegexOptions.Singleline).Select(m => JsonNode.Parse(m.Groups[1].Value)!.AsObject()).ToList();
    }

    private static JsonObject Schema => JsonBlocks("## Native profile file").Single(b => b["$schema"]?.ToString().Contains("json-schema.org") == true);

    private static JsonObject Properties => Schema["properties"]!.AsObject();

    /// <summary>A valid profile that uses none of the probed keys' neighbours.</summary>
    private static JsonObject Base() => new() { ["name"] = "probe", ["serverAddr"] = "vpn.example.org", ["authMethod"] = "psk", ["psk"] = "k" };

    private static string Repeat(int n) => new('a', n);

    /// <summary>A host name of exactly <paramref name="length"/> characters (labels of at most 63).</summary>
    private static string Host(int length)
    {
        var sb = new StringBuilder();
        while (sb.Length < length)
        {
            if (sb.Length > 0) sb.Append('.');
            sb.Append('a', Math.Min(63, length - sb.Length));
        }
        var host = sb.ToString();
        return host.EndsWith('.') ? host[..^1] + "b" : host;
    }

    private static JsonArray Array(int n, Func<int, string> item) => new(Enumerable.Range(0, n).Select(i => (JsonNode?)item(i)).ToArray());

    /// <summary>Top-level key, value: boundaries of every bound, length, count, pattern and enumeration in the schema.</summary>
    public static TheoryData<string, string> Probes()
    {
        var data = new TheoryData<string, string>();
        void Add(string key, JsonNode? value) => data.Add(key, value?.ToJsonString() ?? "null");
        foreach (var n in (string[])["a", "A.b", "a b", "a.", "x-1", "(a)", "a@b+c_d", "-a", "_a", "a ", " a", ".a", "a/b", "a\tb", "é", "a\\b", Repeat(64), Repeat(65), ""])
            Add("name", n);
        foreach (var h in (string[])["vpn.example.org", "192.0.2.1", "2001:db8::1", Host(253), Host(254), ""]) Add("serverAddr", h);
        foreach (var port in (int[])[0, 1, 500, 65535, 65536]) Add("serverPort", port);
        foreach (var key in (string[])["userIdentity", "remoteIdentity"])
            foreach (var v in (string[])[Repeat(1024), Repeat(1025), "a\u0001b", "a\u0085b", "alice@example.com"]) Add(key, v);
        foreach (var v in (string[])[Repeat(256), Repeat(257), "al\u001bice", "alice"]) Add("username", v);
        foreach (var v in (string[])[Repeat(256), Repeat(257)]) Add("password", v);
        foreach (var v in (string[])[Repeat(1024), Repeat(1025)]) Add("pkcs12Password", v);
        foreach (var key in (string[])["ikeProposal", "espProposal"])
        {
            Add(key, key == "ikeProposal" ? "aes256gcm16-prfsha256-x25519" : "aes256gcm16");
            Add(key, string.Join(',', Enumerable.Repeat(key == "ikeProposal" ? "aes256gcm16-prfsha256-x25519" : "aes256gcm16", 40)));
        }
        Add("authMethod", "psk");
        Add("authMethod", "token");
        Add("eapMethod", "otp");
        Add("allowedAlgorithms", new JsonArray("rfc4106(gcm(aes))"));
        Add("allowedAlgorithms", new JsonArray("rfc4106(gcm(aes))", "hmac(md5)"));
        foreach (var mtu in (int[])[1279, 1280, 1500, 65535, 65536]) Add("maxMtu", mtu);
        foreach (var s in (int[])[9, 10, 3600, 3601]) Add("natKeepaliveSeconds", s);
        foreach (var s in (int[])[-1, 0, 1, 19, 20, 1800, 1801]) Add("dpdSeconds", s);
        foreach (var key in (string[])["childRekeyBytes", "childLifeBytes"]) foreach (var v in (long[])[999_999, 1_000_000]) Add(key, v);
        foreach (var key in (string[])["childRekeyPackets", "childLifePackets"]) foreach (var v in (long[])[999, 1000]) Add(key, v);
        Add("dnsServers", Array(16, i => $"10.0.0.{i + 1}"));
        Add("dnsServers", Array(17, i => $"10.0.0.{i + 1}"));
        foreach (var side in (string[])["include", "exclude"])
            foreach (var n in (int[])[1024, 1025]) Add("splitTunneling", new JsonObject { [side] = Array(n, i => $"10.{i / 256}.{i % 256}.0/24") });
        foreach (var key in (string[])["allowedApps", "disallowedApps"])
        {
            Add(key, new JsonArray("com.example.mail"));
            Add(key, new JsonArray("com.example mail"));
            Add(key, new JsonArray(""));
            Add(key, new JsonArray(Repeat(256)));
            Add(key, new JsonArray(Repeat(257)));
            Add(key, Array(1025, i => $"app{i}"));
        }
        foreach (var port in (int[])[0, 1, 65535, 65536]) Add("proxy", new JsonObject { ["host"] = "proxy.example.org", ["port"] = port });
        Add("proxy", new JsonObject { ["host"] = Host(254) });
        Add("proxy", new JsonObject { ["host"] = "proxy.example.org", ["exclusions"] = Array(1025, i => $"h{i}") });
        Add("proxy", new JsonObject { ["host"] = "proxy.example.org", ["exclusions"] = new JsonArray(Repeat(257)) });
        return data;
    }

    [Theory]
    [MemberData(nameof(Probes))]
    public void The_schema_and_the_validator_agree_on(string key, string valueJson)
    {
        var value = JsonNode.Parse(valueJson);
        var profile = Base();
        profile[key] = value?.DeepClone();
        var schemaSays = Evaluate(Properties[key]!.AsObject(), value);
        string? validatorError = null;
        try { NativeProfileJson.Import(Encoding.UTF8.GetBytes(profile.ToJsonString())); }
        catch (Exception e) when (e is ProfileImportException or ProfileValidationException) { validatorError = e.Message; }
        if (validatorError is not null)
            validatorError.Should().Contain(key.Split('.')[0], "the probe must fail because of its own key, not another");
        var shown = valueJson.Length > 80 ? valueJson[..80] + "…" : valueJson;
        (validatorError is null).Should().Be(schemaSays, $"docs/profiles.md's schema {(schemaSays ? "accepts" : "refuses")} {key} = {shown}; the validator says: {validatorError ?? "valid"}");
    }

    [Fact]
    public void The_schema_names_exactly_the_keys_the_reader_knows_and_what_it_requires()
    {
        Properties.Select(p => p.Key).Should().BeEquivalentTo(NativeProfileJson.KnownKeys);
        Schema["required"]!.AsArray().Select(n => n!.GetValue<string>()).Should().BeEquivalentTo("name", "serverAddr", "authMethod");
        Properties["name"]!["maxLength"]!.GetValue<int>().Should().Be(ProfileName.MaxLength);
        Properties["serverAddr"]!["maxLength"]!.GetValue<int>().Should().Be(ProfileLimits.MaxHostLength);
        Properties["username"]!["maxLength"]!.GetValue<int>().Should().Be(ProfileLimits.MaxUsernameLength);
        Properties["password"]!["maxLength"]!.GetValue<int>().Should().Be(ProfileLimits.MaxPasswordLength);
        Properties["pkcs12Password"]!["maxLength"]!.GetValue<int>().Should().Be(ProfileLimits.MaxPkcs12PasswordLength);
        Properties["privateKey"]!["maxLength"]!.GetValue<int>().Should().Be(ProfileLimits.MaxPrivateKeyChars);
        Properties["allowedAlgorithms"]!["items"]!["enum"]!.AsArray().Select(n => n!.GetValue<string>())
            .Should().BeEquivalentTo(IpSecAlgorithmNames.Defaults, "the schema's enumeration is Android's default list");
    }

    [Fact]
    public void The_complete_examples_import_without_a_note_and_together_use_every_key()
    {
        var examples = JsonBlocks("### Complete examples");
        examples.Should().HaveCountGreaterThanOrEqualTo(3);
        var used = new HashSet<string>();
        foreach (var example in examples)
        {
            var result = NativeProfileJson.Import(Encoding.UTF8.GetBytes(example.ToJsonString()));
            result.Notes.Should().BeEmpty($"'{result.Profile.Name}' uses only keys the reader knows, each with an accepted value");
            ProfileCredentials.Missing(result.Profile).Should().BeEmpty("the examples are complete");
            used.UnionWith(example.Select(p => p.Key));
        }
        used.Should().BeEquivalentTo(NativeProfileJson.KnownKeys);
    }

    /// <summary>JSON Schema 2020-12, the keywords docs/profiles.md uses; false on any failed keyword.</summary>
    private static bool Evaluate(JsonObject schema, JsonNode? value)
    {
        foreach (var (keyword, arg) in schema)
        {
            bool ok = keyword switch
            {
                "type" => arg!.GetValue<string>() switch
                {
                    "string" => value is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String,
                    "integer" => value is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number && v.TryGetValue<long>(out _),
                    "boolean" => value is JsonValue v && v.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False,
                    "array" => value is JsonArray,
                    "object" => value is JsonObject,
                    var t => throw new NotSupportedException($"type {t}"),
                },
                "minimum" => value is not JsonValue n || !n.TryGetValue<long>(out var x) || x >= arg!.GetValue<long>(),
                "maximum" => value is not JsonValue n || !n.TryGetValue<long>(out var x) || x <= arg!.GetValue<long>(),
                "const" => JsonNode.DeepEquals(value, arg),
                "enum" => arg!.AsArray().Any(e => JsonNode.DeepEquals(e, value)),
                "minLength" => !IsString(value, out var s) || CodePoints(s) >= arg!.GetValue<int>(),
                "maxLength" => !IsString(value, out var s) || CodePoints(s) <= arg!.GetValue<int>(),
                "pattern" => !IsString(value, out var s) || Regex.IsMatch(s, arg!.GetValue<string>(), RegexOptions.ECMAScript),
                "maxItems" => value is not JsonArray a || a.Count <= arg!.GetValue<int>(),
                "items" => value is not JsonArray a || a.All(i => Evaluate(arg!.AsObject(), i)),
                "anyOf" => arg!.AsArray().Any(s => Evaluate(s!.AsObject(), value)),
                "required" => value is not JsonObject o || arg!.AsArray().All(r => o.ContainsKey(r!.GetValue<string>())),
                "properties" => value is not JsonObject o || o.All(p => arg![p.Key] is not JsonObject sub || Evaluate(sub, p.Value)),
                "description" or "default" or "contentEncoding" => true,
                _ => throw new NotSupportedException($"the test's evaluator does not know the keyword '{keyword}'"),
            };
            if (!ok) return false;
        }
        return true;
    }

    private static bool IsString(JsonNode? node, out string text)
    {
        text = "";
        return node is JsonValue v && v.TryGetValue(out text!);
    }

    private static int CodePoints(string s) => s.EnumerateRunes().Count();
}
