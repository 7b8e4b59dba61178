using System.Net;
using System.Net.Sockets;
using Ikev2Client.Platform;
using Ikev2Client.Platform.Userspace;

namespace Ikev2Client.Connection;

/// <summary>
/// The transport-mode data path of one IKE SA: the CHILD SA's transforms applied through the IpSecManager contract
/// (<see cref="IIpSecManager.ApplyTransportModeTransform"/>) to every socket that talks to the peer, exactly as an
/// Android app does, and removed from them (<see cref="IIpSecManager.RemoveTransportModeTransforms"/>) at the end.
/// </summary>
/// <remarks>
/// ESP travels over the same NAT-T UDP socket as IKE (the connection's <see cref="NatTSocket"/>): the transforms are
/// built with it as their encapsulation socket, so sealed packets leave from the port the peer knows, and the IN
/// transforms the manager applies are registered in that socket's SPI table, which hands them their ESP. The socket's
/// counters count both directions. Rekey: <see cref="Install"/> of the new CHILD SA switches every socket's OUT
/// transform at once and adds its IN transform; the old IN transform keeps decrypting until its owner disposes it.
/// </remarks>
public sealed class TransportModeDataPath : IDisposable
{
    private readonly IIpSecManager _manager;
    private readonly NatTSocket _encapsulation;
    private readonly IPAddress _localAddress;
    private readonly object _gate = new();
    private readonly List<Socket> _sockets = new();
    private readonly List<Socket> _ownedSockets = new();
    private readonly List<IpSecTransform> _inbound = new();
    private IpSecTransform? _outbound;
    private readonly Dictionary<IpSecTransform, long> _limitSignalled = new();
    private bool _disposed;

    /// <summary>Sets up the path on <paramref name="natTSocket"/> (shared with IKE).</summary>
    /// <exception cref="NotSupportedException">The manager cannot send ESP from the userspace NAT-T socket (not userspace).</exception>
    public TransportModeDataPath(IIpSecManager manager, NatTSocket natTSocket, IPAddress localAddress)
    {
        ArgumentNullException.ThrowIfNull(manager);
        ArgumentNullException.ThrowIfNull(natTSocket);
        ArgumentNullException.ThrowIfNull(localAddress);
        if (manager is not UserspaceIpSecManager)
            throw new NotSupportedException("transport mode needs ESP on the IKE NAT-T socket: only the userspace IpSecManager sends from it");
        _manager = manager;
        _localAddress = localAddress;
        _encapsulation = natTSocket;
    }

    /// <summary>
    /// The installed transforms that need a CHILD SA rekey (<see cref="IpSecTransform.NeedsRekey"/>: sequence space or soft
    /// byte/packet limit) or are expired (hard limit) — what <see cref="PacketPump.SaLimitReached"/> reports for the TUN
    /// path. Transport-mode sockets seal on the application's threads, so the connection asks here on its monitor tick
    /// (about once a second); a transform is named again every 5 s while its limit stays reached.
    /// </summary>
    public IReadOnlyList<(IpSecTransform Transform, SaLimit Limit)> DueLimits()
    {
        var due = new List<(IpSecTransform, SaLimit)>();
        long now = Environment.TickCount64;
        lock (_gate)
        {
            if (_disposed) return due;
            foreach (var t in _inbound.Append(_outbound))
            {
                if (t is null || t.IsDisposed || !(t.IsExpired || t.NeedsRekey)) continue;
                if (_limitSignalled.TryGetValue(t, out long at) && now < at) continue;
                _limitSignalled[t] = now + 5000;
                due.Add((t, t.IsExpired ? SaLimit.Hard : SaLimit.Soft));
            }
            foreach (var gone in _limitSignalled.Keys.Where(t => t.IsDisposed).ToList()) _limitSignalled.Remove(gone);
        }
        return due;
    }

    /// <summary>The encapsulation socket to build the transforms with (<see cref="ChildSaTransforms.Create"/>).</summary>
    public UdpEncapsulationSocket EncapsulationSocket => _encapsulation;

