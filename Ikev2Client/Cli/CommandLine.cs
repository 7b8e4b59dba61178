using System.CommandLine;
using System.CommandLine.Help;

namespace Ikev2Client.Cli;

/// <summary>The `ikev2` command tree. Each command lives in its own file and registers here.</summary>
internal static class CommandLine
{
    public static int Run(string[] args)
    {
        var root = new RootCommand("ikev2 — an IKEv2/IPsec VPN client");
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(ProfileCommands.Create());
        root.Subcommands.Add(ResponderCommand.Create());
        foreach (var command in ServiceCommands.Create()) root.Subcommands.Add(command); // connect, disconnect, toggle, status, daemon
        root.Subcommands.Add(CompletionCommand.Create());
        // -h and --help only (not the DOS-style /?, /h, -?), as Linux commands have them; the option is recursive.
        if (root.Options.OfType<HelpOption>().FirstOrDefault() is { } help) root.Options.Remove(help);
        root.Options.Add(new HelpOption("--help", ["-h"]));
        var parsed = root.Parse(args);
        return parsed.Invoke() is var code && parsed.Errors.Count > 0 ? 2 : code; // usage errors exit 2 (docs/service.md)
    }
}
