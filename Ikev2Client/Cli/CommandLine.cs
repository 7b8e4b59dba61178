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
            var root = new RootCommand("ikev2 — an IKEv2/IPsec VPN client");
            root.Subcommands.Add(DemoCommand.Create());
            root.Subcommands.Add(InspectCommand.Create());
            root.Subcommands.Add(ProfileCommands.Create());
            root.Subcommands.Add(ResponderCommand.Create());
            foreach (var command in ServiceCommands.Create()) root.Subcommands.Add(command); // connect, disconnect, toggle, status, daemon
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

    /// <summary>
    /// System.CommandLine's help, except that the command list shows an optional argument as optional
    /// (<c>status [&lt;NAME&gt;]</c>, as the command's own usage line does) instead of as a required <c>&lt;NAME&gt;</c>.
    /// </summary>
    private sealed class OptionalArgumentsHelp : System.CommandLine.Invocation.SynchronousCommandLineAction
    {
        private readonly HelpAction _help = new();

        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            var config = parseResult.InvocationConfiguration;
            var real = config.Output;
            var text = new StringWriter();
            config.Output = text;
            int code;
            try { code = _help.Invoke(parseResult); }
            finally { config.Output = real; }
            real.Write(MarkOptional(text.ToString(), parseResult.CommandResult.Command));
            return code;
        }

        /// <summary>Rewrites the rows of <paramref name="command"/>'s subcommands that take an optional argument.</summary>
        internal static string MarkOptional(string help, Command command)
        {
            var lines = help.Split('\n');
            foreach (var sub in command.Subcommands.Where(c => !c.Hidden))
            {
                var optional = sub.Arguments.Where(a => !a.Hidden && a.Arity.MinimumNumberOfValues == 0).ToList();
                if (optional.Count == 0) continue;
                var label = sub.Name + string.Concat(sub.Arguments.Where(a => !a.Hidden).Select(a => $" <{a.HelpName ?? a.Name}>"));
                var marked = sub.Name + string.Concat(sub.Arguments.Where(a => !a.Hidden).Select(a =>
                    a.Arity.MinimumNumberOfValues == 0 ? $" [<{a.HelpName ?? a.Name}>]" : $" <{a.HelpName ?? a.Name}>"));
                for (int i = 0; i < lines.Length; i++)
                {
                    var row = lines[i];
                    var at = row.IndexOf(label, StringComparison.Ordinal);
                    if (at != 2 || row.Length > at + label.Length && row[at + label.Length] != ' ') continue;
                    // Keep the description column where it was: take the added width from the padding when there is room.
                    int grow = marked.Length - label.Length, pad = 0;
                    while (at + label.Length + pad < row.Length && row[at + label.Length + pad] == ' ') pad++;
                    int take = pad - grow >= 2 ? grow : 0;
                    lines[i] = row[..at] + marked + row[(at + label.Length + take)..];
                }
            }
            return string.Join('\n', lines);
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
