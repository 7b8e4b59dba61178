using System.Net;
using System.Net.Sockets;
using Ikev2Client.Protocol.Ike;

namespace Ikev2Client.Connection;

/// <summary>
/// Reauthentication (RFC 4478) when the gateway sent N(AUTH_LIFETIME), make-before-break: before the lifetime ends
/// (<see cref="ReauthenticationSchedule"/>) a new IKE SA and CHILD SA are negotiated by a fresh session and driver on
/// the same NAT-T socket and pump (IKE messages are routed to the session whose SPI they carry), the new CHILD SA takes
/// outbound traffic at once while the old inbound SA keeps decrypting, and only then is the old IKE SA deleted. The TUN,
/// routes and virtual IP stay (the CP request asks for the same virtual IP again).
/// </summary>
public sealed partial class VpnConnection
{
    private readonly object _reauthGate = new();
    private Timer? _reauthTimer;
    private volatile IkeUdpDriver? _pendingDriver;
    private volatile IkeUdpDriver? _retiringDriver;
    private int _reauthentications;

    /// <summary>Raised after each completed reauthentication with the new IKE SA (old one deleted).</summary>
    public event Action<IkeSaInfo>? Reauthenticated;

    /// <summary>How many reauthentications completed.</summary>
    public int Reauthentications => Volatile.Read(ref _reauthentications);

    /// <summary>The gateway's N(AUTH_LIFETIME) of the current IKE SA, if it sent one.</summary>
    public TimeSpan? AuthLifetime { get; private set; }

    private void ScheduleReauthentication(IkeSaInfo sa)
    {
        AuthLifetime = sa.AuthLifetime;
        if (sa.AuthLifetime is not { } lifetime) return;
        var due = ReauthenticationSchedule.Deadline(lifetime);
        Report($"the gateway requires reauthentication within {lifetime.TotalSeconds:0} s: reauthenticating in {due.TotalSeconds:0.#} s");
        lock (_reauthGate)
        {
            _reauthTimer?.Dispose();
            _reauthTimer = new Timer(_ =>
            {
                try { _work.TryAdd(ReauthenticateSafely); }
                catch (InvalidOperationException) { } // torn down
            }, null, due, Timeout.InfiniteTimeSpan);
        }
    }

    private void StopReauthentication()
    {
        lock (_reauthGate)
        {
            _reauthTimer?.Dispose();
            _reauthTimer = null;
        }
    }

    /// <summary>A reauthentication racing a teardown must not take the worker thread (and the process) down.</summary>
    private void ReauthenticateSafely()
    {
        try { Reauthenticate(); }
        catch (Exception e) when (e is ObjectDisposedException or SocketException or InvalidOperationException or AggregateException
                                  or Platform.VpnPlatformException)
        {
            Report($"reauthentication failed: {e.Message}");
        }
    }

