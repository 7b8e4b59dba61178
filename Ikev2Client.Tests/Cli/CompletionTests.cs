using System.Diagnostics;
using FluentAssertions;
using Ikev2Client.Profiles;
using Ikev2Client.Tests.Service;
using Xunit;

namespace Ikev2Client.Tests.Cli;

/// <summary>
/// <c>ikev2 completion bash|zsh|fish</c> and the <c>[suggest:N]</c> directive the scripts call, on the real program:
/// commands, options and stored profile names, with file names as the fallback.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CompletionTests : IDisposable
{
    private static string Program => Path.Combine(AppContext.BaseDirectory, "ikev2");
    private readonly string _home = ServiceTestData.NewTempDir();

    public CompletionTests()
    {
        var store = new ProfileStore(_home);
        store.Save(ServiceTestData.Profile("office"));
        store.Save(ServiceTestData.Profile("Office Paris"));
        store.Save(ServiceTestData.Profile("home"));
    }

    public void Dispose() => Directory.Delete(_home, recursive: true);

    [Theory]
    [InlineData("sta", "status")]
    [InlineData("connect of", "office")]
    [InlineData("status O", "Office Paris")]
    [InlineData("profile show h", "home")]
    [InlineData("profile s", "set", "show")]
    [InlineData("status --w", "--watch")]
    [InlineData("completion ", "--help", "-h", "bash", "fish", "zsh")]
    public void The_suggest_directive_completes_commands_options_and_stored_profiles(string line, params string[] expected)
    {
        var r = Run(null, $"[suggest:{line.Length}]", line);
        r.Code.Should().Be(0, r.Err);
        var word = line[(line.LastIndexOf(' ') + 1)..];
        // The directive matches the word anywhere (case-insensitively); the shells keep the prefix matches.
        Lines(r.Out).Where(s => s.StartsWith(word, StringComparison.Ordinal)).Should().Equal(expected);
    }

    [Fact]
    public void Profile_names_come_from_the_store_of_the_caller()
    {
        var other = ServiceTestData.NewTempDir();
        try
        {
            var psi = Run(null, "[suggest:8]", "connect ");
            Lines(psi.Out).Should().Contain("office");
            var empty = RunWithHome(other, "[suggest:8]", "connect ");
            Lines(empty.Out).Should().NotContain("office", "another user's store has other profiles");
        }
        finally { Directory.Delete(other, recursive: true); }
    }

    [Fact]
    public void Connect_offers_options_and_every_stored_profile()
    {
        var suggestions = Lines(Run(null, "[suggest:8]", "connect ").Out);
        suggestions.Should().Contain(["office", "Office Paris", "home", "--foreground", "--json"]);
        suggestions.Should().NotContain(["/?", "-?", "/h"], "help is -h and --help only");
    }

    [Fact]
    public void Help_names_the_argument_instead_of_listing_profiles()
    {
        var help = Run(null, "--help").Out;
        help.Should().Contain("connect <NAME|FILE>").And.Contain("status [<NAME>]").And.NotContain("office");
        help.Should().Contain("-h, --help").And.NotContain("/?");
    }

    [Fact]
    public void The_bash_script_completes_through_the_program_and_escapes_spaces()
    {
        var script = Run(null, "completion", "bash").Out;
        script.Should().Contain("complete -o bashdefault -o default -F _ikev2_complete ikev2");
        Bash(script, $"{Program} sta").Should().Equal("status");
        Bash(script, $"{Program} connect Off").Should().Equal(@"Office\ Paris");
        Bash(script, $"{Program} profile ").Should().Equal("--help", "-h", "export", "import", "list", "remove", "set", "show");
        Bash(script, $"{Program} inspect /nonexistent/x").Should().BeEmpty("bash falls back to file names (-o default)");
    }

    [Fact]
    public void Zsh_and_fish_scripts_ask_the_program_and_fall_back_to_files()
    {
        var zsh = Run(null, "completion", "zsh");
        zsh.Code.Should().Be(0);
        zsh.Out.Should().StartWith("#compdef ikev2").And.Contain("[suggest:${#line}]").And.Contain("_files").And.Contain("compdef _ikev2 ikev2");
        var fish = Run(null, "completion", "fish");
        fish.Code.Should().Be(0);
        fish.Out.Should().Contain("\"[suggest:\"(string length -- \"$line\")\"]\"").And.Contain("__fish_complete_path").And.Contain("complete -c ikev2");
        Run(null, "completion", "tcsh").Code.Should().Be(2, "only bash, zsh and fish are offered");
    }

    private static List<string> Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    /// <summary>Sources the script in bash and runs its completion function on <paramref name="line"/> (cursor at the end).</summary>
    private List<string> Bash(string script, string line)
    {
        var file = Path.Combine(_home, "ikev2.bash");
        File.WriteAllText(file, script);
        const string driver = """
            source "$1"
            COMP_LINE="$2"; COMP_POINT=${#2}
            read -ra COMP_WORDS <<< "$2"
            [[ $2 == *' ' ]] && COMP_WORDS+=('')
            COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
            _ikev2_complete
            printf '%s\n' "${COMPREPLY[@]}"
            """;
        var r = Run("/bin/bash", "-c", driver, "bash", file, line);
        r.Code.Should().Be(0, r.Err);
        return Lines(r.Out);
    }

    private (int Code, string Out, string Err) Run(string? file, params string[] args) => RunIn(_home, file, args);

    private (int Code, string Out, string Err) RunWithHome(string home, params string[] args) => RunIn(home, null, args);

    private static (int Code, string Out, string Err) RunIn(string home, string? file, string[] args)
    {
        var psi = new ProcessStartInfo(file ?? Program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["IKEV2_HOME"] = home;
        psi.Environment.Remove("IKEV2_SOCKET");
        psi.Environment["IKEV2_NO_AUTOSTART"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit(30_000).Should().BeTrue();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
