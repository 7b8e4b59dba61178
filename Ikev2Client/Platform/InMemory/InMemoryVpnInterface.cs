using System.Net.Sockets;
using System.Threading.Channels;

namespace Ikev2Client.Platform.InMemory;

/// <summary>
/// A channel-backed <see cref="IVpnInterface"/> for tests without root: the test plays the local IP stack,
/// <see cref="InjectPacket"/> queues a packet for <see cref="ReadPackets"/> (as if an application sent it into the
/// tunnel) and <see cref="TakeWritten"/> returns what the VPN wrote back (decrypted traffic for the host).
/// </summary>
public sealed class InMemoryVpnInterface : IVpnInterface
{
    private readonly Channel<byte[]> _toVpn = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<byte[]> _fromVpn = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly CancellationTokenSource _closed = new();
    private readonly List<Socket> _protected = [];

    /// <summary>Creates an interface with the given settings (normally through <see cref="InMemoryVpnInterfaceBuilder"/>).</summary>
    public InMemoryVpnInterface(VpnInterfaceConfiguration configuration, string name = "mem0", int batchSize = 64)
    {
        Configuration = configuration;
        Name = name;
        BatchSize = batchSize;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public int Mtu => Configuration.Mtu;

    /// <inheritdoc />
    public int BatchSize { get; }

    /// <inheritdoc />
    public VpnInterfaceConfiguration Configuration { get; }

    /// <inheritdoc />
    public bool IsClosed => _closed.IsCancellationRequested;

    /// <inheritdoc />
    public CancellationToken Closed => _closed.Token;

    /// <summary>Sockets passed to <see cref="Protect"/>.</summary>
    public IReadOnlyList<Socket> ProtectedSockets { get { lock (_protected) return _protected.ToArray(); } }

    /// <summary>Queues a packet for the VPN to read; false when closed or longer than the MTU.</summary>
    public bool InjectPacket(ReadOnlySpan<byte> packet) =>
        !IsClosed && packet.Length <= Mtu && _toVpn.Writer.TryWrite(packet.ToArray());

    /// <summary>Takes the next packet the VPN wrote, or null when none is queued.</summary>
    public byte[]? TakeWritten() => _fromVpn.Reader.TryRead(out var p) ? p : null;

    /// <summary>Waits for the next packet the VPN wrote.</summary>
    public async ValueTask<byte[]> TakeWrittenAsync(CancellationToken cancellationToken) =>
        await _fromVpn.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public int ReadPackets(ReadOnlySpan<Memory<byte>> buffers, Span<int> sizes, int offset, CancellationToken cancellationToken)
    {
        var max = Math.Min(buffers.Length, sizes.Length);
        var count = 0;
        while (true)
        {
            if (IsClosed) throw new VpnInterfaceClosedException(Name);
            while (count < max && _toVpn.Reader.TryRead(out var p))
            {
                p.CopyTo(buffers[count].Span[offset..]);
                sizes[count++] = p.Length;
            }
            if (count > 0 || !Configuration.Blocking || max == 0) return count;
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closed.Token);
            try
            {
                _toVpn.Reader.WaitToReadAsync(linked.Token).AsTask().GetAwaiter().GetResult();
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new VpnInterfaceClosedException(Name);
            }
        }
    }

    /// <inheritdoc />
    public int WritePackets(ReadOnlySpan<ReadOnlyMemory<byte>> packets)
    {
        if (IsClosed) throw new VpnInterfaceClosedException(Name);
        foreach (var p in packets) _fromVpn.Writer.TryWrite(p.ToArray());
        return packets.Length;
    }

    /// <inheritdoc />
    public bool Protect(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        lock (_protected) _protected.Add(socket);
        return true;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (IsClosed) return;
        _closed.Cancel();
        _toVpn.Writer.TryComplete();
        _fromVpn.Writer.TryComplete();
    }
}
