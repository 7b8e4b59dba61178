using System.CommandLine;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using FluentAssertions;
using Ikev2Client.Cli;
using Ikev2Client.Profiles;
using Ikev2Client.Tests.Infrastructure;
using Xunit;
using IOFile = System.IO.File;

namespace Ikev2Client.Tests.Profiles;

/// <summary>
/// Issue 12's profile cases, each from the kind of input that found it: ProfileXML nested 100,000 deep, an export
/// over an existing 0644 file, terminal escapes and megabytes in an echoed value, damaged PKCS#12 and PEM
/// credentials, and JSON values of the wrong type or size.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class HostileProfileTests : IDisposable
{
    private readonly string _dir = ProfileTestData.NewTempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (int Code, string Out, string Err) Cli(string? stdin, params string[] args)
    {
        var root = new RootCommand("test") { ProfileCommands.Create(() => new ProfileStore(Path.Combine(_dir, "store"))) };
        var output = new StringWriter();
        var error = new StringWriter();
        var oldIn = Console.In;
        if (stdin is not null) Console.SetIn(new StringReader(stdin));
        try
        {
            var code = root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
            return (code, output.ToString(), error.ToString());
        }
        finally { Console.SetIn(oldIn); }
    }

    private string Put(string name, string text) => Put(name, Encoding.UTF8.GetBytes(text));

    private string Put(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, name);
        IOFile.WriteAllBytes(path, bytes);
        return path;
    }

    private static void OneSafeLine(string stderr)
    {
        stderr.TrimEnd('\n').Should().NotContain("\n", "an error is one line");
        stderr.Should().NotContain(" at Ikev2Client").And.NotContain("Unhandled exception");
        stderr.TrimEnd('\n').Where(c => char.IsControl(c)).Should().BeEmpty("no control character from the input reaches the terminal");
    }

    // ---- case 2: ProfileXML nesting ----

    private static string NestedProfileXml(int depth)
    {
        var sb = new StringBuilder("<VPNProfile><NativeProfile><Servers>vpn.example.com</Servers></NativeProfile>");
        for (int i = 0; i < depth; i++) sb.Append("<a>");
        for (int i = 0; i < depth; i++) sb.Append("</a>");
        return sb.Append("</VPNProfile>").ToString();
    }

    [Theory]
    [InlineData(100_000)] // 700 KB: took 10.9 s before
    [InlineData(580_000)] // just under the 4 MiB file limit
    public void Deeply_nested_profile_xml_is_refused_quickly_naming_the_limit(int depth)
    {
        var xml = Encoding.UTF8.GetBytes(NestedProfileXml(depth));
        xml.Length.Should().BeLessThan(ProfileLimits.MaxFileBytes);
        var watch = Stopwatch.StartNew();
        var act = () => ProfileImporter.Import(xml, "deep.xml");
        act.Should().Throw<ProfileImportException>().WithMessage($"*deeper than {ProfileLimits.MaxXmlDepth} levels (the limit)*");
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(1), "the depth check is one linear pass");
    }

    [Fact]
    public void Profile_xml_with_too_many_elements_is_refused_naming_the_limit()
    {
        var sb = new StringBuilder("<VPNProfile>");
        for (int i = 0; i <= ProfileLimits.MaxXmlElements; i++) sb.Append("<Route/>");
        var act = () => ProfileImporter.Import(Encoding.UTF8.GetBytes(sb.Append("</VPNProfile>").ToString()), "many.xml");
        act.Should().Throw<ProfileImportException>().WithMessage($"*more than {ProfileLimits.MaxXmlElements} elements (the limit)*");
    }

    [Fact]
    public void Profile_xml_just_under_the_depth_limit_still_imports()
    {
        var inner = new StringBuilder();
        for (int i = 0; i < ProfileLimits.MaxXmlDepth - 8; i++) inner.Append("<x>");
        for (int i = 0; i < ProfileLimits.MaxXmlDepth - 8; i++) inner.Append("</x>");
        var xml = IOFile.ReadAllText(ProfileTestData.Path("windows-eap.xml")).Replace("</VPNProfile>", $"<Extra>{inner}</Extra></VPNProfile>");
        ProfileImporter.Import(Encoding.UTF8.GetBytes(xml), "deep-ok.xml").Profile.Name.Should().Be("Contoso VPN");
    }

    // ---- case 3: export into an existing 0644 file ----

    [Fact]
    public void Export_with_secrets_into_an_existing0644_file_leaves_it0600_and_no_secret_in_the_old_file()
    {
        Cli(null, "profile", "import", ProfileTestData.Path("office-eap.sswan")).Code.Should().Be(0);
        var target = Put("existing.json", "old public content\n");
        IOFile.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        // Someone who opened the 0644 file before the export keeps reading the old inode: never a byte of the secret.
        using var earlyReader = new FileStream(target, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

        var r = Cli(null, "profile", "export", "Office EAP", "--include-secrets", "-o", target);
        r.Code.Should().Be(0, r.Err);
        IOFile.GetUnixFileMode(target).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        IOFile.ReadAllText(target).Should().Contain("s3cret-pass");
        new StreamReader(earlyReader).ReadToEnd().Should().Be("old public content\n");
        Directory.GetFiles(_dir, "*.tmp").Should().BeEmpty("the temporary file was renamed into place");
    }

    [Fact]
    public void Export_through_a_symlink_replaces_the_target_and_keeps_the_link()
    {
        Cli(null, "profile", "import", ProfileTestData.Path("office-eap.sswan")).Code.Should().Be(0);
        var target = Put("real.json", "old");
        IOFile.SetUnixFileMode(target, (UnixFileMode)Convert.ToInt32("644", 8));
        var link = Path.Combine(_dir, "link.json");
        IOFile.CreateSymbolicLink(link, target);
        Cli(null, "profile", "export", "Office EAP", "--include-secrets", "-o", link).Code.Should().Be(0);
        new FileInfo(link).LinkTarget.Should().Be(target);
        IOFile.GetUnixFileMode(target).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        IOFile.ReadAllText(link).Should().Contain("s3cret-pass");
    }

    [Fact]
    public async Task Export_into_a_fifo_writes_through_and_leaves_the_fifo()
    {
        Cli(null, "profile", "import", ProfileTestData.Path("minimal.sswan")).Code.Should().Be(0);
        var fifo = Path.Combine(_dir, "pipe");
        Shell.Run("mkfifo", [fifo]).ExitCode.Should().Be(0);
        var reader = Task.Run(() => IOFile.ReadAllText(fifo));
        Cli(null, "profile", "export", "Minimal", "-o", fifo).Code.Should().Be(0);
        (await reader.WaitAsync(TimeSpan.FromSeconds(10))).Should().Contain("gw.example.net");
        Shell.Run("stat", ["-c", "%F", fifo]).StdOut.Trim().Should().Be("fifo");
    }

    // ---- case 4: echoed values are sanitised ----

    [Fact]
    public void Terminal_escapes_in_a_value_are_escaped_in_the_error()
    {
        var json = """{"uuid":"11111111-2222-3333-4444-555555555555","name":"x","type":"ikev2-eap","remote":{"addr":"\u001b]0;pwned\u0007\u001b[31mred"},"local":{"eap_id":"u"}}""";
        var r = Cli(null, "profile", "import", Put("esc.sswan", json));
        r.Code.Should().Be(2);
        OneSafeLine(r.Err);
        r.Err.Should().Contain(@"\u001b]0;pwned\u0007\u001b[31mred").And.Contain("serverAddr");
    }

    [Fact]
    public void A_three_megabyte_value_is_cut_and_its_length_shown()
    {
        var big = new string('a', 3 * 1024 * 1024);
        var json = $$$"""{"uuid":"11111111-2222-3333-4444-555555555555","name":"x","type":"ikev2-eap","remote":{"addr":"{{{big}}}"},"local":{"eap_id":"u"}}""";
        var r = Cli(null, "profile", "import", Put("big.sswan", json));
        r.Code.Should().Be(2);
        OneSafeLine(r.Err);
        r.Err.Length.Should().BeLessThan(1024);
        r.Err.Should().Contain("serverAddr: is 3145728 characters long; the limit is 253");
    }

    [Fact]
    public void Every_echo_is_quoted_cut_and_escaped()
    {
        SafeText.Quote("ok").Should().Be("'ok'");
        SafeText.Quote("a\u001b[2Jb\u202Ec\r\nd\\").Should().Be(@"'a\u001b[2Jb\u202ec\r\nd\\'");
        SafeText.Quote(new string('x', 100)).Should().Be($"'{new string('x', 64)}…' (100 characters)");
        SafeText.Quote("\ud83d\ude00" + new string('y', 63)).Should().StartWith("'\ud83d\ude00").And.EndWith("…' (65 characters)");
        SafeText.Line("line1\nline2\u0007").Should().Be(@"line1\nline2\u0007");
        // An unknown key full of escapes becomes a harmless note key.
        var json = """{"uuid":"11111111-2222-3333-4444-555555555555","name":"x","type":"ikev2-eap","remote":{"addr":"gw.example.net"},"\u001b[2J":1}""";
        var note = ProfileImporter.Import(Encoding.UTF8.GetBytes(json), "x.sswan").Notes.Single(n => n.Message == "unknown key");
        note.Key.Should().Be(@"\u001b[2J");
    }

    [Fact]
    public void Forty_thousand_unknown_keys_give_a_hundred_notes()
    {
        var sb = new StringBuilder("""{"uuid":"11111111-2222-3333-4444-555555555555","name":"x","type":"ikev2-eap","remote":{"addr":"gw.example.net"}""");
        for (int i = 0; i < 40_000; i++) sb.Append(",\"k").Append(i).Append("\":0");
        var notes = ProfileImporter.Import(Encoding.UTF8.GetBytes(sb.Append('}').ToString()), "x.sswan").Notes;
        notes.Should().HaveCount(ProfileLimits.MaxNotes);
        notes[^1].Message.Should().Contain("more notes not shown");
    }

    // ---- case 5: PKCS#12 and PEM checked at import ----

    private static string SswanWithP12(byte[] p12) =>
        $$$"""{"uuid":"0b7e8f2c-1d2e-4c3b-8a9f-123456789abc","name":"Cert","type":"ikev2-cert","remote":{"addr":"203.0.113.7"},"local":{"id":"alice@example.com","p12":"{{{Convert.ToBase64String(p12)}}}"}}""";

    public static TheoryData<string> DamagedPkcs12 => ["random", "truncated", "empty-sequence", "trailing"];

    [Theory]
    [MemberData(nameof(DamagedPkcs12))]
    public void An_unreadable_pkcs12_is_refused_at_import_naming_the_field(string damage)
    {
        var good = ProfileTestData.Bytes("user.p12");
        var p12 = damage switch
        {
            "random" => new Random(12).GetBytesArray(good.Length),
            "truncated" => good[..(good.Length * 2 / 3)],
            "empty-sequence" => [0x30, 0x00],
            _ => [.. good, 0x00],
        };
        var r = Cli(null, "profile", "import", Put("cert.sswan", SswanWithP12(p12)));
        r.Code.Should().Be(2, r.Out);
        OneSafeLine(r.Err);
        r.Err.Should().Contain("local.p12").And.Contain("PKCS#12");
        new ProfileStore(Path.Combine(_dir, "store")).List().Should().BeEmpty();
    }

    [Fact]
    public void Every_bit_flip_of_the_pkcs12_is_refused_when_the_password_is_given()
    {
        var good = ProfileTestData.Bytes("user.p12");
        var rng = new Random(5);
        for (int i = 0; i < 120; i++)
        {
            var p12 = (byte[])good.Clone();
            int at = i < 40 ? i : rng.Next(p12.Length); // every header byte, then anywhere
            p12[at] ^= (byte)(1 << rng.Next(8));
            var act = () => ProfileImporter.Import(Encoding.UTF8.GetBytes(SswanWithP12(p12)), "c.sswan", new ImportOptions { Pkcs12Password = "test" });
            act.Should().Throw<ProfileImportException>($"a flip at byte {at} must be caught").Which.Message.Should().Contain("local.p12");
        }
        // The undamaged bundle with its password imports, and the password is checked through the CLI too.
        ProfileImporter.Import(Encoding.UTF8.GetBytes(SswanWithP12(good)), "c.sswan", new ImportOptions { Pkcs12Password = "test" })
            .Profile.UserCert!.Thumbprint.Should().Be(ProfileTestData.User.Thumbprint);
        var wrong = Cli("not-the-password\n", "profile", "import", Put("c.sswan", SswanWithP12(good)), "--pkcs12-password-stdin");
        wrong.Code.Should().Be(2);
        wrong.Err.Should().Contain("local.p12: the password does not open it");
    }

    [Fact]
    public void A_damaged_pkcs12_in_a_mobileconfig_or_managed_configuration_names_its_field()
    {
        var mobileconfig = IOFile.ReadAllText(ProfileTestData.Path("algo-cert.mobileconfig"));
        var b64 = Convert.ToBase64String(ProfileTestData.Bytes("user.p12"));
        var first = mobileconfig.IndexOf(b64[..40], StringComparison.Ordinal);
        first.Should().BeGreaterThan(0, "the fixture embeds user.p12");
        var damaged = mobileconfig[..(first + 60)] + (mobileconfig[first + 60] == 'A' ? 'B' : 'A') + mobileconfig[(first + 61)..];
        var act = () => ProfileImporter.Import(Encoding.UTF8.GetBytes(damaged), "x.mobileconfig");
        act.Should().Throw<ProfileImportException>().WithMessage("*com.apple.security.pkcs12*");

        var managed = IOFile.ReadAllText(ProfileTestData.Path("managed-policy.json"));
        var brokenManaged = JsonNode.Parse(managed)!;
        var profiles = brokenManaged["applications"]![0]!["managedConfiguration"]!["managed_profiles"]!.AsArray();
        foreach (var p in profiles) if (p!["local"]?["user_certificate"] is not null) p["local"]!["user_certificate"] = Convert.ToBase64String(new byte[300]);
        var act2 = () => ProfileImporter.Import(Encoding.UTF8.GetBytes(brokenManaged.ToJsonString()), "m.json");
        act2.Should().Throw<ProfileImportException>().WithMessage("*local.user_certificate*PKCS#12*");
    }

    [Theory]
    [InlineData("-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n", "not a PEM private key")]
    [InlineData("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n", "encrypted PEM key")]
    public void A_damaged_or_encrypted_pem_key_is_refused_naming_the_field(string pem, string expected)
    {
        var o = new JsonObject
        {
            ["name"] = "k", ["serverAddr"] = "vpn.example.com", ["authMethod"] = "digitalSignature",
            ["userCert"] = IOFile.ReadAllText(ProfileTestData.Path("user.pem")), ["privateKey"] = pem,
        };
        var act = () => ProfileImporter.Import(Encoding.UTF8.GetBytes(o.ToJsonString()), "k.json");
        act.Should().Throw<ProfileImportException>().WithMessage($"privateKey*{expected}*");
    }

    // ---- case 9: JSON types and lengths ----

    [Theory]
    [InlineData("""{"name":1,"serverAddr":"vpn.example.com","authMethod":"psk","psk":"x"}""", "name: expected a string, found a number")]
    [InlineData("""{"name":"n","serverAddr":true,"authMethod":"psk","psk":"x"}""", "serverAddr: expected a string, found a boolean")]
    [InlineData("""{"name":"n","serverAddr":"vpn.example.com","serverPort":"500","authMethod":"psk","psk":"x"}""", "serverPort: expected an integer, found a string")]
    [InlineData("""{"name":"n","serverAddr":"vpn.example.com","authMethod":"psk","psk":"x","alwaysOn":"true"}""", "alwaysOn: expected a boolean, found a string")]
    [InlineData("""{"name":"n","serverAddr":"vpn.example.com","authMethod":"psk","psk":"x","dnsServers":"10.0.0.1"}""", "dnsServers: expected an array of strings, found a string")]
    [InlineData("""{"name":"n","serverAddr":"vpn.example.com","authMethod":"psk","psk":"x","dnsServers":["10.0.0.1",5]}""", "dnsServers[1]: expected a string, found a number")]
    [InlineData("""{"name":"n","serverAddr":"vpn.example.com","authMethod":"psk","psk":"x","maxMtu":1e99}""", "maxMtu: expected a 32-bit integer")]
    [InlineData("""{"name":"n","name":"m","serverAddr":"vpn.example.com","authMethod":"psk","psk":"x"}""", "the key 'name' appears twice")]
    [InlineData("""{"name":"\ud800","serverAddr":"vpn.example.com","authMethod":"psk","psk":"x"}""", "lone UTF-16 surrogate")]
    public void Wrong_json_types_are_refused_naming_the_field_and_the_type(string json, string expected)
    {
        var act = () => ProfileImporter.Import(Encoding.UTF8.GetBytes(json), "p.json");
        act.Should().Throw<ProfileImportException>().Which.Message.Should().Contain(expected);
    }

    [Fact]
    public void A_number_is_not_coerced_to_a_string_in_foreign_formats_either()
    {
        var json = """{"uuid":"11111111-2222-3333-4444-555555555555","name":1,"type":"ikev2-eap","remote":{"addr":"gw.example.net"}}""";
        var act = () => ProfileImporter.Import(Encoding.UTF8.GetBytes(json), "x.sswan");
        act.Should().Throw<ProfileImportException>().WithMessage("name: expected a string, found a number");
    }

    public static TheoryData<string, string, string> OverLong => new()
    {
        { "userIdentity", new string('u', ProfileLimits.MaxIdentityLength + 1), $"userIdentity: is {ProfileLimits.MaxIdentityLength + 1} characters long; the limit is {ProfileLimits.MaxIdentityLength}" },
        { "remoteIdentity", new string('r', 3 * 1024 * 1024), $"remoteIdentity: is {3 * 1024 * 1024} characters long; the limit is {ProfileLimits.MaxIdentityLength}" },
        { "psk", new string('p', 3 * 1024 * 1024), $"psk: is {3 * 1024 * 1024} bytes long; the limit is {ProfileLimits.MaxPskBytes}" },
        { "serverAddr", new string('a', 254) + ".example", "serverAddr: is 262 characters long; the limit is 253" },
        { "ikeProposal", string.Join(',', Enumerable.Repeat("aes256-sha256-modp2048", 100)), $"ikeProposal: is 2299 characters long; the limit is {ProfileLimits.MaxProposalLength}" },
    };

    [Theory]
    [MemberData(nameof(OverLong))]
    public void Length_limits_are_enforced_naming_the_limit(string field, string value, string expected)
    {
        var o = new JsonObject { ["name"] = "n", ["serverAddr"] = "vpn.example.com", ["authMethod"] = "psk", ["psk"] = "x" };
        o[field] = value;
        var act = () => ProfileImporter.Import(Encoding.UTF8.GetBytes(o.ToJsonString()), "p.json");
        var e = act.Should().Throw<ProfileImportException>().Which;
        e.Message.Should().Contain(expected);
        e.Message.Length.Should().BeLessThan(1024);
    }

    [Fact]
    public void Count_limits_are_enforced_naming_the_limit()
    {
        var o = new JsonObject
        {
            ["name"] = "n", ["serverAddr"] = "vpn.example.com", ["authMethod"] = "psk", ["psk"] = "x",
            ["dnsServers"] = new JsonArray(Enumerable.Range(0, ProfileLimits.MaxDnsServers + 1).Select(i => (JsonNode?)$"10.0.0.{i}").ToArray()),
            ["allowedApps"] = new JsonArray(Enumerable.Range(0, ProfileLimits.MaxListEntries + 1).Select(i => (JsonNode?)$"app.{i}").ToArray()),
        };
        var act = () => ProfileImporter.Import(Encoding.UTF8.GetBytes(o.ToJsonString()), "p.json");
        act.Should().Throw<ProfileImportException>().Which.Message.Should()
            .Contain($"dnsServers: has {ProfileLimits.MaxDnsServers + 1} entries; the limit is {ProfileLimits.MaxDnsServers}")
            .And.Contain($"allowedApps: has {ProfileLimits.MaxListEntries + 1} entries; the limit is {ProfileLimits.MaxListEntries}");
    }

    [Fact]
    public void Json_depth_and_size_limits_are_named()
    {
        var deep = new string('[', 40) + new string(']', 40);
        var act = () => ProfileImporter.Import(Encoding.UTF8.GetBytes($$"""{"name":{{deep}}}"""), "d.json");
        act.Should().Throw<ProfileImportException>().WithMessage($"*nested deeper than {ProfileLimits.MaxJsonDepth} levels (the limit)*");
        var many = "{\"name\":[" + string.Join(',', Enumerable.Repeat("0", ProfileLimits.MaxJsonTokens)) + "]}";
        act = () => ProfileImporter.Import(Encoding.UTF8.GetBytes(many), "m.json");
        act.Should().Throw<ProfileImportException>().WithMessage($"*more than {ProfileLimits.MaxJsonTokens} JSON tokens (the limit)*");
        act = () => ProfileImporter.Import(new byte[ProfileLimits.MaxFileBytes + 1], "huge.json");
        act.Should().Throw<ProfileImportException>().WithMessage("*larger than the 4 MiB limit*");
    }

    [Fact]
    public void A_policy_whose_StrongSwan_entry_lacks_its_configuration_is_a_typed_error()
    {
        var json = """{"applications":[{"packageName":"org.strongswan.android"},{"packageName":"other","managedConfiguration":{"managed_profiles":[]}}]}""";
        var act = () => ProfileImporter.Import(Encoding.UTF8.GetBytes(json), "policy.json");
        act.Should().Throw<ProfileImportException>().WithMessage("managed configuration: the application 'org.strongswan.android' in the policy has no managedConfiguration");
    }

    [Fact]
    public void Invalid_utf8_is_refused_with_its_position()
    {
        byte[] bad = [.. Encoding.UTF8.GetBytes("{\"name\":\"a"), 0xff, .. Encoding.UTF8.GetBytes("\",\"serverAddr\":\"x\"}")];
        var act = () => ProfileImporter.Import(bad, "u.json");
        act.Should().Throw<ProfileImportException>().WithMessage("*not valid UTF-8 (at byte 11)*");
    }
}

internal static class RandomExtensions
{
    public static byte[] GetBytesArray(this Random rng, int n)
    {
        var b = new byte[n];
        rng.NextBytes(b);
        return b;
    }
}
