using System.Text;
using FluentAssertions;
using Ikev2Client.Cli;
using Ikev2Client.NetworkManager;
using Ikev2Client.Profiles;
using Ikev2Client.Tests.Profiles;
using Xunit;

namespace Ikev2Client.Tests.NetworkManager;

/// <summary>
/// <c>ikev2 nm-auth-dialog</c>, NetworkManager's auth-dialog protocol, stdin to stdout: the connection as
/// <c>DATA_KEY/DATA_VAL/SECRET_KEY/SECRET_VAL</c> lines up to <c>DONE</c>; the external-UI keyfile GNOME Shell and nmcli
/// draw their prompt from; the <c>key\nvalue\n</c> answer otherwise; hints; malformed input; no secret on stderr.
/// The real agent (nmcli --ask) runs it in <see cref="NetworkManagerInteropTests"/>.
/// </summary>
public sealed class NetworkManagerAuthDialogTests
{
    private const string Service = NmVpnConnectionSettings.ServiceType;
    private const string Stored = "st0red-Secret";
    private const string Typed = "typ3d-Secret";

    /// <summary>What nm-export writes for an EAP profile of alice without its password (--secrets agent).</summary>
    private static string EapConnection(string? secret = null, string flags = "password-flags")
    {
        var profile = new Ikev2VpnProfile.Builder().SetName("office").SetServer("vpn.example.org", 500)
            .SetUserIdentity("alice@example.org").SetRemoteIdentity("vpn.example.org")
            .SetAuthUsernamePassword("alice", null, ProfileTestData.Ca).Build();
        var json = NativeProfileJson.ToJson(profile, includeSecrets: false).ToJsonString();
        var sb = new StringBuilder();
        sb.Append("DATA_KEY=profile\nDATA_VAL=").Append(json).Append("\n\n");
        sb.Append("DATA_KEY=").Append(flags).Append("\nDATA_VAL=1\n\n");
        if (secret is not null) sb.Append("SECRET_KEY=password\nSECRET_VAL=").Append(secret).Append("\n\n");
        return sb.ToString();
    }

    private static NmAuthDialogOptions Options(bool external = true, bool interaction = true, bool reprompt = false, params string[] hints) =>
        new("0f6c1a2b-3c4d-5e6f-8a9b-0c1d2e3f4a5b", "office", Service, interaction, reprompt, hints, external);

    private sealed record Result(int Code, string Out, string Err, int Asked);

    /// <param name="endless">The agent keeps the pipe open after the input (a read past it fails the test); else it closes it.</param>
    private static Result Run(NmAuthDialogOptions options, string input, Func<NmAuthSecret, string?>? ask = null, bool endless = true)
    {
        var asked = 0;
        using TextReader stdin = endless ? new ScriptedInput(input) : new StringReader(input);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Func<NmAuthSecret, string?>? counted = ask is null ? null : s => { asked++; return ask(s); };
        var code = NmAuthDialog.Run(options, stdin, stdout, stderr, counted);
        return new Result(code, stdout.ToString(), stderr.ToString(), asked);
    }

    /// <summary>
    /// The agent's pipe: the scripted lines, then a read that would block forever in a real pipe left open — here it
    /// fails the test, so a dialog that waits where it must not is caught instead of hanging the run.
    /// </summary>
    private sealed class ScriptedInput(string text) : TextReader
    {
        private readonly StringReader _lines = new(text);
        public override string? ReadLine() => _lines.ReadLine() ?? throw new InvalidOperationException("the dialog read past the end of the agent's input");
    }

