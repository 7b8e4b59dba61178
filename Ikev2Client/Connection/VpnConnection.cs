using System.Net;
using System.Net.Sockets;
using Ikev2Client.Platform;
using Ikev2Client.Platform.Userspace;
using Ikev2Client.Protocol.Ike;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ikev2Client.Connection;

/// <summary>
/// One VPN connection, and its supervisor: every input — commands (<see cref="Connect"/>, <see cref="Disconnect"/>,
/// <see cref="NetworkChanged"/>), the IKE sessions' events, timers, the data plane's SA limits, the monitor tick — runs
/// on one <see cref="ConnectionLoop"/>, so state, <see cref="Health"/> and <see cref="Info"/> are decided in one place.
/// The parts, each with one job: <see cref="Attempt"/> (resolve, NAT-T socket, IKE session and driver; redirects start a
/// new one), <see cref="DataPathInstaller"/> (CHILD SAs → TUN and packet pump, or transport-mode sockets; rekey
/// overlap), <see cref="Mobility"/> (source address checks, MOBIKE), <see cref="Reauthentication"/> (make-before-break),
/// and <see cref="Teardown"/>, the one path every end takes (no TUN, route or rule left). See docs/architecture.md,
/// "The connection".
/// </summary>
/// <remarks>
/// <see cref="Connect"/> starts the loop's thread from the calling thread, so a caller inside a network namespace keeps
/// the sockets and the interface there. Events are raised on the loop; handlers must not block.
/// </remarks>
public sealed class VpnConnection : IDisposable
{
    private readonly VpnConnectionOptions _options;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _log;
    private readonly object _gate = new();
    private readonly ManualResetEventSlim _settled = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SocketProtector _protector = new();
    private IIpSecManager? _manager;
    private ConnectionLoop? _loop;
    private DataPathInstaller? _installer;
    private Mobility? _mobility;
    private Reauthentication? _reauth;
    private volatile Attempt? _attempt;
    private volatile DataPlaneCounters? _counters;
    private LivenessMonitor? _liveness;
    private Attempt? _livenessFor;
    private LoopTimer? _attemptTimeout, _endTimeout, _tick;
    private volatile VpnState _state = VpnState.Disconnected;
    private VpnState _finalState;
    private bool _started, _ending, _tornDown;
    private int _redirects;
    private Exception? _failure;
    private volatile HealthSnapshot _health = new(ConnectionHealth.Up, null);

    /// <summary>Creates a connection logging to <paramref name="loggers"/>; nothing happens until <see cref="Connect"/>.</summary>
    public VpnConnection(VpnConnectionOptions options, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _loggers = loggers ?? NullLoggerFactory.Instance;
        _log = _loggers.CreateLogger<VpnConnection>();
    }

    /// <summary>Raised on every state change (on the loop, or on the thread that called <see cref="Connect"/> for Connecting).</summary>
    public event Action<VpnState>? StateChanged;

    /// <summary>The steps of connecting, typed, with a line for people (on the loop); the full story is in the log.</summary>
    public event Action<ConnectionProgress>? Progressed;

    /// <summary>Current state.</summary>
    public VpnState State => _state;

    /// <summary>While <see cref="VpnState.Connected"/>: does the tunnel carry traffic now (see <see cref="ConnectionHealth"/>).</summary>
    public ConnectionHealth Health => _health.Health;

    /// <summary>Why <see cref="Health"/> is not <see cref="ConnectionHealth.Up"/>, for people.</summary>
    public string? HealthReason => _health.Reason;

    /// <summary>Raised when <see cref="Health"/> changes (on the loop).</summary>
    public event Action<ConnectionHealth, string?>? HealthChanged;

    /// <summary>Raised after each completed reauthentication with the new IKE SA (old one deleted).</summary>
    public event Action<IkeSaInfo>? Reauthenticated;

    /// <summary>What was negotiated and installed, once connected.</summary>
    public TunnelInfo? Info => _installer?.Info;

