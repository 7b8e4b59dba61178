using System.Net.Sockets;
using Ikev2Client.Platform.Linux.Offload;
using Microsoft.Win32.SafeHandles;

namespace Ikev2Client.Platform.Linux;

/// <summary>
/// A Linux TUN device (IFF_TUN | IFF_NO_PI, non-blocking) established by <see cref="LinuxVpnInterfaceBuilder"/>.
/// Reads wait in poll(2) next to an eventfd, so cancellation and <see cref="Dispose"/> wake a blocked reader at
/// once, and every wake-up drains up to a batch of queued packets. Dispose removes the rules and routes and closes
/// the fd, which removes the (non-persistent) device.
/// With <see cref="LinuxVpnOptions.Offload"/> (IFF_VNET_HDR + TUNSETOFFLOAD) one read may return a 64 KB TCP
/// super-segment, which is cut into MTU-sized packets here (<see cref="TcpSegmenter"/>, carried over between calls
/// when the batch is full), and runs of TCP segments written are merged into super-segments
/// (<see cref="TcpCoalescer"/>): far fewer system calls and far fewer trips through the kernel's stack.
/// </summary>
public sealed unsafe class LinuxTunInterface : IVpnInterface
{
    /// <summary>Packets drained per wake-up by default.</summary>
    public const int DefaultBatchSize = 64;

    private readonly SafeFileHandle _tun;
    private readonly RtNetlink _netlink;
    private readonly LinuxNetworkState _state;
    private readonly LinuxVpnOptions _options;
    private readonly CancellableWaiter _readWaiter = new();
    private readonly CancellableWaiter _writeWaiter = new();
    private readonly CancellationTokenSource _closed = new();
    private readonly object _disposeGate = new();
    private const int OffloadBufferSize = 128 * 1024;
    private readonly bool _vnetHeader;
    private readonly byte[]? _readBuffer;
    private readonly byte[]? _writeBuffer;
    private TcpSegmenter.Plan _pending;
    private int _pendingLength;
    private int _pendingNext;
    private long _droppedWrites;
    private long _droppedReads;
    private volatile bool _isClosed;
    private bool _disposed;

