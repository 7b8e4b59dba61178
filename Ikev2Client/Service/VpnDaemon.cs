using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Ikev2Client.Service;

/// <summary>
/// The <c>ikev2</c> service process: a <see cref="VpnManagerService"/> behind a <see cref="ControlServer"/>.
/// Starts always-on profiles, applies the managed directory (<see cref="ManagedDirectoryWatcher"/>), runs until
/// SIGTERM/SIGINT (or cancellation) and then disconnects everything cleanly before removing the socket.
/// </summary>
public sealed class VpnDaemon : IAsyncDisposable
{
    private readonly ILogger _logger;
    private int _disposed;

    /// <summary>
    /// A daemon over <paramref name="options"/> listening on <paramref name="socketPath"/>, watching the store's managed
    /// directory unless <paramref name="managed"/> says otherwise.
    /// </summary>
    public VpnDaemon(VpnManagerOptions options, string socketPath, ManagedDirectoryOptions? managed = null)
    {
        _logger = options.LoggerFactory.CreateLogger<VpnDaemon>();
        Manager = new VpnManagerService(options);
        Server = new ControlServer(Manager, socketPath, options.LoggerFactory.CreateLogger<ControlServer>());
        managed ??= new ManagedDirectoryOptions();
        if (managed.Enabled) ManagedWatcher = new ManagedDirectoryWatcher(Manager, options.Store, managed, options.LoggerFactory.CreateLogger<ManagedDirectoryWatcher>());
    }

    /// <summary>The managed-directory watcher (null when turned off).</summary>
    public ManagedDirectoryWatcher? ManagedWatcher { get; }

    /// <summary>The in-process manager.</summary>
    public VpnManagerService Manager { get; }

    /// <summary>The control socket server.</summary>
    public ControlServer Server { get; }

    /// <summary>
    /// Binds the socket (so no other service runs on it), removes what a crashed predecessor left behind
    /// (<see cref="VpnManagerService.RecoverFromCrash"/>), and (optionally) starts always-on profiles.
    /// </summary>
    public void Start(bool startAlwaysOn = true)
    {
        // Bound first (a second service fails here), answering only once what a crashed predecessor left is undone and
        // the managed directory is applied, so no request sees or races the clean-up.
        Server.Listen();
        ServiceLog.ServiceStarted(_logger, Environment.ProcessId);
        Manager.RecoverFromCrash(keepLockdownTable: startAlwaysOn && Manager.HasAlwaysOnLockdownProfile());
        Manager.AutoStartAlwaysOn = startAlwaysOn;
        // What the device policy wrote while the service was down is in force before always-on profiles start.
        ManagedWatcher?.SyncAsync().GetAwaiter().GetResult();
        Server.StartAccepting();
        if (startAlwaysOn)
        {
            int n = Manager.StartAlwaysOnProfiles();
            if (n > 0) ServiceLog.AlwaysOnStarted(_logger, n);
        }
        ManagedWatcher?.Start();
    }

    /// <summary>Runs until SIGTERM, SIGINT or <paramref name="cancellationToken"/>, then shuts down.</summary>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnSignal(PosixSignalContext c)
        {
            c.Cancel = true;
            ServiceLog.Signalled(_logger, c.Signal.ToString());
            stop.TrySetResult();
        }
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var reg = cancellationToken.Register(() => stop.TrySetResult());
        await stop.Task.ConfigureAwait(false);
        await DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Disconnects every profile, then closes the socket.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (ManagedWatcher is not null) await ManagedWatcher.DisposeAsync().ConfigureAwait(false);
        await Manager.ShutdownAsync().ConfigureAwait(false);
        await Server.DisposeAsync().ConfigureAwait(false);
        ServiceLog.ServiceStopped(_logger);
    }
}
