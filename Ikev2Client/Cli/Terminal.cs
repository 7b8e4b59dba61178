using Spectre.Console;

namespace Ikev2Client.Cli;

/// <summary>
/// How the CLI styles its output. Colour only on a terminal, and never when <c>NO_COLOR</c> is set to anything
/// non-empty (https://no-color.org); no escape sequence at all when the output is not a terminal (a pipe, a file, a
/// test) or <c>TERM=dumb</c>. Plain output is laid out for a wide line instead of the 80 columns Spectre.Console
/// assumes when it cannot ask a terminal, so that tables in logs do not wrap.
/// </summary>
internal static class Terminal
{
    /// <summary>Line width for output that is not a terminal (<c>COLUMNS</c> when set).</summary>
    public const int PlainWidth = 200;

    /// <summary><c>NO_COLOR</c> is set and not empty.</summary>
    public static bool NoColor => Environment.GetEnvironmentVariable("NO_COLOR") is { Length: > 0 };

    /// <summary>The terminal understands no escape sequences.</summary>
    public static bool Dumb => Environment.GetEnvironmentVariable("TERM") is "dumb";

    /// <summary>A console over standard output, styled as its destination allows.</summary>
    public static IAnsiConsole Stdout() => For(Console.Out);

    /// <summary>A console over <paramref name="writer"/>: a terminal only when it is standard output and that is one.</summary>
    public static IAnsiConsole For(TextWriter writer) => Create(writer, isTerminal: ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected);

    /// <summary>
    /// A console over <paramref name="writer"/>: with <paramref name="isTerminal"/> ANSI cursor control and styles,
    /// colour unless <c>NO_COLOR</c>; otherwise plain text.
    /// </summary>
    public static IAnsiConsole Create(TextWriter writer, bool isTerminal)
    {
        bool ansi = isTerminal && !Dumb;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = ansi ? AnsiSupport.Yes : AnsiSupport.No,
            ColorSystem = ansi && !NoColor ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = ansi ? InteractionSupport.Yes : InteractionSupport.No,
        });
        if (!isTerminal)
            console.Profile.Width = int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns > 0 ? columns : PlainWidth;
        return console;
    }
}
