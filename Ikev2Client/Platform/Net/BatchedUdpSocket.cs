using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Ikev2Client.Platform.Linux;

namespace Ikev2Client.Platform.Net;

/// <summary>
/// Batched datagram I/O over a bound UDP <see cref="System.Net.Sockets.Socket"/>: on 64-bit Linux one
/// recvmmsg/sendmmsg system call moves up to <see cref="BatchSize"/> datagrams; elsewhere it falls back to one
/// ReceiveFrom/SendTo per datagram with the same API. The message headers, iovecs and socket addresses live in
/// native memory allocated once, and sources come back as <see cref="DatagramEndpoint"/> values, so a batch
/// allocates nothing per packet. Waiting is poll(2) next to an eventfd: cancellation and Dispose wake it at once.
/// One receiving thread and one sending thread may use an instance at the same time. The socket stays owned by
/// the caller (who binds it and, for a VPN, protects it).
/// </summary>
public sealed unsafe class BatchedUdpSocket : IDisposable
{
    private const int SockAddrSlot = 32; // sockaddr_in6 is 28 bytes
    private const int SolUdp = 17, UdpSegment = 103, UdpGro = 104;
    private const int CmsgSlot = 24; // CMSG_SPACE(sizeof(u16)) on LP64: 16-byte cmsghdr + data padded to 8
    private const int MaxGsoSegments = 64, MaxGsoBytes = 65000;

    private readonly bool _native;
    private readonly bool _ipv6Socket;
    private readonly Side _receive;
    private readonly Side _send;
    private volatile bool _gso;
    private bool _gro;
    private int _users;
    private volatile bool _disposed;

    /// <summary>Wraps <paramref name="socket"/> (a bound UDP socket) for batches of up to <paramref name="batchSize"/>.</summary>
    public BatchedUdpSocket(Socket socket, int batchSize = 64) : this(socket, batchSize, forceFallback: false) { }

