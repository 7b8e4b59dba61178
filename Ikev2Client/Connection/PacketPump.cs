using System.Net;
using Ikev2Client.Platform;
using Ikev2Client.Platform.Net;
using Ikev2Client.Platform.Userspace;
using Ikev2Client.Protocol.Esp;

namespace Ikev2Client.Connection;

/// <summary>
/// The userspace ESP data plane (the VpnService TUN fallback) on a <see cref="NatTSocket"/>, which owns the socket:
/// <list type="bullet">
/// <item>outbound — one dedicated thread: TUN batch read (at an offset that leaves room for the ESP header) →
/// traffic-selector check → ESP seal in place → <see cref="NatTSocket.SendEspBatch"/> (sendmmsg, UDP GSO) to the peer's
/// NAT-T port. It is the only thread that seals, so it alone owns each outbound SA's sequence counter;</item>
/// <item>inbound — each inbound SA is registered in the socket's SPI table; the socket's receive thread, which
/// classified the datagram as ESP of that SA, runs the open stage here: replay check, ICV, decrypt (EspSa.TryOpen) →
/// inner traffic-selector check → batched TUN write at the end of the receive batch.</item>
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

    private readonly NatTSocket _socket;
    private readonly PacketPumpOptions _options;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _tableLock = new();
    private volatile OutboundSa[] _outbound = [];
    private volatile InboundSa[] _inbound = [];
    private volatile IVpnInterface? _tun;
    private readonly ReadOnlyMemory<byte>[] _toTun;
    private int _ready, _receivedPackets;
    private long _receivedBytes;
    private Thread? _outboundThread;
    private int _disposed;

    /// <summary>A pump on <paramref name="socket"/> (which keeps receiving; the pump registers its inbound SAs there).</summary>
    public PacketPump(NatTSocket socket, PacketPumpOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        _socket = socket;
        _options = options ?? new PacketPumpOptions();
        _toTun = new ReadOnlyMemory<byte>[Math.Max(256, _options.BatchSize)];
    }

    /// <summary>Traffic and drop counters (the socket's: IKE, keepalives and drops before an SA was found count there too).</summary>
    public DataPlaneCounters Counters => _socket.Counters;

    /// <summary>The NAT-T socket the pump sends on and receives from.</summary>
    public NatTSocket Socket => _socket;

    /// <summary>
    /// An installed SA reached a limit: <see cref="SaLimit.Soft"/> when it needs a CHILD SA rekey (its outbound sequence
    /// number passed 2^32 − 2^20 without ESN, or a soft byte/packet limit, <see cref="IpSecTransform.NeedsRekey"/>),
    /// <see cref="SaLimit.Hard"/> when a hard byte/packet limit stops it (<see cref="IpSecTransform.IsExpired"/>).
    /// Raised on the data-plane thread that noticed it, at most once per <see cref="PacketPumpOptions.SaLimitRetryInterval"/>
    /// per SA while the limit stays reached and the SA stays installed (so a rekey that failed is asked for again);
    /// handlers must return at once (e.g. post to the connection's loop).
    /// </summary>
    public event Action<IpSecTransform, SaLimit>? SaLimitReached;

    /// <summary>The interface attached with <see cref="AttachInterface"/>, if any.</summary>
    public IVpnInterface? Interface => _tun;

    /// <summary>Inbound SPIs currently accepted.</summary>
    public IReadOnlyList<uint> InboundSpis => _inbound.Select(e => e.Transform.Spi).ToArray();

    /// <summary>Outbound SPIs currently used, in selection order.</summary>
    public IReadOnlyList<uint> OutboundSpis => _outbound.Select(e => e.Transform.Spi).ToArray();

    /// <summary>Starts the socket's receive thread if it is not running yet (IKE on the socket flows from now on).</summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        _socket.Start();
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

    /// <summary>Adds an inbound (decrypting) SA; the socket hands it its ESP by SPI until it is removed.</summary>
    public void AddInbound(IpSecTransform transform, TrafficSelectorSet local, TrafficSelectorSet remote)
    {
        ArgumentNullException.ThrowIfNull(transform);
        lock (_tableLock)
        {
            if (_inbound.Any(e => e.Transform.Spi == transform.Spi)) throw new InvalidOperationException($"inbound SPI 0x{transform.Spi:x8} already installed");
            var sa = new InboundSa(this, transform, local, remote);
            _socket.AddEspReceiver(transform.Spi, sa);
            _inbound = [.. _inbound, sa];
        }
    }

    /// <summary>Stops accepting packets for the SPI; returns the transform that was removed (the caller disposes it).</summary>
    public IpSecTransform? RemoveInbound(uint spi)
    {
        lock (_tableLock)
        {
            var hit = _inbound.FirstOrDefault(e => e.Transform.Spi == spi);
            if (hit == null) return null;
            _socket.RemoveEspReceiver(spi, hit);
            _inbound = _inbound.Where(e => e != hit).ToArray();
            return hit.Transform;
        }
    }

    /// <summary>
    /// Installs an outbound SA. With <paramref name="replaces"/> (rekey) the new SA takes the old one's place at once;
    /// packets already sealed by the old one still go out. Returns the replaced transform (the caller disposes it). The
    /// first SA's peer gets the socket's keepalives.
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
            _socket.KeepalivePeer = _outbound[0].PeerEndPoint;
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
                bool sealedOk = Seal(sa.Transform, slot.Span, length, out int offset, out int sealedLength);
                if (!sealedOk && sa.Transform.IsDisposed && _outbound is var now && !ReferenceEquals(now, table))
                {
                    // A rekey replaced this SA (and its owner disposed it) while this batch was read with the old
                    // table: the packet goes out on the SA that took over instead of being lost.
                    table = now;
                    if (Select(table, slot.Span.Slice(HeadRoom, length), out why) is { } successor)
                    {
                        if (successor != current && pending > 0)
                        {
                            Flush(current, outgoing, pending, token);
                            pending = 0;
                        }
                        current = sa = successor;
                        sealedOk = Seal(sa.Transform, slot.Span, length, out offset, out sealedLength);
                    }
                }
                if (!sealedOk)
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
            _socket.SendEspBatch(outgoing.AsSpan(0, count), sa.Peer, token);
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

    /// <summary>The inbound stage, on the socket's receive thread: open one ESP datagram of <paramref name="sa"/> and queue it for the TUN.</summary>
    private void Receive(InboundSa sa, Memory<byte> datagram)
    {
        if (!Open(sa, datagram.Span, out int innerOffset, out int innerLength)) return;
        _receivedPackets++;
        _receivedBytes += innerLength;
        _toTun[_ready++] = datagram.Slice(innerOffset, innerLength);
        if (_ready == _toTun.Length) EndBatch();
    }

    /// <summary>End of a receive batch: the queued packets go to the TUN in one call, the counters are published once.</summary>
    private void EndBatch()
    {
        if (_ready > 0) WriteToTun(_toTun, _ready);
        _ready = 0;
        Counters.Received(_receivedPackets, _receivedBytes);
        _receivedPackets = 0;
        _receivedBytes = 0;
    }

    private bool Open(InboundSa sa, Span<byte> packet, out int innerOffset, out int innerLength)
    {
        innerOffset = innerLength = 0;
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

    /// <summary>Unregisters the inbound SAs from the socket and stops the outbound thread (socket, interface and transforms stay open).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        lock (_tableLock)
        {
            foreach (var sa in _inbound) _socket.RemoveEspReceiver(sa.Transform.Spi, sa);
            _inbound = [];
        }
        _stop.Cancel();
        if (_outboundThread != null && Thread.CurrentThread != _outboundThread) _outboundThread.Join(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }

    private sealed record OutboundSa(IpSecTransform Transform, TrafficSelectorSet Local, TrafficSelectorSet Remote, DatagramEndpoint Peer, IPEndPoint PeerEndPoint)
    {
        /// <summary>Written by the outbound thread only.</summary>
        public LimitSignal Signal { get; } = new();
    }

    /// <summary>An inbound SA as the socket's SPI table holds it: the socket hands it its datagrams.</summary>
    private sealed record InboundSa(PacketPump Pump, IpSecTransform Transform, TrafficSelectorSet Local, TrafficSelectorSet Remote) : IEspReceiver
    {
        /// <summary>Written by the receive thread only.</summary>
        public LimitSignal Signal { get; } = new();

        public void Receive(Memory<byte> datagram) => Pump.Receive(this, datagram);

        public void EndBatch() => Pump.EndBatch();

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
