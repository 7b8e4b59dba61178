using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Ikev2Client.Profiles;
using Microsoft.Extensions.Logging;

namespace Ikev2Client.Service;

/// <summary>
/// The service side of <see cref="IVpnManager"/>: owns one connection loop per profile (one connection per
/// profile), provisions profiles into the <see cref="ProfileStore"/>, publishes every state change to
/// subscribers, and stops everything cleanly on <see cref="ShutdownAsync"/>. Changes to what is stored (provision,
/// delete, a start's load, managed profiles arriving, changing or going) are serialised, so a profile is never
/// deleted under a loop that is just starting with its old copy.
/// </summary>
public sealed class VpnManagerService : IVpnManager, IAsyncDisposable
{
    private readonly VpnManagerOptions _options;
    private readonly ILogger _log;
    private readonly Dictionary<string, ProfileRunner> _runners = new(StringComparer.Ordinal);
    private readonly List<(string? Name, Channel<VpnProfileState> Channel)> _subscribers = [];
    private long _sequence;
    private readonly SemaphoreSlim _mutate = new(1, 1);
    /// <summary>Managed profile name → the managed-directory file that provides it.</summary>
    private readonly ConcurrentDictionary<string, string> _managedBy = new(StringComparer.Ordinal);

    /// <summary>A service over the given store and connection factory.</summary>
    public VpnManagerService(VpnManagerOptions options)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _log = options.LoggerFactory.CreateLogger<VpnManagerService>();
        try
        {
            foreach (var name in _options.Store.ListManaged())
                _managedBy[name] = _options.Store.ManagedSourceOf(name) ?? _options.Store.ManagedDirectory;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ProfileStoreException) { }
    }

    /// <summary>
    /// Start always-on profiles that arrive or change through the managed directory (on by default; the daemon's
    /// <c>--no-always-on</c> turns it off).
    /// </summary>
    public bool AutoStartAlwaysOn { get; set; } = true;

    /// <summary>Raised after every state change (on the thread that made it; handlers must not block).</summary>
    public event Action<VpnProfileState>? StateChanged;

    /// <inheritdoc/>
    public async Task ProvisionVpnProfileAsync(Ikev2VpnProfile profile, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(profile);
        await _mutate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            try { _options.Store.Save(profile); }
            catch (ManagedProfileException e) { throw new VpnManagerException(VpnManagerErrors.Managed, e.Message); }
            catch (ProfileStoreException e) { throw new VpnManagerException(VpnManagerErrors.Internal, e.Message); }
            ServiceLog.Provisioned(_log, profile.Name);
            Runner(profile.Name).Describe(profile);
        }
        finally { _mutate.Release(); }
    }

    /// <inheritdoc/>
    public Task<VpnProfileState> StartProvisionedVpnProfileAsync(string name, bool waitForResult = false, CancellationToken cancellationToken = default) =>
        StartStoredAsync(name, null, waitForResult, cancellationToken);

    /// <inheritdoc/>
    public async Task<VpnProfileState> StartProvisionedVpnProfileAsync(string name, bool waitForResult, ICredentialPrompt? credentials, CancellationToken cancellationToken)
    {
        if (credentials is null || IsRunning(name)) return await StartStoredAsync(name, null, waitForResult, cancellationToken).ConfigureAwait(false);
        Ikev2VpnProfile stored;
        await _mutate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try { stored = LoadStored(name); }
        finally { _mutate.Release(); }
        // Asked without holding the store: the user may take a while to type.
        var answer = await AskForMissingAsync(stored, credentials, cancellationToken).ConfigureAwait(false);
        return await StartStoredAsync(name, answer, waitForResult, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts a stored profile, completed with <paramref name="answer"/> (stored with it when the user asked).</summary>
    private async Task<VpnProfileState> StartStoredAsync(string name, CredentialAnswer? answer, bool waitForResult, CancellationToken cancellationToken)
    {
        ProfileRunner runner;
        Task<VpnProfileState> first;
        await _mutate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var profile = LoadStored(name);
            runner = Runner(name);
            if (runner.Ephemeral && runner.IsActive)
                throw new VpnManagerException(VpnManagerErrors.Conflict, $"'{name}' is connected from a file; disconnect it first");
            if (answer is not null && !runner.IsActive)
            {
                // Applied to the copy stored now (it may have changed while the user typed).
                profile = CompleteOrThrow(profile, answer);
                if (answer.Save) StoreAnswers(profile);
            }
            first = runner.Start(profile, ephemeral: false);
        }
        finally { _mutate.Release(); }
        return await Outcome(runner, first, waitForResult, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task<VpnProfileState> StartVpnProfileAsync(Ikev2VpnProfile profile, bool waitForResult, ICredentialPrompt? credentials, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (credentials is not null && !IsRunning(profile.Name) && !_managedBy.ContainsKey(profile.Name))
        {
            // A file profile is never stored, so neither are its answers.
            if (await AskForMissingAsync(profile, credentials, cancellationToken).ConfigureAwait(false) is { } answer)
                profile = CompleteOrThrow(profile, answer);
        }
        return await StartVpnProfileAsync(profile, waitForResult, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Most questions a start asks before it gives up (a refused answer: an empty one, a wrong PKCS#12 password).</summary>
    private const int MaxCredentialAttempts = 3;

    /// <summary>
    /// Asks <paramref name="prompt"/> for what <paramref name="profile"/> lacks and checks the answer (up to
    /// <see cref="MaxCredentialAttempts"/> questions); null when it lacks nothing. The answers are never logged.
    /// </summary>
    private async Task<CredentialAnswer?> AskForMissingAsync(Ikev2VpnProfile profile, ICredentialPrompt prompt, CancellationToken ct)
    {
        var missing = ProfileCredentials.Missing(profile);
        if (missing.Count == 0) return null;
        string? error = null;
        for (int attempt = 1; ; attempt++)
        {
            CredentialAnswer answer;
            try { answer = await prompt.AskAsync(new CredentialRequest(profile.Name, missing, attempt, error), ct).ConfigureAwait(false); }
            catch (CredentialPromptException e)
            {
                ServiceLog.CredentialsUnanswered(_log, profile.Name, string.Join(", ", missing.Select(m => m.Key)), e.Message);
                throw new VpnManagerException(VpnManagerErrors.CredentialsRequired, ProfileCredentials.HowToSupply(profile.Name, missing, e.Message));
            }
            var unanswered = missing.Where(m => !answer.Values.ContainsKey(m.Key)).Select(m => new ProfileProblem(m.Key, "was asked for and not answered")).ToList();
            try
            {
                if (unanswered.Count > 0) throw new ProfileValidationException(unanswered);
                ProfileCredentials.Complete(profile, answer.Values);
                return answer;
            }
            catch (ProfileValidationException e)
            {
                error = string.Join("; ", e.Problems);
                if (attempt >= MaxCredentialAttempts)
                    throw new VpnManagerException(VpnManagerErrors.CredentialsRequired, $"'{profile.Name}': {error} ({attempt} attempts)");
            }
        }
    }

    private static Ikev2VpnProfile CompleteOrThrow(Ikev2VpnProfile profile, CredentialAnswer answer)
    {
        try { return ProfileCredentials.Complete(profile, answer.Values); }
        catch (ProfileValidationException e) { throw new VpnManagerException(VpnManagerErrors.CredentialsRequired, $"'{profile.Name}': {e.Message}"); }
    }

    /// <summary>Stores answered credentials with the profile (secrets 0600); a managed profile's are used, never stored.</summary>
    private void StoreAnswers(Ikev2VpnProfile completed)
    {
        if (_managedBy.ContainsKey(completed.Name) || _options.Store.IsManaged(completed.Name))
        {
            ServiceLog.CredentialsNotStoredManaged(_log, completed.Name);
            return;
        }
        try { _options.Store.Save(completed); }
        catch (Exception e) when (e is ProfileStoreException or ManagedProfileException)
        {
            throw new VpnManagerException(VpnManagerErrors.Internal, $"the credentials could not be stored: {e.Message}");
        }
        ServiceLog.CredentialsStored(_log, completed.Name);
    }

    private bool IsRunning(string name)
    {
        lock (_runners) return _runners.TryGetValue(name, out var r) && r.IsActive;
    }

    /// <inheritdoc/>
    public Task<VpnProfileState> StartVpnProfileAsync(Ikev2VpnProfile profile, bool waitForResult = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (_managedBy.TryGetValue(profile.Name, out var source))
            throw new VpnManagerException(VpnManagerErrors.Managed,
                $"'{profile.Name}' is the name of a profile managed by the device policy ({source}); connect it by name, or give the file's profile another name");
        var runner = Runner(profile.Name);
        if (!runner.Ephemeral && runner.IsActive)
            throw new VpnManagerException(VpnManagerErrors.Conflict, $"the stored profile '{profile.Name}' is running; disconnect it first");
        return Outcome(runner, runner.Start(profile, ephemeral: true), waitForResult, cancellationToken);
    }

    private async Task<VpnProfileState> Outcome(ProfileRunner runner, Task<VpnProfileState> first, bool wait, CancellationToken ct)
    {
        if (!wait) return Decorate(runner.Snapshot());
        return Decorate(await first.WaitAsync(ct).ConfigureAwait(false));
    }

    /// <inheritdoc/>
    public async Task DeleteProvisionedVpnProfileAsync(string name, CancellationToken cancellationToken = default)
    {
        if (ProfileName.Check(name) is { } problem) throw new VpnManagerException(VpnManagerErrors.BadRequest, $"invalid profile name: {problem}");
        await _mutate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            try { _options.Store.ThrowIfManaged(name, "removed"); }
            catch (ManagedProfileException e) { throw new VpnManagerException(VpnManagerErrors.Managed, e.Message); }
            ProfileRunner? runner;
            lock (_runners) _runners.TryGetValue(name, out runner);
            if (!SafeExists(name))
                throw new VpnManagerException(VpnManagerErrors.NotFound, runner is { Ephemeral: true }
                    ? $"'{name}' was connected from a file and is not stored; 'ikev2 disconnect {name}' stops it"
                    : $"no profile named '{name}'");
            if (runner is { Ephemeral: false })
            {
                // The loop (always-on back-off included) ends before the files go, so nothing runs on a deleted copy.
                if (runner.IsActive) ServiceLog.StoppingToDelete(_log, name);
                await runner.StopAsync().ConfigureAwait(false);
                lock (_runners)
                    if (_runners.TryGetValue(name, out var r) && r == runner) _runners.Remove(name);
            }
            try { _options.Store.Remove(name); }
            catch (ProfileStoreException e) { throw new VpnManagerException(VpnManagerErrors.Internal, e.Message); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new VpnManagerException(VpnManagerErrors.Internal, $"cannot remove '{name}' ({e.GetType().Name})");
            }
            ServiceLog.Deleted(_log, name);
        }
        finally { _mutate.Release(); }
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
        return states.Select(Decorate).OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
    }

    /// <inheritdoc/>
    public Task<VpnProfileState> GetProvisionedVpnProfileStateAsync(string name, CancellationToken cancellationToken = default)
    {
        lock (_runners)
            if (_runners.TryGetValue(name, out var r)) return Task.FromResult(Decorate(r.Snapshot()));
        var profile = LoadStored(name);
        var runner = Runner(name);
        runner.Describe(profile);
        return Task.FromResult(Decorate(runner.Snapshot()));
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
                _runners.Values.Select(r => Decorate(r.Snapshot())).OrderBy(s => s.Name, StringComparer.Ordinal).ToList());
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
                lock (_runners)
                    if (_runners.TryGetValue(name, out var running) && running.IsActive) continue;
                _ = StartQuietlyAsync(name);
                started++;
            }
            catch (Exception e) when (e is ProfileStoreException or VpnManagerException)
            {
                ServiceLog.NotStarted(_log, name, e.Message);
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
        if (_options.NetworkStateDirectory is not { } dir || _options.Recovery is not { } recovery) return [];
        var report = recovery.Recover(dir, keepLockdownTable);
        foreach (var line in report) ServiceLog.CrashRecovery(_log, line);
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

    private async Task StartQuietlyAsync(string name)
    {
        try { await StartProvisionedVpnProfileAsync(name).ConfigureAwait(false); }
        catch (VpnManagerException e) { ServiceLog.NotStarted(_log, name, e.Message); }
    }

    // ---- managed profiles (called by ManagedDirectorySync) ----

    /// <summary>
    /// Stores a profile from the managed directory (it shadows a user profile of the same name) and brings the running
    /// state in line: a running profile whose settings changed reconnects with the new ones; a profile that is not
    /// running starts when it is always-on (and <see cref="AutoStartAlwaysOn"/>). Throws <see cref="ProfileStoreException"/>
    /// when it can't be stored (the previous version then stays).
    /// </summary>
    internal async Task ApplyManagedProfileAsync(Ikev2VpnProfile profile, string sourceFile, CancellationToken cancellationToken)
    {
        await _mutate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var name = profile.Name;
            Ikev2VpnProfile? previous = null;
            try { if (_options.Store.IsManaged(name)) previous = _options.Store.Load(name); }
            catch (ProfileStoreException) { }
            _options.Store.SaveManaged(profile);
            _managedBy[name] = sourceFile;
            if (previous is null && SafeHasUserProfile(name))
                ServiceLog.ManagedShadows(_log, name, sourceFile);
            var unchanged = previous is not null && NativeProfileJson.Serialize(previous, includeSecrets: true) == NativeProfileJson.Serialize(profile, includeSecrets: true);
            var runner = Runner(name);
            if (runner.IsActive)
            {
                if (unchanged && !runner.Ephemeral) return;
                ServiceLog.ManagedChanged(_log, name, sourceFile);
                await runner.StopAsync().ConfigureAwait(false);
                _ = runner.Start(profile, ephemeral: false);
                return;
            }
            runner.Describe(profile);
            if (!unchanged && profile.AlwaysOn && AutoStartAlwaysOn)
            {
                ServiceLog.ManagedStarting(_log, name);
                _ = runner.Start(profile, ephemeral: false);
            }
        }
        finally { _mutate.Release(); }
    }

    /// <summary>
    /// Stops a managed profile (always-on loop included) and removes it and its secrets, because its file is gone. A
    /// user profile of the same name that it shadowed is used again (and started when always-on).
    /// </summary>
    internal async Task RemoveManagedProfileAsync(string name, string sourceFile, CancellationToken cancellationToken)
    {
        await _mutate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ProfileRunner? runner;
            lock (_runners) _runners.TryGetValue(name, out runner);
            if (runner is { Ephemeral: false })
            {
                await runner.StopAsync().ConfigureAwait(false);
                lock (_runners)
                    if (_runners.TryGetValue(name, out var r) && r == runner) _runners.Remove(name);
            }
            try { _options.Store.RemoveManaged(name); }
            catch (Exception e) when (e is ProfileStoreException or IOException or UnauthorizedAccessException)
            {
                ServiceLog.ManagedRemoveFailed(_log, name, e.GetType().Name);
            }
            _managedBy.TryRemove(name, out _);
            ServiceLog.ManagedRemoved(_log, name, sourceFile);
            if (!SafeHasUserProfile(name)) return;
            try
            {
                var user = _options.Store.Load(name);
                var next = Runner(name);
                next.Describe(user);
                ServiceLog.UserProfileBack(_log, name);
                if (user.AlwaysOn && AutoStartAlwaysOn) _ = next.Start(user, ephemeral: false);
            }
            catch (ProfileStoreException e) { ServiceLog.ProfileProblem(_log, name, e.Message); }
        }
        finally { _mutate.Release(); }
    }

    private VpnProfileState Decorate(VpnProfileState state) =>
        _managedBy.TryGetValue(state.Name, out var source) && !state.Ephemeral ? state with { ManagedBy = source } : state;

    private bool SafeHasUserProfile(string name)
    {
        try { return _options.Store.HasUserProfile(name); }
        catch (ProfileStoreException) { return false; }
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
        state = Decorate(state);
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
