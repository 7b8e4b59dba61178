using System.Net;
using System.Net.Sockets;
using Ikev2Client.Platform;
using Ikev2Client.Platform.Userspace;
using Ikev2Client.Protocol.Ike;

namespace Ikev2Client.Connection;

/// <summary>
/// One VPN connection: drives an <see cref="IkeSession"/> through <see cref="IkeUdpDriver"/>, and when the CHILD SA is
/// established builds its ESP transforms through the IpSecManager contract and installs the data path — the TUN
/// interface with the virtual IP, routes from the remote traffic selectors (split) or everything (full), DNS, the
/// protected NAT-T socket and the <see cref="PacketPump"/>; or, when transport mode was negotiated with host-to-host
/// selectors, no TUN at all: the transforms are applied through the IpSecManager contract to the sockets that talk to
/// the peer (<see cref="OpenTransportModeSocket"/>, <see cref="ApplyTransportMode"/>), with ESP on the IKE NAT-T
/// socket. Rekeys switch outbound traffic at once and keep the old inbound SA until the peer deletes it.
/// On disconnect, deletion or failure everything is torn down (no TUN, route or rule left).
/// </summary>
/// <remarks>
/// <see cref="Connect"/> creates the sockets and the interface on the calling thread, so a caller inside a network
/// namespace keeps them there. Events from the IKE session are handled on the driver's loop.
/// </remarks>
public sealed partial class VpnConnection : IDisposable
{
    private readonly VpnConnectionOptions _options;
    private readonly object _gate = new();
    private readonly ManualResetEventSlim _childReady = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<ChildSaTransforms> _children = new();
    private readonly SocketProtector _protector = new();
    private readonly Dictionary<uint, ChildSaTransforms> _outboundAfterDelete = new();
    private IIpSecManager? _manager;
    private bool _ownsManager;
    private NatTSocket? _socket;
    private IkeSession? _session;
    private IkeUdpDriver? _driver;
    private PacketPump? _pump;
    private IVpnInterface? _tun;
    private TransportModeDataPath? _transport;
    private IpSecSpiAllocator? _spis;
    private IkeConfiguration? _config;
    private ChildSaInfo? _firstChild;
    private VpnConnectionState _state = VpnConnectionState.Disconnected;
    private bool _started;
    private bool _tornDown;
    private GatewayIdentity? _redirect;
    private IPAddress? _localAddress;
    private IPEndPoint? _server;
    private readonly System.Collections.Concurrent.BlockingCollection<Action> _work = new();
    private Thread? _worker;