    internal LinuxTunInterface(SafeFileHandle tun, string name, int ifIndex, RtNetlink netlink, LinuxNetworkState state,
        LinuxVpnOptions options, VpnInterfaceConfiguration configuration, bool vnetHeader = false)
    {
        _vnetHeader = vnetHeader;
        if (vnetHeader)
        {
            _readBuffer = GC.AllocateUninitializedArray<byte>(OffloadBufferSize, pinned: true);
            _writeBuffer = GC.AllocateUninitializedArray<byte>(OffloadBufferSize, pinned: true);
        }
        _tun = tun;
        Name = name;
        InterfaceIndex = ifIndex;
        _netlink = netlink;
        _state = state;
        _options = options;
        Configuration = configuration;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The kernel's interface index.</summary>
    public int InterfaceIndex { get; }

    /// <inheritdoc />
    public int Mtu => Configuration.Mtu;

    /// <inheritdoc />
    public int BatchSize => DefaultBatchSize;

    /// <inheritdoc />
    public VpnInterfaceConfiguration Configuration { get; }

    /// <inheritdoc />
    public bool IsClosed => _isClosed;

    /// <inheritdoc />
    public CancellationToken Closed => _closed.Token;

    /// <summary>Packets the kernel refused in <see cref="WritePackets"/> (malformed IP).</summary>
    public long DroppedWrites => Interlocked.Read(ref _droppedWrites);

    /// <summary>Packets read that could not be delivered (malformed offload metadata, oversized segments).</summary>
    public long DroppedReads => Interlocked.Read(ref _droppedReads);

    /// <summary>True when the device carries virtio-net headers (segmentation/checksum offload in use).</summary>
    public bool UsesOffload => _vnetHeader;

    /// <summary>The mark <see cref="Protect"/> applies.</summary>
    public uint FwMark => _options.FwMark;

    /// <inheritdoc />
    public int ReadPackets(ReadOnlySpan<Memory<byte>> buffers, Span<int> sizes, int offset, CancellationToken cancellationToken)
    {
        var max = Math.Min(buffers.Length, sizes.Length);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (max == 0) return 0;
        var added = false;
        try
        {
            AddRef(ref added);
            var fd = (int)_tun.DangerousGetHandle();
            var count = 0;
            while (true)
            {
                while (count < max)
                {
                    var span = buffers[count].Span;
                    if (span.Length <= offset) throw new ArgumentException($"buffer {count} has no room after offset {offset}", nameof(buffers));
                    span = span[offset..];
                    if (_vnetHeader && _pendingNext < _pending.Count)
                    {
                        int size = NextSegment(span);
                        if (size > 0) sizes[count++] = size;
                        continue;
                    }
                    nint n;
                    if (_vnetHeader)
                    {
                        fixed (byte* p = _readBuffer) n = Libc.Read(fd, p, (nuint)_readBuffer!.Length);
                        if (n > 0)
                        {
                            int size = AcceptOffloaded((int)n, span);
                            if (size > 0) sizes[count++] = size;
                            continue;
                        }
                    }
                    else
                    {
                        fixed (byte* p = span) n = Libc.Read(fd, p, (nuint)span.Length);
                        if (n > 0)
                        {
                            sizes[count++] = (int)n;
                            continue;
                        }
                    }
                    var errno = n == 0 ? Libc.EBADFD : Libc.Errno;
                    if (errno == Libc.EINTR) continue;
                    if (errno == Libc.EAGAIN) break;
                    if (count > 0) return count; // report the error on the next call
                    throw Fail("read", errno);
                }
                if (count > 0 || !Configuration.Blocking) return count;
                if (!_readWaiter.Wait(fd, Libc.POLLIN, cancellationToken)) throw new VpnInterfaceClosedException(Name);
            }
        }
        finally
        {
            if (added) _tun.DangerousRelease();
        }
    }

    /// <inheritdoc />
    public int WritePackets(ReadOnlySpan<ReadOnlyMemory<byte>> packets)
    {
        var added = false;
        try
        {
            AddRef(ref added);
            var fd = (int)_tun.DangerousGetHandle();
            var accepted = 0;
            if (!_vnetHeader)
            {
                for (var i = 0; i < packets.Length; i++)
                {
                    fixed (byte* p = packets[i].Span)
                    {
                        var iov = new Libc.IoVec { Base = p, Length = (nuint)packets[i].Length };
                        if (WriteOne(fd, &iov, 1)) accepted++;
                    }
                }
                return accepted;
            }
            var header = stackalloc byte[VirtioNetHeader.Size];
            new Span<byte>(header, VirtioNetHeader.Size).Clear();
            var pair = stackalloc Libc.IoVec[2];
            for (var i = 0; i < packets.Length;)
            {
                var used = TcpCoalescer.Coalesce(packets, i, _writeBuffer, out var written);
                if (used >= 2)
                {
                    fixed (byte* p = _writeBuffer)
                    {
                        var iov = new Libc.IoVec { Base = p, Length = (nuint)written };
                        if (WriteOne(fd, &iov, 1)) accepted += used;
                    }
                }
                else
                {
                    fixed (byte* p = packets[i].Span)
                    {
                        pair[0] = new Libc.IoVec { Base = header, Length = VirtioNetHeader.Size };
                        pair[1] = new Libc.IoVec { Base = p, Length = (nuint)packets[i].Length };
                        if (WriteOne(fd, pair, 2)) accepted++;
                    }
                }
                i += used;
            }
            return accepted;
        }
        finally
        {
            if (added) _tun.DangerousRelease();
        }
    }

    /// <summary>One writev; waits on EAGAIN; false (counted) when the kernel rejects the packet as malformed.</summary>
    private bool WriteOne(int fd, Libc.IoVec* iov, int count)
    {
        while (true)
        {
            var n = Libc.Writev(fd, iov, count);
            if (n >= 0) return true;
            var errno = Libc.Errno;
            if (errno == Libc.EINTR) continue;
            if (errno == Libc.EAGAIN)
            {
                if (!_writeWaiter.Wait(fd, Libc.POLLOUT, CancellationToken.None)) throw new VpnInterfaceClosedException(Name);
                continue;
            }
            if (errno is Libc.EINVAL or Libc.EIO or 14 /* EFAULT */ or 90 /* EMSGSIZE */)
            {
                Interlocked.Increment(ref _droppedWrites);
                return false;
            }
            throw Fail("write", errno);
        }
    }

    /// <summary>Takes a packet just read into the offload buffer: plain packets are copied out, TSO ones planned.</summary>
    private int AcceptOffloaded(int n, Span<byte> destination)
    {
        var raw = _readBuffer.AsSpan(0, n);
        if (n <= VirtioNetHeader.Size) return Dropped();
        var header = VirtioNetHeader.Read(raw);
        var packet = raw[VirtioNetHeader.Size..];
        if (header.GsoType == VirtioNetHeader.GsoNone)
        {
            if (packet.Length > destination.Length) return Dropped();
            var copy = destination[..packet.Length];
            packet.CopyTo(copy);
            return TcpSegmenter.CompleteChecksum(copy, header) ? packet.Length : Dropped();
        }
        if (!TcpSegmenter.TryPlan(packet, header, out var plan) || plan.HeaderLength + plan.GsoSize > Mtu) return Dropped();
        _pending = plan;
        _pendingLength = n;
        _pendingNext = 0;
        return NextSegment(destination);
    }

    private int NextSegment(Span<byte> destination)
    {
        var packet = _readBuffer.AsSpan(VirtioNetHeader.Size, _pendingLength - VirtioNetHeader.Size);
        var size = TcpSegmenter.WriteSegment(packet, _pending, _pendingNext++, destination);
        if (size > 0) return size;
        _pendingNext = _pending.Count; // the caller's buffers are too small: drop the rest
        return Dropped();
    }

    private int Dropped()
    {
        Interlocked.Increment(ref _droppedReads);
        return 0;
    }

    /// <summary>
    /// Puts <see cref="LinuxVpnOptions.FwMark"/> on the socket (SO_MARK). The policy rule sends only unmarked
    /// traffic to the tunnel table, so the socket keeps using the main table whatever the tunnel routes.
    /// Returns false when the kernel refuses (no CAP_NET_ADMIN).
    /// </summary>
    public bool Protect(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        Span<byte> mark = stackalloc byte[4];
        BitConverter.TryWriteBytes(mark, _options.FwMark);
        try
        {
            socket.SetRawSocketOption(Libc.SOL_SOCKET, Libc.SO_MARK, mark);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Reverts DNS, removes rules and routes, closes the device and deletes the state file.</summary>
    public void Dispose()
    {
        lock (_disposeGate)
        {
            if (_disposed) return;
            _disposed = true;
        }
        MarkClosed();
        List<Exception>? errors = null;
        // DNS first, while the link still exists (systemd-resolved's RevertLink names it by index).
        try { _options.Dns?.Revert(); }
        catch (Exception e) when (e is IOException or VpnPlatformException) { (errors ??= []).Add(e); }
        try
        {
            LinuxNetworkCleanup.Remove(_netlink, _state.Resources, keepDevice: Name, keep: _state.HeldByAnotherLiveOwner);
        }
        catch (NetlinkException e) { (errors ??= []).Add(e); }
        _tun.Dispose();
        _netlink.Dispose();
        _readWaiter.Dispose();
        _writeWaiter.Dispose();
        if (errors == null) _state.Delete(); // keep the record when something could not be removed
        if (_options.Logger is { } log)
        {
            if (errors == null) PlatformLog.InterfaceRemoved(log, Name);
            else PlatformLog.InterfaceCleanupIncomplete(log, Name, errors.Count);
        }
        if (errors != null) throw new AggregateException($"cleanup of {Name} was incomplete", errors);
    }

    /// <summary>
    /// Test hook that behaves like a killed process: the fd closes (the kernel drops the device and its routes)
    /// but rules, throw routes and the state file stay for <see cref="LinuxNetworkCleanup.CleanupStale"/>.
    /// </summary>
    internal void AbandonLikeCrash()
    {
        lock (_disposeGate) _disposed = true;
        MarkClosed();
        _tun.Dispose();
        _netlink.Dispose();
        _readWaiter.Dispose();
        _writeWaiter.Dispose();
    }

    private void MarkClosed()
    {
        if (_isClosed) return;
        _isClosed = true;
        _readWaiter.Close();
        _writeWaiter.Close();
        try { _closed.Cancel(); } catch (ObjectDisposedException) { }
    }

    private void AddRef(ref bool added)
    {
        if (_isClosed) throw new VpnInterfaceClosedException(Name);
        try { _tun.DangerousAddRef(ref added); }
        catch (ObjectDisposedException) { throw new VpnInterfaceClosedException(Name); }
    }

    private Exception Fail(string op, int errno)
    {
        if (errno is Libc.EBADFD or Libc.ENODEV or 9 /* EBADF */)
        {
            MarkClosed();
            return new VpnInterfaceClosedException(Name);
        }
        return new VpnPlatformException($"{op} on {Name} failed: {Libc.Describe(errno)}", errno);
    }
}