    /// <summary>A GLib key file's groups in order, each with its keys (enough for what the dialog writes).</summary>
    private static List<(string Group, Dictionary<string, string> Keys)> ParseKeyfile(string text)
    {
        var groups = new List<(string, Dictionary<string, string>)>();
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith('[')) groups.Add((line[1..^1], new Dictionary<string, string>()));
            else if (line.Length > 0) groups[^1].Item2[line[..line.IndexOf('=')]] = line[(line.IndexOf('=') + 1)..];
        }
        return groups;
    }

    [Fact]
    public void External_UI_mode_prints_the_keyfile_GNOME_Shell_and_nmcli_draw_the_password_prompt_from()
    {
        var r = Run(Options(), EapConnection() + "DONE\nQUIT\n");

        r.Code.Should().Be(0, r.Err);
        var groups = ParseKeyfile(r.Out);
        groups.Select(g => g.Group).Should().Equal(["VPN Plugin UI", "password"], "nmcli requires [VPN Plugin UI] first, then one group per secret");
        var ui = groups[0].Keys;
        ui["Version"].Should().Be("2", "GNOME Shell refuses any other version");
        ui["Title"].Should().Be("Authenticate VPN office");
        ui["Description"].Should().Contain("office");
        groups[1].Keys.Should().Equal(new Dictionary<string, string>
        {
            ["Value"] = "", ["Label"] = "Password of alice", ["IsSecret"] = "true", ["ShouldAsk"] = "true",
        });
        r.Err.Should().BeEmpty();
    }

    [Fact]
    public void Hints_from_SecretsRequired_ask_exactly_the_hinted_secrets_with_the_plugins_message()
    {
        // The connection needs a PSK and a password; the plugin asked for the password only.
        var input = EapConnection() + "DATA_KEY=psk-flags\nDATA_VAL=1\n\nDONE\nQUIT\n";
        var r = Run(Options(hints: ["password", "x-vpn-message:The VPN connection 'office' needs: password"]), input);

        r.Code.Should().Be(0, r.Err);
        var groups = ParseKeyfile(r.Out);
        groups.Select(g => g.Group).Should().Equal("VPN Plugin UI", "password");
        groups[0].Keys["Description"].Should().Be("The VPN connection 'office' needs: password");
        groups[1].Keys["ShouldAsk"].Should().Be("true", "the agent has no password: it is asked");
    }

    [Theory]
    [InlineData("1", false, "false")] // agent-owned, in GNOME's keyring: passed on, asked once only
    [InlineData("1", true, "true")]   // -r: the agent's value was rejected
    [InlineData("2", false, "true")]  // not-saved: asked at every connect
    public void A_hinted_secret_the_agent_has_is_asked_again_only_when_rejected_or_never_saved(string flags, bool reprompt, string shouldAsk)
    {
        var input = EapConnection(secret: Stored).Replace("DATA_KEY=password-flags\nDATA_VAL=1", "DATA_KEY=password-flags\nDATA_VAL=" + flags, StringComparison.Ordinal) + "DONE\n";
        var r = Run(Options(reprompt: reprompt, hints: ["password"]), input);

        var password = ParseKeyfile(r.Out).Single(g => g.Group == "password").Keys;
        password["ShouldAsk"].Should().Be(shouldAsk);
        password["Value"].Should().Be(Stored, "the agent's value pre-fills the prompt, or is passed on");
    }

    [Fact]
    public void Hints_that_are_not_secrets_of_ours_are_ignored()
    {
        var r = Run(Options(hints: ["vpn.secrets.bogus", "password"]), EapConnection() + "DONE\n");

        ParseKeyfile(r.Out).Select(g => g.Group).Should().Equal("VPN Plugin UI", "password");
    }

    [Theory]
    [InlineData(false, "false")]
    [InlineData(true, "true")]
    public void Without_hints_a_secret_the_agent_has_is_asked_again_only_with_reprompt(bool reprompt, string shouldAsk)
    {
        var r = Run(Options(reprompt: reprompt), EapConnection(secret: Stored) + "DONE\n");

        r.Code.Should().Be(0, r.Err);
        var password = ParseKeyfile(r.Out).Single(g => g.Group == "password").Keys;
        password["ShouldAsk"].Should().Be(shouldAsk);
        password["Value"].Should().Be(Stored, "GNOME Shell passes a value it need not ask for straight to NetworkManager");
    }

    [Fact]
    public void Without_interaction_nothing_is_asked()
    {
        var r = Run(Options(interaction: false), EapConnection() + "DONE\n");

        ParseKeyfile(r.Out).Single(g => g.Group == "password").Keys["ShouldAsk"].Should().Be("false");
    }

    [Fact]
    public void A_connection_with_all_its_secrets_in_the_plugins_store_asks_nothing_in_either_mode()
    {
        // nm-export --secrets store with everything stored: no KEY-flags items, only store-profile.
        const string input = "DATA_KEY=profile\nDATA_VAL={\"name\":\"office\"}\n\nDATA_KEY=store-profile\nDATA_VAL=office\n\nDONE\nQUIT\n";

        var external = Run(Options(), input, _ => throw new InvalidOperationException("asked"));
        external.Code.Should().Be(0, external.Err);
        ParseKeyfile(external.Out).Select(g => g.Group).Should().Equal(["VPN Plugin UI"], "no secret group, so no prompt");

        var classic = Run(Options(external: false), input, _ => throw new InvalidOperationException("asked"));
        classic.Code.Should().Be(0, classic.Err);
        classic.Out.Should().Be("\n\n", "no pairs, then the empty line that ends the answer");
        classic.Asked.Should().Be(0);
    }

    [Fact]
    public void Without_external_UI_the_answer_is_key_value_pairs_and_an_empty_line_then_it_waits_for_QUIT()
    {
        var r = Run(Options(external: false), EapConnection() + "DONE\n\nQUIT\n", s =>
        {
            s.Key.Should().Be("password");
            s.Label.Should().Be("Password of alice");
            return Typed;
        });

        r.Code.Should().Be(0, r.Err);
        r.Out.Should().Be($"password\n{Typed}\n\n\n");
        r.Asked.Should().Be(1);
        r.Err.Should().NotContain(Typed);
    }

    [Fact]
    public void Without_external_UI_a_secret_the_agent_has_is_passed_on_unasked()
    {
        var r = Run(Options(external: false), EapConnection(secret: Stored) + "DONE\nQUIT\n", _ => throw new InvalidOperationException("asked"));

        r.Code.Should().Be(0, r.Err);
        r.Out.Should().Be($"password\n{Stored}\n\n\n");
    }

    [Fact]
    public void Without_external_UI_and_without_a_terminal_it_says_so_and_exits_1_without_waiting()
    {
        // ScriptedInput fails any read past DONE: the dialog must not wait for QUIT when it cannot answer.
        var r = Run(Options(external: false), EapConnection(secret: Stored) + "DONE\nQUIT\n", ask: null);
        var rejected = Run(Options(external: false, reprompt: true, hints: ["password"]), EapConnection(secret: Stored) + "DONE\n", ask: null);

        r.Code.Should().Be(0, "nothing needed asking: the agent's password is passed on");
        rejected.Code.Should().Be(1);
        rejected.Out.Should().BeEmpty("a half answer would look like an empty password");
        rejected.Err.Should().Contain("no terminal").And.Contain("--external-ui-mode").And.NotContain(Stored);
    }

    [Fact]
    public void A_cancelled_or_empty_answer_exits_1_without_printing_secrets()
    {
        var cancelled = Run(Options(external: false), EapConnection() + "DONE\n", _ => null);
        var empty = Run(Options(external: false), EapConnection() + "DONE\n", _ => "");

        cancelled.Code.Should().Be(1);
        cancelled.Err.Should().Contain("cancelled");
        empty.Code.Should().Be(1);
        empty.Err.Should().Contain("Password of alice");
        (cancelled.Out + empty.Out).Should().BeEmpty();
    }

    [Theory]
    [InlineData("DATA_VAL=" + Stored + "\nDONE\n", "line 1", "DATA_VAL without a DATA_KEY")]
    [InlineData("SECRET_KEY=password\nDATA_VAL=" + Stored + "\nDONE\n", "line 2", "DATA_VAL without a DATA_KEY")]
    [InlineData("SECRET_KEY=password\n\nDONE\n", "line 2", "has no value")]
    [InlineData("DATA_KEY=profile\nDATA_VAL={}\n\n" + Stored + "\nDONE\n", "line 4", "not DATA_KEY=")]
    [InlineData("DATA_KEY=\nDONE\n", "line 1", "empty key")]
    [InlineData("SECRET_KEY=password\nSECRET_VAL=" + Stored + "\n", "input ended", "before DONE")]
    public void Malformed_input_is_a_typed_error_naming_the_line_never_its_value(string input, string where, string what)
    {
        var act = () => NmAuthDialog.ReadInput(new StringReader(input));
        act.Should().Throw<NmAuthDialogException>().Which.Message.Should().Contain(where).And.Contain(what).And.NotContain(Stored);

        var r = Run(Options(), input, endless: false);
        r.Code.Should().Be(2, "bad input (docs/service.md)");
        r.Out.Should().BeEmpty();
        r.Err.Should().StartWith("nm-auth-dialog: ").And.NotContain(Stored);
    }

    [Fact]
    public void Oversized_input_is_refused()
    {
        var huge = "DATA_KEY=profile\nDATA_VAL=" + new string('x', NmAuthDialog.MaxInputChars) + "\n\nDONE\n";

        var act = () => NmAuthDialog.ReadInput(new StringReader(huge));
        act.Should().Throw<NmAuthDialogException>().WithMessage("*larger than*");
    }

    [Fact]
    public void A_multi_line_value_comes_as_one_VAL_line_per_line_and_is_joined()
    {
        // nmcli writes a value with newlines as DATA_VAL=line1, DATA_VAL=line2.
        var input = NmAuthDialog.ReadInput(new StringReader("DATA_KEY=profile\nDATA_VAL={\"name\":\"office\",\nDATA_VAL=\"username\":\"bob\"}\n\nDATA_KEY=password-flags\nDATA_VAL=2\n\nSECRET_KEY=psk\nSECRET_VAL=a\nSECRET_VAL=b\n\nDONE\n"));

        input.Data["profile"].Should().Be("{\"name\":\"office\",\n\"username\":\"bob\"}");
        input.Secrets["psk"].Should().Be("a\nb");
        NmAuthDialog.SecretsFor(Options(), input).Single().Label.Should().Be("Password of bob");
    }

    [Fact]
    public void A_secret_that_cannot_be_typed_is_not_asked_and_the_user_is_told_where_it_belongs()
    {
        var r = Run(Options(), "DATA_KEY=profile\nDATA_VAL={}\n\nDATA_KEY=privateKey-flags\nDATA_VAL=1\n\nDATA_KEY=pkcs12Password-flags\nDATA_VAL=1\n\nDONE\n");

        r.Code.Should().Be(0);
        var groups = ParseKeyfile(r.Out).ToDictionary(g => g.Group, g => g.Keys);
        groups["privateKey"]["ShouldAsk"].Should().Be("false", "nobody types a PEM key into a password prompt");
        groups["pkcs12Password"]["ShouldAsk"].Should().Be("true");
        r.Err.Should().Contain("--secrets store");
    }

    [Fact]
    public void Text_from_the_connection_is_escaped_in_the_keyfile()
    {
        var options = Options() with { Name = "evil\n[password]\nShouldAsk=false" };
        var r = Run(options, EapConnection() + "DONE\n");

        ParseKeyfile(r.Out).Select(g => g.Group).Should().Equal("VPN Plugin UI", "password");
        r.Out.Should().Contain(@"Title=Authenticate VPN evil\n[password]\nShouldAsk=false");
    }

    [Fact]
    public void The_arguments_secret_agents_pass_are_parsed_and_others_refused()
    {
        // As nmcli's agent spawns it (libnmc): -u -n -s --external-ui-mode -i [-r] [-t hint]...
        var o = NmAuthDialogOptions.Parse(["-u", "uuid-1", "-n", "@office -x", "-s", Service, "--external-ui-mode", "-i", "-r",
            "-t", "password", "-t", "x-vpn-message:needs password"]);
        o.Should().BeEquivalentTo(new NmAuthDialogOptions("uuid-1", "@office -x", Service, true, true, ["password", "x-vpn-message:needs password"], true));
        NmAuthDialogOptions.Parse(["-u", "u", "-n", "n", "-s", Service]).Should().Match<NmAuthDialogOptions>(x => !x.ExternalUi && !x.AllowInteraction && x.Hints.Count == 0);

        FluentActions.Invoking(() => NmAuthDialogOptions.Parse(["-u", "u", "-n", "n"])).Should().Throw<NmAuthDialogException>().WithMessage("*required*");
        FluentActions.Invoking(() => NmAuthDialogOptions.Parse(["-u", "u", "-n", "n", "-s", "org.freedesktop.NetworkManager.openvpn"]))
            .Should().Throw<NmAuthDialogException>().WithMessage("*not this plugin's*");
        FluentActions.Invoking(() => NmAuthDialogOptions.Parse(["-u", "u", "-n", "n", "-s", Service, "-t"])).Should().Throw<NmAuthDialogException>().WithMessage("*-t needs a value*");
        FluentActions.Invoking(() => NmAuthDialogOptions.Parse(["-u", "u", "-n", "n", "-s", Service, "--bogus"])).Should().Throw<NmAuthDialogException>().WithMessage("*unknown argument*");
    }

    [Fact]
    public void The_command_reports_a_usage_error_with_exit_2_and_runs_the_protocol_with_its_arguments()
    {
        var err = new StringWriter();
        NetworkManagerCommands.RunAuthDialog(["-n", "x"], new StringReader(""), new StringWriter(), err).Should().Be(2);
        err.ToString().Should().Contain("required");

        var output = new StringWriter();
        var code = NetworkManagerCommands.RunAuthDialog(["-u", "u", "-n", "office", "-s", Service, "--external-ui-mode", "-i"],
            new StringReader(EapConnection() + "DONE\nQUIT\n"), output, new StringWriter());
        code.Should().Be(0);
        output.ToString().Should().StartWith("[VPN Plugin UI]\n").And.Contain("[password]");
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void The_install_script_stages_the_auth_dialog_the_name_file_names()
    {
        var repo = new DirectoryInfo(AppContext.BaseDirectory);
        while (repo is not null && !File.Exists(Path.Combine(repo.FullName, "Ikev2Client.sln"))) repo = repo.Parent;
        repo.Should().NotBeNull("the tests run inside the repository");
        var stage = Directory.CreateTempSubdirectory("nmauth-stage-").FullName;
        try
        {
            var psi = new System.Diagnostics.ProcessStartInfo("sh", [Path.Combine(repo!.FullName, "packaging", "install-networkmanager.sh")])
            {
                RedirectStandardOutput = true, RedirectStandardError = true,
            };
            psi.Environment["DESTDIR"] = stage;
            psi.Environment["PREFIX"] = "/opt/ikev2";
            using var p = System.Diagnostics.Process.Start(psi)!;
            var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            p.WaitForExit(30_000).Should().BeTrue();
            p.ExitCode.Should().Be(0, output);

            var name = File.ReadAllText(Path.Combine(stage, "usr/lib/NetworkManager/VPN/nm-ikev2client-service.name"));
            var gnome = ParseKeyfile(string.Join('\n', name.Split('\n').Where(l => !l.StartsWith('#'))))
                .Single(g => g.Group == "GNOME").Keys;
            gnome["supports-external-ui-mode"].Should().Be("true");
            gnome["supports-hints"].Should().Be("true");
            var dialog = gnome["auth-dialog"];
            Path.IsPathRooted(dialog).Should().BeTrue("agents run it without a search path");
            var installed = Path.Combine(stage, dialog.TrimStart('/'));
            File.GetUnixFileMode(installed).Should().HaveFlag(UnixFileMode.UserExecute | UnixFileMode.OtherExecute);
            File.ReadAllText(installed).Should().Contain("exec /opt/ikev2/bin/ikev2 nm-auth-dialog \"$@\"");
            output.Should().Contain(dialog);
        }
        finally
        {
            Directory.Delete(stage, recursive: true);
        }
    }
}