    /// <summary>Creates a connection; nothing happens until <see cref="Connect"/>.</summary>
    public VpnConnection(VpnConnectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <summary>Raised on every state change (on whichever thread caused it).</summary>
    public event Action<VpnConnectionState>? StateChanged;

    /// <summary>Progress lines for people ("IKE SA established", "interface ikev2tun0 up", ...).</summary>
    public event Action<string>? Progress;

    /// <summary>Current state.</summary>
    public VpnConnectionState State { get { lock (_gate) return _state; } }

    /// <summary>While <see cref="VpnConnectionState.Connected"/>: does the tunnel carry traffic now (see <see cref="ConnectionHealth"/>).</summary>
    public ConnectionHealth Health { get; private set; } = ConnectionHealth.Up;

    /// <summary>Why <see cref="Health"/> is not <see cref="ConnectionHealth.Up"/>, for people.</summary>
    public string? HealthReason { get; private set; }

    /// <summary>Raised when <see cref="Health"/> changes (on the monitor thread).</summary>
    public event Action<ConnectionHealth, string?>? HealthChanged;

    /// <summary>What was negotiated and installed, once connected.</summary>
    public VpnConnectionInfo? Info { get; private set; }

    /// <summary>The IKE error that ended the connection, if any.</summary>
    public IkeError? Error { get; private set; }

    /// <summary>
    /// True when the connection failed in a way that retrying later may fix (dead peer detection or a retransmission
    /// timeout, TEMPORARY_FAILURE, an IKE SA that outlived its hard lifetime): the signal for always-on reconnects.
    /// </summary>
    public bool IsRecoverableFailure => State == VpnConnectionState.Failed && Error is { Recoverable: true };

    /// <summary>A one-line reason why the connection ended (null while it runs or after a local disconnect).</summary>
    public string? EndReason { get; private set; }

    /// <summary>The packet pump's counters (zeros before connecting).</summary>
    public DataPlaneStatistics Statistics => _pump?.Counters.Snapshot() ?? new DataPlaneCounters().Snapshot();

    /// <summary>The CHILD SAs installed now (after a rekey, briefly the old one too until it is deleted).</summary>
    public IReadOnlyList<ChildSaTransforms> ChildSas { get { lock (_gate) return _children.ToArray(); } }

    /// <summary>The IpSecManager in use (transport mode: apply <see cref="ChildSas"/>' transforms to sockets with it).</summary>
    public IIpSecManager? IpSecManager => _manager;

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

    private TransportModeDataPath RequireTransport()
    {
        lock (_gate)
        {
            if (_transport == null || _tornDown || _state != VpnConnectionState.Connected)
                throw new InvalidOperationException("the connection is not up on the transport-mode path");
            return _transport;
        }
    }

    /// <summary>The IKE driver (for liveness checks and tests), once connecting.</summary>
    public IkeUdpDriver? Driver => _driver;

    /// <summary>Completes when the connection has been torn down, for whatever reason.</summary>
    public Task Closed => _closed.Task;

    /// <summary>
    /// Connects and installs the data path; returns when <see cref="VpnConnectionState.Connected"/>.
    /// </summary>
    /// <exception cref="VpnConnectionException">the connection failed (everything created so far is removed).</exception>
    /// <exception cref="OperationCanceledException">cancelled (everything created so far is removed).</exception>
    public void Connect(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_started) throw new InvalidOperationException("a VpnConnection connects once; create a new one");
            _started = true;
        }
        SetState(VpnConnectionState.Connecting);
        try
        {
            if (_options.IpSecManager == null)
            {
                _manager = new UserspaceIpSecManager();
                _ownsManager = true;
            }
            else _manager = _options.IpSecManager;
            ConnectFollowingRedirects(_options.Server, null, cancellationToken);
            SetState(VpnConnectionState.Connected);
            StartWorker();
        }
        catch (Exception e)
        {
            var failure = Classify(e);
            EndReason ??= failure.Message;
            CloseSession();
            Teardown(e is OperationCanceledException ? VpnConnectionState.Disconnected : VpnConnectionState.Failed);
            if (failure == e) throw;
            throw failure;
        }
    }

    private static Exception Classify(Exception e) => e switch
    {
        VpnConnectionException or OperationCanceledException => e,
        VpnPlatformException p => new VpnConnectionException($"could not set up the tunnel interface: {p.Message}", null, p),
        SocketException s => new VpnConnectionException($"network error: {s.Message}", null, s),
        _ => new VpnConnectionException($"connection failed: {e.Message}", null, e),
    };

    /// <summary>Deletes the IKE SA of the current attempt if the gateway holds it (best effort, bounded wait).</summary>
    private void CloseSession()
    {
        if (_driver != null && _session is { State: IkeSessionState.Established })
        {
            _driver.Close();
            _driver.Completion.Wait(_options.DisconnectTimeout);
        }
    }

    /// <summary>
    /// Connects to <paramref name="server"/>; a redirect (RFC 5685) releases the attempt and connects to the named
    /// gateway with REDIRECTED_FROM, at most <see cref="VpnConnectionOptions.MaxRedirects"/> times in a row.
    /// On return the data path is installed. Runs on a thread inside the caller's network namespace.
    /// </summary>
    private void ConnectFollowingRedirects(IPEndPoint server, IPAddress? redirectedFrom, CancellationToken cancellationToken)
    {
        for (int redirects = 0; ; redirects++)
        {
            var target = Attempt(server, redirectedFrom, cancellationToken);
            if (target == null) return;
            ReleaseTransport();
            if (redirects >= _options.MaxRedirects)
            {
                var error = new IkeError(IkeErrorKind.TooManyRedirects,
                    $"Gave up after {redirects + 1} redirects in a row (the last one from {server.Address} to {target}); the gateways may redirect in a loop.",
                    Protocol.Wire.NotifyType.Redirect);
                Error = error;
                throw new VpnConnectionException(error.ToString(), error);
            }
            redirectedFrom = server.Address;
            server = Resolve(target, server.Port);
            Report($"redirected to {target}: connecting to {server}");
        }
    }

    private static IPEndPoint Resolve(GatewayIdentity target, int port)
    {
        if (target.Address is { } address) return new IPEndPoint(address, port);
        try
        {
            var addresses = Dns.GetHostAddresses(target.Fqdn!);
            var pick = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault();
            if (pick != null) return new IPEndPoint(pick, port);
        }
        catch (SocketException) { }
        throw new VpnConnectionException($"the gateway redirected us to {target}, which does not resolve");
    }

    /// <summary>One IKE attempt: sockets, session, driver and pump; installs the data path, or returns the redirect target.</summary>
    private GatewayIdentity? Attempt(IPEndPoint server, IPAddress? redirectedFrom, CancellationToken cancellationToken)
    {
        _childReady.Reset();
        _firstChild = null;
        _config = null;
        _redirect = null;
        var localAddress = _options.LocalAddress.Equals(IPAddress.Any) || _options.LocalAddress.Equals(IPAddress.IPv6Any)
            ? _protector.SourceAddressFor(server) : _options.LocalAddress;
        _localAddress = localAddress;
        _server = server;
        _options.BeforeContact?.Invoke(server);
        var bindAddress = SocketProtector.BindAddress(_options.LocalAddress, server.AddressFamily); // IPv4 or IPv6 gateway
        _socket = NatTSocket.Open(new IPEndPoint(bindAddress, 0), _options.NatT, _protector.Protect);
        _spis = new IpSecSpiAllocator(_manager!, localAddress);
        var sessionOptions = redirectedFrom == null ? _options.Session : _options.Session.WithRedirectedFrom(redirectedFrom);
        _session = new IkeSession(sessionOptions, spiAllocator: _spis);
        var driver = new IkeUdpDriver(_session, new IkeUdpDriverOptions
        {
            LocalIkeEndPoint = new IPEndPoint(bindAddress, 0),
            NatTSocket = _socket,
            NatKeepaliveInterval = null, // the NAT-T socket sends keepalives when it has been idle
            ProtectSocket = _protector.Protect,
        });
        _driver = driver;
        _socket.DefaultIkeHandler = driver.ReceiveNatT;
        _pump = new PacketPump(_socket, _options.Pump);
        _pump.SaLimitReached += (transform, limit) => OnSaLimit(driver, transform, limit);
        driver.EventRaised += e => OnEvent(driver, e);
        Report($"connecting to {server} from {localAddress}");
        driver.Connect(server);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ConnectTimeout);
        int which = WaitHandle.WaitAny([_childReady.WaitHandle, ((IAsyncResult)driver.Completion).AsyncWaitHandle, timeout.Token.WaitHandle]);
        cancellationToken.ThrowIfCancellationRequested();
        if (which == 2) throw new VpnConnectionException($"no answer from {server} within {_options.ConnectTimeout.TotalSeconds:0} s");
        if (which == 1 || _firstChild == null)
        {
            if (_redirect is { } target) return target;
            throw Ended(driver.Completion.Result);
        }
        Install(_firstChild, _config, localAddress);
        return null;
    }

    /// <summary>Deletes the IKE SA (waits up to the disconnect timeout for the answer) and removes everything.</summary>
    public void Disconnect()
    {
        IkeUdpDriver? driver;
        lock (_gate)
        {
            if (_tornDown || !_started) return;
            if (_state is VpnConnectionState.Connected or VpnConnectionState.Connecting) _state = VpnConnectionState.Disconnecting;
            driver = _driver;
        }
        StateChanged?.Invoke(VpnConnectionState.Disconnecting);
        if (driver != null)
        {
            Report("deleting the IKE SA");
            driver.Close();
            driver.Completion.Wait(_options.DisconnectTimeout);
        }
        Teardown(VpnConnectionState.Disconnected);
    }

    private void Install(ChildSaInfo child, IkeConfiguration? config, IPAddress localAddress)
    {
        var path = DataPathSelector.Choose(child);
        var virtualAddresses = config?.VirtualAddresses ?? [];
        var dns = _options.DnsServers is { Count: > 0 } own ? own : config?.DnsServers ?? [];
        if (path == DataPath.TransportMode)
        {
            var transport = new TransportModeDataPath(_manager!, _socket!, localAddress);
            var driver = _driver!;
            transport.SaLimitReached += (transform, limit) => OnSaLimit(driver, transform, limit);
            lock (_gate) _transport = transport;
            var sa = ChildSaTransforms.Create(child, _manager!, _spis, EspTransformMode.Transport, transport.EncapsulationSocket, VolumeLimits);
            lock (_gate) _children.Add(sa);
            transport.Install(sa);
            _socket!.KeepalivePeer = child.RemoteEndPoint;
            Info = new VpnConnectionInfo(path, null, virtualAddresses, dns, [], false, child, child.LocalEndPoint, child.RemoteEndPoint);
            Report($"transport mode: host-to-host selectors {sa.Local} === {sa.Remote}, ESP in UDP to {child.RemoteEndPoint}");
            return;
        }
        if (child.Mode == ChildSaMode.Transport)
            throw new VpnConnectionException("the gateway agreed to transport mode for selectors that are not host-to-host; " +
                "transport mode needs our IKE address === the gateway's");
        var transforms = ChildSaTransforms.Create(child, _manager!, _spis, EspTransformMode.Tunnel, lifetime: VolumeLimits);
        lock (_gate) _children.Add(transforms);
        var plan = TunnelPlan.Create(child, config, _options); // addresses, routes, DNS and blocked families per family
        var builder = plan.Apply(_options.InterfaceBuilderFactory());
        if (_options.SessionName != null) builder.SetSession(_options.SessionName);
        var tun = builder.Establish();
        _tun = tun;
        _protector.Interface = tun;
        var routes = plan.Routes;
        bool full = plan.FullTunnel;
        // Every socket that talks to the gateway stays outside the tunnel: ESP/NAT-T, the IKE socket, later probes.
        if ((!_socket!.Protect(tun.Protect) | !_driver!.Protect(tun.Protect)) && (full || plan.BlockedFamilies.Count > 0))
            throw new VpnConnectionException("could not protect the IKE/ESP socket from the full tunnel (needs CAP_NET_ADMIN)");
        _pump!.AttachInterface(tun);
        _pump.AddInbound(transforms.Inbound, transforms.Local, transforms.Remote);
        _pump.SetOutbound(transforms.Outbound, transforms.Local, transforms.Remote, child.RemoteEndPoint);
        Info = new VpnConnectionInfo(path, tun.Name, virtualAddresses, plan.DnsServers, routes, full, child, child.LocalEndPoint, child.RemoteEndPoint)
        {
            BlockedFamilies = plan.BlockedFamilies,
        };
        Report($"interface {tun.Name} up: {string.Join(", ", plan.Addresses)}; routes {string.Join(", ", routes)}{(full ? " (full tunnel)" : "")}");
        foreach (var note in plan.Notes) Report(note);
    }

    private void OnEvent(IkeUdpDriver from, IkeEvent e)
    {
        if (!ReferenceEquals(from, _driver)) return; // a released attempt's late event
        switch (e)
        {
            case IkeEvent.Redirected r:
                Report($"the gateway redirects us to {r.Target} ({r.Exchange})");
                _redirect = r.Target;
                break;
            case IkeEvent.AddressesUpdated u:
                Report($"MOBIKE: IKE SA and CHILD SAs moved to {u.Local} <-> {u.Remote}");
                if (Info is { } info) Info = info with { LocalEndPoint = u.Local, RemoteEndPoint = u.Remote };
                lock (_gate)
                    if (!_tornDown && _pump != null)
                        foreach (var t in _children.Where(c => _pump.OutboundSpis.Contains(c.Outbound.Spi) && !c.Child.RemoteEndPoint.Equals(u.Remote)))
                            _pump.SetOutbound(t.Outbound, t.Local, t.Remote, u.Remote, t.Outbound.Spi);
                break;
            case IkeEvent.IkeSaEstablished s:
                Report($"IKE SA established with {s.Sa.RemoteIdentity} ({s.Sa.Algorithms})");
                ScheduleReauthentication(s.Sa);
                break;
            case IkeEvent.ConfigReceived c:
                _config = c.Configuration;
                break;
            case IkeEvent.ChildSaEstablished c when _firstChild == null:
                Report($"CHILD SA established: {c.ChildSa}");
                _firstChild = c.ChildSa;
                _childReady.Set();
                break;
            case IkeEvent.ChildSaEstablished c:
                OnChildAdded(c.ChildSa);
                break;
            case IkeEvent.ChildSaRekeyed r:
                OnRekeyed(r.Old, r.New, r.ByPeer);
                break;
            case IkeEvent.ChildSaDeleted d:
                OnChildDeleted(d.ChildSa);
                break;
            case IkeEvent.Deleted or IkeEvent.Failed:
                OnSessionEnded(e);
                break;
        }
    }

    private void OnRekeyed(ChildSaInfo old, ChildSaInfo fresh, bool byPeer)
    {
        lock (_gate)
        {
            if (_tornDown || _pump == null || _state != VpnConnectionState.Connected) return;
            var previous = _children.FirstOrDefault(c => c.Child.InboundSpi == old.InboundSpi);
            var mode = _transport != null ? EspTransformMode.Transport : EspTransformMode.Tunnel;
            var next = ChildSaTransforms.Create(fresh, _manager!, _spis, mode, _transport?.EncapsulationSocket, VolumeLimits);
            _children.Add(next);
            if (byPeer && previous != null)
            {
                // The gateway started this rekey and installs its new inbound SA only when our answer arrives: receive on
                // the new SA now, keep sending on the old one until the gateway deletes it (OnChildDeleted switches).
                if (_transport != null) _transport.AddInbound(next);
                else _pump.AddInbound(next.Inbound, next.Local, next.Remote);
                _outboundAfterDelete[old.InboundSpi] = next;
                Report($"CHILD SA rekeyed by the gateway: in 0x{old.InboundSpi:x8} → 0x{fresh.InboundSpi:x8}; sending on 0x{fresh.OutboundSpi:x8} once 0x{old.OutboundSpi:x8} is deleted");
                return;
            }
            if (_transport != null) _transport.Install(next); // every socket: new OUT at once, new IN next to the old one
            else
            {
                _pump.AddInbound(next.Inbound, next.Local, next.Remote);
                _pump.SetOutbound(next.Outbound, next.Local, next.Remote, fresh.RemoteEndPoint, replaces: old.OutboundSpi);
            }
            previous?.DisposeOutbound(); // the new outbound SA took over; the old inbound one decrypts until deleted
        }
        Report($"CHILD SA rekeyed: in 0x{old.InboundSpi:x8} → 0x{fresh.InboundSpi:x8}, out 0x{old.OutboundSpi:x8} → 0x{fresh.OutboundSpi:x8}");
    }

    /// <summary>
    /// A further CHILD SA (the gateway re-created one after deleting an expired one, or we did after the last one went):
    /// installed like a rekey — its outbound SA takes over at once from the one with the same selectors, if any is left,
    /// and the old inbound one decrypts until it is deleted.
    /// </summary>
    private void OnChildAdded(ChildSaInfo fresh)
    {
        lock (_gate)
        {
            if (_tornDown || _pump == null || _state != VpnConnectionState.Connected) return;
            var previous = _children.LastOrDefault(c => _pump.OutboundSpis.Contains(c.Outbound.Spi)
                && c.Child.RemoteTrafficSelectors.SequenceEqual(fresh.RemoteTrafficSelectors));
            var mode = _transport != null ? EspTransformMode.Transport : EspTransformMode.Tunnel;
            var next = ChildSaTransforms.Create(fresh, _manager!, _spis, mode, _transport?.EncapsulationSocket, VolumeLimits);
            _children.Add(next);
            if (_transport != null) _transport.Install(next);
            else
            {
                _pump.AddInbound(next.Inbound, next.Local, next.Remote);
                _pump.SetOutbound(next.Outbound, next.Local, next.Remote, fresh.RemoteEndPoint, replaces: previous?.Outbound.Spi);
            }
            previous?.DisposeOutbound();
            if (Info is { } info) Info = info with { ChildSa = fresh };
        }
        Report($"CHILD SA added: {fresh}");
        MonitorTick();
    }

    private void OnChildDeleted(ChildSaInfo child)
    {
        lock (_gate)
        {
            var hit = _children.FirstOrDefault(c => c.Child.InboundSpi == child.InboundSpi);
            if (hit == null || _tornDown) return;
            _children.Remove(hit);
            _pump?.RemoveInbound(hit.Inbound.Spi);
            if (_outboundAfterDelete.Remove(child.InboundSpi, out var next) && _children.Contains(next))
            {
                if (_transport != null) _transport.SwitchOutbound(next);
                else _pump?.SetOutbound(next.Outbound, next.Local, next.Remote, Info?.RemoteEndPoint ?? next.Child.RemoteEndPoint, replaces: hit.Outbound.Spi);
            }
            else _pump?.RemoveOutbound(hit.Outbound.Spi);
            hit.Dispose();
            if (_children.Count > 0 && Info is { } info && info.ChildSa.InboundSpi == child.InboundSpi) Info = info with { ChildSa = _children[^1].Child };
        }
        MonitorTick();
    }

    /// <summary>CHILD SA limits for the ESP SAs (byte/packet; the sequence limit always applies), from the session's CHILD lifetime.</summary>
    private Protocol.Esp.EspLifetime? VolumeLimits => _options.Session.ChildLifetime?.VolumeLimits;

    /// <summary>
    /// The pump says an installed SA needs a rekey (sequence space nearly used up, or a soft byte/packet limit) or is
    /// expired (hard limit): rekey or delete its CHILD SA. Called on a pump thread; posts to the driver and returns.
    /// </summary>
    private void OnSaLimit(IkeUdpDriver driver, IpSecTransform transform, SaLimit limit)
    {
        ChildSaTransforms? child;
        lock (_gate) child = _tornDown ? null : _children.FirstOrDefault(c => ReferenceEquals(c.Inbound, transform) || ReferenceEquals(c.Outbound, transform));
        if (child == null || !ReferenceEquals(driver, _driver)) return;
        var why = transform.NeedsRekey && transform.Sa.LastSentSequence >= transform.Sa.RekeyThreshold
            ? $"sequence number {transform.Sa.LastSentSequence} nears the end of its space"
            : $"{transform.Counters.Bytes} bytes / {transform.Counters.Packets} packets reached its limit ({transform.Lifetime})";
        if (limit == SaLimit.Hard)
        {
            Report($"ESP SA 0x{transform.Spi:x8} expired: {why}; deleting CHILD SA 0x{child.Child.InboundSpi:x8}");
            driver.DeleteChildSa(child.Child.InboundSpi);
        }
        else
        {
            Report($"ESP SA 0x{transform.Spi:x8}: {why}; rekeying CHILD SA 0x{child.Child.InboundSpi:x8}");
            driver.RekeyChildSa(child.Child.InboundSpi);
        }
    }

    private void OnSessionEnded(IkeEvent e)
    {
        bool local;
        lock (_gate)
        {
            if (e is IkeEvent.Failed f && f.Error.Kind != IkeErrorKind.Redirected) Error = f.Error;
            local = _state == VpnConnectionState.Disconnecting;
            if (_state != VpnConnectionState.Connected) return; // Connect or Disconnect handles the teardown
            if (_redirect is { } target && _server is { } old)
            {
                // Redirected while connected (RFC 5685 §5): rebuild everything towards the new gateway, on the worker
                // thread (it lives in our network namespace, so the new sockets do too).
                _state = VpnConnectionState.Connecting;
                _work.TryAdd(() => FollowRedirect(old, target));
                return;
            }
        }
        if (!local) EndReason = Ended(e).Message;
        Report(EndReason ?? "IKE SA deleted");
        // Not on the driver loop: the teardown disposes the driver, which waits for that loop.
        _ = Task.Run(() => Teardown(e is IkeEvent.Failed ? VpnConnectionState.Failed : VpnConnectionState.Disconnected));
    }

    private static VpnConnectionException Ended(IkeEvent final) => final switch
    {
        IkeEvent.Failed f => new VpnConnectionException(f.Error.ToString(), f.Error),
        IkeEvent.Deleted { ByPeer: true } d => new VpnConnectionException($"the gateway deleted the IKE SA ({d.Reason})"),
        IkeEvent.Deleted d => new VpnConnectionException($"the IKE SA was closed ({d.Reason})"),
        _ => new VpnConnectionException("the IKE session ended"),
    };

    private void Teardown(VpnConnectionState final)
    {
        lock (_gate)
        {
            if (_tornDown) return;
            _tornDown = true;
        }
        var errors = new List<Exception>();
        void Try(Action a)
        {
            try { a(); }
            catch (Exception ex) { errors.Add(ex); }
        }
        _work.CompleteAdding();
        StopReauthentication();
        var tunName = _tun?.Name;
        errors.AddRange(ReleaseTransport());
        if (_ownsManager && _manager is IDisposable m) Try(m.Dispose);
        if (errors.Count > 0)
        {
            EndReason ??= $"cleanup was incomplete: {errors[0].Message}";
            final = VpnConnectionState.Failed;
        }
        Report(tunName != null ? $"interface {tunName} removed" : "disconnected");
        SetState(final);
        _closed.TrySetResult();
    }

    /// <summary>Disposes the pump, interface, transforms, SPIs, driver, socket and session of the current attempt.</summary>
    private List<Exception> ReleaseTransport()
    {
        var errors = new List<Exception>();
        void Try(Action a)
        {
            try { a(); }
            catch (Exception ex) { errors.Add(ex); }
        }
        var (pump, transport, tun, spis, driver, socket, session) = (_pump, _transport, _tun, _spis, _driver, _socket, _session);
        (_pump, _tun, _spis, _driver, _socket, _session) = (null, null, null, null, null, null);
        _protector.Interface = null;
        lock (_gate) _transport = null;
        Try(() => pump?.Dispose());
        Try(() => transport?.Dispose()); // RemoveTransportModeTransforms on every socket
        if (driver != null) Try(() => driver.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5)));
        Try(() => socket?.Dispose());
        Try(() => tun?.Dispose());
        lock (_gate)
        {
            foreach (var c in _children) Try(c.Dispose);
            _children.Clear();
            _outboundAfterDelete.Clear();
        }
        Try(() => spis?.Dispose());
        Try(() => session?.Dispose());
        return errors;
    }

    private void FollowRedirect(IPEndPoint old, GatewayIdentity target)
    {
        StateChanged?.Invoke(VpnConnectionState.Connecting);
        try
        {
            ReleaseTransport();
            var server = Resolve(target, old.Port);
            Report($"redirected to {target}: connecting to {server}");
            ConnectFollowingRedirects(server, old.Address, CancellationToken.None);
            SetState(VpnConnectionState.Connected);
        }
        catch (Exception e)
        {
            var failure = Classify(e);
            EndReason = failure.Message;
            if (failure is VpnConnectionException { IkeError: { } ike }) Error = ike;
            Report(failure.Message);
            CloseSession();
            Teardown(VpnConnectionState.Failed);
        }
    }

    /// <summary>
    /// The network changed (an address was added or removed, another interface took over): re-checks the source
    /// address towards the gateway and sends a MOBIKE address update from it (RFC 4555), even when it looks unchanged
    /// (a NAT may have remapped us). Without MOBIKE a liveness check lets the gateway follow. Returns at once.
    /// </summary>
    public void NetworkChanged() => _work.TryAdd(() => CheckAddress(force: true));

    private void StartWorker()
    {
        // Created on the connecting thread: a new thread inherits its network namespace (Linux), so redirects and
        // address probes from the worker see the same network as Connect did.
        _worker = new Thread(WorkerLoop) { IsBackground = true, Name = "vpn-connection" };
        _worker.Start();
    }

    private void WorkerLoop()
    {
        var tick = _options.MonitorInterval;
        var addressInterval = _options.AddressCheckInterval;
        var nextAddressCheck = Environment.TickCount64 + (long)(addressInterval ?? TimeSpan.Zero).TotalMilliseconds;
        try
        {
            while (!_work.IsCompleted)
            {
                if (_work.TryTake(out var action, tick)) { action(); continue; }
                if (State != VpnConnectionState.Connected) continue;
                MonitorTick();
                if (addressInterval is { } every && Environment.TickCount64 >= nextAddressCheck)
                {
                    nextAddressCheck = Environment.TickCount64 + (long)every.TotalMilliseconds;
                    CheckAddress(force: false);
                }
            }
        }
        catch (InvalidOperationException) { } // completed while waiting
    }

    private LivenessMonitor? _liveness;
    private PacketPump? _livenessPump;

    /// <summary>
    /// Looks at the gateway's liveness (<see cref="LivenessMonitor"/> on the pump's counters) and the CHILD SAs, starts a
    /// liveness check when one is due, and publishes <see cref="Health"/>. Runs on the worker thread about once a second,
    /// and after CHILD SA changes.
    /// </summary>
    private void MonitorTick()
    {
        lock (_monitorGate) MonitorTickLocked();
    }

    private readonly object _monitorGate = new();

    private void MonitorTickLocked()
    {
        var pump = _pump;
        var driver = _driver;
        if (pump == null || driver == null || State != VpnConnectionState.Connected) return;
        var now = TimeSpan.FromMilliseconds(Environment.TickCount64);
        var counters = pump.Counters.Snapshot();
        long outbound = counters.PacketsSent + counters.NoSaDrops, inbound = counters.PacketsReceived + counters.IkeMessagesReceived;
        var verdict = default(LivenessVerdict);
        if (_options.Liveness is { } policy)
        {
            if (!ReferenceEquals(_livenessPump, pump)) (_liveness, _livenessPump) = (new LivenessMonitor(policy, now, outbound, inbound), pump);
            verdict = _liveness!.Observe(now, outbound, inbound);
            if (verdict.CheckNow) driver.CheckLiveness();
        }
        int children;
        lock (_gate) children = _children.Count;
        var (health, reason) = verdict.Suspect ? (ConnectionHealth.Unresponsive, verdict.Reason)
            : children == 0 ? (ConnectionHealth.NoChildSa, "no CHILD SA (deleted or expired): creating a new one")
            : (ConnectionHealth.Up, null);
        SetHealth(health, reason);
    }

    private void SetHealth(ConnectionHealth health, string? reason)
    {
        lock (_gate)
        {
            if (Health == health && HealthReason == reason) return;
            Health = health;
            HealthReason = reason;
        }
        if (health != ConnectionHealth.Up) Report(reason ?? health.ToString());
        HealthChanged?.Invoke(health, reason);
    }

    private void CheckAddress(bool force)
    {
        var driver = _driver;
        if (State != VpnConnectionState.Connected || driver == null || _server == null) return;
        if (!(_options.LocalAddress.Equals(IPAddress.Any) || _options.LocalAddress.Equals(IPAddress.IPv6Any))) return;
        IPAddress now;
        try { now = _protector.SourceAddressFor(_server); } // protected: a full tunnel's routes would answer with the TUN
        catch (SocketException) { return; } // no route right now: wait for the next check
        if (Info?.VirtualAddresses.Any(v => v.BaseAddress.Equals(now)) == true) return; // never announce an address inside the tunnel
        if (!force && now.Equals(_localAddress)) return;
        Report($"local address {(now.Equals(_localAddress) ? "re-announced" : $"changed {_localAddress} → {now}")}: updating the IKE SA");
        _localAddress = now;
        driver.UpdateLocalAddress(now);
    }

    private void SetState(VpnConnectionState state)
    {
        lock (_gate) _state = state;
        StateChanged?.Invoke(state);
    }

    private void Report(string line) => Progress?.Invoke(line);

    /// <summary>Disconnects (if needed) and releases everything.</summary>
    public void Dispose()
    {
        Disconnect();
        _work.CompleteAdding();
        if (_worker != null && Thread.CurrentThread != _worker) _worker.Join(TimeSpan.FromSeconds(5));
        _childReady.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() => $"VpnConnection to {_options.Server} {State}";
}