    internal BatchedUdpSocket(Socket socket, int batchSize, bool forceFallback)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(batchSize, 1024);
        if (socket.SocketType != SocketType.Dgram) throw new ArgumentException("a datagram socket is required", nameof(socket));
        Socket = socket;
        BatchSize = batchSize;
        _ipv6Socket = socket.AddressFamily == AddressFamily.InterNetworkV6;
        _native = !forceFallback && OperatingSystem.IsLinux() && Environment.Is64BitProcess && BitConverter.IsLittleEndian;
        _receive = new Side(batchSize, _native);
        _send = new Side(batchSize, _native);
        _gso = _native && ProbeSegmentation(socket);
    }

    /// <summary>
    /// Asks the kernel for UDP receive coalescing (UDP_GRO, Linux 5.0+): one received "datagram" may then be a run of
    /// same-sized datagrams of one flow, each <c>segmentSizes[i]</c> long (the last may be shorter). Callers must use
    /// the <see cref="ReceiveBatch(ReadOnlySpan{Memory{byte}}, Span{int}, Span{int}, Span{DatagramEndpoint}, int, CancellationToken)"/>
    /// overload and buffers of at least 65535 bytes. Returns false (nothing changed) where unsupported.
    /// </summary>
    public bool EnableReceiveOffload()
    {
        if (!_native) return false;
        Span<byte> one = stackalloc byte[4];
        BitConverter.TryWriteBytes(one, 1);
        try { Socket.SetRawSocketOption(SolUdp, UdpGro, one); }
        catch (SocketException) { return false; }
        _gro = true;
        return true;
    }

    /// <summary>True once <see cref="EnableReceiveOffload"/> succeeded.</summary>
    public bool UsesReceiveOffload => _gro;

    private static bool ProbeSegmentation(Socket socket)
    {
        Span<byte> value = stackalloc byte[4];
        try { return socket.GetRawSocketOption(SolUdp, UdpSegment, value) == 4; }
        catch (SocketException) { return false; }
    }

    /// <summary>
    /// True while sends use UDP generic segmentation offload (UDP_SEGMENT, Linux 4.18+): a run of equal-sized
    /// datagrams (the last may be shorter) leaves in one message and crosses the stack once. Turned off for good
    /// the first time the kernel refuses it.
    /// </summary>
    public bool UsesSegmentationOffload
    {
        get => _gso;
        init => _gso = value && _native && ProbeSegmentation(Socket);
    }

    /// <summary>The wrapped socket.</summary>
    public Socket Socket { get; }

    /// <summary>Most datagrams one call moves.</summary>
    public int BatchSize { get; }

    /// <summary>True when recvmmsg/sendmmsg are used (64-bit Linux), false on the portable fallback.</summary>
    public bool UsesMultiMessageCalls => _native;

    /// <summary>
    /// Waits for at least one datagram, then receives as many as are queued up to the batch. Datagram i lands at
    /// <c>buffers[i].Span[offset..]</c>, its length in <c>sizes[i]</c> (truncated to the room left if larger), its
    /// source in <c>sources[i]</c>.
    /// </summary>
    /// <returns>The number of datagrams received (at least 1).</returns>
    /// <exception cref="OperationCanceledException">the token was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">this instance was disposed.</exception>
    public int ReceiveBatch(ReadOnlySpan<Memory<byte>> buffers, Span<int> sizes, Span<DatagramEndpoint> sources, int offset,
        CancellationToken cancellationToken)
    {
        if (_gro) throw new InvalidOperationException("receive offload is on: use the overload with segment sizes");
        return ReceiveBatch(buffers, sizes, default, sources, offset, cancellationToken);
    }

    /// <summary>
    /// As <see cref="ReceiveBatch(ReadOnlySpan{Memory{byte}}, Span{int}, Span{DatagramEndpoint}, int, CancellationToken)"/>,
    /// and with receive offload on, <c>segmentSizes[i]</c> is the size of the datagrams coalesced into entry i (equal to
    /// <c>sizes[i]</c> for a single datagram).
    /// </summary>
    public int ReceiveBatch(ReadOnlySpan<Memory<byte>> buffers, Span<int> sizes, Span<int> segmentSizes, Span<DatagramEndpoint> sources,
        int offset, CancellationToken cancellationToken)
    {
        if (!segmentSizes.IsEmpty) buffers = buffers[..Math.Min(buffers.Length, segmentSizes.Length)];
        var max = Math.Min(Math.Min(buffers.Length, sizes.Length), Math.Min(sources.Length, BatchSize));
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (max == 0) return 0;
        Enter();
        try
        {
            var count = _native
                ? ReceiveNative(buffers[..max], sizes, segmentSizes, sources, offset, cancellationToken)
                : ReceiveFallback(buffers[..max], sizes, sources, offset, cancellationToken);
            if (!_native && !segmentSizes.IsEmpty) sizes[..count].CopyTo(segmentSizes);
            return count;
        }
        finally { Exit(); }
    }

    /// <summary>Sends every datagram in <paramref name="datagrams"/> to <paramref name="destination"/>, in order.</summary>
    /// <returns>The number sent (all of them unless an exception is thrown).</returns>
    /// <exception cref="VpnPlatformException">the system refused a datagram (errno in ErrorCode).</exception>
    public int SendBatch(ReadOnlySpan<ReadOnlyMemory<byte>> datagrams, in DatagramEndpoint destination, CancellationToken cancellationToken)
    {
        if (destination.AddressLength == 0) throw new ArgumentException("destination is empty", nameof(destination));
        if (datagrams.IsEmpty) return 0;
        Enter();
        try
        {
            var sent = 0;
            while (sent < datagrams.Length)
            {
                var chunk = datagrams.Slice(sent, Math.Min(BatchSize, datagrams.Length - sent));
                sent += _native ? SendNative(chunk, destination, cancellationToken) : SendFallback(chunk, destination);
            }
            return sent;
        }
        finally { Exit(); }
    }

    private int ReceiveNative(ReadOnlySpan<Memory<byte>> buffers, Span<int> sizes, Span<int> segmentSizes, Span<DatagramEndpoint> sources, int offset,
        CancellationToken cancellationToken)
    {
        var s = _receive;
        var n = buffers.Length;
        try
        {
            for (var i = 0; i < n; i++)
            {
                if (buffers[i].Length <= offset) throw new ArgumentException($"buffer {i} has no room after offset {offset}", nameof(buffers));
                s.Pins[i] = buffers[i].Pin();
                s.Iov[i] = new Libc.IoVec { Base = (byte*)s.Pins[i].Pointer + offset, Length = (nuint)(buffers[i].Length - offset) };
                s.Msgs[i] = default;
                s.Msgs[i].Header.Name = s.Addrs + i * SockAddrSlot;
                s.Msgs[i].Header.NameLength = SockAddrSlot;
                s.Msgs[i].Header.Iov = s.Iov + i;
                s.Msgs[i].Header.IovLength = 1;
                if (_gro)
                {
                    s.Msgs[i].Header.Control = s.Control + i * CmsgSlot;
                    s.Msgs[i].Header.ControlLength = CmsgSlot;
                }
            }
            var added = false;
            var handle = Socket.SafeHandle;
            try
            {
                handle.DangerousAddRef(ref added);
                var fd = (int)handle.DangerousGetHandle();
                while (true)
                {
                    var r = Libc.RecvMMsg(fd, s.Msgs, (uint)n, Libc.MSG_DONTWAIT, null);
                    if (r > 0)
                    {
                        for (var i = 0; i < r; i++)
                        {
                            sizes[i] = (int)s.Msgs[i].Length;
                            sources[i] = DatagramEndpoint.ReadSockAddr(new ReadOnlySpan<byte>(s.Addrs + i * SockAddrSlot, SockAddrSlot));
                            if (!segmentSizes.IsEmpty) segmentSizes[i] = SegmentSize(s.Msgs[i].Header, sizes[i]);
                        }
                        return r;
                    }
                    var errno = r == 0 ? Libc.EAGAIN : Libc.Errno;
                    if (errno == Libc.EINTR) continue;
                    if (errno != Libc.EAGAIN)
                        throw new VpnPlatformException($"recvmmsg failed: {Libc.Describe(errno)}", errno);
                    if (!s.Waiter!.Wait(fd, Libc.POLLIN, cancellationToken)) throw new ObjectDisposedException(nameof(BatchedUdpSocket));
                }
            }
            finally
            {
                if (added) handle.DangerousRelease();
            }
        }
        finally
        {
            for (var i = 0; i < n; i++) s.Pins[i].Dispose();
        }
    }

    private static int SegmentSize(in Libc.MsgHdr header, int size)
    {
        if (header.Control == null || header.ControlLength < 20) return size;
        var c = (byte*)header.Control;
        if (*(int*)(c + 8) != SolUdp || *(int*)(c + 12) != UdpGro) return size;
        var segment = *(int*)(c + 16);
        return segment > 0 && segment < size ? segment : size;
    }

    private int SendNative(ReadOnlySpan<ReadOnlyMemory<byte>> datagrams, in DatagramEndpoint destination, CancellationToken cancellationToken)
    {
        var s = _send;
        var n = datagrams.Length;
        var addrLen = destination.WriteSockAddr(new Span<byte>(s.Addrs, SockAddrSlot), _ipv6Socket);
        try
        {
            for (var i = 0; i < n; i++)
            {
                s.Pins[i] = datagrams[i].Pin();
                s.Iov[i] = new Libc.IoVec { Base = s.Pins[i].Pointer, Length = (nuint)datagrams[i].Length };
            }
            var added = false;
            var handle = Socket.SafeHandle;
            try
            {
                handle.DangerousAddRef(ref added);
                var fd = (int)handle.DangerousGetHandle();
                var sent = 0;
                var messages = BuildMessages(datagrams, 0, addrLen);
                var first = 0;
                while (first < messages)
                {
                    var r = Libc.SendMMsg(fd, s.Msgs + first, (uint)(messages - first), Libc.MSG_DONTWAIT);
                    if (r > 0)
                    {
                        for (var m = first; m < first + r; m++) sent += (int)s.Msgs[m].Header.IovLength;
                        first += r;
                        continue;
                    }
                    var errno = r == 0 ? Libc.EAGAIN : Libc.Errno;
                    if (errno == Libc.EINTR) continue;
                    if (_gso && errno is Libc.EIO or Libc.EINVAL or 95 /* EOPNOTSUPP */ && s.Msgs[first].Header.IovLength > 1)
                    {
                        _gso = false; // e.g. the egress device cannot checksum: send the rest one datagram per message
                        messages = BuildMessages(datagrams, sent, addrLen);
                        first = 0;
                        continue;
                    }
                    if (errno != Libc.EAGAIN)
                        throw new VpnPlatformException($"sendmmsg to {destination} failed: {Libc.Describe(errno)}", errno);
                    if (!s.Waiter!.Wait(fd, Libc.POLLOUT, cancellationToken)) throw new ObjectDisposedException(nameof(BatchedUdpSocket));
                }
                return sent;
            }
            finally
            {
                if (added) handle.DangerousRelease();
            }
        }
        finally
        {
            for (var i = 0; i < n; i++) s.Pins[i].Dispose();
        }
    }

    /// <summary>
    /// Fills the send message vector from datagram <paramref name="start"/> on: with GSO, each message carries a run of
    /// datagrams of one size (the last may be shorter) as separate iovecs plus a UDP_SEGMENT control message.
    /// Returns the number of messages.
    /// </summary>
    private int BuildMessages(ReadOnlySpan<ReadOnlyMemory<byte>> datagrams, int start, int addrLen)
    {
        var s = _send;
        var gso = _gso;
        var m = 0;
        for (var i = start; i < datagrams.Length; m++)
        {
            var size = datagrams[i].Length;
            var j = i + 1;
            if (gso && size > 0)
            {
                var total = size;
                while (j < datagrams.Length && j - i < MaxGsoSegments)
                {
                    var next = datagrams[j].Length;
                    if (next > size || next == 0 || total + next > MaxGsoBytes) break;
                    total += next;
                    j++;
                    if (next < size) break;
                }
            }
            s.Msgs[m] = default;
            s.Msgs[m].Header.Name = s.Addrs;
            s.Msgs[m].Header.NameLength = (uint)addrLen;
            s.Msgs[m].Header.Iov = s.Iov + i;
            s.Msgs[m].Header.IovLength = (nuint)(j - i);
            if (j - i > 1)
            {
                var c = s.Control + m * CmsgSlot;
                *(ulong*)c = 18; // cmsg_len = CMSG_LEN(2)
                *(int*)(c + 8) = SolUdp;
                *(int*)(c + 12) = UdpSegment;
                *(ushort*)(c + 16) = (ushort)size;
                s.Msgs[m].Header.Control = c;
                s.Msgs[m].Header.ControlLength = CmsgSlot;
            }
            i = j;
        }
        return m;
    }

    private int ReceiveFallback(ReadOnlySpan<Memory<byte>> buffers, Span<int> sizes, Span<DatagramEndpoint> sources, int offset,
        CancellationToken cancellationToken)
    {
        while (!Socket.Poll(TimeSpan.FromMilliseconds(100), SelectMode.SelectRead))
        {
            cancellationToken.ThrowIfCancellationRequested();
            ObjectDisposedException.ThrowIf(_disposed, this);
        }
        var template = _ipv6Socket ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
        var address = _receive.Address ??= new SocketAddress(Socket.AddressFamily);
        var count = 0;
        do
        {
            sizes[count] = Socket.ReceiveFrom(buffers[count].Span[offset..], SocketFlags.None, address);
            sources[count] = DatagramEndpoint.From((IPEndPoint)template.Create(address));
            count++;
        } while (count < buffers.Length && Socket.Available > 0);
        return count;
    }

    private int SendFallback(ReadOnlySpan<ReadOnlyMemory<byte>> datagrams, in DatagramEndpoint destination)
    {
        var ep = destination.ToIPEndPoint();
        if (_ipv6Socket && ep.AddressFamily == AddressFamily.InterNetwork) ep = new IPEndPoint(ep.Address.MapToIPv6(), ep.Port);
        var address = ep.Serialize();
        foreach (var d in datagrams) Socket.SendTo(d.Span, SocketFlags.None, address);
        return datagrams.Length;
    }

    private void Enter()
    {
        Interlocked.Increment(ref _users);
        if (_disposed)
        {
            Interlocked.Decrement(ref _users);
            throw new ObjectDisposedException(nameof(BatchedUdpSocket));
        }
    }

    private void Exit() => Interlocked.Decrement(ref _users);

    /// <summary>Wakes blocked calls (they throw <see cref="ObjectDisposedException"/>) and frees the native memory; the socket stays open.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _receive.Waiter?.Close();
        _send.Waiter?.Close();
        var spin = new SpinWait();
        var deadline = Environment.TickCount64 + 5000;
        while (Volatile.Read(ref _users) > 0 && Environment.TickCount64 < deadline) spin.SpinOnce();
        if (Volatile.Read(ref _users) > 0) return; // a call is stuck elsewhere: leak the buffers rather than corrupt it
        _receive.Dispose();
        _send.Dispose();
    }

    /// <summary>Native message vectors for one direction.</summary>
    private sealed class Side : IDisposable
    {
        public readonly Libc.MMsgHdr* Msgs;
        public readonly Libc.IoVec* Iov;
        public readonly byte* Addrs;
        public readonly byte* Control;
        public readonly MemoryHandle[] Pins;
        public readonly CancellableWaiter? Waiter;
        public SocketAddress? Address;

        public Side(int batch, bool native)
        {
            Pins = new MemoryHandle[batch];
            if (!native) return;
            Msgs = (Libc.MMsgHdr*)NativeMemory.AllocZeroed((nuint)(batch * sizeof(Libc.MMsgHdr)));
            Iov = (Libc.IoVec*)NativeMemory.AllocZeroed((nuint)(batch * sizeof(Libc.IoVec)));
            Addrs = (byte*)NativeMemory.AllocZeroed((nuint)(batch * SockAddrSlot));
            Control = (byte*)NativeMemory.AllocZeroed((nuint)(batch * CmsgSlot));
            Waiter = new CancellableWaiter();
        }

        public void Dispose()
        {
            Waiter?.Dispose();
            NativeMemory.Free(Msgs);
            NativeMemory.Free(Iov);
            NativeMemory.Free(Addrs);
            NativeMemory.Free(Control);
        }
    }
}
