using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Ikev2Client.Platform.Net;
using Ikev2Client.Protocol.Esp;

namespace Ikev2Client.Platform.Userspace;

/// <summary>Settings of a <see cref="NatTSocket"/>.</summary>
public sealed class NatTSocketOptions
{
    /// <summary>Datagrams per recvmmsg call (and the most a sendmmsg batch sends at once).</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Largest UDP datagram accepted without receive offload (ESP packets and unfragmented IKE messages).</summary>
    public int MaxDatagramSize { get; init; } = 16384;

    /// <summary>Socket buffer size asked for (SO_RCVBUF/SO_SNDBUF, forced when privileged); 0 keeps the default.</summary>
    public int SocketBufferBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Use UDP receive coalescing (UDP_GRO) where the kernel has it: fewer, larger receives split here.</summary>
    public bool ReceiveOffload { get; init; } = true;

    /// <summary>NAT-T keepalive (one 0xFF byte, RFC 3948 §2.3) to <see cref="NatTSocket.KeepalivePeer"/> after this long without sending; null disables.</summary>
    public TimeSpan? KeepaliveInterval { get; init; } = TimeSpan.FromSeconds(20);
}

/// <summary>An IKE message received on a <see cref="NatTSocket"/> (non-ESP marker stripped), with its sender.</summary>
public delegate void IkeDatagramHandler(byte[] message, IPEndPoint remote);

/// <summary>
/// Takes the ESP datagrams of the inbound SAs it registered with <see cref="NatTSocket.AddEspReceiver"/>, on the
/// socket's receive thread. The packet pump's inbound SAs (tunnel mode) and the userspace IpSecManager's transport-mode
/// SAs are the two kinds.
/// </summary>
public interface IEspReceiver
{
    /// <summary>
    /// One ESP datagram (SPI onwards) of this receiver's SA. It may be decrypted in place; the memory stays valid until
    /// <see cref="EndBatch"/>, so the receiver may queue slices of it until then.
    /// </summary>
    void Receive(Memory<byte> datagram);

    /// <summary>The receive batch that delivered at least one datagram here is over: hand on what was queued.</summary>
    void EndBatch();
}

/// <summary>
/// The NAT-T socket (RFC 3948) and its only owner: the userspace <see cref="UdpEncapsulationSocket"/>. One receive
/// thread (recvmmsg, with UDP GRO where the kernel has it) classifies every datagram exactly once:
/// <list type="bullet">
/// <item>a NAT-T keepalive is counted;</item>
/// <item>a datagram behind the non-ESP marker is IKE: it goes to the handler routed for its IKE SA (the initiator's SPI,
/// the header's first 8 octets, <see cref="RouteIke"/>), else to <see cref="DefaultIkeHandler"/>, else to
/// <see cref="IkeMessages"/>;</item>
/// <item>anything else is ESP: its SPI is looked up in this socket's inbound SA table (<see cref="AddEspReceiver"/>) and
/// the datagram handed to that SA's receiver; an unknown SPI is a <see cref="DropReason.NoSa"/> drop.</item>
/// </list>
/// Every send goes through it too (IKE with the marker, ESP batches with GSO, keepalives), so it knows when ESP has been
/// idle and sends keepalives to <see cref="KeepalivePeer"/> then. No allocation per ESP packet.
/// </summary>
public sealed class NatTSocket : UdpEncapsulationSocket
{
    private const int CoalescedDatagramSize = 65536; // a UDP_GRO receive holds up to 64 KB of datagrams

