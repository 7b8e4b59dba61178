using System.Net;
using System.Net.Sockets;
using Ikev2Client.Connection;
using Ikev2Client.Platform;
using Ikev2Client.Platform.Userspace;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Esp;
using Ikev2Client.Protocol.Ike;
using Ikev2Client.Protocol.Traffic;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Tests.DataPlane;

/// <summary>
/// The peer for transport-mode tests: an <see cref="IkeSession"/> responder allowing transport mode with host-to-host
/// selectors, over loopback, with the same pieces as <see cref="VpnConnection"/> (one <see cref="NatTSocket"/> shared by
/// IKE and ESP, demultiplexing them, a <see cref="TransportModeDataPath"/> over a userspace IpSecManager). As the rekey responder it adds the new IN SA at once and switches OUT when the old SA is deleted.
/// </summary>
internal sealed class TransportModeResponder : IDisposable
{
    public const string Psk = "transport mode test key";
    private readonly object _gate = new();
    private readonly List<ChildSaTransforms> _children = new();
    private readonly NatTSocket _socket;
    private readonly PskAuthenticator _psk = new(Psk);
    private readonly IkeSession _session;
    private readonly IkeUdpDriver _driver;
    private readonly IpSecSpiAllocator _spis;
    private readonly TransportModeDataPath _path;
    private readonly TaskCompletionSource<ChildSaInfo> _established = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TransportModeResponder(IPAddress address)
    {
        Address = address;
        _socket = NatTSocket.Open(new IPEndPoint(address, 0), new NatTSocketOptions { KeepaliveInterval = null });
        _spis = new IpSecSpiAllocator(Manager, address);
        _session = new IkeSession(new IkeSessionOptions
        {
            Role = IkeRole.Responder,
            LocalIdentity = IkeIdentity.Parse("@gw.example.org"),
            Authenticator = _psk,
            LocalTrafficSelectors = [Host(address)],
            ChildLifetime = null,
            IkeLifetime = null,
            Responder = new IkeResponderOptions { AllowTransportMode = true },
        }, spiAllocator: _spis);
        _driver = new IkeUdpDriver(_session, new IkeUdpDriverOptions
        {
            LocalIkeEndPoint = new IPEndPoint(address, 0),
            NatTSocket = _socket,
            NatKeepaliveInterval = null,
        });
        _socket.DefaultIkeHandler = _driver.ReceiveNatT;
        _path = new TransportModeDataPath(Manager, _socket, address);
        _driver.EventRaised += OnEvent;
        _driver.Start();
    }

    public static TrafficSelector Host(IPAddress address) =>
        TrafficSelector.FromNetwork(new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128));

    public IPAddress Address { get; }
    public UserspaceIpSecManager Manager { get; } = new();
    public IPEndPoint IkeEndPoint => _driver.IkeLocalEndPoint;
    public int NatTPort => _socket.Port;
    public Task<ChildSaInfo> Established => _established.Task;
    public DataPlaneStatistics Statistics => _socket.Counters.Snapshot();
    public IReadOnlyList<ChildSaInfo> ChildSas { get { lock (_gate) return _children.Select(c => c.Child).ToArray(); } }
    public IkeSessionState SessionState => _session.State;
    public Task<IkeEvent> Completion => _driver.Completion;

    public UserspaceTransportModeSocket OpenSocket(int port = 0) => _path.OpenSocket(port);

    private void OnEvent(IkeEvent e)
    {
        lock (_gate)
        {
            switch (e)
            {
                case IkeEvent.ChildSaEstablished c:
                {
                    var t = ChildSaTransforms.Create(c.ChildSa, Manager, _spis, EspMode.Transport, _path.EncapsulationSocket);
                    _children.Add(t);
                    _path.Install(t);
                    _socket.KeepalivePeer = c.ChildSa.RemoteEndPoint;
                    _established.TrySetResult(c.ChildSa);
                    break;
                }
                case IkeEvent.ChildSaRekeyed r:
                {
                    var t = ChildSaTransforms.Create(r.New, Manager, _spis, EspMode.Transport, _path.EncapsulationSocket);
                    _children.Add(t);
                    _path.AddInbound(t); // OUT switches when the initiator deletes the old SA
                    break;
                }
                case IkeEvent.ChildSaDeleted d:
                {
                    var hit = _children.FirstOrDefault(c => c.Child.InboundSpi == d.ChildSa.InboundSpi);
                    if (hit == null) break;
                    _children.Remove(hit);
                    if (_children.Count > 0) _path.SwitchOutbound(_children[^1]);
                    hit.Dispose();
                    break;
                }
            }
        }
    }

    public void Dispose()
    {
        _path.Dispose();
        lock (_gate)
        {
            foreach (var c in _children) c.Dispose();
            _children.Clear();
        }
        _spis.Dispose();
        _driver.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5));
        _socket.Dispose();
        _session.Dispose();
        _psk.Dispose();
        Manager.Dispose();
    }
}
