using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Ikev2Client.Protocol;
using Ikev2Client.Protocol.Esp;

namespace Ikev2Client.Platform.Userspace;

/// <summary>
/// <see cref="IIpSecManager"/> in user space: an SPI table, UDP encapsulation sockets (<see cref="NatTSocket"/>), and
/// transport-mode socket wrappers whose send and receive go through the applied SAs (<see cref="GetTransportModeSocket"/>).
/// Needs no privileges. It keeps no SA table of its own: an inbound transform applied to a socket is registered, by
/// SPI, in the table of the encapsulation socket it was built with (the one place ESP is demultiplexed), and its
/// receiver here opens the packet and hands the UDP payload to the socket bound to the inner destination port.
/// </summary>
/// <remarks>
/// Userspace cannot send raw ESP (IP protocol 50), so every transform must use UDP encapsulation on a
/// <see cref="NatTSocket"/> (from <see cref="OpenUdpEncapsulationSocket"/>, or one its owner opened, such as a VPN
/// connection's NAT-T socket shared with IKE). Rekey: a new OUT transform replaces the socket's outbound SA immediately;
/// IN transforms accumulate and each keeps decrypting until it is disposed.
/// </remarks>
public sealed class UserspaceIpSecManager : IIpSecManager, IDisposable
{
    private const int UdpHeaderLength = 8;
    private const byte ProtocolUdp = 17;

    private readonly IRandomSource _random;
    private readonly int _maxSpis;
    private readonly object _spiLock = new();
    private readonly Dictionary<uint, List<IPAddress>> _spis = [];
    private int _spiCount;
    private readonly ConcurrentDictionary<Socket, UserspaceTransportModeSocket> _transportSockets = new();
    private readonly ConcurrentDictionary<int, UserspaceTransportModeSocket> _byLocalPort = new();
    private readonly List<NatTSocket> _encapSockets = [];
    private long _policyDrops;

    /// <summary>Creates a manager; <paramref name="maxSpis"/> bounds the SPI table.</summary>
    public UserspaceIpSecManager(IRandomSource? random = null, int maxSpis = 65536)
    {
        _random = random ?? SystemRandomSource.Instance;
        _maxSpis = maxSpis;
    }

    /// <summary>ESP packets dropped on the encapsulation sockets this manager opened because no inbound SA has their SPI.</summary>
    public long UnknownSpiDrops
    {
        get
        {
            lock (_encapSockets) return _encapSockets.Sum(s => s.Counters.Drops(DropReason.NoSa));
        }
    }

    /// <summary>Decrypted packets dropped because no socket with that SA applied IN wants them.</summary>
    public long PolicyDrops => Interlocked.Read(ref _policyDrops);

    /// <summary>Number of SPIs currently reserved.</summary>
    public int ReservedSpiCount
    {
        get
        {
            lock (_spiLock)
            {
                return _spiCount;
            }
        }
    }

    /// <inheritdoc />
    public SecurityParameterIndex AllocateSecurityParameterIndex(IPAddress destinationAddress, int requestedSpi = 0)
    {
        ArgumentNullException.ThrowIfNull(destinationAddress);
        uint requested = unchecked((uint)requestedSpi);
        if (requested is > 0 and < 256)
        {
            throw new ArgumentOutOfRangeException(nameof(requestedSpi), "SPIs 1..255 are reserved by IANA");
        }

        lock (_spiLock)
        {
            if (_spiCount >= _maxSpis)
            {
                throw new ResourceUnavailableException("no more SPIs can be reserved");
            }

            if (requested != 0)
            {
                if (_spis.TryGetValue(requested, out List<IPAddress>? owners) && owners.Contains(destinationAddress))
                {
                    throw new SpiUnavailableException($"SPI 0x{requested:x8} is already reserved for {destinationAddress}", requestedSpi);
                }

                return Reserve(destinationAddress, requested);
            }

            Span<byte> bytes = stackalloc byte[4];
            for (int attempt = 0; attempt < 1024; attempt++)
            {
                _random.Fill(bytes);
                uint candidate = BinaryPrimitives.ReadUInt32BigEndian(bytes);
                if (candidate >= 256 && !_spis.ContainsKey(candidate))
                {
                    return Reserve(destinationAddress, candidate);
                }
            }

            throw new ResourceUnavailableException("could not find a free SPI");
        }
    }

