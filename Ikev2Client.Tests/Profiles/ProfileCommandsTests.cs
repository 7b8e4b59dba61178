using System.CommandLine;
using System.Text.Json.Nodes;
using FluentAssertions;
using Ikev2Client.Cli;
using Ikev2Client.Profiles;
using Xunit;

namespace Ikev2Client.Tests.Profiles;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ProfileCommandsTests : IDisposable
{
    private readonly string _dir = ProfileTestData.NewTempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (int Code, string Out, string Err) Run(params string[] args)
    {
        var root = new RootCommand("test") { ProfileCommands.Create(() => new ProfileStore(_dir)) };
        var output = new StringWriter();
        var error = new StringWriter();
        var code = root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void ImportingAnEspProposalTheDataPlaneCannotRun_fails_with_exit2_naming_esp_proposal_and_stores_nothing()
    {
        var file = Path.Combine(_dir, "ccm.json");
        File.WriteAllText(file, """
            { "name": "ccm", "serverAddr": "vpn.example.org", "authMethod": "psk", "psk": "ccm-secret", "espProposal": "aes128ccm16" }
            """);
        var before = ProfileTestData.Snapshot(Path.Combine(_dir, "profiles"));
        var r = Run("profile", "import", file);
        r.Code.Should().Be(2);
        r.Err.Should().Contain("espProposal").And.Contain("'aes128ccm16'").And.Contain("ESP data plane").And.NotContain("ccm-secret");
        r.Err.Trim().Split('\n').Should().ContainSingle("one line, no stack trace");
        ProfileTestData.Snapshot(Path.Combine(_dir, "profiles")).Should().BeEquivalentTo(before);

        File.WriteAllText(file, """
            { "name": "ctr", "serverAddr": "vpn.example.org", "authMethod": "psk", "psk": "ctr-secret", "espProposal": "aes128ctr-aesxcbc" }
            """);
        Run("profile", "import", file).Code.Should().Be(0);
        new ProfileStore(_dir).Load("ctr").EspProposal.Should().Be("aes128ctr-aesxcbc");
    }

    [Fact]
    public void Import_list_show_export_remove()
    {
        var imported = Run("profile", "import", ProfileTestData.Path("office-eap.sswan"), "--json");
        imported.Code.Should().Be(0, imported.Err);
        var result = JsonNode.Parse(imported.Out)!;
        result["name"]!.GetValue<string>().Should().Be("Office EAP");
        result["format"]!.GetValue<string>().Should().Be("Sswan");
        result["notes"]!.AsArray().Should().NotBeEmpty();

        var list = Run("profile", "list", "--json");
        JsonNode.Parse(list.Out)!.AsArray().Select(n => n!["name"]!.GetValue<string>()).Should().Equal("Office EAP");
        Run("profile", "list").Out.Should().Contain("Office EAP").And.Contain("vpn.example.com:4500");

        var show = Run("profile", "show", "Office EAP", "--json");
        show.Code.Should().Be(0);
        show.Out.Should().Contain("\"username\": \"alice\"").And.NotContain("s3cret-pass");
        Run("profile", "show", "Office EAP").Out.Should().Contain("(stored, hidden)").And.NotContain("s3cret-pass");

        Run("profile", "export", "Office EAP").Out.Should().NotContain("s3cret-pass");
        var file = Path.Combine(_dir, "out.json");
        Run("profile", "export", "Office EAP", "--include-secrets", "-o", file).Code.Should().Be(0);
        File.ReadAllText(file).Should().Contain("s3cret-pass");
        File.GetUnixFileMode(file).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);

        // The exported file imports again under another name.
        Run("profile", "import", file, "--name", "copy").Code.Should().Be(0);
        new ProfileStore(_dir).Load("copy").Password.Should().Be("s3cret-pass");

        Run("profile", "remove", "Office EAP").Code.Should().Be(0);
        var missing = Run("profile", "remove", "Office EAP");
        missing.Code.Should().Be(2);
        missing.Err.Trim().Should().Be("error: no profile named 'Office EAP'");
    }

    [Theory]
    [InlineData("broken.sswan")]
    [InlineData("bad-base64.sswan")]
    [InlineData("missing-addr.sswan")]
    [InlineData("unknown.json")]
    [InlineData("encrypted.mobileconfig")]
    [InlineData("broken.mobileconfig")]
    [InlineData("windows-sstp.xml")]
    public void Failed_import_leaves_store_unchanged(string file)
    {
        var first = Run("profile", "import", ProfileTestData.Path("minimal.sswan"));
        first.Code.Should().Be(0, first.Err);
        var before = ProfileTestData.Snapshot(_dir);
        var r = Run("profile", "import", ProfileTestData.Path(file));
        r.Code.Should().Be(2);
        r.Err.Trim().Split('\n').Should().ContainSingle().Which.Should().StartWith("error: ");
        r.Err.Should().NotContain(" at ");
        var after = ProfileTestData.Snapshot(_dir);
        after.Keys.Should().BeEquivalentTo(before.Keys);
        foreach (var (k, v) in before) after[k].Should().Equal(v);
    }

    [Fact]
    public void Duplicate_name_needs_force()
    {
        Run("profile", "import", ProfileTestData.Path("minimal.sswan")).Code.Should().Be(0);
        Run("profile", "import", ProfileTestData.Path("minimal.sswan")).Code.Should().Be(2);
        Run("profile", "import", ProfileTestData.Path("minimal.sswan"), "--force").Code.Should().Be(0);
    }
}
