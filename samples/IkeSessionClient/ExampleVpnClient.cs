// <example>
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Esp;
using Ikev2Client.Protocol.Ike;

namespace IkeSessionClient;

/// <summary>
/// A minimal IKEv2 VPN client on Ikev2Client.Protocol: it owns two UDP sockets, runs an <see cref="IkeSession"/> on one
/// loop, arms the timers the session asks for, and installs each CHILD SA's keys into <see cref="EspSa"/>s to carry IP
/// packets in ESP over UDP (RFC 3948). What a real client adds (a TUN device, routes, DNS, NAT keepalives, reconnects)
/// is left out.
/// </summary>
public sealed class ExampleVpnClient : IAsyncDisposable
{
    private readonly IkeSession _session;
    private readonly TimeProvider _time;
    private readonly Socket _ike;   // plain IKE, to the gateway's port 500
    private readonly Socket _natT;  // IKE behind the non-ESP marker, and ESP, to the gateway's port 4500
    private readonly Channel<Func<IkeOutput>> _inputs = Channel.CreateUnbounded<Func<IkeOutput>>(new() { SingleReader = true });
    private readonly Dictionary<IkeTimer, ITimer> _timers = new();
    private readonly Dictionary<uint, EspSa> _inbound = new();      // by our SPI
    private readonly Channel<byte[]> _received = Channel.CreateUnbounded<byte[]>();
    private readonly TaskCompletionSource<ChildSaInfo> _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<IkeEvent> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _loops;
    private volatile EspSa? _outbound;
    private volatile IPEndPoint? _espPeer;
    private (uint OldSpi, ChildSaInfo New)? _pendingSwitch;           // a rekey the peer started: switch on its DELETE

    /// <summary>Binds both sockets on <paramref name="localAddress"/> and starts the loops; <see cref="ConnectAsync"/> starts IKE.</summary>
    public ExampleVpnClient(IkeSessionOptions options, IPAddress localAddress, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _session = new IkeSession(options, time: _time);
        _ike = Bind(localAddress);
        _natT = Bind(localAddress);
        _loops = [Task.Run(RunSessionAsync), Task.Run(() => ReceiveAsync(_ike, natT: false)), Task.Run(() => ReceiveAsync(_natT, natT: true))];
    }

    /// <summary>Every event the session raised, on the session loop (keep handlers short).</summary>
    public event Action<IkeEvent>? EventRaised;

    /// <summary>Decrypted IP packets from the tunnel.</summary>
    public ChannelReader<byte[]> Received => _received.Reader;

    /// <summary>Completes with the IKE SA's end: <see cref="IkeEvent.Deleted"/> or <see cref="IkeEvent.Failed"/>.</summary>
    public Task<IkeEvent> Closed => _closed.Task;

    /// <summary>The virtual IP addresses and DNS servers the gateway assigned, once connected.</summary>
    public IkeConfiguration? Configuration { get; private set; }

    /// <summary>Runs IKE_SA_INIT and IKE_AUTH with <paramref name="gateway"/> (its IKE port); completes with the first CHILD SA.</summary>
    public async Task<ChildSaInfo> ConnectAsync(IPEndPoint gateway, CancellationToken cancellationToken = default)
    {
        Post(() => _session.Connect((IPEndPoint)_ike.LocalEndPoint!, gateway));
        var done = await Task.WhenAny(_connected.Task, _closed.Task).WaitAsync(cancellationToken);
        if (done == _closed.Task)
            throw new InvalidOperationException(_closed.Task.Result is IkeEvent.Failed f ? f.Error.Message : "the IKE SA was deleted");
        return await _connected.Task;
    }

