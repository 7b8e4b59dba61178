using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Ikev2Client.Tests.Infrastructure;

/// <summary>
/// A logger factory for tests: every event at or above <see cref="Minimum"/> becomes one line (the formatted message),
/// kept in <see cref="Lines"/> and handed to <see cref="Line"/> subscribers (e.g. the test output).
/// </summary>
internal sealed class TestLog : ILoggerFactory, ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public TestLog(Action<string>? sink = null, LogLevel minimum = LogLevel.Information)
    {
        if (sink != null) Line += sink;
        Minimum = minimum;
    }

    public LogLevel Minimum { get; }

    /// <summary>Raised for every line, on the thread that logged it.</summary>
    public event Action<string>? Line;

    public IReadOnlyList<string> Lines => _lines.ToArray();

    public string Text => string.Join('\n', _lines);

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void AddProvider(ILoggerProvider provider) { }

    public void Dispose() { }

    private void Add(string line)
    {
        _lines.Enqueue(line);
        Line?.Invoke(line);
    }

    private sealed class Logger(TestLog owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= owner.Minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) owner.Add(formatter(state, exception));
        }
    }
}
