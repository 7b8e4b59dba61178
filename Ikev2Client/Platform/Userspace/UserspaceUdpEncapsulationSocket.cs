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
/// <remarks>
/// An <em>adopted</em> socket (<see cref="UserspaceIpSecManager.AdoptUdpEncapsulationSocket"/>) wraps a socket that
/// someone else receives on (the data plane's NAT-T socket, shared with IKE): it sends ESP from it, runs no receive
/// loop and never closes it; the owner hands it the ESP it receives through <see cref="DeliverEsp"/>.
/// </remarks>
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
    private readonly bool _adopted;
    private readonly Action<int>? _espSent;
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

    internal UserspaceUdpEncapsulationSocket(UserspaceIpSecManager manager, Socket adopted, Action<int>? espSent)
    {
        if (adopted.SocketType != SocketType.Dgram || adopted.LocalEndPoint is not IPEndPoint local)
        {
            throw new ArgumentException("only a bound UDP socket can be adopted", nameof(adopted));
        }

        _manager = manager;
        _socket = adopted;
        _adopted = true;
        _espSent = espSent;
        Port = local.Port;
        _ike.Writer.TryComplete(); // the owner receives IKE on it
        _receiveLoop = Task.CompletedTask;
    }

    /// <summary>True when the socket is adopted (owned and received on by someone else).</summary>
    public bool IsAdopted => _adopted;

    /// <summary>
    /// Adopted sockets: hands one received ESP datagram (no non-ESP marker) to the manager's inbound SAs; it is
    /// decrypted in place. <paramref name="payloadLength"/> is the inner payload length when delivered.
    /// </summary>
    public EspDelivery DeliverEsp(Span<byte> datagram, out int payloadLength) => _manager.DeliverEsp(datagram, out payloadLength);

    internal void NoteEspSent(int payloadBytes) => _espSent?.Invoke(payloadBytes);

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
                _manager.DeliverEsp(datagram, out _);
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
        if (!_adopted)
        {
            _socket.Dispose();
        }

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