    /// <summary>The IKE error that ended the connection, if any.</summary>
    public IkeError? Error { get; private set; }

    /// <summary>
    /// True when the connection failed in a way that retrying later may fix (dead peer detection or a retransmission
    /// timeout, TEMPORARY_FAILURE, an IKE SA that outlived its hard lifetime): the signal for always-on reconnects.
    /// </summary>
    public bool IsRecoverableFailure => State == VpnState.Failed && Error is { Recoverable: true };

    /// <summary>A one-line reason why the connection ended (null while it runs or after a local disconnect).</summary>
    public string? EndReason { get; private set; }

    /// <summary>The data plane's counters (the NAT-T socket's: ESP, IKE, keepalives, drops; zeros before connecting).</summary>
    public DataPlaneStatistics Statistics => (_counters ?? new DataPlaneCounters()).Snapshot();

    /// <summary>The CHILD SAs installed now (after a rekey, briefly the old one too until it is deleted).</summary>
    public IReadOnlyList<ChildSaTransforms> ChildSas => _installer?.Children ?? [];

    /// <summary>The IpSecManager in use (transport mode: apply <see cref="ChildSas"/>' transforms to sockets with it).</summary>
    public IIpSecManager? IpSecManager => _manager;

    /// <summary>How many reauthentications completed.</summary>
    public int Reauthentications => _reauth?.Completed ?? 0;

    /// <summary>The gateway's N(AUTH_LIFETIME) of the current IKE SA, if it sent one.</summary>
    public TimeSpan? AuthLifetime => _reauth?.AuthLifetime;

    /// <summary>The driver of the IKE SA that carries the connection (for liveness checks and tests), once connecting.</summary>
    public IkeUdpDriver? Driver => _tornDown ? null : _attempt?.Current.Driver;

    /// <summary>Completes when the connection has been torn down, for whatever reason.</summary>
    public Task Closed => _closed.Task;

    /// <summary>
    /// Transport mode: opens a UDP socket on our IKE address and <paramref name="localPort"/> (0: any free port),
    /// applies the CHILD SA's transforms to it through the IpSecManager contract and returns the userspace wrapper that
    /// sends to and receives from the peer's ports through ESP (inner UDP header). Rekeys re-apply the transforms; the
    /// disconnect removes them and closes the socket.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not connected on the transport-mode path.</exception>
    public UserspaceTransportModeSocket OpenTransportModeSocket(int localPort = 0) => RequireTransport().OpenSocket(localPort);

    /// <summary>
    /// Transport mode: applies the CHILD SA's transforms (IN and OUT) to an application's bound UDP socket that talks
    /// to the peer, as <c>IpSecManager.applyTransportModeTransform</c> does on Android; rekeys re-apply them and the
    /// disconnect removes them (the socket stays the caller's). With the userspace manager, send and receive through
    /// <see cref="UserspaceIpSecManager.GetTransportModeSocket"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not connected on the transport-mode path.</exception>
    public void ApplyTransportMode(Socket socket) => RequireTransport().Apply(socket);

    private TransportModeDataPath RequireTransport() =>
        _installer?.Transport is { } transport && !_tornDown && _state == VpnState.Connected
            ? transport
            : throw new InvalidOperationException("the connection is not up on the transport-mode path");

    // ---- commands (any thread) ----

