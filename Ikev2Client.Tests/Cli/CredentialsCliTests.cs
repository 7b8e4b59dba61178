using System.Diagnostics;
using System.Text;
using FluentAssertions;
using Ikev2Client.Profiles;
using Ikev2Client.Tests.Profiles;
using Ikev2Client.Tests.Service;
using Xunit;

namespace Ikev2Client.Tests.Cli;

/// <summary>
/// The real <c>ikev2</c> program with a profile imported without its password: <c>profile set</c> completes it from
/// standard input (validated like an import, stored 0600, never echoed, refused for managed profiles); <c>connect</c>
/// asks on a terminal without echo (a pseudo-terminal from <c>script</c>), stores the answer only with
/// <c>--save-password</c>, puts the terminal back on Ctrl-C, and never asks when standard input is not a terminal.
/// No root: the connection that follows an answer goes nowhere (a closed local port: IKE_SA_INIT gets no answer, so no data path is ever installed).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CredentialsCliTests : IDisposable
{
    private const string Typed = "Typed-S3cret-at-the-prompt";
    private static string Program => Path.Combine(AppContext.BaseDirectory, "ikev2");
    private readonly string _home = ServiceTestData.NewTempDir();

    public CredentialsCliTests()
    {
        // As the strongSwan app exports it: no local.shared_secret. The gateway is a closed port on loopback.
        File.WriteAllText(Path.Combine(_home, "lab.sswan"), """
            {"uuid":"8b0b6f3a-3c9d-4d55-9a1e-5b4f0f1a2b3c","name":"lab","type":"ikev2-eap",
             "remote":{"addr":"127.0.0.1","port":"9"},"local":{"eap_id":"alice"}}
            """);
        var import = Run(null, "profile", "import", Path.Combine(_home, "lab.sswan"));
        import.Code.Should().Be(0, import.Err);
        import.Out.Should().Contain("it is asked when connecting");
    }

    public void Dispose() => Directory.Delete(_home, recursive: true);

    private string SecretsFile => Path.Combine(_home, "secrets", "lab.json");

    private Dictionary<string, string?> Environment => new()
    {
        ["IKEV2_HOME"] = _home, ["IKEV2_SOCKET"] = null, ["IKEV2_NO_AUTOSTART"] = "1",
        ["NO_COLOR"] = null, ["TERM"] = "xterm-256color",
    };

    private (int Code, string Out, string Err) Run(string? stdin, params string[] args)
    {
        var psi = new ProcessStartInfo(Program)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in Environment)
            if (v is null) psi.Environment.Remove(k); else psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        if (stdin is not null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"ikev2 {string.Join(' ', args)} did not finish");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void Without_a_terminal_connect_never_asks_and_says_which_field_is_missing_and_how_to_supply_it()
    {
        var r = Run(null, "connect", "lab", "--foreground");
        r.Code.Should().Be(3, r.Out + r.Err);
        r.Err.Trim().Should().Be("error: 'lab' has no password stored, and it could not be asked (standard input is not a terminal): "
            + "run \"ikev2 connect lab\" on a terminal to be asked, or store it with \"ikev2 profile set lab --password-stdin\"");
        r.Out.Should().NotContain("Password", "no prompt without a terminal");
    }

    [Fact]
    public void Profile_set_completes_the_profile_from_stdin_stores_it_0600_and_never_echoes_it()
    {
        const string secret = "Piped-Pa55word";
        var r = Run(secret + "\n", "profile", "set", "lab", "--password-stdin");
        r.Code.Should().Be(0, r.Err);
        r.Out.Should().Contain("Updated 'lab': password stored").And.NotContain(secret);
        r.Err.Should().BeEmpty();
        File.GetUnixFileMode(SecretsFile).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.GetUnixFileMode(Path.GetDirectoryName(SecretsFile)!).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var profile = new ProfileStore(_home).Load("lab");
        profile.Password.Should().Be(secret);
        ProfileCredentials.Missing(profile).Should().BeEmpty();
        File.ReadAllText(Path.Combine(_home, "profiles", "lab.json")).Should().NotContain(secret);
        Run(null, "profile", "show", "lab").Out.Should().Contain("(stored, hidden)").And.NotContain(secret);

        var user = Run(null, "profile", "set", "lab", "--username", "bob", "--forget-password");
        user.Code.Should().Be(0, user.Err);
        user.Out.Should().Contain("user name 'bob'").And.Contain("password removed").And.Contain("still missing: password");
        (new ProfileStore(_home).Load("lab").Username, File.Exists(SecretsFile)).Should().Be(("bob", false), "no secret left, no secrets file");
    }

    [Fact]
    public void Profile_set_validates_like_import_and_refuses_managed_profiles_leaving_the_store_unchanged()
    {
        var store = new ProfileStore(_home);
        store.SaveManaged(new Ikev2VpnProfile.Builder("vpn.example.org", null).SetName("corp").SetAuthUsernamePassword("alice", null, null).Build());
        var before = ProfileTestData.Snapshot(_home);

        var managed = Run("x\n", "profile", "set", "corp", "--password-stdin");
        managed.Code.Should().Be(2);
        managed.Err.Should().Contain("'corp' is managed by the device policy").And.Contain("can't be changed here");

        var p12 = Run(null, "profile", "set", "lab", "--pkcs12", ProfileTestData.Path("user.p12"));
        p12.Code.Should().Be(2);
        p12.Err.Trim().Should().Be("error: invalid profile: pkcs12: is not used by authMethod usernamePassword");
        Run(null, "profile", "set", "lab").Err.Should().Contain("nothing to change");
        Run(null, "profile", "set", "lab", "--password-stdin").Err.Should().Contain("password: standard input ended");
        Run("\n", "profile", "set", "lab", "--password-stdin").Err.Should().Contain("password: is empty");
        Run(null, "profile", "set", "nosuch", "--username", "x").Code.Should().Be(2);
        Run(null, "profile", "set", "lab", "--ca-cert", ProfileTestData.Path("user.key")).Err.Should().Contain("not a PEM or DER certificate");
        ProfileTestData.Snapshot(_home).Should().BeEquivalentTo(before, "a refused change writes nothing");

        var ca = Run(null, "profile", "set", "lab", "--ca-cert", ProfileTestData.Path("ca.der"));
        ca.Code.Should().Be(0, ca.Err);
        new ProfileStore(_home).Load("lab").ServerRootCaCert!.Thumbprint.Should().Be(ProfileTestData.Ca.Thumbprint);
    }

    [Fact]
    public void Profile_set_takes_a_pkcs12_and_its_password_from_the_next_line_and_checks_it()
    {
        File.WriteAllText(Path.Combine(_home, "cert.json"), $$"""
            {"name":"cert","serverAddr":"vpn.example.org","authMethod":"certificateThenEap","username":"alice",
             "userCert":{{System.Text.Json.JsonSerializer.Serialize(ProfileTestData.User.ExportCertificatePem())}},
             "privateKey":{{System.Text.Json.JsonSerializer.Serialize(ProfileTestData.UserKeyPem)}}}
            """);
        Run(null, "profile", "import", Path.Combine(_home, "cert.json")).Code.Should().Be(0);
        var wrong = Run("eap-pw\nWRONG-p12\n", "profile", "set", "cert", "--password-stdin", "--pkcs12", ProfileTestData.Path("user.p12"), "--pkcs12-password-stdin");
        wrong.Code.Should().Be(2);
        wrong.Err.Should().Contain("pkcs12Password: the password does not open it").And.NotContain("WRONG-p12").And.NotContain("eap-pw");

        var right = Run("eap-pw\ntest\n", "profile", "set", "cert", "--password-stdin", "--pkcs12", ProfileTestData.Path("user.p12"), "--pkcs12-password-stdin");
        right.Code.Should().Be(0, right.Err);
        right.Out.Should().Contain("PKCS#12 replaced").And.NotContain("eap-pw");
        var p = new ProfileStore(_home).Load("cert");
        (p.Password, p.Pkcs12Password, p.UserPrivateKeyPem).Should().Be(("eap-pw", "test", null));
    }

    [Fact]
    public async Task On_a_terminal_connect_asks_without_echo_and_stores_the_answer_only_when_asked_to()
    {
        using (var tty = PseudoTerminal.Start(Program, ["connect", "lab", "--foreground", "--save-password"], Environment))
        {
            await tty.WaitForAsync("Password (EAP-MSCHAPv2) of 'alice' for 'lab': ", TimeSpan.FromSeconds(60));
            tty.Shown.Should().Contain("the answer will be stored with the profile");
            tty.Type(Typed + "\n");
            // The answer is taken: the connection starts (its first request shows); nothing answers on port 9, so Ctrl-C stops it.
            await tty.WaitForAsync("Connecting 'lab': IkeSaInit", TimeSpan.FromSeconds(30));
            tty.Type("\x03");
            var (code, echo, shown) = await tty.WaitForExitAsync(TimeSpan.FromSeconds(30));
            shown.Should().NotContain(Typed, "the password is not echoed");
            echo.Should().BeTrue("echo is back on afterwards");
            code.Should().Be(1, shown);
        }
        File.GetUnixFileMode(SecretsFile).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        new ProfileStore(_home).Load("lab").Password.Should().Be(Typed, "--save-password stored it");

        Run(null, "profile", "set", "lab", "--forget-password").Code.Should().Be(0);
        using (var tty = PseudoTerminal.Start(Program, ["connect", "lab", "--foreground"], Environment))
        {
            await tty.WaitForAsync("Password (EAP-MSCHAPv2)", TimeSpan.FromSeconds(60));
            tty.Shown.Should().Contain("the answer serves this connection only (--save-password stores it; Ctrl-C cancels)");
            tty.Type(Typed + "\n");
            await tty.WaitForAsync("Connecting 'lab': IkeSaInit", TimeSpan.FromSeconds(30));
            tty.Type("\x03");
            var (_, echo, shown) = await tty.WaitForExitAsync(TimeSpan.FromSeconds(30));
            (shown.Contains(Typed), echo).Should().Be((false, true));
        }
        File.Exists(SecretsFile).Should().BeFalse("without --save-password nothing is stored");
    }

    [Fact]
    public async Task Ctrl_c_at_the_password_question_cancels_cleanly_and_puts_echo_back()
    {
        using var tty = PseudoTerminal.Start(Program, ["connect", "lab", "--foreground"], Environment);
        await tty.WaitForAsync("Password (EAP-MSCHAPv2)", TimeSpan.FromSeconds(60));
        tty.Type("half-typed");
        tty.Type("\x03");
        var (code, echo, shown) = await tty.WaitForExitAsync(TimeSpan.FromSeconds(30));
        code.Should().Be(1, shown);
        echo.Should().BeTrue("the terminal's echo is restored after Ctrl-C: " + shown);
        shown.Should().Contain("Cancelled.").And.NotContain("half-typed").And.NotContain("Unhandled");
        File.Exists(SecretsFile).Should().BeFalse();
    }

    [Fact]
    public void Save_password_is_refused_for_a_file_and_for_a_managed_profile()
    {
        var file = Run(null, "connect", Path.Combine(_home, "lab.sswan"), "--save-password");
        file.Code.Should().Be(2);
        file.Err.Should().Contain("--save-password stores into a stored profile");
        new ProfileStore(_home).SaveManaged(new Ikev2VpnProfile.Builder("vpn.example.org", null).SetName("corp").SetAuthUsernamePassword("alice", null, null).Build());
        var managed = Run(null, "connect", "corp", "--save-password");
        managed.Code.Should().Be(2);
        managed.Err.Should().Contain("'corp' is managed by the device policy").And.Contain("can't be stored here");
    }

    [Fact]
    public void Top_level_help_shows_optional_arguments_as_optional()
    {
        var help = Run(null, "--help");
        help.Code.Should().Be(0);
        var rows = help.Out.Split('\n');
        rows.Should().Contain(l => l.StartsWith("  disconnect [<NAME>] ", StringComparison.Ordinal));
        rows.Should().Contain(l => l.StartsWith("  status [<NAME>] ", StringComparison.Ordinal));
        rows.Should().Contain(l => l.StartsWith("  connect <NAME|FILE> ", StringComparison.Ordinal), "a required argument stays <…>");
        rows.Should().Contain(l => l.StartsWith("  toggle <NAME> ", StringComparison.Ordinal));
        var commands = rows.SkipWhile(l => l.Trim() != "Commands:").Skip(1).Where(l => l.StartsWith("  ", StringComparison.Ordinal) && l.Length > 2 && l[2] != ' ');
        var columns = commands.Select(l => System.Text.RegularExpressions.Regex.Match(l, @"^  \S.*?\S  +(\S)").Groups[1].Index).Distinct();
        columns.Should().ContainSingle("the description column stays aligned");
        Run(null, "profile", "--help").Out.Should().Contain("  set <NAME> ");
    }
}
