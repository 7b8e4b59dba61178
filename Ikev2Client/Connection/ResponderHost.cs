using System.Net;
using System.Net.Sockets;
using Ikev2Client.Platform;
using Ikev2Client.Platform.Userspace;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Esp;
using Ikev2Client.Protocol.Ike;
using Ikev2Client.Protocol.Crypto;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ikev2Client.Connection;

/// <summary>
/// A minimal IKEv2 responder with the same userspace data plane as the client, for tests and benchmarks (not a
/// production gateway): PSK, an address pool, a TUN on its side routing the pool, and packets forwarded between the
/// tunnel and that TUN by a <see cref="PacketPump"/>. Serves one client at a time; when a client's IKE SA ends, a
/// fresh session waits for the next one.
/// </summary>
public sealed class ResponderHost : IDisposable
{
    private readonly ResponderConfig _config;
    private readonly Func<IVpnInterfaceBuilder> _builderFactory;
    private readonly IkeAddressPool _pool;
    private readonly IPAddress _ownAddress;
    private readonly IkeAddressPool? _pool6;
    private readonly IPAddress? _ownAddress6;
    private readonly IIpSecManager _manager;
    private readonly ILogger _log;
    private readonly object _gate = new();
    private readonly List<ChildSaTransforms> _children = new();
    private readonly Dictionary<uint, ChildSaTransforms> _outboundAfterDelete = new();
    private NatTSocket? _socket;
    private PacketPump? _pump;
    private IVpnInterface? _tun;
    private volatile IkeUdpDriver? _driver;
    private IpSecSpiAllocator? _spis;
    private IReadOnlyList<ProposalSpec> _ike = ProposalSpec.DefaultIke;
    private IReadOnlyList<ProposalSpec> _esp = ProposalSpec.DefaultEsp;

    /// <summary>Creates the host on the caller's platform: its TUN from <paramref name="builderFactory"/>, its SAs from <paramref name="manager"/> (the caller's).</summary>
    public ResponderHost(ResponderConfig config, Func<IVpnInterfaceBuilder> builderFactory, IIpSecManager manager, ILoggerFactory? loggers = null)
    {
        _log = (loggers ?? NullLoggerFactory.Instance).CreateLogger<ResponderHost>();
        _config = config;
        _builderFactory = builderFactory;
        _manager = manager;
        _pool = new IkeAddressPool(IPNetwork.Parse(config.AddressPool));
        if (!_pool.TryAcquire(out _ownAddress)) throw new ArgumentException("the address pool has no usable address");
        if (config.AddressPool6 != null)
        {
            _pool6 = new IkeAddressPool(IPNetwork.Parse(config.AddressPool6));
            if (!_pool6.TryAcquire(out var own6)) throw new ArgumentException("the IPv6 address pool has no usable address");
            _ownAddress6 = own6;
        }
        if (config.IkeProposals != null && !ProposalConversion.TryParse(config.IkeProposals, false, out _ike, out var e1))
            throw new ArgumentException($"ikeProposals: {e1}");
        if (config.EspProposals != null && !ProposalConversion.TryParse(config.EspProposals, true, out _esp, out var e2))
            throw new ArgumentException($"espProposals: {e2}");
    }

    /// <summary>The responder's TUN address (the first pool address).</summary>
    public IPAddress TunnelAddress => _ownAddress;

    /// <summary>The responder's IPv6 TUN address (the first address of <see cref="ResponderConfig.AddressPool6"/>), if any.</summary>
    public IPAddress? TunnelAddress6 => _ownAddress6;

    /// <summary>The data plane counters.</summary>
    public DataPlaneStatistics Statistics => _pump?.Counters.Snapshot() ?? new DataPlaneCounters().Snapshot();

    /// <summary>The NAT-T endpoint actually bound (after <see cref="Start"/>).</summary>
    public IPEndPoint? NatTEndPoint => _socket?.LocalEndPoint;

    /// <summary>The CHILD SAs installed now (tests: their transforms, counters and sequence numbers).</summary>
    public IReadOnlyList<ChildSaTransforms> ChildSas { get { lock (_gate) return _children.ToArray(); } }

    /// <summary>The current client's IKE driver (null between clients).</summary>
    public IkeUdpDriver? CurrentDriver => _driver;