    /// <summary>Runs on the worker thread (inside the caller's network namespace).</summary>
    private void Reauthenticate()
    {
        IkeUdpDriver oldDriver;
        IkeSession oldSession;
        IpSecSpiAllocator oldSpis;
        ChildSaTransforms[] oldChildren;
        lock (_gate)
        {
            if (_tornDown || _state != VpnConnectionState.Connected || _driver == null || _session == null || _spis == null) return;
            (oldDriver, oldSession, oldSpis) = (_driver, _session, _spis);
            oldChildren = _children.ToArray();
        }
        Report("reauthenticating: negotiating a new IKE SA before deleting the old one");
        var addresses = Info?.VirtualAddresses.Select(a => a.BaseAddress).ToArray() ?? [];
        var spis = new IpSecSpiAllocator(_manager!, _localAddress!);
        var session = new IkeSession(_options.Session.WithReauthentication(addresses), spiAllocator: spis);
        var driver = new IkeUdpDriver(session, new IkeUdpDriverOptions
        {
            LocalIkeEndPoint = new IPEndPoint(SocketProtector.BindAddress(_options.LocalAddress, _server!.AddressFamily), 0),
            NatTSocket = _socket,
            NatKeepaliveInterval = null,
            ProtectSocket = _protector.Protect, // its IKE_SA_INIT on port 500 must not enter the full tunnel
        });
        var ready = new ManualResetEventSlim();
        ChildSaInfo? child = null;
        IkeConfiguration? config = null;
        IkeSaInfo? established = null;
        driver.EventRaised += e =>
        {
            if (ReferenceEquals(driver, _driver)) { OnEvent(driver, e); return; }
            switch (e)
            {
                case IkeEvent.ConfigReceived c: config = c.Configuration; break;
                case IkeEvent.IkeSaEstablished s: established = s.Sa; ScheduleReauthentication(s.Sa); break;
                case IkeEvent.ChildSaEstablished c when child == null: child = c.ChildSa; ready.Set(); break;
            }
        };
        _pendingDriver = driver;
        driver.Connect(_server!);
        int which = WaitHandle.WaitAny([ready.WaitHandle, ((IAsyncResult)driver.Completion).AsyncWaitHandle], _options.ConnectTimeout);
        bool installed = false;
        if (which == 0 && child != null)
        {
            lock (_gate)
            {
                if (!_tornDown && _state == VpnConnectionState.Connected && _pump != null && ReferenceEquals(_driver, oldDriver))
                {
                    InstallReauthenticated(child, config, spis, oldChildren);
                    _retiringDriver = oldDriver;
                    (_driver, _session, _spis, _config) = (driver, session, spis, config ?? _config);
                    _socket!.DefaultIkeHandler = driver.ReceiveNatT;
                    installed = true;
                }
            }
        }
        _pendingDriver = null;
        if (!installed)
        {
            Report(which == 0 ? "reauthentication abandoned: the connection is going down"
                : $"reauthentication failed: {(driver.Completion.IsCompleted ? Ended(driver.Completion.Result).Message : "no answer")}; keeping the old IKE SA");
            if (driver.Completion.IsCompleted is false && session.State == IkeSessionState.Established)
            {
                driver.Close();
                driver.Completion.Wait(_options.DisconnectTimeout);
            }
            lock (_gate)
                foreach (var c in _children.Where(c => c.Child.InboundSpi == child?.InboundSpi).ToArray())
                {
                    _children.Remove(c);
                    c.Dispose();
                }
            driver.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5));
            session.Dispose();
            spis.Dispose();
            ready.Dispose();
            return;
        }
        ready.Dispose();
        // Break: the old IKE SA (and its CHILD SAs) are deleted only now that the new ones carry the traffic.
        oldDriver.Close();
        oldDriver.Completion.Wait(_options.DisconnectTimeout);
        lock (_gate)
            foreach (var c in oldChildren)
            {
                if (!_children.Remove(c)) continue;
                _pump?.RemoveInbound(c.Inbound.Spi);
                _pump?.RemoveOutbound(c.Outbound.Spi);
                c.Dispose();
            }
        _retiringDriver = null;
        oldDriver.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5));
        oldSession.Dispose();
        oldSpis.Dispose();
        Interlocked.Increment(ref _reauthentications);
        Report($"reauthenticated: IKE SA {session.SpiI:x16}_i {session.SpiR:x16}_r replaces {oldSession.SpiI:x16}_i, CHILD SA in 0x{child!.InboundSpi:x8} out 0x{child.OutboundSpi:x8}");
        if (established != null) Reauthenticated?.Invoke(established);
    }

    /// <summary>New CHILD SA: outbound at once, inbound next to the old one (which decrypts until the old IKE SA is gone).</summary>
    private void InstallReauthenticated(ChildSaInfo child, IkeConfiguration? config, IpSecSpiAllocator spis, ChildSaTransforms[] oldChildren)
    {
        var mode = _transport != null ? EspTransformMode.Transport : EspTransformMode.Tunnel;
        var next = ChildSaTransforms.Create(child, _manager!, spis, mode, _transport?.EncapsulationSocket);
        _children.Add(next);
        if (_transport != null) _transport.Install(next);
        else
        {
            var replaced = oldChildren.FirstOrDefault(c => _pump!.OutboundSpis.Contains(c.Outbound.Spi));
            _pump!.AddInbound(next.Inbound, next.Local, next.Remote);
            _pump.SetOutbound(next.Outbound, next.Local, next.Remote, child.RemoteEndPoint, replaces: replaced?.Outbound.Spi);
        }
        foreach (var c in oldChildren) c.DisposeOutbound();
        var newAddresses = config?.VirtualAddresses ?? [];
        if (Info is { } info)
        {
            if (_transport == null && newAddresses.Count > 0 && !newAddresses.Select(a => a.BaseAddress).SequenceEqual(info.VirtualAddresses.Select(a => a.BaseAddress)))
                Report($"warning: the gateway assigned {string.Join(", ", newAddresses)} on reauthentication instead of {string.Join(", ", info.VirtualAddresses)}; the interface keeps its address");
            Info = info with { ChildSa = child, LocalEndPoint = child.LocalEndPoint, RemoteEndPoint = child.RemoteEndPoint };
        }
    }

}
