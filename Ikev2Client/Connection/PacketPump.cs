using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Ikev2Client.Platform;
using Ikev2Client.Platform.Net;
using Ikev2Client.Protocol.Esp;

namespace Ikev2Client.Connection;

/// <summary>
/// The userspace ESP data plane (the VpnService TUN fallback). Two dedicated threads:
/// <list type="bullet">
/// <item>outbound — TUN batch read (at an offset that leaves room for the ESP header) → traffic-selector check →
/// ESP seal in place → sendmmsg to the peer's NAT-T port. It is the only thread that seals, so it alone owns each
/// outbound SA's sequence counter;</item>
/// <item>inbound — recvmmsg on the shared port-4500 socket → non-ESP marker? the IKE message goes to the IKE
/// callback : keepalive? counted : ESP → SPI lookup → replay check, ICV, decrypt (EspSa.TryOpen) → inner
/// traffic-selector check → batched TUN write.</item>
/// </list>
/// Buffers are allocated once (pinned batches); the per-packet path allocates nothing. The pump owns neither the
/// socket nor the interface nor the transforms: the caller disposes them after the pump. It watches the SAs it uses
/// for their sequence and volume limits and says so with <see cref="SaLimitReached"/>; starting the rekey is the owner's.
/// </summary>
public sealed class PacketPump : IDisposable
{
    /// <summary>Bytes reserved in front of each TUN packet: at least the largest ESP header (SPI, sequence, 16-byte IV).</summary>
    public const int HeadRoom = 32;
    private const int TailRoom = 128;
    private const int CoalescedDatagramSize = 65536; // a UDP_GRO receive holds up to 64 KB of datagrams

    private readonly Socket _socket;
    private readonly BatchedUdpSocket _udp;
    private readonly PacketPumpOptions _options;
    private readonly Action<byte[], IPEndPoint>? _ikeReceived;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _tableLock = new();
    private readonly byte[] _keepalive = [UdpEncapsulation.KeepaliveByte];
    private volatile OutboundSa[] _outbound = [];
    private volatile InboundSa[] _inbound = [];
    private volatile IVpnInterface? _tun;
    private volatile UnclaimedEspHandler? _unclaimedEsp;
    private volatile IPEndPoint? _keepalivePeer;
    private Thread? _inboundThread;
    private Thread? _outboundThread;
    private Timer? _keepaliveTimer;
    private long _lastSend = Environment.TickCount64;
    private int _disposed;

    /// <summary>Wraps a bound UDP socket (the NAT-T socket, shared with IKE). Call <see cref="Start"/> to receive.</summary>
    public PacketPump(Socket socket, PacketPumpOptions? options = null, Action<byte[], IPEndPoint>? ikeReceived = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        _socket = socket;
        _options = options ?? new PacketPumpOptions();
        _ikeReceived = ikeReceived;
        if (_options.SocketBufferBytes > 0) SetBuffers(socket, _options.SocketBufferBytes);
        _udp = new BatchedUdpSocket(socket, _options.BatchSize);
    }

    /// <summary>Traffic and drop counters.</summary>
    public DataPlaneCounters Counters { get; } = new();

    /// <summary>
    /// An installed SA reached a limit: <see cref="SaLimit.Soft"/> when it needs a CHILD SA rekey (its outbound sequence
    /// number passed 2^32 − 2^20 without ESN, or a soft byte/packet limit, <see cref="IpSecTransform.NeedsRekey"/>),
    /// <see cref="SaLimit.Hard"/> when a hard byte/packet limit stops it (<see cref="IpSecTransform.IsExpired"/>).
    /// Raised on the pump thread that noticed it, at most once per <see cref="PacketPumpOptions.SaLimitRetryInterval"/>
    /// per SA while the limit stays reached and the SA stays installed (so a rekey that failed is asked for again);
    /// handlers must return at once (e.g. post to the IKE driver).
    /// </summary>
    public event Action<IpSecTransform, SaLimit>? SaLimitReached;

    /// <summary>The interface attached with <see cref="AttachInterface"/>, if any.</summary>
    public IVpnInterface? Interface => _tun;

    /// <summary>Inbound SPIs currently accepted.</summary>
    public IReadOnlyList<uint> InboundSpis => _inbound.Select(e => e.Transform.Spi).ToArray();

    /// <summary>Outbound SPIs currently used, in selection order.</summary>
    public IReadOnlyList<uint> OutboundSpis => _outbound.Select(e => e.Transform.Spi).ToArray();