    /// <summary>Connects and installs the data path; returns when <see cref="VpnState.Connected"/>.</summary>
    /// <exception cref="VpnConnectionException">the connection failed (everything created so far is removed).</exception>
    /// <exception cref="OperationCanceledException">cancelled (everything created so far is removed).</exception>
    public void Connect(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_started) throw new InvalidOperationException("a VpnConnection connects once; create a new one");
            _started = true;
        }
        SetState(VpnState.Connecting);
        _manager = _options.IpSecManager ?? throw new InvalidOperationException("VpnConnectionOptions.IpSecManager is required (the composition root provides it)");
        // Created on this thread: the loop's thread inherits its network namespace (Linux), so every socket and the TUN
        // the loop creates (this attempt's, a redirect's, a reauthentication's) live in the caller's network.
        var loop = new ConnectionLoop("vpn-connection")
        {
            UnhandledException = e =>
            {
                ConnectionLog.LoopFailed(_log, e.GetType().Name, e.Message);
                Fail(e);
            },
        };
        _loop = loop;
        _installer = new DataPathInstaller(_options, _manager, _protector, _loggers.CreateLogger<DataPathInstaller>(),
            (t, limit) => loop.Post(() => OnSaLimit(t, limit)));
        _mobility = new Mobility(_options, _protector, _loggers.CreateLogger<Mobility>());
        _reauth = new Reauthentication(_options, _manager, _protector, loop, _installer,
            () => _state == VpnState.Connected && !_ending ? _attempt : null, OnEvent, _loggers.CreateLogger<Reauthentication>(),
            sa => Reauthenticated?.Invoke(sa));
        loop.Post(() => BeginAttempt(_options.Server, null));
        using (cancellationToken.Register(() => loop.Post(() => Abort(new OperationCanceledException(cancellationToken)))))
            _settled.Wait(CancellationToken.None);
        if (_state == VpnState.Connected) return;
        _closed.Task.Wait(CancellationToken.None); // everything created so far is removed before we throw
        cancellationToken.ThrowIfCancellationRequested();
        throw _failure ?? new VpnConnectionException(EndReason ?? "the connection ended before it was up");
    }

    /// <summary>Deletes the IKE SA (waits up to the disconnect timeout for the answer) and removes everything.</summary>
    public void Disconnect()
    {
        if (!_started || _loop is not { } loop) return;
        loop.Post(BeginDisconnect);
        if (!loop.IsCurrent) _closed.Task.Wait(_options.DisconnectTimeout + _options.DisconnectTimeout + TimeSpan.FromSeconds(10));
    }

    /// <summary>
    /// The network changed (an address was added or removed, another interface took over): re-checks the source
    /// address towards the gateway and sends a MOBIKE address update from it (RFC 4555), even when it looks unchanged
    /// (a NAT may have remapped us). Without MOBIKE a liveness check lets the gateway follow. Returns at once.
    /// </summary>
    public void NetworkChanged() => _loop?.Post(() =>
    {
        if (_state == VpnState.Connected && !_ending && _attempt is { } attempt) _mobility!.Check(attempt, Info, force: true);
    });

    // ---- the loop ----

    /// <summary>Contacts <paramref name="server"/> (the configured gateway, or a redirect target) with a new attempt.</summary>
    private void BeginAttempt(IPEndPoint server, IPAddress? redirectedFrom)
    {
        if (_ending) return;
        try
        {
            var attempt = Attempt.Start(_options, _manager!, _protector, _loop!, server, redirectedFrom, OnEvent);
            _attempt = attempt;
            _counters = attempt.Socket.Counters;
            ConnectionLog.Connecting(_log, server.ToString(), attempt.LocalAddress.ToString());
            Step(ConnectionStep.Contacting, $"connecting to {server}");
        }
        catch (Exception e)
        {
            Fail(e);
            return;
        }
        _attemptTimeout?.Cancel();
        _attemptTimeout = _loop!.Schedule(_options.ConnectTimeout, () =>
        {
            if (_state == VpnState.Connecting && !_ending)
                Fail(new VpnConnectionException($"no answer from {server} within {_options.ConnectTimeout.TotalSeconds:0} s"));
        });
    }

    /// <summary>Every IKE event of every session, on the loop (before the datagrams of the same step are sent).</summary>
    private void OnEvent(IkeUdpDriver from, IkeEvent e)
    {
        if (_tornDown) return;
        if (e is IkeEvent.MessageTraced m)
        {
            ConnectionLog.IkeMessage(_log, m.ToString());
            // While connecting, each new request is a step people see ("IkeSaInit", "IkeAuth"...).
            if (m is { Sent: true, IsResponse: false, Retransmission: false } && _state == VpnState.Connecting && !_ending
                && _attempt is { } current && ReferenceEquals(from, current.Current.Driver))
                Step(ConnectionStep.Exchanging, m.Exchange.ToString());
            return;
        }
        if (_reauth!.Owns(from))
        {
            _reauth.OnEvent(from, e);
            return;
        }
        if (_attempt is not { } attempt || !ReferenceEquals(from, attempt.Current.Driver)) return; // a released attempt's late event
        switch (e)
        {
            case IkeEvent.Redirected r:
                ConnectionLog.RedirectReceived(_log, r.Target.ToString(), r.Exchange.ToString());
                Step(ConnectionStep.Redirected, $"redirected to {r.Target}");
                attempt.Redirect = r.Target;
                break;
            case IkeEvent.AddressesUpdated u:
                ConnectionLog.Moved(_log, u.Local.ToString(), u.Remote.ToString());
                _installer!.Moved(u.Local, u.Remote);
                break;
            case IkeEvent.IkeSaEstablished s:
                ConnectionLog.IkeSaEstablished(_log, s.Sa.RemoteIdentity.ToString(), s.Sa.Algorithms.ToString());
                Step(ConnectionStep.IkeSaEstablished, $"IKE SA established with {s.Sa.RemoteIdentity}");
                _reauth.Schedule(s.Sa);
                break;
            case IkeEvent.ConfigReceived c:
                attempt.Configuration = c.Configuration;
                break;
            case IkeEvent.ChildSaEstablished c when attempt.FirstChild == null:
                ConnectionLog.ChildSaEstablished(_log, c.ChildSa.ToString());
                Step(ConnectionStep.ChildSaEstablished, "CHILD SA established");
                attempt.FirstChild = c.ChildSa;
                if (_state == VpnState.Connecting && !_ending) Up(attempt);
                break;
            case IkeEvent.ChildSaEstablished c when Running:
                _installer!.Added(attempt.Current.Spis, attempt.Socket, c.ChildSa);
                MonitorTick();
                break;
            case IkeEvent.ChildSaRekeyed r when Running:
                _installer!.Rekeyed(attempt.Current.Spis, attempt.Socket, r.Old, r.New, r.ByPeer);
                _loop!.Post(RecheckLimits);
                break;
            case IkeEvent.ChildSaDeleted d:
                _installer!.Deleted(d.ChildSa);
                if (Running) MonitorTick();
                _loop!.Post(RecheckLimits);
                break;
            case IkeEvent.Deleted or IkeEvent.Failed:
                // After this input: the teardown disposes the driver that is raising the event.
                _loop!.Post(() => SessionEnded(attempt, e));
                break;
        }
    }

    private bool Running => _state == VpnState.Connected && !_ending;

    /// <summary>The first CHILD SA: install the data path; connected.</summary>
    private void Up(Attempt attempt)
    {
        try { _installer!.Install(attempt, attempt.FirstChild!, attempt.Configuration); }
        catch (Exception e)
        {
            Fail(e);
            return;
        }
        _attemptTimeout?.Cancel();
        _redirects = 0;
        Step(ConnectionStep.DataPathUp, Info?.InterfaceName is { } tun ? $"interface {tun} up" : "transport mode");
        SetState(VpnState.Connected);
        _tick ??= _loop!.Schedule(_options.MonitorInterval, Tick);
    }

    /// <summary>The IKE SA that carries the connection ended (deleted, failed, or closed by us).</summary>
    private void SessionEnded(Attempt attempt, IkeEvent e)
    {
        if (_tornDown || !ReferenceEquals(attempt, _attempt)) return;
        if (e is IkeEvent.Failed f && f.Error.Kind != IkeErrorKind.Redirected) Error ??= f.Error;
        if (_ending)
        {
            Teardown(_finalState); // our DELETE was answered (or the session gave up)
            return;
        }
        if (attempt.Redirect is { } target && _state is VpnState.Connecting or VpnState.Connected)
        {
            FollowRedirect(attempt, target);
            return;
        }
        var ended = Ended(e);
        if (_state == VpnState.Connecting)
        {
            Fail(ended);
            return;
        }
        EndReason ??= ended.Message;
        ConnectionLog.Ended(_log, EndReason);
        Teardown(e is IkeEvent.Failed ? VpnState.Failed : VpnState.Disconnected);
    }

    /// <summary>
    /// A redirect (RFC 5685) releases the attempt — and while connected (§5) the data path too — and connects to the named
    /// gateway with REDIRECTED_FROM, at most <see cref="VpnConnectionOptions.MaxRedirects"/> times in a row.
    /// </summary>
    private void FollowRedirect(Attempt attempt, GatewayIdentity target)
    {
        var old = attempt.Server;
        if (_redirects >= _options.MaxRedirects)
        {
            var error = new IkeError(IkeErrorKind.TooManyRedirects,
                $"Gave up after {_redirects + 1} redirects in a row (the last one from {old.Address} to {target}); the gateways may redirect in a loop.",
                Protocol.Wire.NotifyType.Redirect);
            Error = error;
            Fail(new VpnConnectionException(error.ToString(), error));
            return;
        }
        _redirects++;
        if (_state == VpnState.Connected) SetState(VpnState.Connecting);
        _installer!.StopTraffic();
        _installer.Release();
        _attempt = null;
        try { attempt.Dispose(); }
        catch (AggregateException) { }
        IPEndPoint server;
        try { server = Resolve(target, old.Port); }
        catch (VpnConnectionException x)
        {
            Fail(x);
            return;
        }
        ConnectionLog.FollowingRedirect(_log, target.ToString(), server.ToString());
        BeginAttempt(server, old.Address);
    }

    private static IPEndPoint Resolve(GatewayIdentity target, int port)
    {
        if (target.Address is { } address) return new IPEndPoint(address, port);
        try { return GatewayAddress.Resolve(target.Fqdn!, port); }
        catch (VpnConnectionException) { throw new VpnConnectionException($"the gateway redirected us to {target}, which does not resolve"); }
    }

    /// <summary>An installed SA reached its sequence or volume limit (posted by a data-plane thread): rekey or delete its CHILD SA.</summary>
    private void OnSaLimit(IpSecTransform transform, SaLimit limit)
    {
        if (!Running || _attempt is not { } attempt || _installer!.Owner(transform) is not { } child) return;
        // An SA kept after its CHILD SA was rekeyed (the old inbound one decrypting until the DELETE, or the old
        // outbound one until the gateway's DELETE after a rekey it started) needs no rekey: its successor is installed.
        if (limit == SaLimit.Soft && _installer.IsReplaced(child)) return;
        var why = transform.NeedsRekey && transform.Sa.LastSentSequence >= transform.Sa.RekeyThreshold
            ? $"sequence number {transform.Sa.LastSentSequence} nears the end of its space"
            : $"{transform.Counters.Bytes} bytes / {transform.Counters.Packets} packets reached its limit ({transform.Lifetime})";
        var driver = attempt.Current.Driver;
        if (limit == SaLimit.Hard)
        {
            ConnectionLog.SaExpired(_log, transform.Spi, why, child.Child.InboundSpi);
            driver.DeleteChildSa(child.Child.InboundSpi);
        }
        else
        {
            ConnectionLog.SaLimitRekey(_log, transform.Spi, why, child.Child.InboundSpi);
            driver.RekeyChildSa(child.Child.InboundSpi);
        }
    }

    /// <summary>
    /// A CHILD SA exchange ended (rekey or delete): limits the data plane reported while it ran — and that the session
    /// set aside as it was busy, or that were crossed without a report (reports are rate-limited per SA and need
    /// traffic) — are looked at again for the CHILD SAs in use now. Asking the session twice is harmless: a rekey of
    /// an SA already rekeyed, or no longer there, is dropped when its turn comes.
    /// </summary>
    private void RecheckLimits()
    {
        if (!Running || _installer is not { } installer) return;
        foreach (var (t, limit) in installer.DueLimits()) OnSaLimit(t, limit);
    }

    /// <summary>About once a second while connected: liveness and CHILD SAs (<see cref="MonitorTick"/>), transport-mode SA limits, the source address.</summary>
    private void Tick()
    {
        _tick = _loop!.Schedule(_options.MonitorInterval, Tick);
        if (!Running || _attempt is not { } attempt) return;
        MonitorTick();
        if (_installer!.Transport is { } transport)
            foreach (var (t, limit) in transport.DueLimits()) OnSaLimit(t, limit);
        _mobility!.Tick(attempt, Info);
    }

    /// <summary>
    /// Looks at the gateway's liveness (<see cref="LivenessMonitor"/> on the data plane's counters) and the CHILD SAs,
    /// starts a liveness check when one is due, and publishes <see cref="Health"/>.
    /// </summary>
    private void MonitorTick()
    {
        if (!Running || _attempt is not { } attempt) return;
        var now = TimeSpan.FromMilliseconds(Environment.TickCount64);
        var counters = attempt.Socket.Counters.Snapshot();
        long outbound = counters.PacketsSent + counters.NoSaDrops, inbound = counters.PacketsReceived + counters.IkeMessagesReceived;
        var verdict = default(LivenessVerdict);
        if (_options.Liveness is { } policy)
        {
            if (!ReferenceEquals(_livenessFor, attempt)) (_liveness, _livenessFor) = (new LivenessMonitor(policy, now, outbound, inbound), attempt);
            verdict = _liveness!.Observe(now, outbound, inbound);
            if (verdict.CheckNow)
            {
                attempt.Current.Driver.CheckLiveness();
                // Look again the moment the check is due to make the gateway suspect, not up to a tick later.
                _loop!.Schedule(policy.SuspectAfter, MonitorTick);
            }
        }
        var (health, reason) = verdict.Suspect ? (ConnectionHealth.Unresponsive, verdict.Reason)
            : _installer!.Children.Count == 0 ? (ConnectionHealth.NoChildSa, "no CHILD SA (deleted or expired): creating a new one")
            : (ConnectionHealth.Up, null);
        if (_health.Health == health && _health.Reason == reason) return;
        _health = new HealthSnapshot(health, reason);
        if (health != ConnectionHealth.Up) ConnectionLog.Degraded(_log, reason ?? health.ToString());
        else ConnectionLog.Restored(_log);
        HealthChanged?.Invoke(health, reason);
    }

    // ---- ends: every one goes through Teardown ----

    /// <summary>Local disconnect: delete the IKE SA (and a reauthentication's), then tear down.</summary>
    private void BeginDisconnect()
    {
        if (_tornDown || _ending) return;
        SetState(VpnState.Disconnecting);
        ConnectionLog.Disconnecting(_log);
        Step(ConnectionStep.Disconnecting, "deleting the IKE SA");
        _reauth!.CloseAll();
        End(VpnState.Disconnected);
    }

    /// <summary>Cancelled while connecting: as a disconnect, ending Disconnected.</summary>
    private void Abort(OperationCanceledException cancelled)
    {
        if (_tornDown || _ending || _state == VpnState.Connected) return;
        _failure ??= cancelled;
        EndReason ??= "cancelled";
        End(VpnState.Disconnected);
    }

    /// <summary>A failure: the reason is kept, the IKE SA deleted if the gateway holds it, then everything removed.</summary>
    private void Fail(Exception e)
    {
        if (_tornDown) return;
        var failure = Classify(e);
        _failure ??= failure;
        EndReason ??= failure.Message;
        if (failure is VpnConnectionException { IkeError: { } ike }) Error ??= ike;
        if (_ending) return;
        if (_state == VpnState.Connected) ConnectionLog.Ended(_log, failure.Message);
        End(VpnState.Failed);
    }

    /// <summary>Deletes the carrying IKE SA when it is up (bounded by the disconnect timeout), then <see cref="Teardown"/>.</summary>
    private void End(VpnState final)
    {
        _ending = true;
        _finalState = final;
        _attemptTimeout?.Cancel();
        _settled.Set();
        if (_attempt is { Current: { IsLive: true } run } && run.Session.State == IkeSessionState.Established)
        {
            run.Driver.Close(); // its Deleted (or Failed) comes back through SessionEnded
            _endTimeout = _loop!.Schedule(_options.DisconnectTimeout, () => Teardown(final));
            return;
        }
        Teardown(final);
    }

    /// <summary>
    /// The one teardown: stops the data plane, releases the attempt (driver, NAT-T socket, session), the reauthentication,
    /// the TUN with its routes, rules and DNS, the transport-mode transforms and every CHILD SA, then ends the loop.
    /// </summary>
    private void Teardown(VpnState final)
    {
        if (_tornDown) return;
        _tornDown = true;
        _ending = true;
        foreach (var t in new[] { _attemptTimeout, _endTimeout, _tick }) t?.Cancel();
        var errors = new List<Exception>();
        void Try(Action a)
        {
            try { a(); }
            catch (AggregateException ex) { errors.AddRange(ex.InnerExceptions); }
            catch (Exception ex) { errors.Add(ex); }
        }
        var tunName = Info?.InterfaceName;
        Try(() => _installer?.StopTraffic());
        Try(() => _reauth?.Stop());
        var attempt = _attempt;
        Try(() => attempt?.Dispose());
        if (_installer != null) errors.AddRange(_installer.Release());
        if (errors.Count > 0)
        {
            EndReason ??= $"cleanup was incomplete: {errors[0].Message}";
            final = VpnState.Failed;
        }
        if (tunName != null) ConnectionLog.InterfaceRemoved(_log, tunName);
        else ConnectionLog.Disconnected(_log);
        SetState(final);
        _settled.Set();
        _closed.TrySetResult();
        _loop?.Stop();
    }

    internal static Exception Classify(Exception e) => e switch
    {
        VpnConnectionException or OperationCanceledException => e,
        VpnPlatformException p => new VpnConnectionException($"could not set up the tunnel interface: {p.Message}", null, p),
        SocketException s => new VpnConnectionException($"network error: {s.Message}", null, s),
        _ => new VpnConnectionException($"connection failed: {e.Message}", null, e),
    };

    internal static VpnConnectionException Ended(IkeEvent final) => final switch
    {
        IkeEvent.Failed f => new VpnConnectionException(f.Error.ToString(), f.Error),
        IkeEvent.Deleted { ByPeer: true } d => new VpnConnectionException($"the gateway deleted the IKE SA ({d.Reason})"),
        IkeEvent.Deleted d => new VpnConnectionException($"the IKE SA was closed ({d.Reason})"),
        _ => new VpnConnectionException("the IKE session ended"),
    };

    private void SetState(VpnState state)
    {
        _state = state;
        if (state is VpnState.Connected) _settled.Set();
        StateChanged?.Invoke(state);
    }

    private void Step(ConnectionStep step, string detail) => Progressed?.Invoke(new ConnectionProgress(step, detail));

    /// <summary>Disconnects (if needed) and releases everything.</summary>
    public void Dispose()
    {
        Disconnect();
        _loop?.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() => $"VpnConnection to {_options.Server} {State}";

    private sealed record HealthSnapshot(ConnectionHealth Health, string? Reason);
}
