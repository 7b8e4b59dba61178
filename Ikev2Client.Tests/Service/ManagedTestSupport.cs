using Ikev2Client.Profiles;
using Microsoft.Extensions.Logging;

namespace Ikev2Client.Tests.Service;

/// <summary>Writing into the managed directory the way docs/service.md tells an MDM to: a dot file, then a rename.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal static class ManagedFiles
{
    public const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static string CreateDirectory(ProfileStore store)
    {
        Directory.CreateDirectory(store.ManagedDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return store.ManagedDirectory;
    }

    /// <summary>Native profile JSON with its secrets, as an MDM would push it.</summary>
    public static string Native(Ikev2VpnProfile profile) => NativeProfileJson.Serialize(profile, includeSecrets: true);

    public static Ikev2VpnProfile Profile(string name, string server = "vpn.example.com", bool alwaysOn = false) =>
        new Ikev2VpnProfile.Builder().SetName(name).SetServer(server, 4500)
            .SetUserIdentity("client@example.com").SetAuthPsk(System.Text.Encoding.UTF8.GetBytes(ServiceTestData.Psk))
            .SetAlwaysOn(alwaysOn, false).Build();

    /// <summary>Writes <c>.FILE.tmp</c> (mode 0600) and renames it to FILE.</summary>
    public static string Drop(ProfileStore store, string file, string text) => Drop(store, file, System.Text.Encoding.UTF8.GetBytes(text));

    public static string Drop(ProfileStore store, string file, byte[] content)
    {
        var path = Path.Combine(store.ManagedDirectory, file);
        var temp = Path.Combine(store.ManagedDirectory, "." + file + ".tmp");
        using (var fs = new FileStream(temp, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = Private }))
            fs.Write(content);
        File.Move(temp, path, overwrite: true);
        return path;
    }
}

/// <summary>Collects log lines (formatted like the daemon's log) for assertions; as a factory, every category logs here.</summary>
internal sealed class LogCapture : ILogger, ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => this;
    public void AddProvider(ILoggerProvider provider) { }
    public void Dispose() { }

    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Lines
    {
        get { lock (_lines) return _lines.ToList(); }
    }

    public string Text => string.Join('\n', Lines);

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lines) _lines.Add($"{logLevel}: {formatter(state, exception)}");
    }
}
