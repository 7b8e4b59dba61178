using System.Net;
using Ikev2Client.Platform;
using Ikev2Client.Platform.Userspace;
using Ikev2Client.Protocol.Esp;
using Ikev2Client.Protocol.Ike;
using Microsoft.Extensions.Logging;

namespace Ikev2Client.Connection;

/// <summary>
/// Turns negotiated CHILD SAs into a working data path and keeps it in step with the IKE SA: the first CHILD SA picks
/// the path (<see cref="DataPathSelector"/>) and installs it — the TUN (<see cref="TunnelPlan"/>) with a
/// <see cref="PacketPump"/> on the attempt's NAT-T socket, or transport-mode transforms applied to sockets
/// (<see cref="TransportModeDataPath"/>); rekeys, CHILD SAs the gateway adds or deletes, MOBIKE moves and
/// reauthentication swap transforms with overlap (the new outbound SA takes over at once, or — when the gateway started
/// the rekey — after the old SA's DELETE; the old inbound SA decrypts until it is deleted). Runs on the connection's loop;
/// <see cref="Children"/> and <see cref="Info"/> may be read anywhere.
/// </summary>
internal sealed class DataPathInstaller
{
    private readonly VpnConnectionOptions _options;
    private readonly IIpSecManager _manager;
    private readonly SocketProtector _protector;
    private readonly ILogger _log;
    private readonly Action<IpSecTransform, SaLimit> _saLimit;
    private readonly List<ChildSaTransforms> _children = new();
    private readonly Dictionary<uint, ChildSaTransforms> _outboundAfterDelete = new();
    private PacketPump? _pump;
    private TransportModeDataPath? _transport;
    private IVpnInterface? _tun;
    private volatile TunnelInfo? _info;

    /// <param name="saLimit">Called (on a data-plane thread) when an installed SA reaches a limit; must only post.</param>
    public DataPathInstaller(VpnConnectionOptions options, IIpSecManager manager, SocketProtector protector, ILogger log,
        Action<IpSecTransform, SaLimit> saLimit)
    {
        _options = options;
        _manager = manager;
        _protector = protector;
        _log = log;
        _saLimit = saLimit;
    }

    /// <summary>What was negotiated and installed (null before the first CHILD SA).</summary>
    public TunnelInfo? Info => _info;

    /// <summary>The CHILD SAs installed now (after a rekey, briefly the old one too until it is deleted).</summary>
    public IReadOnlyList<ChildSaTransforms> Children { get { lock (_children) return _children.ToArray(); } }

    /// <summary>The transport-mode path, when that is the path in use.</summary>
    public TransportModeDataPath? Transport => Volatile.Read(ref _transport);

    /// <summary>CHILD SA limits for the ESP SAs (byte/packet; the sequence limit always applies), from the session's CHILD lifetime.</summary>
    private Protocol.Esp.EspLifetime? VolumeLimits => _options.Session.ChildLifetime?.VolumeLimits;

    private EspMode Mode => _transport != null ? EspMode.Transport : EspMode.Tunnel;

