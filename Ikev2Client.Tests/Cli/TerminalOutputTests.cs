using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using FluentAssertions;
using Ikev2Client.Tests.Service;
using Xunit;

namespace Ikev2Client.Tests.Cli;

/// <summary>
/// The real <c>ikev2</c> program's output: no escape sequence into a pipe or a file, colour on a terminal (a
/// pseudo-terminal from util-linux <c>script</c>), and none with <c>NO_COLOR</c> or <c>TERM=dumb</c>.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class TerminalOutputTests : IDisposable
{
    private static string Program => Path.Combine(AppContext.BaseDirectory, "ikev2");
    private static string Fixture(string path) => Path.Combine(AppContext.BaseDirectory, "Fixtures", path);

    /// <summary>SGR sequences that set a foreground or background colour (30–38, 40–48, 90–97, 100–107).</summary>
    private static readonly Regex ColourSgr = new(@"\x1b\[(?<p>[0-9;]*)m");

    private readonly string _home = ServiceTestData.NewTempDir();

    public void Dispose() => Directory.Delete(_home, recursive: true);

    [Theory]
    [InlineData("demo")]
    [InlineData("--help")]
    [InlineData("status")]
    [InlineData("profile", "list")]
    [InlineData("inspect", "@strongswan/psk-gcm/capture.pcap", "--keys", "@strongswan/psk-gcm/keys.json")]
    [InlineData("--no-such-option")]
    public void Piped_output_has_no_escape_bytes(params string[] args)
    {
        var r = Run(args.Select(a => a.StartsWith('@') ? Fixture(a[1..]) : a).ToArray());
        r.Out.Length.Should().BeGreaterThan(0, "every one of these commands prints something");
        r.Out.Should().NotContain("\x1b", "stdout is a pipe");
        r.Err.Should().NotContain("\x1b", "stderr is a pipe");
    }

    [Fact]
    public void The_piped_demo_is_complete_with_its_virtual_ip_and_its_table_is_not_wrapped_at_eighty_columns()
    {
        var r = Run("demo");
        r.Code.Should().Be(0, r.Err);
        r.Out.Should().Contain("Done: both sides deleted the IKE SA and its CHILD SA.");
        var selectors = r.Out.Split('\n').Single(l => l.Contains("Traffic selectors"));
        selectors.Should().Contain("===", "the row stays on one line in a pipe");
        r.Out.Split('\n').Single(l => l.Contains("Virtual IP")).Should().Contain("10.99.0.1/32", "the responder's pool assigns the first address");
        r.Out.Split('\n').Single(l => l.Contains("DNS ")).Should().Contain("10.99.0.53");
    }

    [Fact]
    public void The_demo_is_coloured_on_a_terminal_unless_no_color_or_a_dumb_terminal()
    {
        ColourCodes(OnTerminal("demo")).Should().NotBeEmpty("a terminal gets colour");
        var noColor = OnTerminal("demo", ("NO_COLOR", "1"));
        noColor.Should().Contain("Done: both sides deleted");
        ColourCodes(noColor).Should().BeEmpty("NO_COLOR turns colour off");
        var dumb = OnTerminal("demo", ("TERM", "dumb"));
        dumb.Should().Contain("Done: both sides deleted");
        dumb.Should().NotContain("\x1b", "a dumb terminal gets no escape sequences");
    }

    private static List<string> ColourCodes(string text) => ColourSgr.Matches(text)
        .Select(m => m.Groups["p"].Value)
        .Where(p => p.Split(';').Any(x => int.TryParse(x, out var n) && n is >= 30 and <= 38 or >= 40 and <= 48 or >= 90 and <= 97 or >= 100 and <= 107))
        .ToList();

    private (int Code, string Out, string Err) Run(params string[] args)
    {
        var psi = Start(Program, args);
        psi.Environment.Remove("NO_COLOR");
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit(60_000).Should().BeTrue();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs the program on a pseudo-terminal (<c>script -qec</c>) and returns what the terminal showed.</summary>
    private string OnTerminal(string command, params (string Name, string Value)[] env)
    {
        File.Exists("/usr/bin/script").Should().BeTrue("util-linux script (Debian bsdutils) provides the pseudo-terminal");
        var psi = Start("/usr/bin/script", ["-qec", $"'{Program}' {command}", "/dev/null"]);
        psi.Environment.Remove("NO_COLOR");
        psi.Environment["TERM"] = "xterm-256color";
        foreach (var (name, value) in env) psi.Environment[name] = value;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        p.StandardError.ReadToEnd();
        p.WaitForExit(60_000).Should().BeTrue();
        p.ExitCode.Should().Be(0, stdout.Result);
        return stdout.Result;
    }

    private ProcessStartInfo Start(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["IKEV2_HOME"] = _home;
        psi.Environment.Remove("IKEV2_SOCKET");
        psi.Environment["IKEV2_NO_AUTOSTART"] = "1";
        return psi;
    }
}