    private SecurityParameterIndex Reserve(IPAddress destination, uint spi)
    {
        if (!_spis.TryGetValue(spi, out List<IPAddress>? owners))
        {
            owners = [];
            _spis[spi] = owners;
        }

        owners.Add(destination);
        _spiCount++;
        return new SecurityParameterIndex(destination, spi, Release);
    }

    private void Release(SecurityParameterIndex spi)
    {
        lock (_spiLock)
        {
            if (_spis.TryGetValue(spi.Value, out List<IPAddress>? owners) && owners.Remove(spi.DestinationAddress))
            {
                _spiCount--;
                if (owners.Count == 0)
                {
                    _spis.Remove(spi.Value);
                }
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>IPv4, any address; the socket starts receiving at once.</remarks>
    public UdpEncapsulationSocket OpenUdpEncapsulationSocket(int port = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        NatTSocket socket;
        try
        {
            socket = NatTSocket.Open(new IPEndPoint(IPAddress.Any, port), new NatTSocketOptions { KeepaliveInterval = null, SocketBufferBytes = 0 });
        }
        catch (SocketException e)
        {
            throw new ResourceUnavailableException($"cannot bind UDP port {port}: {e.SocketErrorCode}", e);
        }

        lock (_encapSockets)
        {
            _encapSockets.Add(socket);
        }

        return socket;
    }

    /// <inheritdoc />
    public void ApplyTransportModeTransform(Socket socket, PolicyDirection direction, IpSecTransform transform)
    {
        ArgumentNullException.ThrowIfNull(socket);
        RequireUsable(transform, EspMode.Transport);
        if (socket.LocalEndPoint is not IPEndPoint local || socket.SocketType != SocketType.Dgram)
        {
            throw new ArgumentException("userspace transport mode supports bound UDP sockets only", nameof(socket));
        }

        UserspaceTransportModeSocket wrapper = _transportSockets.GetOrAdd(socket, s => new UserspaceTransportModeSocket(this, s, local.Port));
        _byLocalPort[local.Port] = wrapper;
        if (direction == PolicyDirection.Out)
        {
            wrapper.SetOutbound(transform);
            transform.OnClosed(t => wrapper.ClearOutbound(t));
        }
        else
        {
            RegisterInbound(transform);
            wrapper.AddInbound(transform);
            transform.OnClosed(t => wrapper.RemoveInbound(t));
        }
    }

    /// <inheritdoc />
    public void RemoveTransportModeTransforms(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (_transportSockets.TryGetValue(socket, out UserspaceTransportModeSocket? wrapper))
        {
            wrapper.ClearAll();
        }
    }

    /// <summary>
    /// The wrapper through which a socket with applied transforms sends and receives (userspace stand-in for the
    /// kernel applying the policy to the socket itself).
    /// </summary>
    /// <exception cref="InvalidOperationException">No transform was ever applied to the socket.</exception>
    public UserspaceTransportModeSocket GetTransportModeSocket(Socket socket) =>
        _transportSockets.TryGetValue(socket, out UserspaceTransportModeSocket? wrapper)
            ? wrapper
            : throw new InvalidOperationException("no transport-mode transform was applied to this socket");

    private static void RequireUsable(IpSecTransform transform, EspMode mode)
    {
        ArgumentNullException.ThrowIfNull(transform);
        ObjectDisposedException.ThrowIf(transform.IsDisposed, transform);
        if (transform.Mode != mode)
        {
            throw new ArgumentException($"expected a {mode}-mode transform", nameof(transform));
        }

        if (transform.EncapsulationSocket is not NatTSocket)
        {
            throw new NotSupportedException("userspace IPsec needs UDP encapsulation on a userspace NAT-T socket");
        }
    }

    /// <summary>Registers the IN transform, by SPI, in its encapsulation socket's inbound table (once; removed when it is disposed).</summary>
    private void RegisterInbound(IpSecTransform transform)
    {
        var socket = (NatTSocket)transform.EncapsulationSocket!;
        if (socket.EspReceiver(transform.Spi) is TransportModeInbound existing && ReferenceEquals(existing.Transform, transform))
        {
            return;
        }

        var receiver = new TransportModeInbound(this, transform, socket);
        socket.AddEspReceiver(transform.Spi, receiver); // throws when another inbound SA uses the SPI
        transform.OnClosed(t => socket.RemoveEspReceiver(t.Spi, receiver));
    }

    /// <summary>Seals one payload (optionally behind a UDP header) with the transform and sends it.</summary>
    internal ValueTask SealAndSendAsync(IpSecTransform transform, ReadOnlySpan<byte> payload, (int Source, int Destination)? udpPorts, CancellationToken cancellationToken)
    {
        var encap = (NatTSocket)transform.EncapsulationSocket!;
        EspSa sa = transform.Sa;
        int inner = payload.Length + (udpPorts is null ? 0 : UdpHeaderLength);
        byte[] buffer = new byte[sa.HeaderLength + inner + sa.MaxTrailerLength];
        int offset = sa.HeaderLength;
        if (udpPorts is { } ports)
        {
            Span<byte> udp = buffer.AsSpan(offset, UdpHeaderLength);
            BinaryPrimitives.WriteUInt16BigEndian(udp, (ushort)ports.Source);
            BinaryPrimitives.WriteUInt16BigEndian(udp[2..], (ushort)ports.Destination);
            BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)inner);
            payload.CopyTo(buffer.AsSpan(offset + UdpHeaderLength));
            if (transform.SourceAddress.AddressFamily == AddressFamily.InterNetworkV6)
                WriteUdpChecksumV6(buffer.AsSpan(offset, inner), transform.SourceAddress, transform.DestinationAddress);
        }
        else
        {
            payload.CopyTo(buffer.AsSpan(offset));
        }

        EspSealResult result;
        int packetOffset;
        int packetLength;
        lock (transform.SealLock)
        {
            ObjectDisposedException.ThrowIf(transform.IsDisposed, transform);
            result = udpPorts is null
                ? sa.Seal(buffer, offset, inner, out packetOffset, out packetLength)
                : sa.Seal(buffer, offset, inner, ProtocolUdp, out packetOffset, out packetLength);
        }

        if (result != EspSealResult.Ok)
        {
            throw new InvalidOperationException($"ESP seal refused: {result}");
        }

        var remote = new IPEndPoint(transform.DestinationAddress, transform.EncapsulationRemotePort);
        encap.SendEsp(buffer.AsSpan(packetOffset, packetLength), remote, inner);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// IPv6 forbids a zero UDP checksum (RFC 8200 §8.1; IPv4 may leave it zero, RFC 768), so the inner UDP header of
    /// an IPv6 transport-mode packet gets the real one, over the pseudo-header of the SA's addresses.
    /// </summary>
    private static void WriteUdpChecksumV6(Span<byte> udp, IPAddress source, IPAddress destination)
    {
        Span<byte> pseudo = stackalloc byte[40];
        source.TryWriteBytes(pseudo, out _);
        destination.TryWriteBytes(pseudo[16..], out _);
        BinaryPrimitives.WriteUInt32BigEndian(pseudo[32..], (uint)udp.Length);
        BinaryPrimitives.WriteUInt32BigEndian(pseudo[36..], ProtocolUdp);
        udp[6] = udp[7] = 0;
        ulong sum = (ulong)Linux.Offload.InternetChecksum.Sum(pseudo) + Linux.Offload.InternetChecksum.Sum(udp);
        ushort checksum = Linux.Offload.InternetChecksum.Complement(sum);
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], checksum == 0 ? (ushort)0xFFFF : checksum);
    }