    private readonly Socket _socket;
    private readonly bool _ownsSocket;
    private readonly BatchedUdpSocket _udp;
    private readonly NatTSocketOptions _options;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _tableLock = new();
    private readonly byte[] _keepalive = [UdpEncapsulation.KeepaliveByte];
    private readonly Channel<ReceivedIkeDatagram> _unrouted = Channel.CreateBounded<ReceivedIkeDatagram>(new BoundedChannelOptions(256)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleWriter = true,
    });
    private volatile EspRoute[] _esp = [];
    private volatile IkeRoute[] _ike = [];
    private volatile IkeDatagramHandler? _defaultIke;
    private volatile IPEndPoint? _keepalivePeer;
    private readonly IEspReceiver?[] _touched = new IEspReceiver?[8];
    private Thread? _receiver;
    private Timer? _keepaliveTimer;
    private long _lastSend = Environment.TickCount64;
    private int _disposed;

    /// <summary>
    /// Takes over a bound UDP socket (closed on <see cref="Dispose"/> unless <paramref name="ownsSocket"/> is false).
    /// Call <see cref="Start"/> to receive.
    /// </summary>
    public NatTSocket(Socket socket, NatTSocketOptions? options = null, bool ownsSocket = true)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (socket.SocketType != SocketType.Dgram || socket.LocalEndPoint is not IPEndPoint local)
            throw new ArgumentException("a NAT-T socket is a bound UDP socket", nameof(socket));
        _socket = socket;
        _ownsSocket = ownsSocket;
        _options = options ?? new NatTSocketOptions();
        LocalEndPoint = local;
        if (_options.SocketBufferBytes > 0) SetBuffers(socket, _options.SocketBufferBytes);
        _udp = new BatchedUdpSocket(socket, _options.BatchSize);
    }

    /// <summary>
    /// Opens a UDP socket bound to <paramref name="local"/>, protected with <paramref name="protect"/> (keep it out of a
    /// VPN tunnel) before anything is sent, and starts receiving on it.
    /// </summary>
    /// <exception cref="SocketException">the address cannot be bound.</exception>
    public static NatTSocket Open(IPEndPoint local, NatTSocketOptions? options = null, Func<Socket, bool>? protect = null)
    {
        ArgumentNullException.ThrowIfNull(local);
        var socket = new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            protect?.Invoke(socket);
            socket.Bind(local);
            var natT = new NatTSocket(socket, options);
            natT.Start();
            return natT;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Traffic, keepalive, IKE and drop counters of everything that went through this socket.</summary>
    public DataPlaneCounters Counters { get; } = new();

    /// <inheritdoc />
    public override int Port => LocalEndPoint.Port;

    /// <summary>The bound address and port.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <inheritdoc />
    public override ChannelReader<ReceivedIkeDatagram> IkeMessages => _unrouted.Reader;

    /// <inheritdoc />
    public override long KeepalivesReceived => Counters.Snapshot().KeepalivesReceived;

    /// <summary>Where keepalives go when the socket has sent nothing for the keepalive interval (null: none).</summary>
    public IPEndPoint? KeepalivePeer
    {
        get => _keepalivePeer;
        set => _keepalivePeer = value;
    }

    /// <summary>Applies <paramref name="protect"/> (e.g. <see cref="IVpnInterface.Protect"/>) to the socket.</summary>
    public bool Protect(Func<Socket, bool> protect)
    {
        ArgumentNullException.ThrowIfNull(protect);
        return protect(_socket);
    }

    /// <summary>Starts the receive thread and the keepalive timer (idempotent). The thread inherits the caller's network namespace.</summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        lock (_tableLock)
        {
            if (_receiver != null) return;
            _receiver = new Thread(ReceiveLoop) { IsBackground = true, Name = "nat-t-receive" };
            _receiver.Start();
            if (_options.KeepaliveInterval is { } k) _keepaliveTimer = new Timer(_ => SendKeepaliveIfIdle(k), null, k, k);
        }
    }

    // ---- IKE ----

    /// <summary>IKE messages of the IKE SA whose initiator SPI is <paramref name="spiI"/> go to <paramref name="handler"/>.</summary>
    public void RouteIke(ulong spiI, IkeDatagramHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_tableLock) _ike = [.. _ike.Where(r => r.SpiI != spiI), new IkeRoute(spiI, handler)];
    }

    /// <summary>Stops routing the IKE SA's messages (they fall to <see cref="DefaultIkeHandler"/> or <see cref="IkeMessages"/>).</summary>
    public void UnrouteIke(ulong spiI)
    {
        lock (_tableLock) _ike = _ike.Where(r => r.SpiI != spiI).ToArray();
    }

    /// <summary>Where IKE messages of no routed IKE SA go (a responder's new sessions); null: <see cref="IkeMessages"/>.</summary>
    public IkeDatagramHandler? DefaultIkeHandler
    {
        get => _defaultIke;
        set => _defaultIke = value;
    }

    /// <summary>Sends an IKE message behind the non-ESP marker.</summary>
    /// <exception cref="SocketException">the system refused it.</exception>
    public void SendIke(ReadOnlySpan<byte> ikeMessage, IPEndPoint remote)
    {
        ArgumentNullException.ThrowIfNull(remote);
        Span<byte> framed = ikeMessage.Length <= 2048 ? stackalloc byte[ikeMessage.Length + UdpEncapsulation.NonEspMarkerLength]
            : new byte[ikeMessage.Length + UdpEncapsulation.NonEspMarkerLength];
        UdpEncapsulation.WriteIke(ikeMessage, framed);
        _socket.SendTo(framed, SocketFlags.None, remote);
        // Not counted as traffic for the keepalive timer: IKE is occasional, and keepalives stay regular while ESP is idle.
    }

    /// <inheritdoc />
    public override ValueTask SendIkeAsync(ReadOnlyMemory<byte> ikeMessage, IPEndPoint remote, CancellationToken cancellationToken = default)
    {
        SendIke(ikeMessage.Span, remote);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override ValueTask SendKeepaliveAsync(IPEndPoint remote, CancellationToken cancellationToken = default)
    {
        _socket.SendTo(_keepalive, SocketFlags.None, remote);
        Counters.KeepaliveSent();
        NoteSent();
        return ValueTask.CompletedTask;
    }

    // ---- ESP ----

    /// <summary>
    /// Adds an inbound SA: ESP with <paramref name="spi"/> goes to <paramref name="receiver"/> until removed.
    /// Adding the same receiver again does nothing.
    /// </summary>
    /// <exception cref="InvalidOperationException">another receiver holds the SPI.</exception>
    public void AddEspReceiver(uint spi, IEspReceiver receiver)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        lock (_tableLock)
        {
            foreach (var r in _esp)
            {
                if (r.Spi != spi) continue;
                if (ReferenceEquals(r.Receiver, receiver)) return;
                throw new InvalidOperationException($"inbound SPI 0x{spi:x8} already installed");
            }
            _esp = [.. _esp, new EspRoute(spi, receiver)];
        }
    }

    /// <summary>Removes the inbound SA <paramref name="spi"/> if <paramref name="receiver"/> holds it.</summary>
    public bool RemoveEspReceiver(uint spi, IEspReceiver receiver)
    {
        lock (_tableLock)
        {
            var hit = _esp.FirstOrDefault(r => r.Spi == spi && ReferenceEquals(r.Receiver, receiver));
            if (hit == null) return false;
            _esp = _esp.Where(r => r != hit).ToArray();
            return true;
        }
    }

    /// <summary>The receiver of inbound SA <paramref name="spi"/>, if any.</summary>
    public IEspReceiver? EspReceiver(uint spi) => _esp.FirstOrDefault(r => r.Spi == spi)?.Receiver;

    /// <summary>The inbound SPIs this socket accepts now.</summary>
    public IReadOnlyList<uint> EspSpis => _esp.Select(r => r.Spi).ToArray();

    /// <summary>
    /// Sends sealed ESP packets to <paramref name="peer"/> in one system call where it can (sendmmsg, UDP GSO). Called by
    /// one thread at a time (the packet pump's outbound thread): the batch buffers are reused.
    /// </summary>
    /// <exception cref="VpnPlatformException">the system refused a datagram.</exception>
    public int SendEspBatch(ReadOnlySpan<ReadOnlyMemory<byte>> packets, in DatagramEndpoint peer, CancellationToken cancellationToken)
    {
        int sent = _udp.SendBatch(packets, peer, cancellationToken);
        NoteSent();
        return sent;
    }

    /// <summary>Sends one sealed ESP packet (transport-mode sockets; any thread); <paramref name="payloadBytes"/> counts as sent.</summary>
    /// <exception cref="SocketException">the system refused it.</exception>
    public void SendEsp(ReadOnlySpan<byte> packet, IPEndPoint peer, int payloadBytes)
    {
        _socket.SendTo(packet, SocketFlags.None, peer);
        Counters.Sent(payloadBytes);
        NoteSent();
    }

    private void NoteSent() => Volatile.Write(ref _lastSend, Environment.TickCount64);

    // ---- the receive thread ----

    private void ReceiveLoop()
    {
        bool gro = _options.ReceiveOffload && _udp.EnableReceiveOffload();
        int batchSize = gro ? Math.Max(4, _options.BatchSize / 4) : _options.BatchSize;
        var batch = new PacketBatch(batchSize, gro ? CoalescedDatagramSize : _options.MaxDatagramSize);
        var sources = new DatagramEndpoint[batchSize];
        var segments = new int[batchSize];
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            int count;
            try { count = _udp.ReceiveBatch(batch.Buffers, batch.Sizes, segments, sources, 0, token); }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (VpnPlatformException) { continue; } // ECONNREFUSED from an ICMP error and the like

            var table = _esp;
            int touched = 0;
            for (int i = 0; i < count; i++)
            {
                Memory<byte> slot = batch.Buffers[i];
                int size = batch.Sizes[i], step = segments[i] > 0 ? segments[i] : size;
                for (int at = 0; at < size; at += step)
                {
                    int length = Math.Min(step, size - at);
                    Memory<byte> datagram = slot.Slice(at, length);
                    switch (UdpEncapsulation.Classify(datagram.Span, out int ikeOffset))
                    {
                        case UdpEncapsulatedKind.NatKeepalive:
                            Counters.KeepaliveReceived();
                            break;
                        case UdpEncapsulatedKind.Ike:
                            Counters.IkeReceived();
                            DeliverIke(datagram.Span[ikeOffset..].ToArray(), sources[i].ToIPEndPoint());
                            break;
                        case UdpEncapsulatedKind.Esp:
                            if (Find(table, BinaryPrimitives.ReadUInt32BigEndian(datagram.Span)) is not { } receiver)
                            {
                                Counters.Drop(DropReason.NoSa);
                                break;
                            }
                            receiver.Receive(datagram);
                            touched = Touch(receiver, touched);
                            break;
                        default:
                            Counters.Drop(DropReason.Malformed);
                            break;
                    }
                }
            }
            for (int i = 0; i < touched; i++)
            {
                _touched[i]!.EndBatch();
                _touched[i] = null;
            }
        }
    }

    private static IEspReceiver? Find(EspRoute[] table, uint spi)
    {
        foreach (var r in table)
            if (r.Spi == spi) return r.Receiver;
        return null;
    }

    /// <summary>Remembers a receiver that got a datagram in this batch (a few at most: one per live SA).</summary>
    private int Touch(IEspReceiver receiver, int touched)
    {
        for (int i = 0; i < touched; i++)
            if (ReferenceEquals(_touched[i], receiver)) return touched;
        if (touched == _touched.Length)
        {
            receiver.EndBatch(); // more live SAs than slots: hand this one on now
            return touched;
        }
        _touched[touched] = receiver;
        return touched + 1;
    }

    private void DeliverIke(byte[] message, IPEndPoint remote)
    {
        if (message.Length >= 8)
        {
            ulong spiI = BinaryPrimitives.ReadUInt64BigEndian(message);
            foreach (var r in _ike)
            {
                if (r.SpiI != spiI) continue;
                r.Handler(message, remote);
                return;
            }
        }
        if (_defaultIke is { } handler) handler(message, remote);
        else _unrouted.Writer.TryWrite(new ReceivedIkeDatagram(message, remote));
    }

    private void SendKeepaliveIfIdle(TimeSpan interval)
    {
        if (_disposed != 0 || _keepalivePeer is not { } peer) return;
        if (Environment.TickCount64 - Volatile.Read(ref _lastSend) < (long)interval.TotalMilliseconds - 50) return;
        try { SendKeepaliveAsync(peer); }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
    }

    private static void SetBuffers(Socket socket, int bytes)
    {
        Span<byte> value = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(value, bytes);
        const int SolSocket = 1, SoSndBufForce = 32, SoRcvBufForce = 33;
        try { socket.SetRawSocketOption(SolSocket, SoRcvBufForce, value); }
        catch (SocketException) { try { socket.ReceiveBufferSize = bytes; } catch (SocketException) { } }
        try { socket.SetRawSocketOption(SolSocket, SoSndBufForce, value); }
        catch (SocketException) { try { socket.SendBufferSize = bytes; } catch (SocketException) { } }
    }

    /// <summary>Stops receiving and the keepalives and closes the socket (when owned).</summary>
    public override void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _keepaliveTimer?.Dispose();
        _stop.Cancel();
        _udp.Dispose();
        if (_receiver != null && Thread.CurrentThread != _receiver) _receiver.Join(TimeSpan.FromSeconds(5));
        if (_ownsSocket) _socket.Dispose();
        _unrouted.Writer.TryComplete();
        _stop.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() => $"NAT-T socket {LocalEndPoint}";

    private sealed record EspRoute(uint Spi, IEspReceiver Receiver);

    private sealed record IkeRoute(ulong SpiI, IkeDatagramHandler Handler);
}
