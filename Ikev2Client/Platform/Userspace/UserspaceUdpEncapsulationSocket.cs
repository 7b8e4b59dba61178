using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Ikev2Client.Protocol.Esp;

namespace Ikev2Client.Platform.Userspace;

/// <summary>
/// A real IPv4 UDP socket for ESP-in-UDP and IKE. A background loop receives datagrams and demultiplexes them
/// (RFC 3948): NAT-keepalives are counted, IKE messages (non-ESP marker) go to <see cref="IkeMessages"/>, ESP
/// goes to the manager's inbound SA table by SPI.
/// </summary>
public sealed class UserspaceUdpEncapsulationSocket : UdpEncapsulationSocket
{
    private readonly UserspaceIpSecManager _manager;
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<ReceivedIkeDatagram> _ike = Channel.CreateBounded<ReceivedIkeDatagram>(new BoundedChannelOptions(256)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleWriter = true,
    });
    private readonly Task _receiveLoop;
    private long _keepalives;
    private long _invalid;
    private int _disposed;

    internal UserspaceUdpEncapsulationSocket(UserspaceIpSecManager manager, int port)
    {
        _manager = manager;
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            _socket.Bind(new IPEndPoint(IPAddress.Any, port));
        }
        catch
        {
            _socket.Dispose();
            throw;
        }

        Port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
        _receiveLoop = Task.Run(ReceiveLoopAsync);
    }

    /// <inheritdoc />
    public override int Port { get; }

    /// <inheritdoc />
    public override ChannelReader<ReceivedIkeDatagram> IkeMessages => _ike.Reader;

    /// <inheritdoc />
    public override long KeepalivesReceived => Interlocked.Read(ref _keepalives);

    /// <summary>Datagrams that were none of keepalive, IKE or ESP.</summary>
    public long InvalidDatagrams => Interlocked.Read(ref _invalid);

    /// <inheritdoc />
    public override ValueTask SendIkeAsync(ReadOnlyMemory<byte> ikeMessage, IPEndPoint remote, CancellationToken cancellationToken = default) =>
        SendRawAsync(UdpEncapsulation.PrependNonEspMarker(ikeMessage.Span), remote, cancellationToken);

    /// <inheritdoc />
    public override ValueTask SendKeepaliveAsync(IPEndPoint remote, CancellationToken cancellationToken = default) =>
        SendRawAsync(UdpEncapsulation.CreateKeepalive(), remote, cancellationToken);

    internal async ValueTask SendRawAsync(ReadOnlyMemory<byte> datagram, IPEndPoint remote, CancellationToken cancellationToken)
    {
        await _socket.SendToAsync(datagram, SocketFlags.None, remote, cancellationToken).ConfigureAwait(false);
    }

    private async Task ReceiveLoopAsync()
    {
        byte[] buffer = new byte[65536];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException)
            {
                continue;
            }

            Dispatch(buffer.AsSpan(0, received.ReceivedBytes), (IPEndPoint)received.RemoteEndPoint);
        }

        _ike.Writer.TryComplete();
    }

    private void Dispatch(Span<byte> datagram, IPEndPoint remote)
    {
        switch (UdpEncapsulation.Classify(datagram, out int offset))
        {
            case UdpEncapsulatedKind.NatKeepalive:
                Interlocked.Increment(ref _keepalives);
                break;
            case UdpEncapsulatedKind.Ike:
                _ike.Writer.TryWrite(new ReceivedIkeDatagram(datagram[offset..].ToArray(), remote));
                break;
            case UdpEncapsulatedKind.Esp:
                _manager.DeliverEsp(datagram);
                break;
            default:
                Interlocked.Increment(ref _invalid);
                break;
        }
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stop.Cancel();
        _socket.Dispose();
        try
        {
            _receiveLoop.Wait(TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
        }

        _stop.Dispose();
        _manager.Forget(this);
    }

    /// <inheritdoc />
    public override string ToString() => $"UDP encapsulation socket :{Port}";
}
