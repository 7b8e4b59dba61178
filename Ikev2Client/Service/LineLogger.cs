using Microsoft.Extensions.Logging;

namespace Ikev2Client.Service;

/// <summary>A minimal logger: one timestamped line per entry to a writer (the daemon's log file or stderr).</summary>
public sealed class LineLogger(TextWriter writer, LogLevel minimum = LogLevel.Information) : ILogger
{
    private readonly object _gate = new();

    /// <inheritdoc/>
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    /// <inheritdoc/>
    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

    /// <inheritdoc/>
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel)) return;
        var line = $"{DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm:ss.fff} {Level(logLevel)} {formatter(state, null).ReplaceLineEndings(" ")}";
        lock (_gate)
        {
            writer.WriteLine(line);
            writer.Flush();
        }
    }

    private static string Level(LogLevel l) => l switch
    {
        LogLevel.Trace => "trace", LogLevel.Debug => "debug", LogLevel.Information => "info",
        LogLevel.Warning => "warn", LogLevel.Error => "error", _ => "crit",
    };
}