    /// <summary>Installs the data path for the attempt's first CHILD SA.</summary>
    /// <exception cref="VpnConnectionException">transport mode for selectors that are not host-to-host, or no virtual IP.</exception>
    /// <exception cref="VpnPlatformException">the TUN, its addresses or routes could not be set up.</exception>
    public void Install(Attempt attempt, ChildSaInfo child, IkeConfiguration? config)
    {
        var path = DataPathSelector.Choose(child);
        var virtualAddresses = config?.VirtualAddresses ?? [];
        var spis = attempt.Current.Spis;
        if (path == DataPath.TransportMode)
        {
            var transport = new TransportModeDataPath(_manager, attempt.Socket, attempt.LocalAddress);
            Volatile.Write(ref _transport, transport);
            var sa = Add(ChildSaTransforms.Create(child, _manager, spis, EspMode.Transport, attempt.Socket, VolumeLimits));
            transport.Install(sa);
            attempt.Socket.KeepalivePeer = child.RemoteEndPoint;
            var dns = _options.DnsServers is { Count: > 0 } own ? own : config?.DnsServers ?? [];
            _info = new TunnelInfo(path, null, virtualAddresses, dns, [], false, child, child.LocalEndPoint, child.RemoteEndPoint);
            ConnectionLog.TransportMode(_log, sa.Local.ToString(), sa.Remote.ToString(), child.RemoteEndPoint.ToString());
            return;
        }
        if (child.Mode == EspMode.Transport)
            throw new VpnConnectionException("the gateway agreed to transport mode for selectors that are not host-to-host; " +
                "transport mode needs our IKE address === the gateway's");
        var transforms = Add(ChildSaTransforms.Create(child, _manager, spis, EspMode.Tunnel, lifetime: VolumeLimits));
        var plan = TunnelPlan.Create(child, config, _options); // addresses, routes, DNS and blocked families per family
        var factory = _options.InterfaceBuilderFactory ?? throw new InvalidOperationException("the tunnel path needs VpnConnectionOptions.InterfaceBuilderFactory");
        var builder = plan.Apply(factory());
        if (_options.SessionName != null) builder.SetSession(_options.SessionName);
        var tun = builder.Establish();
        _tun = tun;
        _protector.Interface = tun;
        // Every socket that talks to the gateway stays outside the tunnel: ESP/NAT-T, the IKE socket, later probes.
        if ((!attempt.Socket.Protect(tun.Protect) | !attempt.Current.Driver.Protect(tun.Protect)) && (plan.FullTunnel || plan.BlockedFamilies.Count > 0))
            throw new VpnConnectionException("could not protect the IKE/ESP socket from the full tunnel (needs CAP_NET_ADMIN)");
        var pump = new PacketPump(attempt.Socket, _options.Pump);
        pump.SaLimitReached += _saLimit;
        _pump = pump;
        pump.AttachInterface(tun);
        pump.AddInbound(transforms.Inbound, transforms.Local, transforms.Remote);
        pump.SetOutbound(transforms.Outbound, transforms.Local, transforms.Remote, child.RemoteEndPoint);
        _info = new TunnelInfo(path, tun.Name, virtualAddresses, plan.DnsServers, plan.Routes, plan.FullTunnel, child, child.LocalEndPoint, child.RemoteEndPoint)
        {
            BlockedFamilies = plan.BlockedFamilies,
        };
        ConnectionLog.InterfaceUp(_log, tun.Name, string.Join(", ", plan.Addresses), string.Join(", ", plan.Routes), plan.FullTunnel ? " (full tunnel)" : "");
        foreach (var note in plan.Notes) ConnectionLog.TunnelNote(_log, note);
    }

    /// <summary>A CHILD SA was rekeyed (by us, or by the gateway when <paramref name="byPeer"/>).</summary>
    public void Rekeyed(IpSecSpiAllocator spis, NatTSocket socket, ChildSaInfo old, ChildSaInfo fresh, bool byPeer)
    {
        var previous = Find(old.InboundSpi);
        var next = Add(ChildSaTransforms.Create(fresh, _manager, spis, Mode, _transport != null ? socket : null, VolumeLimits));
        if (byPeer && previous != null)
        {
            // The gateway started this rekey and installs its new inbound SA only when our answer arrives: receive on
            // the new SA now, keep sending on the old one until the gateway deletes it (Deleted switches).
            if (_transport != null) _transport.AddInbound(next);
            else _pump?.AddInbound(next.Inbound, next.Local, next.Remote);
            _outboundAfterDelete[old.InboundSpi] = next;
            ConnectionLog.ChildSaRekeyedByPeer(_log, old.InboundSpi, fresh.InboundSpi, fresh.OutboundSpi, old.OutboundSpi);
            return;
        }
        if (_transport != null) _transport.Install(next); // every socket: new OUT at once, new IN next to the old one
        else if (_pump != null)
        {
            _pump.AddInbound(next.Inbound, next.Local, next.Remote);
            _pump.SetOutbound(next.Outbound, next.Local, next.Remote, fresh.RemoteEndPoint, replaces: old.OutboundSpi);
        }
        previous?.DisposeOutbound(); // the new outbound SA took over; the old inbound one decrypts until deleted
        ConnectionLog.ChildSaRekeyed(_log, old.InboundSpi, fresh.InboundSpi, old.OutboundSpi, fresh.OutboundSpi);
    }

