using System.Threading.Channels;
using Ikev2Client.Profiles;
using Microsoft.Extensions.Logging;

namespace Ikev2Client.Service;

/// <summary>
/// Keeps the managed profiles in step with the managed directory (<c>managed.d/</c>) while the service runs: a
/// <see cref="FileSystemWatcher"/> wakes it on every change, and it lists the directory every
/// <see cref="ManagedDirectoryOptions.RescanInterval"/> anyway, because inotify can miss events (queue overflow, a
/// directory replaced under it). A file is read once it has stopped changing (<see cref="ManagedDirectoryOptions.SettleTime"/>);
/// writers should still write a dot file and rename it into place (docs/service.md).
/// </summary>
public sealed class ManagedDirectoryWatcher : IAsyncDisposable
{
    private readonly ManagedDirectorySync _sync;
    private readonly ManagedDirectoryOptions _options;
    private readonly ILogger _logger;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stop = new();
    private FileSystemWatcher? _watcher;
    private Task? _loop;
    private bool _pending;

    /// <summary>A watcher of <paramref name="store"/>'s managed directory that applies changes through <paramref name="manager"/>.</summary>
    public ManagedDirectoryWatcher(VpnManagerService manager, ProfileStore store, ManagedDirectoryOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(manager);
        ArgumentNullException.ThrowIfNull(store);
        _options = options ?? new ManagedDirectoryOptions();
        _logger = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        _sync = new ManagedDirectorySync(manager, store, _options, _logger);
    }

    /// <summary>The watched directory.</summary>
    public string DirectoryPath => _sync.DirectoryPath;

    /// <summary>
    /// One pass now (the service's start-up: files written before it started are applied at once, because their
    /// time stamps are already old enough).
    /// </summary>
    public async Task SyncAsync(CancellationToken cancellationToken = default)
    {
        try { _pending = await _sync.ScanAsync(_options.Time.GetUtcNow(), cancellationToken).ConfigureAwait(false); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            ServiceLog.ManagedPassFailed(_logger, DirectoryPath, e.GetType().Name);
        }
    }

    /// <summary>Creates the directory (mode 0700) when it is missing, and starts watching it.</summary>
    public void Start()
    {
        if (_loop is not null) return;
        try
        {
            if (!Directory.Exists(DirectoryPath))
            {
                if (OperatingSystem.IsWindows()) Directory.CreateDirectory(DirectoryPath);
                else Directory.CreateDirectory(DirectoryPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ServiceLog.ManagedCannotCreate(_logger, DirectoryPath, e.GetType().Name, _options.RescanInterval.TotalSeconds);
        }
        EnsureWatcher();
        ServiceLog.ManagedWatching(_logger, DirectoryPath);
        _loop = Task.Run(LoopAsync);
    }

    private async Task LoopAsync()
    {
        var ct = _stop.Token;
        while (!ct.IsCancellationRequested)
        {
            var delay = _pending ? _options.SettleTime : _options.RescanInterval;
            try
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                var woken = _wake.Reader.WaitToReadAsync(wait.Token).AsTask();
                var timer = Task.Delay(delay, _options.Time, wait.Token);
                await Task.WhenAny(woken, timer).ConfigureAwait(false);
                wait.Cancel();
                while (_wake.Reader.TryRead(out _)) { }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            if (ct.IsCancellationRequested) return;
            EnsureWatcher();
            try { await SyncAsync(ct).ConfigureAwait(false); }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
        }
    }

    /// <summary>(Re)creates the notification watcher when the directory exists and there is none, or drops a dead one.</summary>
    private void EnsureWatcher()
    {
        if (_watcher is not null)
        {
            if (Directory.Exists(DirectoryPath)) return;
            _watcher.Dispose();
            _watcher = null;
            return;
        }
        if (!Directory.Exists(DirectoryPath) || !_options.Notifications) return;
        try
        {
            var w = new FileSystemWatcher(DirectoryPath)
            {
                IncludeSubdirectories = false,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.Attributes | NotifyFilters.Security,
            };
            w.Created += (_, _) => Wake();
            w.Changed += (_, _) => Wake();
            w.Deleted += (_, _) => Wake();
            w.Renamed += (_, _) => Wake();
            w.Error += (_, e) =>
            {
                ServiceLog.ManagedNotificationsFailed(_logger, e.GetException().GetType().Name);
                Wake();
            };
            w.EnableRaisingEvents = true;
            _watcher = w;
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            ServiceLog.ManagedNoNotifications(_logger, DirectoryPath, e.GetType().Name, _options.RescanInterval.TotalSeconds);
        }
    }

    private void Wake() => _wake.Writer.TryWrite(true);

    /// <summary>Stops watching (the managed profiles stay as they are).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        _stop.Cancel();
        if (_loop is not null) await _loop.ConfigureAwait(false);
        _watcher?.Dispose();
    }
}