    /// <summary>
    /// Opens one ESP datagram of a transport-mode IN transform (on its socket's receive thread) and queues the UDP
    /// payload for the socket bound to the inner destination port that has the transform applied IN.
    /// </summary>
    private EspDelivery Deliver(IpSecTransform transform, Span<byte> packet, out int payloadLength)
    {
        payloadLength = 0;
        EspOpenResult result;
        int offset;
        int length;
        byte nextHeader;
        lock (transform.OpenLock)
        {
            if (transform.IsDisposed)
            {
                return EspDelivery.UnknownSpi;
            }

            result = transform.Sa.TryOpen(packet, out offset, out length, out nextHeader);
        }

        switch (result)
        {
            case EspOpenResult.Ok:
                break;
            case EspOpenResult.ReplayedOrTooOld:
                return EspDelivery.Replay;
            case EspOpenResult.AuthenticationFailed:
                return EspDelivery.AuthenticationFailed;
            case EspOpenResult.UnknownSpi:
                return EspDelivery.UnknownSpi;
            default:
                return EspDelivery.Malformed;
        }

        if (nextHeader == EspSa.NextHeaderNone)
        {
            return EspDelivery.Dummy;
        }

        Span<byte> inner = packet.Slice(offset, length);
        if (nextHeader != ProtocolUdp || inner.Length < UdpHeaderLength)
        {
            Interlocked.Increment(ref _policyDrops);
            return EspDelivery.NotWanted;
        }

        int sourcePort = BinaryPrimitives.ReadUInt16BigEndian(inner);
        int destinationPort = BinaryPrimitives.ReadUInt16BigEndian(inner[2..]);
        if (!_byLocalPort.TryGetValue(destinationPort, out UserspaceTransportModeSocket? wrapper)
            || !wrapper.Accept(transform, inner[UdpHeaderLength..].ToArray(), sourcePort))
        {
            Interlocked.Increment(ref _policyDrops);
            return EspDelivery.NotWanted;
        }

        payloadLength = length;
        return EspDelivery.Delivered;
    }