    /// <summary>Creates the TUN and sockets on the calling thread and starts serving.</summary>
    public void Start()
    {
        var listen = IPAddress.Parse(_config.ListenAddress);
        var socket = new Socket(listen.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try { socket.Bind(new IPEndPoint(listen, _config.NatTPort)); }
        catch
        {
            socket.Dispose();
            throw;
        }
        _socket = new NatTSocket(socket, new NatTSocketOptions { KeepaliveInterval = null });
        var pool = IPNetwork.Parse(_config.AddressPool);
        var builder = _builderFactory()
            .AddAddress(_ownAddress, pool.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? 32 : 128)
            .AddRoute(pool.BaseAddress, pool.PrefixLength)
            .AllowFamily(AddressFamily.InterNetwork) // a gateway blocks nothing: only its pools go to the tunnel
            .AllowFamily(AddressFamily.InterNetworkV6)
            .SetMtu(_config.Mtu)
            .SetSession("ikev2 responder");
        if (_pool6 != null) builder.AddAddress(_ownAddress6!, 128).AddRoute(_pool6.Network.BaseAddress, _pool6.Network.PrefixLength);
        _tun = builder.Establish();
        _socket.Protect(_tun.Protect);
        _spis = new IpSecSpiAllocator(_manager, listen);
        _pump = new PacketPump(_socket);
        _pump.SaLimitReached += OnSaLimit;
        _pump.AttachInterface(_tun);
        _socket.Start();
        ConnectionLog.ResponderListening(_log, $"{listen}:{_config.ListenPort}", _config.NatTPort, _tun.Name, _ownAddress.ToString(), _config.AddressPool);
    }

    /// <summary>Serves clients one after the other until cancelled (blocks).</summary>
    public void Run(CancellationToken cancellationToken)
    {
        if (_pump == null) Start();
        var listen = IPAddress.Parse(_config.ListenAddress);
        while (!cancellationToken.IsCancellationRequested)
        {
            using var psk = new PskAuthenticator(_config.Psk);
            var options = new IkeSessionOptions
            {
                Role = IkeRole.Responder,
                LocalIdentity = IkeIdentity.Parse(_config.LocalId),
                RemoteIdentity = _config.RemoteId == null ? null : IkeIdentity.Parse(_config.RemoteId),
                Authenticator = psk,
                IkeProposals = _ike,
                EspProposals = _esp,
                LocalTrafficSelectors = _config.LocalSubnets.Select(s => Protocol.Wire.Payloads.TrafficSelector.FromNetwork(IPNetwork.Parse(s))).ToArray(),
                ChildLifetime = ChildLifetime,
                Responder = new IkeResponderOptions
                {
                    AddressPool = _pool,
                    AddressPools = _pool6 != null ? [_pool6] : [],
                    DnsServers = _config.Dns.Select(IPAddress.Parse).ToArray(),
                    AllowTransportMode = false,
                },
            };
            using var session = new IkeSession(options, spiAllocator: _spis);
            var driver = new IkeUdpDriver(session, new IkeUdpDriverOptions
            {
                LocalIkeEndPoint = new IPEndPoint(listen, _config.ListenPort),
                NatTSocket = _socket,
                NatKeepaliveInterval = null,
            });
            driver.EventRaised += OnEvent;
            _driver = driver;
            _socket!.DefaultIkeHandler = driver.ReceiveNatT; // one client at a time: every IKE message is its
            driver.Start();
            try
            {
                var done = Task.WhenAny(driver.Completion, Task.Delay(Timeout.Infinite, cancellationToken));
                done.Wait(CancellationToken.None);
                if (cancellationToken.IsCancellationRequested && session.State == IkeSessionState.Established)
                {
                    driver.Close();
                    driver.Completion.Wait(TimeSpan.FromSeconds(3));
                }
            }
            finally
            {
                _driver = null;
                RemoveAllChildren();
                driver.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5));
            }
        }
    }

    private void OnEvent(IkeEvent e)
    {
        switch (e)
        {
            case IkeEvent.IkeSaEstablished s:
                ConnectionLog.ResponderIkeSa(_log, s.Sa.RemoteIdentity.ToString(), s.Sa.RemoteEndPoint.ToString(), s.Sa.Algorithms.ToString());
                break;
            case IkeEvent.ChildSaEstablished c:
                Install(c.ChildSa, null, false);
                break;
            case IkeEvent.ChildSaRekeyed r:
                Install(r.New, r.Old, r.ByPeer);
                break;
            case IkeEvent.ChildSaDeleted d:
                Remove(d.ChildSa.InboundSpi);
                break;
            case IkeEvent.AddressesUpdated u:
                ConnectionLog.ResponderPeerMoved(_log, u.Remote.ToString());
                lock (_gate)
                    foreach (var t in _children.Where(c => _pump?.OutboundSpis.Contains(c.Outbound.Spi) == true)) _pump!.SetOutbound(t.Outbound, t.Local, t.Remote, u.Remote, t.Outbound.Spi);
                break;
            case IkeEvent.Deleted d:
                ConnectionLog.ResponderIkeSaDeleted(_log, d.Reason, Statistics.ToString());
                break;
            case IkeEvent.Failed f:
                ConnectionLog.ResponderIkeSaFailed(_log, f.Error.ToString());
                break;
        }
    }

    /// <summary>The CHILD SA lifetime: the IKE defaults plus the configured byte/packet limits.</summary>
    private SaLifetime ChildLifetime => SaLifetime.DefaultChild with
    {
        RekeyBytes = _config.RekeyBytes, LifeBytes = _config.LifeBytes, RekeyPackets = _config.RekeyPackets, LifePackets = _config.LifePackets,
    };

    private void Install(ChildSaInfo child, ChildSaInfo? replaces, bool byPeer)
    {
        lock (_gate)
        {
            var t = ChildSaTransforms.Create(child, _manager, _spis, EspMode.Tunnel, lifetime: ChildLifetime.VolumeLimits);
            _children.Add(t);
            _pump!.AddInbound(t.Inbound, t.Local, t.Remote);
            if (replaces != null && byPeer)
            {
                // The initiator installs its new inbound SA when our answer arrives and deletes the old SA after that:
                // receive on the new SA now, send on it once the old one is deleted (Remove switches).
                _outboundAfterDelete[replaces.InboundSpi] = t;
            }
            else
            {
                _pump.SetOutbound(t.Outbound, t.Local, t.Remote, child.RemoteEndPoint, replaces?.OutboundSpi);
                if (replaces != null) _children.FirstOrDefault(c => c.Child.InboundSpi == replaces.InboundSpi)?.DisposeOutbound();
            }
        }
        ConnectionLog.ResponderChildSa(_log, child.ToString());
    }

    private void Remove(uint inboundSpi)
    {
        lock (_gate)
        {
            var hit = _children.FirstOrDefault(c => c.Child.InboundSpi == inboundSpi);
            if (hit == null) return;
            _children.Remove(hit);
            _pump?.RemoveInbound(hit.Inbound.Spi);
            if (_outboundAfterDelete.Remove(inboundSpi, out var next) && _children.Contains(next))
                _pump?.SetOutbound(next.Outbound, next.Local, next.Remote, next.Child.RemoteEndPoint, replaces: hit.Outbound.Spi);
            else _pump?.RemoveOutbound(hit.Outbound.Spi);
            hit.Dispose();
        }
    }

    /// <summary>The pump reports an SA at its sequence or volume limit: rekey (soft) or delete (hard) its CHILD SA.</summary>
    private void OnSaLimit(IpSecTransform transform, SaLimit limit)
    {
        ChildSaTransforms? child;
        lock (_gate) child = _children.FirstOrDefault(c => ReferenceEquals(c.Inbound, transform) || ReferenceEquals(c.Outbound, transform));
        if (child == null || _driver is not { } driver) return;
        ConnectionLog.ResponderSaLimit(_log, transform.Spi, limit == SaLimit.Hard ? "hard" : "rekey", transform.Counters.Packets, transform.Counters.Bytes,
            transform.Sa.LastSentSequence, limit == SaLimit.Hard ? "deleting" : "rekeying", child.Child.InboundSpi);
        if (limit == SaLimit.Hard) driver.DeleteChildSa(child.Child.InboundSpi);
        else driver.RekeyChildSa(child.Child.InboundSpi);
    }

    private void RemoveAllChildren()
    {
        lock (_gate)
        {
            foreach (var c in _children.ToArray()) Remove(c.Child.InboundSpi);
        }
    }

    /// <summary>Stops the pump and removes the TUN, routes and sockets.</summary>
    public void Dispose()
    {
        _pump?.Dispose();
        RemoveAllChildren();
        _tun?.Dispose();
        _spis?.Dispose();
        _socket?.Dispose();
    }
}
