using System.Net;
using System.Net.Sockets;
using Ikev2Client.Connection;
using Ikev2Client.Platform;
using Ikev2Client.Profiles;
using Microsoft.Extensions.Logging;

namespace Ikev2Client.Service;

/// <summary>
/// One profile's connection loop inside the service: connect, wait for the connection to end, and (always-on)
/// reconnect after a back-off delay; a stop cancels whatever it is doing and disconnects cleanly.
/// With lockdown, the firewall (<see cref="VpnManagerOptions.Lockdown"/>) is engaged before the first packet and stays
/// until the profile is stopped: it lets out IKE/ESP to the gateway being contacted and, once up, the tunnel; while the
/// profile reconnects or has failed, everything else is blocked.
/// </summary>
internal sealed class ProfileRunner
{
    private readonly object _gate = new();
    private readonly VpnManagerOptions _options;
    private readonly ILogger _log;
    private readonly Action<VpnProfileState> _publish;
    private readonly Func<long> _nextSequence;
    private VpnProfileState _state;
    private IVpnConnection? _connection;
    private CancellationTokenSource? _cts;
    private Task? _run;
    private TaskCompletionSource<VpnProfileState>? _firstResult;
    private readonly object _lockdownGate = new();
    private LockdownPolicy? _lockdown;

    public ProfileRunner(string name, VpnManagerOptions options, Action<VpnProfileState> publish, Func<long> nextSequence)
    {
        _options = options;
        _log = options.LoggerFactory.CreateLogger<ProfileRunner>();
        _publish = publish;
        _nextSequence = nextSequence;
        _state = new VpnProfileState { Name = name, State = VpnState.Disconnected, Since = options.Time.GetUtcNow() };
    }

    public string Name => _state.Name;
    public bool Ephemeral { get; private set; }

    public bool IsActive
    {
        get { lock (_gate) return _run is { IsCompleted: false }; }
    }

