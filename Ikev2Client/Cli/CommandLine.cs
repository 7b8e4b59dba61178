using System.CommandLine;
using Ikev2Client.Profiles;
using System.CommandLine.Help;

namespace Ikev2Client.Cli;

/// <summary>The `ikev2` command tree. Each command lives in its own file and registers here.</summary>
internal static class CommandLine
{
    public static int Run(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>
    /// Parses and runs; usage errors exit 2 (docs/service.md). No input ends in a stack trace: an exception that a
    /// command did not turn into its own error is one line on stderr and exit 1 (the trace only with
    /// <c>IKEV2_DEBUG=1</c>), instead of System.CommandLine's default handler, which prints the trace.
    /// </summary>
    internal static int Run(string[] args, TextWriter output, TextWriter error)
    {
        try
        {
            // The auth dialog's arguments come from a secret agent (a connection name may be any text): parsed by its own reader.
            if (args is [NetworkManagerCommands.AuthDialogName, ..])
                return NetworkManagerCommands.RunAuthDialog(args[1..], Console.In, output, error);
            var root = new RootCommand("ikev2 — an IKEv2/IPsec VPN client");
            root.Subcommands.Add(DemoCommand.Create());
            root.Subcommands.Add(InspectCommand.Create());
            root.Subcommands.Add(ProfileCommands.Create());
            root.Subcommands.Add(ResponderCommand.Create());
            foreach (var command in ServiceCommands.Create()) root.Subcommands.Add(command); // connect, disconnect, toggle, status, daemon
            foreach (var command in NetworkManagerCommands.Create(() => new ProfileStore())) root.Subcommands.Add(command); // nm-service, nm-export, nm-auth-dialog
            root.Subcommands.Add(CompletionCommand.Create());
            // -h and --help only (not the DOS-style /?, /h, -?), as Linux commands have them; the option is recursive.
            if (root.Options.OfType<HelpOption>().FirstOrDefault() is { } help) root.Options.Remove(help);
            root.Options.Add(new HelpOption("--help", ["-h"]) { Action = new OptionalArgumentsHelp() });
            var parsed = root.Parse(args);
            var code = parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = output, Error = error });
            return parsed.Errors.Count > 0 ? 2 : code; // usage errors exit 2 (docs/service.md)
        }
        catch (Exception e)
        {
            error.WriteLine(Unexpected(e));
            if (Environment.GetEnvironmentVariable("IKEV2_DEBUG") == "1") error.WriteLine(e.ToString());
            return 1;
        }
    }

    /// <summary>One line for an exception no command handled: its type and message, made safe.</summary>
    internal static string Unexpected(Exception e)
    {
        if (e is AggregateException { InnerExceptions.Count: 1 } a) e = a.InnerExceptions[0];
        return e is OperationCanceledException
            ? "ikev2: cancelled"
            : $"ikev2: unexpected error ({e.GetType().Name}): {SafeText.Line(e.Message, 512)} (set IKEV2_DEBUG=1 for details; please report it)";
    }
}
