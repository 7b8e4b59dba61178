using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Ikev2Client.Cli;

/// <summary>
/// The process's log: Microsoft.Extensions.Logging to stderr, one line per event. Under systemd (<c>JOURNAL_STREAM</c>
/// set) the Systemd console formatter writes <c>&lt;N&gt;</c> syslog priority prefixes and no timestamps (the journal
/// has its own); elsewhere each line starts with a UTC timestamp. No colour: the log goes to files and the journal.
/// </summary>
internal static class Logging
{
    /// <summary>True when stderr goes to the systemd journal.</summary>
    public static bool UnderJournal => Environment.GetEnvironmentVariable("JOURNAL_STREAM") is { Length: > 0 };

    /// <summary>A logger factory at <paramref name="minimum"/> (<see cref="LogLevel.None"/>: nothing is logged).</summary>
    public static ILoggerFactory CreateFactory(LogLevel minimum)
    {
        if (minimum == LogLevel.None) return NullLoggerFactory.Instance;
        bool journal = UnderJournal;
        return LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(minimum);
            builder.AddConsole(o =>
            {
                o.LogToStandardErrorThreshold = LogLevel.Trace; // everything to stderr: stdout is the command's output
                o.FormatterName = journal ? ConsoleFormatterNames.Systemd : ConsoleFormatterNames.Simple;
            });
            if (journal) builder.AddSystemdConsole(o => o.IncludeScopes = false);
            else
            {
                builder.AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.IncludeScopes = false;
                    o.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff ";
                    o.UseUtcTimestamp = true;
                    o.ColorBehavior = LoggerColorBehavior.Disabled;
                });
            }
        });
    }
}
