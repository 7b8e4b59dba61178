using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Ikev2Client.Profiles;
using Microsoft.Extensions.Logging;

namespace Ikev2Client.Service;

/// <summary>
/// The service side of <see cref="IVpnManager"/>: owns one connection loop per profile (one connection per
/// profile), provisions profiles into the <see cref="ProfileStore"/>, publishes every state change to
/// subscribers, and stops everything cleanly on <see cref="ShutdownAsync"/>.
/// </summary>
public sealed class VpnManagerService : IVpnManager, IAsyncDisposable
{
    private readonly VpnManagerOptions _options;
    private readonly Dictionary<string, ProfileRunner> _runners = new(StringComparer.Ordinal);
    private readonly List<(string? Name, Channel<VpnProfileState> Channel)> _subscribers = [];
    private long _sequence;

    /// <summary>A service over the given store and connection factory.</summary>
    public VpnManagerService(VpnManagerOptions options) => _options = options ?? throw new ArgumentNullException(nameof(options));

    /// <summary>Raised after every state change (on the thread that made it; handlers must not block).</summary>
    public event Action<VpnProfileState>? StateChanged;

    /// <inheritdoc/>
    public Task ProvisionVpnProfileAsync(Ikev2VpnProfile profile, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(profile);
        try { _options.Store.Save(profile); }
        catch (ProfileStoreException e) { throw new VpnManagerException(VpnManagerErrors.Internal, e.Message); }
        _options.Logger.LogInformation("{Profile}: provisioned", profile.Name);
        Runner(profile.Name).Describe(profile);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task<VpnProfileState> StartProvisionedVpnProfileAsync(string name, bool waitForResult = false, CancellationToken cancellationToken = default)
    {
        var profile = LoadStored(name);
        var runner = Runner(name);
        if (runner.Ephemeral && runner.IsActive)
            throw new VpnManagerException(VpnManagerErrors.Conflict, $"'{name}' is connected from a file; disconnect it first");
        return StartOn(runner, profile, ephemeral: false, waitForResult, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<VpnProfileState> StartVpnProfileAsync(Ikev2VpnProfile profile, bool waitForResult = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var runner = Runner(profile.Name);
        if (!runner.Ephemeral && runner.IsActive)
            throw new VpnManagerException(VpnManagerErrors.Conflict, $"the stored profile '{profile.Name}' is running; disconnect it first");
        return StartOn(runner, profile, ephemeral: true, waitForResult, cancellationToken);
    }

    private async Task<VpnProfileState> StartOn(ProfileRunner runner, Ikev2VpnProfile profile, bool ephemeral, bool wait, CancellationToken ct)
    {
        var first = runner.Start(profile, ephemeral);
        if (!wait) return runner.Snapshot();
        return await first.WaitAsync(ct).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<VpnProfileState>> StopProvisionedVpnProfileAsync(string? name, CancellationToken cancellationToken = default)
    {
        List<ProfileRunner> targets;
        lock (_runners)
        {
            if (name is null) targets = _runners.Values.ToList();
            else if (_runners.TryGetValue(name, out var r)) targets = [r];
            else targets = [];
        }
        if (name is not null && targets.Count == 0)
        {
            if (!SafeExists(name)) throw new VpnManagerException(VpnManagerErrors.NotFound, $"no profile named '{name}'");
            return [await GetProvisionedVpnProfileStateAsync(name, cancellationToken).ConfigureAwait(false)];
        }
        var states = await Task.WhenAll(targets.Select(r => r.StopAsync())).ConfigureAwait(false);
        lock (_runners)
            foreach (var r in targets.Where(r => r.Ephemeral && !r.IsActive)) _runners.Remove(r.Name);
        return states.OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
    }

    /// <inheritdoc/>
    public Task<VpnProfileState> GetProvisionedVpnProfileStateAsync(string name, CancellationToken cancellationToken = default)
    {
        lock (_runners)
            if (_runners.TryGetValue(name, out var r)) return Task.FromResult(r.Snapshot());
        var profile = LoadStored(name);
        var runner = Runner(name);
        runner.Describe(profile);
        return Task.FromResult(runner.Snapshot());
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<VpnProfileState>> GetAllVpnProfileStatesAsync(CancellationToken cancellationToken = default)
    {
        IReadOnlyList<string> stored;
        try { stored = _options.Store.List(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ProfileStoreException) { stored = []; }
        foreach (var name in stored)
        {
            bool known;
            lock (_runners) known = _runners.ContainsKey(name);
            if (known) continue;
            try { Runner(name).Describe(_options.Store.Load(name)); }
            catch (ProfileStoreException) { Runner(name); }
        }
        lock (_runners)
            return Task.FromResult<IReadOnlyList<VpnProfileState>>(
                _runners.Values.Select(r => r.Snapshot()).OrderBy(s => s.Name, StringComparer.Ordinal).ToList());
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<VpnProfileState> SubscribeAsync(string? name = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateBounded<VpnProfileState>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        var entry = (name, channel);
        lock (_subscribers) _subscribers.Add(entry);
        try
        {
            IReadOnlyList<VpnProfileState> current = name is null
                ? await GetAllVpnProfileStatesAsync(cancellationToken).ConfigureAwait(false)
                : [await GetProvisionedVpnProfileStateAsync(name, cancellationToken).ConfigureAwait(false)];
            var seen = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var s in current)
            {
                seen[s.Name] = s.Sequence;
                yield return s;
            }
            while (await channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                while (channel.Reader.TryRead(out var s))
                {
                    if (seen.TryGetValue(s.Name, out var last) && s.Sequence <= last) continue;
                    seen[s.Name] = s.Sequence;
                    yield return s;
                }
        }
        finally
        {
            lock (_subscribers) _subscribers.Remove(entry);
        }
    }

    /// <summary>Starts every stored profile that has always-on set (what the daemon does when it starts).</summary>
    public int StartAlwaysOnProfiles()
    {
        int started = 0;
        foreach (var name in SafeList())
        {
            try
            {
                var profile = _options.Store.Load(name);
                if (!profile.AlwaysOn) continue;
                _ = StartProvisionedVpnProfileAsync(name);
                started++;
            }
            catch (Exception e) when (e is ProfileStoreException or VpnManagerException)
            {
                _options.Logger.LogWarning("{Profile}: not started ({Message})", name, e.Message);
            }
        }
        return started;
    }

    /// <summary>
    /// Undoes what a killed service or <c>connect --foreground</c> left behind (rules, routes, TUN devices, the lockdown
    /// table, a rewritten resolv.conf), from the state files in <see cref="VpnManagerOptions.NetworkStateDirectory"/> whose
    /// owner is gone. Called once at start, before any profile connects. With <paramref name="keepLockdownTable"/> the
    /// lockdown table stays in place for the always-on lockdown profile that is about to take it over.
    /// </summary>
    /// <returns>What was done, one line each (also logged).</returns>
    public IReadOnlyList<string> RecoverFromCrash(bool keepLockdownTable = false)
    {
        if (_options.NetworkStateDirectory is not { } dir || !OperatingSystem.IsLinux()) return [];
        var report = Platform.Linux.LinuxNetworkCleanup.CleanupStaleDirectory(dir, keepLockdownTable);
        foreach (var line in report) _options.Logger.LogWarning("crash recovery: {Line}", line);
        return report;
    }

    /// <summary>True when a stored profile has both always-on and lockdown (its lockdown must not lapse across a restart).</summary>
    public bool HasAlwaysOnLockdownProfile()
    {
        foreach (var name in SafeList())
        {
            try
            {
                var p = _options.Store.Load(name);
                if (p.AlwaysOn && p.Lockdown) return true;
            }
            catch (ProfileStoreException) { }
        }
        return false;
    }

    /// <summary>Stops every connection cleanly (SIGTERM).</summary>
    public Task ShutdownAsync() => StopProvisionedVpnProfileAsync(null);

    /// <inheritdoc/>
    public async ValueTask DisposeAsync() => await ShutdownAsync().ConfigureAwait(false);

    private ProfileRunner Runner(string name)
    {
        lock (_runners)
        {
            if (!_runners.TryGetValue(name, out var r))
                _runners[name] = r = new ProfileRunner(name, _options, Publish, () => Interlocked.Increment(ref _sequence));
            return r;
        }
    }

    private void Publish(VpnProfileState state)
    {
        lock (_subscribers)
            foreach (var (name, channel) in _subscribers)
                if (name is null || name == state.Name) channel.Writer.TryWrite(state);
        StateChanged?.Invoke(state);
    }

    private Ikev2VpnProfile LoadStored(string name)
    {
        if (ProfileName.Check(name) is { } problem) throw new VpnManagerException(VpnManagerErrors.BadRequest, $"invalid profile name: {problem}");
        if (!SafeExists(name))
        {
            lock (_runners)
                if (_runners.TryGetValue(name, out var r) && r.Ephemeral)
                    throw new VpnManagerException(VpnManagerErrors.NotFound, $"'{name}' was connected from a file and is not stored");
            throw new VpnManagerException(VpnManagerErrors.NotFound, $"no profile named '{name}'");
        }
        try { return _options.Store.Load(name); }
        catch (ProfileStoreException e) { throw new VpnManagerException(VpnManagerErrors.InvalidProfile, e.Message); }
    }

    private bool SafeExists(string name)
    {
        try { return ProfileName.Check(name) is null && _options.Store.Exists(name); }
        catch (ProfileStoreException) { return false; }
    }

    private IReadOnlyList<string> SafeList()
    {
        try { return _options.Store.List(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return []; }
    }
}