    /// <summary>
    /// Where ESP with an SPI the pump does not hold goes (the transport-mode path: the userspace IpSecManager's
    /// inbound SAs); null (default) drops it as <see cref="DropReason.NoSa"/>. Called on the inbound thread.
    /// </summary>
    public void SetUnclaimedEspHandler(UnclaimedEspHandler? handler) => _unclaimedEsp = handler;

    /// <summary>The peer that gets NAT-T keepalives when no outbound SA is installed here (transport mode).</summary>
    public IPEndPoint? KeepalivePeer
    {
        get => _keepalivePeer;
        set => _keepalivePeer = value;
    }

    /// <summary>
    /// Counts an ESP packet sealed and sent on the pump's socket by someone else (transport-mode sockets), so the
    /// counters cover both paths and the keepalive timer sees the socket as busy.
    /// </summary>
    public void RecordExternalSend(int payloadBytes)
    {
        Counters.Sent(payloadBytes);
        Volatile.Write(ref _lastSend, Environment.TickCount64);
    }

    /// <summary>Starts the inbound thread (IKE on the socket flows from now on) and the keepalive timer.</summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_inboundThread != null) return;
        _inboundThread = new Thread(InboundLoop) { IsBackground = true, Name = "esp-inbound" };
        _inboundThread.Start();
        if (_options.AdaptiveKeepalive is { } adaptive)
            _keepaliveTimer = new Timer(_ => AdaptiveKeepaliveTick(adaptive), null, adaptive.Interval, Timeout.InfiniteTimeSpan);
        else if (_options.KeepaliveInterval is { } k)
            _keepaliveTimer = new Timer(_ => SendKeepaliveIfIdle(k), null, k, k);
    }

    private DataPlaneStatistics? _lastKeepalivePeriod;

    /// <summary>One period of an adaptive keepalive: keepalive if idle, then tell the policy whether the gateway was heard while we were silent.</summary>
    private void AdaptiveKeepaliveTick(AdaptiveNatKeepalive adaptive)
    {
        if (_disposed != 0) return;
        var interval = adaptive.Interval;
        var silent = Environment.TickCount64 - Volatile.Read(ref _lastSend) >= (long)interval.TotalMilliseconds - 50;
        SendKeepaliveIfIdle(interval);
        var now = Counters.Snapshot();
        var before = _lastKeepalivePeriod;
        _lastKeepalivePeriod = now;
        // Heard from the gateway in a period we were silent through (the keepalive was due): the binding outlived our silence.
        var heardWhileSilent = silent && before is not null
            && now.PacketsReceived + now.KeepalivesReceived + now.IkeMessagesReceived
               > before.PacketsReceived + before.KeepalivesReceived + before.IkeMessagesReceived;
        var next = adaptive.PeriodEnded(heardWhileSilent);
        try { _keepaliveTimer?.Change(next, Timeout.InfiniteTimeSpan); }
        catch (ObjectDisposedException) { }
    }

    /// <summary>Attaches the TUN side and starts the outbound thread. Only one interface per pump.</summary>
    public void AttachInterface(IVpnInterface tun)
    {
        ArgumentNullException.ThrowIfNull(tun);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (Interlocked.CompareExchange(ref _tun, tun, null) != null) throw new InvalidOperationException("an interface is already attached");
        _outboundThread = new Thread(() => OutboundLoop(tun)) { IsBackground = true, Name = "esp-outbound" };
        _outboundThread.Start();
    }

    /// <summary>Adds an inbound (decrypting) SA; it is found by SPI until removed.</summary>
    public void AddInbound(IpSecTransform transform, TrafficSelectorSet local, TrafficSelectorSet remote)
    {
        ArgumentNullException.ThrowIfNull(transform);
        lock (_tableLock)
        {
            if (_inbound.Any(e => e.Transform.Spi == transform.Spi)) throw new InvalidOperationException($"inbound SPI 0x{transform.Spi:x8} already installed");
            _inbound = [.. _inbound, new InboundSa(transform, local, remote)];
        }
    }

    /// <summary>Stops accepting packets for the SPI; returns the transform that was removed (the caller disposes it).</summary>
    public IpSecTransform? RemoveInbound(uint spi)
    {
        lock (_tableLock)
        {
            var hit = _inbound.FirstOrDefault(e => e.Transform.Spi == spi);
            if (hit == null) return null;
            _inbound = _inbound.Where(e => e != hit).ToArray();
            return hit.Transform;
        }
    }

    /// <summary>
    /// Installs an outbound SA. With <paramref name="replaces"/> (rekey) the new SA takes the old one's place at once;
    /// packets already sealed by the old one still go out. Returns the replaced transform (the caller disposes it).
    /// </summary>
    public IpSecTransform? SetOutbound(IpSecTransform transform, TrafficSelectorSet local, TrafficSelectorSet remote, IPEndPoint peer,
        uint? replaces = null)
    {
        ArgumentNullException.ThrowIfNull(transform);
        var entry = new OutboundSa(transform, local, remote, DatagramEndpoint.From(peer), peer);
        lock (_tableLock)
        {
            var list = _outbound.ToList();
            int index = replaces is { } old ? list.FindIndex(e => e.Transform.Spi == old) : -1;
            IpSecTransform? previous = null;
            if (index >= 0)
            {
                previous = list[index].Transform;
                list[index] = entry;
            }
            else list.Add(entry);
            _outbound = list.ToArray();
            return previous;
        }
    }

    /// <summary>Removes an outbound SA by its SPI; returns its transform.</summary>
    public IpSecTransform? RemoveOutbound(uint spi)
    {
        lock (_tableLock)
        {
            var hit = _outbound.FirstOrDefault(e => e.Transform.Spi == spi);
            if (hit == null) return null;
            _outbound = _outbound.Where(e => e != hit).ToArray();
            return hit.Transform;
        }
    }

    private void OutboundLoop(IVpnInterface tun)
    {
        int batchSize = Math.Min(_options.BatchSize, Math.Max(1, tun.BatchSize));
        var batch = new PacketBatch(batchSize, HeadRoom + tun.Mtu + TailRoom);
        var outgoing = new ReadOnlyMemory<byte>[batchSize];
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            int count;
            try { count = tun.ReadPackets(batch.Buffers, batch.Sizes, HeadRoom, token); }
            catch (OperationCanceledException) { return; }
            catch (VpnInterfaceClosedException) { return; }
            catch (ObjectDisposedException) { return; }

            var table = _outbound;
            OutboundSa? current = null;
            int pending = 0, sentPackets = 0;
            long sentBytes = 0;
            for (int i = 0; i < count; i++)
            {
                Memory<byte> slot = batch.Buffers[i];
                int length = batch.Sizes[i];
                OutboundSa? sa = Select(table, slot.Span.Slice(HeadRoom, length), out DropReason why);
                if (sa == null)
                {
                    Counters.Drop(why);
                    continue;
                }
                if (current != null && sa != current && pending > 0)
                {
                    Flush(current, outgoing, pending, token);
                    pending = 0;
                }
                current = sa;
                if (!Seal(sa.Transform, slot.Span, length, out int offset, out int sealedLength))
                {
                    Counters.Drop(DropReason.NoSa);
                    CheckLimits(sa.Transform, sa.Signal);
                    continue;
                }
                sentPackets++;
                sentBytes += length;
                outgoing[pending++] = slot.Slice(offset, sealedLength);
            }
            if (pending > 0) Flush(current!, outgoing, pending, token);
            Counters.Sent(sentPackets, sentBytes);
        }
    }

    private static OutboundSa? Select(OutboundSa[] table, ReadOnlySpan<byte> packet, out DropReason why)
    {
        if (table.Length == 0)
        {
            why = DropReason.NoSa;
            return null;
        }
        if (!PacketHeader.TryParse(packet, out var h))
        {
            why = DropReason.Malformed;
            return null;
        }
        foreach (var sa in table)
        {
            if (sa.Local.Contains(h.V6, h.Source, h.Protocol, h.SourcePort) && sa.Remote.Contains(h.V6, h.Destination, h.Protocol, h.DestinationPort))
            {
                why = default;
                return sa;
            }
        }
        why = DropReason.TrafficSelectorMismatch;
        return null;
    }

    private static bool Seal(IpSecTransform transform, Span<byte> slot, int length, out int offset, out int sealedLength)
    {
        offset = sealedLength = 0;
        lock (transform.SealLock)
        {
            if (transform.IsDisposed) return false;
            return transform.Sa.Seal(slot, HeadRoom, length, out offset, out sealedLength) == EspSealResult.Ok;
        }
    }

    private void Flush(OutboundSa sa, ReadOnlyMemory<byte>[] outgoing, int count, CancellationToken token)
    {
        try
        {
            _udp.SendBatch(outgoing.AsSpan(0, count), sa.Peer, token);
            Volatile.Write(ref _lastSend, Environment.TickCount64);
        }
        catch (VpnPlatformException) { Counters.SendError(count); } // e.g. ICMP unreachable reported on the socket
        catch (OperationCanceledException) { }
        catch (ObjectDisposedException) { }
        CheckLimits(sa.Transform, sa.Signal); // once per run of packets of one SA: a few loads and compares
    }

    /// <summary>Raises <see cref="SaLimitReached"/> when the SA needs a rekey or is expired, rate-limited per SA.</summary>
    private void CheckLimits(IpSecTransform transform, LimitSignal signal)
    {
        bool expired = transform.IsExpired;
        if (!expired && !transform.NeedsRekey) return;
        long now = Environment.TickCount64;
        if (now < signal.NextAt) return;
        signal.NextAt = now + (long)_options.SaLimitRetryInterval.TotalMilliseconds;
        try { SaLimitReached?.Invoke(transform, expired ? SaLimit.Hard : SaLimit.Soft); }
        catch (Exception) { } // a failing handler must not stop the data plane; it is asked again after the interval
    }

    private void InboundLoop()
    {
        bool gro = _options.ReceiveOffload && _udp.EnableReceiveOffload();
        int batchSize = gro ? Math.Max(4, _options.BatchSize / 4) : _options.BatchSize;
        var batch = new PacketBatch(batchSize, gro ? CoalescedDatagramSize : _options.MaxDatagramSize);
        var sources = new DatagramEndpoint[batchSize];
        var segments = new int[batchSize];
        var toTun = new ReadOnlyMemory<byte>[gro ? Math.Max(256, _options.BatchSize) : batchSize];
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            int count;
            try { count = _udp.ReceiveBatch(batch.Buffers, batch.Sizes, segments, sources, 0, token); }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (VpnPlatformException) { continue; } // ECONNREFUSED from an ICMP error and the like

            var table = _inbound;
            int ready = 0, receivedPackets = 0;
            long receivedBytes = 0;
            for (int i = 0; i < count; i++)
            {
                Memory<byte> slot = batch.Buffers[i];
                int size = batch.Sizes[i], step = segments[i] > 0 ? segments[i] : size;
                for (int at = 0; at < size; at += step)
                {
                    int length = Math.Min(step, size - at);
                    Span<byte> datagram = slot.Span.Slice(at, length);
                    switch (UdpEncapsulation.Classify(datagram, out int ikeOffset))
                    {
                        case UdpEncapsulatedKind.NatKeepalive:
                            Counters.KeepaliveReceived();
                            break;
                        case UdpEncapsulatedKind.Ike:
                            Counters.IkeReceived();
                            _ikeReceived?.Invoke(datagram[ikeOffset..].ToArray(), sources[i].ToIPEndPoint());
                            break;
                        case UdpEncapsulatedKind.Esp:
                            if (Open(table, datagram, out int innerOffset, out int innerLength))
                            {
                                receivedPackets++;
                                receivedBytes += innerLength;
                                toTun[ready++] = slot.Slice(at + innerOffset, innerLength);
                                if (ready == toTun.Length)
                                {
                                    WriteToTun(toTun, ready);
                                    ready = 0;
                                }
                            }
                            break;
                        default:
                            Counters.Drop(DropReason.Malformed);
                            break;
                    }
                }
            }
            if (ready > 0) WriteToTun(toTun, ready);
            Counters.Received(receivedPackets, receivedBytes);
        }
    }

    private bool Open(InboundSa[] table, Span<byte> packet, out int innerOffset, out int innerLength)
    {
        innerOffset = innerLength = 0;
        uint spi = BinaryPrimitives.ReadUInt32BigEndian(packet);
        InboundSa? sa = null;
        foreach (var e in table)
        {
            if (e.Transform.Spi == spi)
            {
                sa = e;
                break;
            }
        }
        if (sa == null)
        {
            var handler = _unclaimedEsp;
            if (handler == null) Counters.Drop(DropReason.NoSa);
            else if (handler(packet, out int delivered) is { } why) Counters.Drop(why);
            else if (delivered > 0) Counters.Received(delivered);
            return false;
        }
        EspOpenResult result;
        byte nextHeader;
        lock (sa.Transform.OpenLock)
        {
            if (sa.Transform.IsDisposed)
            {
                Counters.Drop(DropReason.NoSa);
                return false;
            }
            result = sa.Transform.Sa.TryOpen(packet, out innerOffset, out innerLength, out nextHeader);
        }
        switch (result)
        {
            case EspOpenResult.Ok:
                break;
            case EspOpenResult.ReplayedOrTooOld:
                Counters.Drop(DropReason.Replay);
                return false;
            case EspOpenResult.AuthenticationFailed:
                Counters.Drop(DropReason.AuthenticationFailed);
                return false;
            case EspOpenResult.UnknownSpi:
                Counters.Drop(DropReason.NoSa);
                return false;
            case EspOpenResult.LifetimeExpired:
                Counters.Drop(DropReason.NoSa);
                CheckLimits(sa.Transform, sa.Signal);
                return false;
            default:
                Counters.Drop(DropReason.Malformed);
                return false;
        }
        if (sa.Limited) CheckLimits(sa.Transform, sa.Signal);
        if (nextHeader == EspSa.NextHeaderNone) return false; // dummy packet (RFC 4303 §2.6): authenticated, silently dropped
        ReadOnlySpan<byte> inner = packet.Slice(innerOffset, innerLength);
        if (!PacketHeader.TryParse(inner, out var h))
        {
            Counters.Drop(DropReason.Malformed);
            return false;
        }
        if (!sa.Remote.Contains(h.V6, h.Source, h.Protocol, h.SourcePort) || !sa.Local.Contains(h.V6, h.Destination, h.Protocol, h.DestinationPort))
        {
            Counters.Drop(DropReason.TrafficSelectorMismatch);
            return false;
        }
        return true; // counted by the caller, once per batch
    }

    private void WriteToTun(ReadOnlyMemory<byte>[] packets, int count)
    {
        var tun = _tun;
        if (tun == null)
        {
            for (int i = 0; i < count; i++) Counters.Drop(DropReason.NoSa);
            return;
        }
        try { tun.WritePackets(packets.AsSpan(0, count)); }
        catch (VpnInterfaceClosedException) { }
        catch (ObjectDisposedException) { }
    }

    private void SendKeepaliveIfIdle(TimeSpan interval)
    {
        if (_disposed != 0) return;
        if (Environment.TickCount64 - Volatile.Read(ref _lastSend) < (long)interval.TotalMilliseconds - 50) return;
        var table = _outbound;
        var peer = table.Length > 0 ? table[0].PeerEndPoint : _keepalivePeer;
        if (peer == null) return;
        try
        {
            _socket.SendTo(_keepalive, SocketFlags.None, peer);
            Counters.KeepaliveSent();
            Volatile.Write(ref _lastSend, Environment.TickCount64);
        }
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

    /// <summary>Stops both threads and the keepalive timer (the socket, interface and transforms stay open).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _keepaliveTimer?.Dispose();
        _stop.Cancel();
        _udp.Dispose();
        if (_inboundThread != null && Thread.CurrentThread != _inboundThread) _inboundThread.Join(TimeSpan.FromSeconds(5));
        if (_outboundThread != null && Thread.CurrentThread != _outboundThread) _outboundThread.Join(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }

    private sealed record OutboundSa(IpSecTransform Transform, TrafficSelectorSet Local, TrafficSelectorSet Remote, DatagramEndpoint Peer, IPEndPoint PeerEndPoint)
    {
        /// <summary>Written by the outbound thread only.</summary>
        public LimitSignal Signal { get; } = new();
    }

    private sealed record InboundSa(IpSecTransform Transform, TrafficSelectorSet Local, TrafficSelectorSet Remote)
    {
        /// <summary>Written by the inbound thread only.</summary>
        public LimitSignal Signal { get; } = new();

        /// <summary>Byte/packet limits are set, so opened packets are checked against them (inbound SAs have no sequence limit).</summary>
        public bool Limited { get; } = Transform.Lifetime.HasSoftLimit || Transform.Lifetime.HasHardLimit;
    }

    /// <summary>When an SA's limit may be reported again (Environment.TickCount64 milliseconds).</summary>
    private sealed class LimitSignal
    {
        public long NextAt;
    }
}

/// <summary>Which limit of an SA <see cref="PacketPump.SaLimitReached"/> reports.</summary>
public enum SaLimit
{
    /// <summary>Rekey now: the sequence space nears exhaustion or a soft byte/packet limit was reached; the SA still works.</summary>
    Soft,
    /// <summary>A hard byte/packet limit was reached: the SA seals and opens nothing more; delete it.</summary>
    Hard,
}