    /// <summary>The sockets the transforms are applied to now.</summary>
    public IReadOnlyList<Socket> Sockets { get { lock (_gate) return _sockets.ToArray(); } }

    /// <summary>
    /// Installs a CHILD SA (the first one, or a rekey's new one): its IN transform is added next to the ones still
    /// alive and its OUT transform replaces the current one on every socket at once. Right for the rekey initiator,
    /// whose peer installed both directions before answering.
    /// </summary>
    public void Install(ChildSaTransforms transforms)
    {
        AddInbound(transforms);
        SwitchOutbound(transforms);
    }

    /// <summary>
    /// Adds the CHILD SA's IN transform to every socket (the others keep decrypting until disposed). A rekey
    /// responder calls this first and <see cref="SwitchOutbound"/> once the old SA is deleted, because the rekey
    /// initiator installs the new IN transform only when our answer arrives.
    /// </summary>
    public void AddInbound(ChildSaTransforms transforms)
    {
        ArgumentNullException.ThrowIfNull(transforms);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _inbound.RemoveAll(t => t.IsDisposed);
            _inbound.Add(transforms.Inbound);
            foreach (var socket in _sockets) _manager.ApplyTransportModeTransform(socket, PolicyDirection.In, transforms.Inbound);
        }
    }

    /// <summary>Makes the CHILD SA's OUT transform the one every socket seals with, at once.</summary>
    public void SwitchOutbound(ChildSaTransforms transforms)
    {
        ArgumentNullException.ThrowIfNull(transforms);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _outbound = transforms.Outbound;
            foreach (var socket in _sockets) _manager.ApplyTransportModeTransform(socket, PolicyDirection.Out, transforms.Outbound);
        }
    }

    /// <summary>
    /// Applies the live transforms (every IN one still decrypting, the current OUT one) to an application's bound
    /// UDP socket; it then talks to the peer through ESP. The caller keeps owning the socket.
    /// </summary>
    public void Apply(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var outbound = _outbound;
            if (outbound == null || outbound.IsDisposed) throw new InvalidOperationException("no CHILD SA is installed");
            foreach (var inbound in _inbound.Where(t => !t.IsDisposed))
                _manager.ApplyTransportModeTransform(socket, PolicyDirection.In, inbound);
            _manager.ApplyTransportModeTransform(socket, PolicyDirection.Out, outbound);
            if (!_sockets.Contains(socket)) _sockets.Add(socket);
        }
    }

    /// <summary>
    /// Opens a UDP socket on our IKE address and <paramref name="localPort"/> (0: any free port), applies the
    /// transforms and returns the userspace wrapper to send and receive through (inner UDP header, sealed in ESP).
    /// The socket is closed on <see cref="Dispose"/>.
    /// </summary>
    public UserspaceTransportModeSocket OpenSocket(int localPort)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(localPort);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(localPort, 65535);
        var socket = new Socket(_localAddress.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(new IPEndPoint(_localAddress, localPort));
            Apply(socket);
            lock (_gate) _ownedSockets.Add(socket);
            return ((UserspaceIpSecManager)_manager).GetTransportModeSocket(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Removes the transforms from every socket (<see cref="IIpSecManager.RemoveTransportModeTransforms"/>), closes
    /// the sockets opened here. The NAT-T socket and the transforms stay with their owners, who dispose them.
    /// </summary>
    public void Dispose()
    {
        Socket[] sockets, owned;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            sockets = _sockets.ToArray();
            owned = _ownedSockets.ToArray();
            _sockets.Clear();
            _ownedSockets.Clear();
            _inbound.Clear();
            _outbound = null;
        }
        foreach (var socket in sockets)
        {
            try { _manager.RemoveTransportModeTransforms(socket); }
            catch (ObjectDisposedException) { }
        }
        foreach (var socket in owned) socket.Dispose();
    }
}