    /// <summary>The state with live counters.</summary>
    public VpnProfileState Snapshot()
    {
        lock (_gate)
        {
            if (_state.State == VpnState.Connected && _connection is { } c)
            {
                try { return _state with { Statistics = c.Statistics }; }
                catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException) { return _state; }
            }
            return _state;
        }
    }

    /// <summary>Starts the loop unless it runs; the task completes with the first attempt's outcome.</summary>
    public Task<VpnProfileState> Start(Ikev2VpnProfile profile, bool ephemeral)
    {
        lock (_gate)
        {
            if (_run is { IsCompleted: false })
                return _firstResult!.Task.IsCompleted ? Task.FromResult(SnapshotLocked()) : _firstResult.Task;
            Ephemeral = ephemeral;
            _cts = new CancellationTokenSource();
            _firstResult = new TaskCompletionSource<VpnProfileState>(TaskCreationOptions.RunContinuationsAsynchronously);
            SetLocked(_state with
            {
                State = VpnState.Connecting, SessionKey = Guid.NewGuid().ToString("N")[..12], AlwaysOn = profile.AlwaysOn,
                Lockdown = profile.Lockdown, Ephemeral = ephemeral, Server = $"{profile.ServerAddr}:{profile.ServerPort}",
                Error = null, Detail = "starting", Connection = null, Statistics = null, NextRetryAt = null, Attempt = 0,
            });
            var token = _cts.Token;
            _run = Task.Run(() => RunAsync(profile, token));
            return _firstResult.Task;
        }
    }

    /// <summary>Stops the loop (disconnecting cleanly) and returns the final state.</summary>
    public async Task<VpnProfileState> StopAsync()
    {
        Task? run;
        lock (_gate)
        {
            run = _run;
            if (run is { IsCompleted: false })
            {
                if (_state.State is VpnState.Connected or VpnState.Connecting)
                    SetLocked(_state with { State = VpnState.Disconnecting, Detail = "stopping", NextRetryAt = null });
                _cts!.Cancel();
            }
        }
        if (run is not null) await run.ConfigureAwait(false);
        ReleaseLockdown();
        return Snapshot();
    }

    /// <summary>Records what a stored profile says (always-on, lockdown) while not running.</summary>
    public void Describe(Ikev2VpnProfile profile)
    {
        lock (_gate)
        {
            if (_run is { IsCompleted: false }) return;
            _state = _state with { AlwaysOn = profile.AlwaysOn, Lockdown = profile.Lockdown, Server = $"{profile.ServerAddr}:{profile.ServerPort}" };
        }
    }

    private async Task RunAsync(Ikev2VpnProfile profile, CancellationToken ct)
    {
        var backoff = new ReconnectBackoff(_options.Random);
        int attempt = 0;
        try
        {
            if (profile.Lockdown && EngageLockdown(profile) is { } lockdownFailure)
            {
                ServiceLog.LockdownNotEnforced(_log, profile.Name, lockdownFailure.Message);
                Set(s => s with { State = VpnState.Failed, Error = lockdownFailure, Detail = null, Connection = null, Statistics = null });
                return;
            }
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                attempt++;
                Set(s => s with { State = VpnState.Connecting, Attempt = attempt, Detail = attempt == 1 ? "connecting" : $"reconnecting (attempt {attempt})", NextRetryAt = null, Connection = null, Statistics = null });
                var connection = _options.ConnectionFactory.Create(profile);
                var ended = new TaskCompletionSource<VpnConnectionEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
                VpnError? lockdownError = null;
                bool up = false, degraded = false;
                connection.EventRaised += e =>
                {
                    switch (e)
                    {
                        case VpnConnectionEvent.Contacting contacting when profile.Lockdown:
                            // Synchronous, before the first packet: the gateway being contacted must get through lockdown.
                            try { UpdateLockdown(p => p with { Gateways = [.. p.Gateways.Union([Plain(contacting.Gateway.Address)])] }); }
                            catch (LockdownFirewallException x)
                            {
                                lockdownError = VpnErrorMapper.FromPlatform($"Lockdown could not let IKE to {contacting.Gateway} through: {x.Message}", x);
                                throw;
                            }
                            break;
                        case VpnConnectionEvent.Connecting step:
                            Set(s => s.State == VpnState.Connecting ? s with { Detail = step.Step } : s);
                            break;
                        case VpnConnectionEvent.Degraded d:
                            // Never CONNECTED while the gateway is being checked or the IKE SA has no CHILD SA.
                            lock (_gate) degraded = true;
                            Set(s => s.State is VpnState.Connected or VpnState.Connecting && Volatile.Read(ref up) ? s with { State = VpnState.Connecting, Detail = d.Reason } : s);
                            break;
                        case VpnConnectionEvent.Restored:
                            lock (_gate) degraded = false;
                            Set(s => s.State == VpnState.Connecting && Volatile.Read(ref up) ? s with { State = VpnState.Connected, Detail = null } : s);
                            break;
                        case VpnConnectionEvent.Disconnected or VpnConnectionEvent.Failed:
                            ended.TrySetResult(e);
                            break;
                    }
                };
                lock (_gate) _connection = connection;

                VpnError error;
                bool peerClosed = false, wasUp = false;
                try
                {
                    var info = await connection.ConnectAsync(profile, ct).ConfigureAwait(false);
                    wasUp = true;
                    backoff.Reset();
                    if (profile.Lockdown) UpdateLockdown(p => p with { TunnelInterface = info.InterfaceName });
                    Volatile.Write(ref up, true);
                    bool stillDegraded;
                    lock (_gate) stillDegraded = degraded;
                    Set(s => s with { State = stillDegraded ? VpnState.Connecting : VpnState.Connected, Connection = info, Error = null, Detail = stillDegraded ? s.Detail : null });
                    _firstResult!.TrySetResult(Snapshot());
                    var end = await ended.Task.WaitAsync(ct).ConfigureAwait(false);
                    (error, peerClosed) = end switch
                    {
                        VpnConnectionEvent.Failed f => (f.Error, false),
                        VpnConnectionEvent.Disconnected { ByPeer: true } d => (VpnErrorMapper.DeletedByPeer(d.Reason), true),
                        VpnConnectionEvent.Disconnected d => (VpnError.Network(VpnErrorCodes.ErrorCodeNetworkLost, $"The connection ended ({d.Reason})."), true),
                        _ => (VpnError.Internal("The connection ended."), false),
                    };
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested) { throw; }
                catch (LockdownFirewallException x) { error = VpnErrorMapper.FromPlatform($"Lockdown could not let the tunnel through: {x.Message}", x); }
                catch (Exception e) { error = lockdownError ?? VpnErrorMapper.FromException(e); }
                if (lockdownError is not null) error = lockdownError;

                lock (_gate) _connection = null;
                await DisposeQuietly(connection).ConfigureAwait(false);
                // The tunnel is gone: lockdown keeps blocking everything but IKE/ESP to the gateway while we wait.
                if (profile.Lockdown)
                {
                    try { UpdateLockdown(p => p with { TunnelInterface = null }); }
                    catch (LockdownFirewallException x) { ServiceLog.LockdownUpdateFailed(_log, profile.Name, x.Message); }
                }
                ServiceLog.ConnectionEnded(_log, profile.Name, error.CodeName, error.ClassName, error.Message);

                if (!profile.AlwaysOn || !error.IsRecoverable)
                {
                    var final = peerClosed && wasUp && !profile.AlwaysOn ? VpnState.Disconnected : VpnState.Failed;
                    Set(s => s with { State = final, Error = error, Detail = LockdownDetail(), Connection = null, Statistics = null });
                    return;
                }
                var delay = backoff.Next();
                var retryAt = _options.Time.GetUtcNow() + delay;
                Set(s => s with
                {
                    State = peerClosed ? VpnState.Disconnected : VpnState.Failed, Error = error, Connection = null, Statistics = null,
                    NextRetryAt = retryAt, Detail = $"always-on: reconnecting in {delay.TotalSeconds:0} s" + (IsLockdownEngaged ? "; lockdown: traffic is blocked" : ""),
                });
                _firstResult!.TrySetResult(Snapshot());
                await Task.Delay(delay, _options.Time, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            IVpnConnection? connection;
            lock (_gate) { connection = _connection; _connection = null; }
            if (connection is not null)
            {
                Set(s => s with { State = VpnState.Disconnecting, Detail = "deleting the IKE SA", NextRetryAt = null });
                try { await connection.DisconnectAsync().WaitAsync(_options.DisconnectTimeout).ConfigureAwait(false); }
                catch (Exception e) { ServiceLog.DisconnectUnclean(_log, profile.Name, e.GetType().Name); }
                await DisposeQuietly(connection).ConfigureAwait(false);
            }
            ReleaseLockdown();
            Set(s => s with { State = VpnState.Disconnected, Error = null, Detail = "stopped", Connection = null, Statistics = null, NextRetryAt = null });
        }
        catch (Exception e)
        {
            var error = VpnErrorMapper.FromException(e);
            ServiceLog.RunnerFailed(_log, profile.Name, error.Message);
            Set(s => s with { State = VpnState.Failed, Error = error, Connection = null, Statistics = null, NextRetryAt = null });
        }
        finally
        {
            _firstResult!.TrySetResult(Snapshot());
        }
    }

    // ---- lockdown ----

    private bool IsLockdownEngaged { get { lock (_lockdownGate) return _lockdown is not null; } }

    private string? LockdownDetail() =>
        IsLockdownEngaged ? "lockdown: all traffic is blocked until the tunnel is up again or the profile is disconnected" : null;

    /// <summary>Installs the lockdown firewall for the profile's gateway before anything is sent; the error when it cannot.</summary>
    private VpnError? EngageLockdown(Ikev2VpnProfile profile)
    {
        if (_options.Lockdown is null)
            return VpnError.Internal("The profile asks for lockdown, but this service has no firewall to enforce it, so it was not started.",
                "Run the service on Linux with nftables installed, or turn lockdown off in the profile.");
        var ports = LockdownPolicy.DefaultIkePorts.Union([profile.ServerPort]).ToArray();
        var policy = new LockdownPolicy(GatewayAddresses(profile.ServerAddr), ports, null);
        try
        {
            lock (_lockdownGate)
            {
                _options.Lockdown.Apply(policy);
                _lockdown = policy;
            }
        }
        catch (LockdownFirewallException e)
        {
            return VpnErrorMapper.FromPlatform($"Lockdown could not be enforced, so the profile was not started: {e.Message}", e);
        }
        ServiceLog.LockdownEngaged(_log, profile.Name, policy.ToString());
        Set(s => s with { LockdownActive = true });
        return null;
    }

    /// <summary>Replaces the lockdown policy (one atomic firewall change); nothing when lockdown is not engaged.</summary>
    private void UpdateLockdown(Func<LockdownPolicy, LockdownPolicy> change)
    {
        lock (_lockdownGate)
        {
            if (_lockdown is not { } current || _options.Lockdown is not { } firewall) return;
            var next = change(current);
            if (next.Equals(current)) return;
            firewall.Apply(next);
            _lockdown = next;
            ServiceLog.LockdownChanged(_log, Name, next.ToString());
        }
    }

    private void ReleaseLockdown()
    {
        lock (_lockdownGate)
        {
            if (_lockdown is null) return;
            try
            {
                _options.Lockdown?.Remove();
                _lockdown = null;
            }
            catch (LockdownFirewallException e)
            {
                ServiceLog.LockdownRemoveFailed(_log, Name, e.Message);
                return;
            }
        }
        ServiceLog.LockdownReleased(_log, Name);
        Set(s => s with { LockdownActive = false, Detail = s.Detail?.StartsWith("lockdown:", StringComparison.Ordinal) == true ? null : s.Detail });
    }

    /// <summary>The server's addresses as of now (a literal, or what DNS says before anything is blocked); empty when unknown.</summary>
    private static IPAddress[] GatewayAddresses(string server)
    {
        try { return GatewayAddress.Lookup(server, TimeSpan.FromSeconds(5)).Select(Plain).Distinct().ToArray(); }
        catch (VpnConnectionException) { return []; } // each attempt adds the address it contacts
    }

    private static IPAddress Plain(IPAddress a) => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a;

    private async Task DisposeQuietly(IVpnConnection connection)
    {
        try { await connection.DisposeAsync().AsTask().WaitAsync(_options.DisconnectTimeout).ConfigureAwait(false); }
        catch (Exception e) { ServiceLog.CleanupFailed(_log, Name, e.GetType().Name); }
    }

    private void Set(Func<VpnProfileState, VpnProfileState> change)
    {
        lock (_gate) SetLocked(change(_state));
    }

    private void SetLocked(VpnProfileState next)
    {
        if (next.State != _state.State) next = next with { Since = _options.Time.GetUtcNow() };
        _state = next with { Sequence = _nextSequence() };
        if (next.State != VpnState.Connecting || next.Detail is not null)
            ServiceLog.StateChanged(_log, _state.Name, _state.State.ToWire(), _state.Detail is { } d ? " (" + d + ")" : "");
        _publish(_state);
    }

    private VpnProfileState SnapshotLocked() =>
        _state.State == VpnState.Connected && _connection is { } c ? _state with { Statistics = c.Statistics } : _state;
}