    /// <summary>A transport-mode IN transform as its encapsulation socket's SPI table holds it.</summary>
    private sealed class TransportModeInbound(UserspaceIpSecManager manager, IpSecTransform transform, NatTSocket socket) : IEspReceiver
    {
        public IpSecTransform Transform => transform;

        public void Receive(Memory<byte> datagram)
        {
            DataPlaneCounters counters = socket.Counters;
            switch (manager.Deliver(transform, datagram.Span, out int payloadLength))
            {
                case EspDelivery.Delivered:
                    counters.Received(payloadLength);
                    break;
                case EspDelivery.Dummy:
                    break;
                case EspDelivery.Replay:
                    counters.Drop(DropReason.Replay);
                    break;
                case EspDelivery.AuthenticationFailed:
                    counters.Drop(DropReason.AuthenticationFailed);
                    break;
                case EspDelivery.UnknownSpi:
                    counters.Drop(DropReason.NoSa);
                    break;
                case EspDelivery.NotWanted:
                    counters.Drop(DropReason.TrafficSelectorMismatch);
                    break;
                default:
                    counters.Drop(DropReason.Malformed);
                    break;
            }
        }

        public void EndBatch()
        {
        }
    }

    /// <summary>Closes all encapsulation sockets this manager opened.</summary>
    public void Dispose()
    {
        NatTSocket[] sockets;
        lock (_encapSockets)
        {
            sockets = [.. _encapSockets];
            _encapSockets.Clear();
        }

        foreach (NatTSocket socket in sockets)
        {
            socket.Dispose();
        }
    }
}
