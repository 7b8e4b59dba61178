using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Ikev2Client.Protocol;
using Ikev2Client.Protocol.Esp;

namespace Ikev2Client.Platform.Userspace;

/// <summary>
/// <see cref="IIpSecManager"/> in user space: an SPI table, real UDP encapsulation sockets that demultiplex
/// IKE / ESP / NAT-keepalive, the inbound SA table keyed by SPI, and transport-mode socket wrappers whose
/// send and receive go through the applied SAs (<see cref="GetTransportModeSocket"/>). Needs no privileges.
/// </summary>
/// <remarks>
/// Userspace cannot send raw ESP (IP protocol 50), so every transform must use UDP encapsulation.
/// Rekey: a new OUT transform replaces the socket's outbound SA immediately; IN transforms accumulate and each
/// keeps decrypting until it is disposed. Tunnel-mode transforms serve the TUN fallback through
/// <see cref="ApplyTunnelModeTransform"/>, <see cref="SendTunnelPacketAsync"/> and <see cref="TunnelPackets"/>.
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
    private readonly ConcurrentDictionary<uint, IpSecTransform> _inbound = new();
    private readonly ConcurrentDictionary<Socket, UserspaceTransportModeSocket> _transportSockets = new();
    private readonly ConcurrentDictionary<int, UserspaceTransportModeSocket> _byLocalPort = new();
    private readonly List<UserspaceUdpEncapsulationSocket> _encapSockets = [];
    private readonly Channel<byte[]> _tunnelPackets = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(4096)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
    });
    private IpSecTransform? _tunnelOut;
    private long _unknownSpiDrops;
    private long _policyDrops;

    /// <summary>Creates a manager; <paramref name="maxSpis"/> bounds the SPI table.</summary>
    public UserspaceIpSecManager(IRandomSource? random = null, int maxSpis = 65536)
    {
        _random = random ?? SystemRandomSource.Instance;
        _maxSpis = maxSpis;
    }

    /// <summary>ESP packets dropped because no inbound SA has their SPI.</summary>
    public long UnknownSpiDrops => Interlocked.Read(ref _unknownSpiDrops);

    /// <summary>Decrypted packets dropped because no socket with that SA applied IN wants them.</summary>
    public long PolicyDrops => Interlocked.Read(ref _policyDrops);

    /// <summary>Inner IP packets decrypted by tunnel-mode SAs, for the TUN writer.</summary>
    public ChannelReader<byte[]> TunnelPackets => _tunnelPackets.Reader;

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
    public UdpEncapsulationSocket OpenUdpEncapsulationSocket(int port = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        UserspaceUdpEncapsulationSocket socket;
        try
        {
            socket = new UserspaceUdpEncapsulationSocket(this, port);
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

    /// <summary>
    /// Wraps a bound UDP socket that its owner keeps receiving on (e.g. the data plane's NAT-T socket, shared with
    /// IKE) as an encapsulation socket: transforms built with it send their ESP from that socket, so ESP and IKE
    /// share one NAT mapping; the owner hands received ESP to <see cref="UserspaceUdpEncapsulationSocket.DeliverEsp"/>.
    /// Disposing the result leaves the socket open. <paramref name="espSent"/> is called with the inner payload
    /// length of every ESP packet sent through it (for counters).
    /// </summary>
    public UserspaceUdpEncapsulationSocket AdoptUdpEncapsulationSocket(Socket socket, Action<int>? espSent = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var adopted = new UserspaceUdpEncapsulationSocket(this, socket, espSent);
        lock (_encapSockets)
        {
            _encapSockets.Add(adopted);
        }

        return adopted;
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

    /// <summary>Applies a tunnel-mode transform for the TUN fallback path (same rekey rules as transport mode).</summary>
    public void ApplyTunnelModeTransform(PolicyDirection direction, IpSecTransform transform)
    {
        RequireUsable(transform, EspMode.Tunnel);
        if (direction == PolicyDirection.Out)
        {
            Volatile.Write(ref _tunnelOut, transform);
            transform.OnClosed(t => Interlocked.CompareExchange(ref _tunnelOut, null, t));
        }
        else
        {
            RegisterInbound(transform);
        }
    }

    /// <summary>Seals an IP packet with the current tunnel OUT transform and sends it over its encapsulation socket.</summary>
    public ValueTask SendTunnelPacketAsync(ReadOnlyMemory<byte> ipPacket, CancellationToken cancellationToken = default)
    {
        IpSecTransform transform = Volatile.Read(ref _tunnelOut) ?? throw new InvalidOperationException("no tunnel OUT transform applied");
        return SealAndSendAsync(transform, ipPacket.Span, null, cancellationToken);
    }

    private static void RequireUsable(IpSecTransform transform, EspMode mode)
    {
        ArgumentNullException.ThrowIfNull(transform);
        ObjectDisposedException.ThrowIf(transform.IsDisposed, transform);
        if (transform.Mode != mode)
        {
            throw new ArgumentException($"expected a {mode}-mode transform", nameof(transform));
        }

        if (transform.EncapsulationSocket is not UserspaceUdpEncapsulationSocket)
        {
            throw new NotSupportedException("userspace IPsec needs UDP encapsulation on a socket from this manager");
        }
    }

    private void RegisterInbound(IpSecTransform transform)
    {
        IpSecTransform existing = _inbound.GetOrAdd(transform.Spi, transform);
        if (!ReferenceEquals(existing, transform))
        {
            throw new InvalidOperationException($"another inbound SA already uses SPI 0x{transform.Spi:x8}");
        }

        transform.OnClosed(t => _inbound.TryRemove(new KeyValuePair<uint, IpSecTransform>(t.Spi, t)));
    }

    /// <summary>Seals one payload (optionally behind a UDP header) with the transform and sends it.</summary>
    internal ValueTask SealAndSendAsync(IpSecTransform transform, ReadOnlySpan<byte> payload, (int Source, int Destination)? udpPorts, CancellationToken cancellationToken)
    {
        var encap = (UserspaceUdpEncapsulationSocket)transform.EncapsulationSocket!;
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
        encap.NoteEspSent(inner);
        return encap.SendRawAsync(buffer.AsMemory(packetOffset, packetLength), remote, cancellationToken);
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

    /// <summary>Called by the encapsulation sockets (receive loop or owner) for every ESP datagram.</summary>
    internal EspDelivery DeliverEsp(Span<byte> packet, out int payloadLength)
    {
        payloadLength = 0;
        if (!EspSa.TryReadSpi(packet, out uint spi) || !_inbound.TryGetValue(spi, out IpSecTransform? transform))
        {
            Interlocked.Increment(ref _unknownSpiDrops);
            return EspDelivery.UnknownSpi;
        }

        EspOpenResult result;
        int offset;
        int length;
        byte nextHeader;
        lock (transform.OpenLock)
        {
            if (transform.IsDisposed)
            {
                Interlocked.Increment(ref _unknownSpiDrops);
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
        if (transform.Mode == EspMode.Tunnel)
        {
            if (!_tunnelPackets.Writer.TryWrite(inner.ToArray()))
            {
                Interlocked.Increment(ref _policyDrops);
                return EspDelivery.NotWanted;
            }

            payloadLength = length;
            return EspDelivery.Delivered;
        }

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

    internal void Forget(UserspaceUdpEncapsulationSocket socket)
    {
        lock (_encapSockets)
        {
            _encapSockets.Remove(socket);
        }
    }

    /// <summary>Closes all encapsulation sockets this manager opened.</summary>
    public void Dispose()
    {
        UserspaceUdpEncapsulationSocket[] sockets;
        lock (_encapSockets)
        {
            sockets = [.. _encapSockets];
        }

        foreach (UserspaceUdpEncapsulationSocket socket in sockets)
        {
            socket.Dispose();
        }

        _tunnelPackets.Writer.TryComplete();
    }
}