    /// <summary>
    /// A further CHILD SA (the gateway re-created one after deleting an expired one, or we did after the last one went):
    /// installed like a rekey — its outbound SA takes over at once from the one with the same selectors, if any is left,
    /// and the old inbound one decrypts until it is deleted.
    /// </summary>
    public void Added(IpSecSpiAllocator spis, NatTSocket socket, ChildSaInfo fresh)
    {
        var previous = Children.LastOrDefault(c => IsSending(c) && c.Child.RemoteTrafficSelectors.SequenceEqual(fresh.RemoteTrafficSelectors));
        var next = Add(ChildSaTransforms.Create(fresh, _manager, spis, Mode, _transport != null ? socket : null, VolumeLimits));
        if (_transport != null) _transport.Install(next);
        else if (_pump != null)
        {
            _pump.AddInbound(next.Inbound, next.Local, next.Remote);
            _pump.SetOutbound(next.Outbound, next.Local, next.Remote, fresh.RemoteEndPoint, replaces: previous?.Outbound.Spi);
        }
        previous?.DisposeOutbound();
        if (_info is { } info) _info = info with { ChildSa = fresh };
        ConnectionLog.ChildSaAdded(_log, fresh.ToString());
    }

    /// <summary>A CHILD SA was deleted: its inbound SA goes; a pending outbound switch (peer-started rekey) happens now.</summary>
    public void Deleted(ChildSaInfo child)
    {
        var hit = Find(child.InboundSpi);
        if (hit == null) return;
        Remove(hit);
        _pump?.RemoveInbound(hit.Inbound.Spi);
        if (_outboundAfterDelete.Remove(child.InboundSpi, out var next) && Children.Contains(next))
        {
            if (_transport != null) _transport.SwitchOutbound(next);
            else _pump?.SetOutbound(next.Outbound, next.Local, next.Remote, _info?.RemoteEndPoint ?? next.Child.RemoteEndPoint, replaces: hit.Outbound.Spi);
        }
        else _pump?.RemoveOutbound(hit.Outbound.Spi);
        hit.Dispose();
        var left = Children;
        if (left.Count > 0 && _info is { } info && info.ChildSa.InboundSpi == child.InboundSpi) _info = info with { ChildSa = left[^1].Child };
    }

    /// <summary>MOBIKE moved the IKE SA: the outbound SAs send to the gateway's new address from now on.</summary>
    public void Moved(IPEndPoint local, IPEndPoint remote)
    {
        if (_info is { } info) _info = info with { LocalEndPoint = local, RemoteEndPoint = remote };
        if (_pump == null) return;
        foreach (var t in Children.Where(c => IsSending(c) && !c.Child.RemoteEndPoint.Equals(remote)))
            _pump.SetOutbound(t.Outbound, t.Local, t.Remote, remote, t.Outbound.Spi);
    }

    /// <summary>
    /// Reauthentication, make: the new IKE SA's CHILD SA sends at once, its inbound SA decrypts next to the old ones
    /// (which go with the old IKE SA, <see cref="Retire"/>). The TUN and its address stay.
    /// </summary>
    public void Reauthenticated(IpSecSpiAllocator spis, NatTSocket socket, ChildSaInfo child, IkeConfiguration? config, IReadOnlyList<ChildSaTransforms> oldChildren)
    {
        var next = Add(ChildSaTransforms.Create(child, _manager, spis, Mode, _transport != null ? socket : null, VolumeLimits));
        if (_transport != null) _transport.Install(next);
        else if (_pump != null)
        {
            var replaced = oldChildren.FirstOrDefault(IsSending);
            _pump.AddInbound(next.Inbound, next.Local, next.Remote);
            _pump.SetOutbound(next.Outbound, next.Local, next.Remote, child.RemoteEndPoint, replaces: replaced?.Outbound.Spi);
        }
        foreach (var c in oldChildren) c.DisposeOutbound();
        var newAddresses = config?.VirtualAddresses ?? [];
        if (_info is { } info)
        {
            if (_transport == null && newAddresses.Count > 0 && !newAddresses.Select(a => a.BaseAddress).SequenceEqual(info.VirtualAddresses.Select(a => a.BaseAddress)))
                ConnectionLog.ReauthAddressDiffers(_log, string.Join(", ", newAddresses), string.Join(", ", info.VirtualAddresses));
            _info = info with { ChildSa = child, LocalEndPoint = child.LocalEndPoint, RemoteEndPoint = child.RemoteEndPoint };
        }
    }

