using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Ikev2Client.Connection;
using Ikev2Client.Platform;
using Ikev2Client.Platform.Userspace;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Esp;
using Ikev2Client.Protocol.Ike;

namespace Ikev2Client.Tests.DataPlane;

/// <summary>
/// A transport-mode responder over loopback that serves several IKE SAs of one initiator at once (what
/// reauthentication needs): IKE_SA_INIT with SPIr = 0 starts a new <see cref="IkeSession"/>, everything else goes to the
/// session with that SPIi. Sans-I/O sessions driven under one lock (no timers: the responder never retransmits); one
/// <see cref="NatTSocket"/> shared by IKE and ESP, with a <see cref="TransportModeDataPath"/>.
/// </summary>
internal sealed class MultiSaResponder : IDisposable
{
    private readonly object _gate = new();
    private readonly List<IkeSession> _sessions = new();
    private readonly Dictionary<uint, ChildSaTransforms> _children = new();
    private readonly Socket _ike;
    private readonly NatTSocket _natT;
    private readonly PskAuthenticator _psk = new(TransportModeResponder.Psk);
    private readonly IpSecSpiAllocator _spis;
    private readonly TransportModeDataPath _path;
    private readonly Thread _ikeThread;
    private readonly TimeSpan? _authLifetime;

    public MultiSaResponder(IPAddress address, TimeSpan? authLifetime)
    {
        Address = address;
        _authLifetime = authLifetime;
        _ike = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _ike.Bind(new IPEndPoint(address, 0));
        _natT = NatTSocket.Open(new IPEndPoint(address, 0), new NatTSocketOptions { KeepaliveInterval = null });
        _spis = new IpSecSpiAllocator(Manager, address);
        var natTLocal = _natT.LocalEndPoint;
        _natT.DefaultIkeHandler = (message, remote) => Handle(message, remote, natTLocal, nonEspMarker: true);
        _path = new TransportModeDataPath(Manager, _natT, address);
        _ikeThread = new Thread(IkeLoop) { IsBackground = true, Name = "multi-sa-responder" };
        _ikeThread.Start();
    }

    public IPAddress Address { get; }
    public UserspaceIpSecManager Manager { get; } = new();
    public IPEndPoint IkeEndPoint => (IPEndPoint)_ike.LocalEndPoint!;
    public int NatTPort => _natT.Port;
    public DataPlaneStatistics Statistics => _natT.Counters.Snapshot();

    /// <summary>Every IKE SA ever established: (SPIi, SPIr, state now).</summary>
    public IReadOnlyList<(ulong SpiI, ulong SpiR, IkeSessionState State)> Sessions
    {
        get { lock (_gate) return _sessions.Select(s => (s.SpiI, s.SpiR, s.State)).ToArray(); }
    }

    /// <summary>Events of all sessions, in order.</summary>
    public IReadOnlyList<IkeEvent> Events { get { lock (_gate) return _events.ToArray(); } }

    private readonly List<IkeEvent> _events = new();

    public UserspaceTransportModeSocket OpenSocket(int port = 0) => _path.OpenSocket(port);

    private void IkeLoop()
    {
        var buffer = new byte[65536];
        var local = (IPEndPoint)_ike.LocalEndPoint!;
        while (true)
        {
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            int n;
            try { n = _ike.ReceiveFrom(buffer, ref from); }
            catch (SocketException) { return; }
            catch (ObjectDisposedException) { return; }
            Handle(buffer.AsSpan(0, n).ToArray(), (IPEndPoint)from, local, nonEspMarker: false);
        }
    }

    /// <summary>Simulates a crash without DELETE: every IKE message is dropped unanswered (ESP is the test's own echo).</summary>
    public volatile bool Silent;

    /// <summary>The newest established session (the gateway's current IKE SA).</summary>
    private IkeSession Current => _sessions.Last(s => s.State == IkeSessionState.Established);

    /// <summary>Deletes the current IKE SA's CHILD SAs: INFORMATIONAL { D(ESP) }, as <c>swanctl --terminate --child</c> does.</summary>
    public void DeleteChildSas()
    {
        lock (_gate)
        {
            var session = Current;
            foreach (var c in session.ChildSas.ToList()) Send(session.DeleteChildSa(c.InboundSpi));
        }
    }

    /// <summary>Creates a CHILD SA on the current IKE SA with CREATE_CHILD_SA, as a gateway re-creating an expired one does.</summary>
    public void CreateChildSa()
    {
        lock (_gate) Send(Current.CreateChildSa());
    }

    private void Send(IkeOutput output)
    {
        foreach (var e in output.Events) OnEvent(e);
        foreach (var d in output.Datagrams)
        {
            if (d.NonEspMarker) _natT.SendIke(d.Data, d.Destination);
            else _ike.SendTo(d.Data, d.Destination);
        }
    }

    private void Handle(byte[] message, IPEndPoint remote, IPEndPoint local, bool nonEspMarker)
    {
        if (message.Length < 28 || Silent) return;
        var spiI = BinaryPrimitives.ReadUInt64BigEndian(message);
        var spiR = BinaryPrimitives.ReadUInt64BigEndian(message.AsSpan(8));
        lock (_gate)
        {
            var session = _sessions.FirstOrDefault(s => s.SpiI == spiI && (spiR == 0 || s.SpiR == spiR));
            if (session == null)
            {
                if (spiR != 0) return;
                session = new IkeSession(new IkeSessionOptions
                {
                    Role = IkeRole.Responder,
                    LocalIdentity = IkeIdentity.Parse("@gw.example.org"),
                    Authenticator = _psk,
                    LocalTrafficSelectors = [TransportModeResponder.Host(Address)],
                    ChildLifetime = null,
                    IkeLifetime = null,
                    Responder = new IkeResponderOptions { AllowTransportMode = true, AuthLifetime = _authLifetime },
                }, spiAllocator: _spis);
                _sessions.Add(session);
            }
            Send(session.HandleDatagram(message, remote, local, nonEspMarker));
        }
    }

    private void OnEvent(IkeEvent e)
    {
        if (e is not IkeEvent.MessageTraced) _events.Add(e);
        switch (e)
        {
            case IkeEvent.ChildSaEstablished c:
            {
                var t = ChildSaTransforms.Create(c.ChildSa, Manager, _spis, EspMode.Transport, _path.EncapsulationSocket);
                // A second IKE SA's CHILD SA (reauthentication): receive on it at once, send on it once the old one is
                // deleted (the initiator installs its inbound side only when our answer arrives).
                if (_children.Count == 0) _path.Install(t);
                else _path.AddInbound(t);
                _children[c.ChildSa.InboundSpi] = t;
                _natT.KeepalivePeer = c.ChildSa.RemoteEndPoint;
                break;
            }
            case IkeEvent.ChildSaDeleted d:
                if (_children.Remove(d.ChildSa.InboundSpi, out var hit))
                {
                    if (_children.Count > 0) _path.SwitchOutbound(_children.Values.Last());
                    hit.Dispose();
                }
                break;
        }
    }

    public void Dispose()
    {
        _ike.Dispose();
        _ikeThread.Join(TimeSpan.FromSeconds(5));
        _path.Dispose();
        lock (_gate)
        {
            foreach (var c in _children.Values) c.Dispose();
            _children.Clear();
            foreach (var s in _sessions) s.Dispose();
        }
        _spis.Dispose();
        _natT.Dispose();
        _psk.Dispose();
        Manager.Dispose();
    }
}
