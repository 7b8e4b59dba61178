using System.CommandLine;
using System.CommandLine.Help;

namespace Ikev2Client.Cli;

/// <summary>
/// System.CommandLine's help, except that the command list shows an optional argument as optional
/// (<c>status [&lt;NAME&gt;]</c>, as the command's own usage line does) instead of as a required <c>&lt;NAME&gt;</c>.
/// </summary>
internal sealed class OptionalArgumentsHelp : System.CommandLine.Invocation.SynchronousCommandLineAction
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