    /// <summary>Removes and disposes CHILD SAs (the old IKE SA's after a reauthentication, or a failed new one's).</summary>
    public void Retire(IEnumerable<ChildSaTransforms> children)
    {
        foreach (var c in children.ToArray())
        {
            if (!Remove(c)) continue;
            _pump?.RemoveInbound(c.Inbound.Spi);
            _pump?.RemoveOutbound(c.Outbound.Spi);
            c.Dispose();
        }
    }

    /// <summary>The installed CHILD SA one of whose transforms is <paramref name="transform"/>.</summary>
    public ChildSaTransforms? Owner(IpSecTransform transform) =>
        Children.FirstOrDefault(c => ReferenceEquals(c.Inbound, transform) || ReferenceEquals(c.Outbound, transform));

    /// <summary>
    /// True when <paramref name="child"/> has a successor and only lingers for a lossless overlap: its outbound SA was
    /// replaced (a rekey we started, a re-created or reauthenticated CHILD SA) or is replaced when the gateway's DELETE
    /// arrives (a rekey the gateway started).
    /// </summary>
    public bool IsReplaced(ChildSaTransforms child) => child.Outbound.IsDisposed || _outboundAfterDelete.ContainsKey(child.Child.InboundSpi);

    /// <summary>The SAs of the CHILD SAs in use (not <see cref="IsReplaced"/>) that are at a soft or hard limit now.</summary>
    public IReadOnlyList<(IpSecTransform Transform, SaLimit Limit)> DueLimits() =>
        Children.Where(c => !IsReplaced(c))
            .SelectMany(c => new[] { c.Outbound, c.Inbound })
            .Where(t => !t.IsDisposed && (t.IsExpired || t.NeedsRekey))
            .Select(t => (t, t.IsExpired ? SaLimit.Hard : SaLimit.Soft))
            .ToList();

    /// <summary>The installed CHILD SA with our inbound SPI <paramref name="inboundSpi"/>.</summary>
    public ChildSaTransforms? Find(uint inboundSpi) => Children.FirstOrDefault(c => c.Child.InboundSpi == inboundSpi);

    /// <summary>Stops the outbound thread (first step of a teardown: nothing is sealed from here on).</summary>
    public void StopTraffic() => _pump?.Dispose();

    /// <summary>Removes the transport-mode transforms from every socket, the TUN (routes, rules, DNS), and every CHILD SA.</summary>
    public List<Exception> Release()
    {
        var errors = new List<Exception>();
        void Try(Action a)
        {
            try { a(); }
            catch (Exception ex) { errors.Add(ex); }
        }
        var (pump, transport, tun) = (_pump, _transport, _tun);
        (_pump, _tun) = (null, null);
        Volatile.Write(ref _transport, null);
        _protector.Interface = null;
        Try(() => pump?.Dispose());
        Try(() => transport?.Dispose()); // RemoveTransportModeTransforms on every socket
        Try(() => tun?.Dispose());
        foreach (var c in Children) Try(c.Dispose);
        lock (_children) _children.Clear();
        _outboundAfterDelete.Clear();
        return errors;
    }

    private bool IsSending(ChildSaTransforms c) => _pump?.OutboundSpis.Contains(c.Outbound.Spi) ?? false;

    private ChildSaTransforms Add(ChildSaTransforms c)
    {
        lock (_children) _children.Add(c);
        return c;
    }

    private bool Remove(ChildSaTransforms c)
    {
        lock (_children) return _children.Remove(c);
    }
}
