using System.Net.Sockets;
using System.Threading.Channels;

namespace Ikev2Client.Platform.Userspace;

/// <summary>A UDP payload received through an inbound transport-mode SA.</summary>
/// <param name="Data">The UDP payload.</param>
/// <param name="SourcePort">The peer's UDP port from the inner header.</param>
/// <param name="Spi">SPI of the SA that authenticated it.</param>
public readonly record struct IpSecDatagram(byte[] Data, int SourcePort, uint Spi);

/// <summary>
/// The userspace stand-in for a socket with transport-mode transforms applied: <see cref="SendAsync"/> wraps the
/// payload in a UDP header and seals it with the current OUT transform; packets opened by any of the socket's IN
/// transforms come out of <see cref="ReceiveAsync"/>.
/// </summary>
public sealed class UserspaceTransportModeSocket
{
    private readonly UserspaceIpSecManager _manager;
    private readonly object _lock = new();
    private readonly List<IpSecTransform> _inbound = [];
    private readonly Channel<IpSecDatagram> _received = Channel.CreateBounded<IpSecDatagram>(new BoundedChannelOptions(4096)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleWriter = true,
    });
    private IpSecTransform? _outbound;

    internal UserspaceTransportModeSocket(UserspaceIpSecManager manager, Socket socket, int localPort)
    {
        _manager = manager;
        Socket = socket;
        LocalPort = localPort;
    }

    /// <summary>The application socket the transforms were applied to.</summary>
    public Socket Socket { get; }

    /// <summary>Its local UDP port (the inner UDP source port).</summary>
    public int LocalPort { get; }

    /// <summary>The transform outbound traffic currently uses, if any.</summary>
    public IpSecTransform? Outbound => Volatile.Read(ref _outbound);

    /// <summary>The transforms currently accepted inbound.</summary>
    public IReadOnlyList<IpSecTransform> Inbound
    {
        get
        {
            lock (_lock)
            {
                return [.. _inbound];
            }
        }
    }

    /// <summary>Sends <paramref name="payload"/> to the peer's <paramref name="destinationPort"/> through the OUT SA.</summary>
    /// <exception cref="InvalidOperationException">No OUT transform is applied, or the SA is exhausted.</exception>
    public ValueTask SendAsync(ReadOnlyMemory<byte> payload, int destinationPort, CancellationToken cancellationToken = default)
    {
        IpSecTransform transform = Outbound ?? throw new InvalidOperationException("no OUT transform is applied to this socket");
        while (true)
        {
            try { return _manager.SealAndSendAsync(transform, payload.Span, (LocalPort, destinationPort), cancellationToken); }
            catch (ObjectDisposedException) when (Outbound is { } next && !ReferenceEquals(next, transform))
            {
                // A rekey applied a new OUT SA and its owner disposed the old one between our reading it and sealing:
                // the SA that took over sends the datagram.
                transform = next;
            }
        }
    }

    /// <summary>Receives the next datagram that one of the IN transforms authenticated.</summary>
    public ValueTask<IpSecDatagram> ReceiveAsync(CancellationToken cancellationToken = default) =>
        _received.Reader.ReadAsync(cancellationToken);

    internal void SetOutbound(IpSecTransform transform) => Volatile.Write(ref _outbound, transform);

    internal void ClearOutbound(IpSecTransform transform) => Interlocked.CompareExchange(ref _outbound, null, transform);

    internal void AddInbound(IpSecTransform transform)
    {
        lock (_lock)
        {
            if (!_inbound.Contains(transform))
            {
                _inbound.Add(transform);
            }
        }
    }

    internal void RemoveInbound(IpSecTransform transform)
    {
        lock (_lock)
        {
            _inbound.Remove(transform);
        }
    }

    internal void ClearAll()
    {
        Volatile.Write(ref _outbound, null);
        lock (_lock)
        {
            _inbound.Clear();
        }
    }

    internal bool Accept(IpSecTransform transform, byte[] data, int sourcePort)
    {
        lock (_lock)
        {
            if (!_inbound.Contains(transform))
            {
                return false;
            }
        }

        return _received.Writer.TryWrite(new IpSecDatagram(data, sourcePort, transform.Spi));
    }
}
