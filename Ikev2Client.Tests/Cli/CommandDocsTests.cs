using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using FluentAssertions;
using Ikev2Client.Tests.Profiles;
using Xunit;

namespace Ikev2Client.Tests.Cli;

/// <summary>
/// The synopsis lines in the docs against the real program's <c>--help</c>: docs/using.md lists every command, each
/// with exactly the options its help shows; the synopses in docs/service.md and docs/profiles.md agree with it too.
/// </summary>
public sealed class CommandDocsTests
{
    private static string Program => Path.Combine(AppContext.BaseDirectory, "ikev2");

    private readonly Dictionary<string, string> _help = [];

    private string Help(params string[] command)
    {
        var key = string.Join(' ', command);
        if (_help.TryGetValue(key, out var cached)) return cached;
        var psi = new ProcessStartInfo(Program)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var a in command) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("--help");
        psi.Environment["IKEV2_HOME"] = Path.GetTempPath(); // --help reads nothing, but never the user's store
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit(30_000).Should().BeTrue();
        p.ExitCode.Should().Be(0, output);
        return _help[key] = output;
    }

    /// <summary>The lines of a help section ("Commands:", "Options:") up to the next blank line.</summary>
    private static IEnumerable<string> Section(string help, string title) =>
        help.Split('\n').SkipWhile(l => l.Trim() != title).Skip(1).TakeWhile(l => l.Trim().Length > 0);

    /// <summary>Every command that has no subcommands, as its path (e.g. "profile set"), from the help tree.</summary>
    private List<string> LeafCommands(params string[] parent)
    {
        var leaves = new List<string>();
        foreach (var row in Section(Help(parent), "Commands:"))
        {
            if (!row.StartsWith("  ", StringComparison.Ordinal) || row[2] == ' ') continue;
            var name = row.Trim().Split(' ')[0];
            string[] path = [.. parent, name];
            var sub = Section(Help(path), "Commands:").ToList();
            if (sub.Count == 0) leaves.Add(string.Join(' ', path));
            else leaves.AddRange(LeafCommands(path));
        }
        return leaves;
    }

    /// <summary>
    /// The options a command's help lists (every alias), without -h/--help. A command that reads its own arguments
    /// (nm-auth-dialog, whose connection names may start with '-' or '@') prints a "usage:" line instead of a section.
    /// </summary>
    private HashSet<string> HelpOptions(string command)
    {
        var help = Help(command.Split(' '));
        var listed = Section(help, "Options:")
            .Select(l => Regex.Match(l, @"^\s+(?<names>-[^<\s,]*(?:, -[^<\s,]*)*)"))
            .Where(m => m.Success)
            .SelectMany(m => m.Groups["names"].Value.Split(", "))
            .Where(o => o is not ("-h" or "--help" or "--version"))
            .ToHashSet();
        if (listed.Count == 0 && help.Split('\n').FirstOrDefault(l => l.StartsWith("usage: ikev2 ", StringComparison.Ordinal)) is { } usage)
            listed = Regex.Matches(usage, @"(?<![\w-])(--?[a-z][a-z0-9-]*)").Select(m => m.Value).ToHashSet();
        return listed;
    }

    /// <summary>"ikev2 CMD …" synopsis lines of the ``` blocks of a doc: command path → options named.</summary>
    private static Dictionary<string, HashSet<string>> Synopses(string doc, IReadOnlyCollection<string> commands)
    {
        var result = new Dictionary<string, HashSet<string>>();
        bool inBlock = false;
        foreach (var line in File.ReadAllLines(ProfileSchemaTests.RepositoryFile(doc)))
        {
            if (line.StartsWith("```", StringComparison.Ordinal)) { inBlock = !inBlock; continue; }
            if (!inBlock || !line.StartsWith("ikev2 ", StringComparison.Ordinal)) continue;
            var rest = line[6..];
            var command = commands.Where(c => rest.StartsWith(c + " ", StringComparison.Ordinal) || rest == c).OrderByDescending(c => c.Length).FirstOrDefault();
            if (command is null) continue;
            var synopsis = line.Split('#')[0];
            result[command] = Regex.Matches(synopsis, @"(?<![\w-])(--?[a-z][a-z0-9-]*)").Select(m => m.Value).ToHashSet();
        }
        return result;
    }

    [Fact]
    public void Using_md_lists_every_command_with_exactly_the_options_of_its_help_and_the_other_docs_agree()
    {
        var commands = LeafCommands();
        commands.Should().Contain(["demo", "connect", "daemon", "profile set", "status"]);
        var options = commands.ToDictionary(c => c, HelpOptions);
        options["connect"].Should().Contain(["--foreground", "--save-password"]);

        var usingMd = Synopses("docs/using.md", commands);
        usingMd.Keys.Should().BeEquivalentTo(commands, "docs/using.md, 'Commands and options', names every command");
        foreach (var c in commands)
            usingMd[c].Should().BeEquivalentTo(options[c], $"[{string.Join(" ", options[c])}] docs/using.md's 'ikev2 {c}' line lists the options of 'ikev2 {c} --help'");

        foreach (var doc in (string[])["docs/service.md", "docs/profiles.md"])
            foreach (var (c, named) in Synopses(doc, commands))
                named.Should().BeEquivalentTo(options[c], $"{doc}'s 'ikev2 {c}' line lists the options of 'ikev2 {c} --help'");
    }
}