    /// <summary>Sends one IPv4 or IPv6 packet through the tunnel (false when no CHILD SA is up or its SA is used up).</summary>
    public async Task<bool> SendAsync(ReadOnlyMemory<byte> ipPacket, CancellationToken cancellationToken = default)
    {
        while (_outbound is { } sa && _espPeer is { } peer)
        {
            // Seal in place: headroom for the ESP header and IV, tailroom for padding, trailer and ICV.
            var buffer = new byte[sa.HeaderLength + ipPacket.Length + sa.MaxTrailerLength];
            ipPacket.Span.CopyTo(buffer.AsSpan(sa.HeaderLength));
            lock (sa) // one sender at a time per SA: the sequence numbers are the sender's
            {
                if (!ReferenceEquals(sa, _outbound)) continue; // replaced by a rekey meanwhile: take the new one
                if (sa.Seal(buffer, sa.HeaderLength, ipPacket.Length, out int offset, out int length) != EspSealResult.Ok) return false;
                buffer = buffer[offset..(offset + length)];
            }
            await _natT.SendToAsync(buffer, SocketFlags.None, peer, cancellationToken);
            return true;
        }
        return false;
    }

    /// <summary>Deletes the IKE SA (INFORMATIONAL DELETE) and waits until the gateway answered or gave up.</summary>
    public async Task<IkeEvent> CloseAsync(CancellationToken cancellationToken = default)
    {
        Post(() => _session.Close());
        return await _closed.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Asks the session to rekey the CHILD SA now (it also does so on its own, at its lifetime).</summary>
    public void RekeyChildSa() => Post(() => _session.ChildSas.Count > 0 ? _session.RekeyChildSa(_session.ChildSas[0].InboundSpi) : new IkeOutput());

    // ---- the session loop: every call into the session happens here, one at a time ----

    private void Post(Func<IkeOutput> input) => _inputs.Writer.TryWrite(input);

    private async Task RunSessionAsync()
    {
        await foreach (var input in _inputs.Reader.ReadAllAsync())
        {
            var output = input();
            // Events first: a CHILD SA is installed before the message that lets the peer use it leaves.
            foreach (var e in output.Events) OnEvent(e);
            foreach (var d in output.Datagrams) Send(d);
            foreach (var t in output.Timers) SetTimer(t);
        }
    }

    private void Send(OutgoingDatagram d)
    {
        try
        {
            // With the non-ESP marker the message goes out of the NAT-T socket (RFC 7296 §2.23), else out of the IKE one.
            if (d.NonEspMarker) _natT.SendTo(UdpEncapsulation.PrependNonEspMarker(d.Data), d.Destination);
            else _ike.SendTo(d.Data, d.Destination);
        }
        catch (SocketException) { } // unreachable: the session retransmits, then fails with a timeout
    }

    private void SetTimer(TimerCommand command)
    {
        if (_timers.Remove(command.Timer, out var old)) old.Dispose();
        if (command.Delay is not { } delay) return; // cancelled
        // A timer that fires early is re-armed by the session; one that fires after being replaced is ignored.
        _timers[command.Timer] = _time.CreateTimer(_ => Post(() => _session.HandleTimer(command.Timer)), null, delay, Timeout.InfiniteTimeSpan);
    }

    private void OnEvent(IkeEvent e)
    {
        EventRaised?.Invoke(e);
        switch (e)
        {
            case IkeEvent.ConfigReceived c:
                Configuration = c.Configuration;
                break;
            case IkeEvent.ChildSaEstablished c:
                Install(c.ChildSa, switchOutbound: true);
                _connected.TrySetResult(c.ChildSa);
                break;
            case IkeEvent.ChildSaRekeyed r:
                // New inbound at once; new outbound now, or once the peer deletes the old SA when it started the rekey.
                Install(r.New, switchOutbound: !r.ByPeer);
                if (r.ByPeer) _pendingSwitch = (r.Old.InboundSpi, r.New);
                break;
            case IkeEvent.ChildSaDeleted d:
                if (_pendingSwitch is { } p && p.OldSpi == d.ChildSa.InboundSpi)
                {
                    Install(p.New, switchOutbound: true, inbound: false);
                    _pendingSwitch = null;
                }
                if (_inbound.Remove(d.ChildSa.InboundSpi, out var gone)) gone.Dispose();
                if (_outbound?.Spi == d.ChildSa.OutboundSpi) ReplaceOutbound(null);
                break;
            case IkeEvent.Deleted or IkeEvent.Failed:
                _closed.TrySetResult(e);
                break;
        }
    }

    /// <summary>The CHILD SA's keys into two ESP SAs: inbound with our SPI, outbound with the gateway's.</summary>
    private void Install(ChildSaInfo child, bool switchOutbound, bool inbound = true)
    {
        var a = child.Algorithms;
        bool esn = a.Esn == EsnId.Esn;
        if (inbound)
            _inbound[child.InboundSpi] = new EspSa(child.InboundSpi, a.Encryption.Id, a.Encryption.KeyBits, a.Integrity,
                child.Keys.InboundEncryptionKey, child.Keys.InboundIntegrityKey, esn, child.Mode);
        if (!switchOutbound) return;
        _espPeer = child.RemoteEndPoint; // the gateway's NAT-T endpoint: ESP rides the same UDP flow as IKE
        ReplaceOutbound(new EspSa(child.OutboundSpi, a.Encryption.Id, a.Encryption.KeyBits, a.Integrity,
            child.Keys.OutboundEncryptionKey, child.Keys.OutboundIntegrityKey, esn, child.Mode));
    }

    private void ReplaceOutbound(EspSa? next)
    {
        var old = _outbound;
        _outbound = next;
        if (old != null) lock (old) old.Dispose(); // a sender holding it sees it replaced and takes the new one
    }

    // ---- receiving: datagrams are classified once, then handed to the session loop ----

    private async Task ReceiveAsync(Socket socket, bool natT)
    {
        var buffer = new byte[65535];
        var any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult r;
            try { r = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException) { return; }
            catch (SocketException) { continue; } // e.g. ICMP port unreachable reported on the socket
            var datagram = buffer.AsSpan(0, r.ReceivedBytes).ToArray();
            var from = (IPEndPoint)r.RemoteEndPoint;
            var local = (IPEndPoint)socket.LocalEndPoint!;
            if (!natT)
            {
                Post(() => _session.HandleDatagram(datagram, from, local, nonEspMarker: false));
                continue;
            }
            switch (UdpEncapsulation.Classify(datagram, out int offset))
            {
                case UdpEncapsulatedKind.Ike:
                    Post(() => _session.HandleDatagram(datagram.AsSpan(offset), from, local, nonEspMarker: true));
                    break;
                case UdpEncapsulatedKind.Esp:
                    Post(() => { Open(datagram); return new IkeOutput(); });
                    break;
                // NAT keepalives and garbage are dropped.
            }
        }
    }

    private void Open(byte[] packet)
    {
        if (!EspSa.TryReadSpi(packet, out uint spi) || !_inbound.TryGetValue(spi, out var sa)) return;
        if (sa.TryOpen(packet, out int offset, out int length, out byte nextHeader) == EspOpenResult.Ok && nextHeader != EspSa.NextHeaderNone)
            _received.Writer.TryWrite(packet[offset..(offset + length)]);
    }

    private static Socket Bind(IPAddress address)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(address, 0));
        return socket;
    }

    /// <summary>Stops the loops and closes the sockets (call <see cref="CloseAsync"/> first to tell the gateway).</summary>
    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _inputs.Writer.TryComplete();
        _ike.Dispose();
        _natT.Dispose();
        try { await Task.WhenAll(_loops); } catch (OperationCanceledException) { }
        foreach (var t in _timers.Values) t.Dispose();
        foreach (var sa in _inbound.Values) sa.Dispose();
        ReplaceOutbound(null);
        _received.Writer.TryComplete();
        _session.Dispose();
        _stop.Dispose();
    }
}
// </example>
