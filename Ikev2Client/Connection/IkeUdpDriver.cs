using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Ikev2Client.Protocol.Ike;

namespace Ikev2Client.Connection;

/// <summary>
/// Drives an <see cref="IkeSession"/> with real UDP sockets and timers: one socket for plain IKE and one for
/// NAT-T (non-ESP marker, RFC 3948). All session calls run on one loop (a channel of inputs), so the session
/// needs no locking; receives and timers only post to that loop. Sockets are created in the constructor, so
/// constructing the driver on a thread inside a network namespace keeps them there.
/// </summary>
public sealed class IkeUdpDriver : IAsyncDisposable
{
    private readonly IkeSession _session;
    private readonly TimeProvider _time;
    private readonly IkeUdpDriverOptions _options;
    private readonly Socket _ike;
    private readonly Socket _natT;
    private readonly Channel<Func<IkeOutput>> _inputs = Channel.CreateUnbounded<Func<IkeOutput>>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<IkeTimer, CancellationTokenSource> _timers = new();
    private readonly List<(Func<IkeEvent, bool> Match, TaskCompletionSource<IkeEvent> Tcs)> _waiters = new();
    private readonly TaskCompletionSource<IkeEvent> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _loop;

    public IkeUdpDriver(IkeSession session, IkeUdpDriverOptions? options = null, TimeProvider? time = null)
    {
        _session = session;
        _options = options ?? new IkeUdpDriverOptions();
        _time = time ?? TimeProvider.System;
        _ike = Bind(_options.LocalIkeEndPoint);
        _natT = _options.NatTSocket ?? Bind(_options.LocalNatTEndPoint);
        if (_options.ProtectSocket is { } protect) Protect(protect);
    }

    /// <summary>Applies <paramref name="protect"/> (e.g. <see cref="Platform.IVpnInterface.Protect"/>) to the sockets this driver owns.</summary>
    /// <returns>True when every socket is protected.</returns>
    public bool Protect(Func<Socket, bool> protect)
    {
        ArgumentNullException.ThrowIfNull(protect);
        bool ok = protect(_ike);
        if (!ExternalNatT) ok &= protect(_natT);
        return ok;
    }

    private bool ExternalNatT => _options.NatTSocket != null;

    /// <summary>Hands an IKE message received on an external NAT-T socket (marker stripped) to the session.</summary>
    public void ReceiveNatT(byte[] ikeMessage, IPEndPoint remote, IPEndPoint local) =>
        Post(() => _session.HandleDatagram(ikeMessage, remote, local, nonEspMarker: true));

    /// <summary>Every session event, raised on the driver loop (handlers must not block).</summary>
    public event Action<IkeEvent>? EventRaised;

    /// <summary>An ESP packet (no non-ESP marker) arrived on the NAT-T socket; the data plane takes it from here.</summary>
    public event Action<ReadOnlyMemory<byte>, IPEndPoint>? EspReceived;

    public IkeSession Session => _session;
    public IPEndPoint IkeLocalEndPoint => (IPEndPoint)_ike.LocalEndPoint!;
    public IPEndPoint NatTLocalEndPoint => (IPEndPoint)_natT.LocalEndPoint!;

    /// <summary>Completes with the final <see cref="IkeEvent.Deleted"/> or <see cref="IkeEvent.Failed"/>.</summary>
    public Task<IkeEvent> Completion => _completion.Task;

    private static Socket Bind(IPEndPoint local)
    {
        var s = new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        if (local.AddressFamily == AddressFamily.InterNetwork) s.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.PacketInformation, true);
        else s.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.PacketInformation, true);
        s.Bind(local);
        return s;
    }

    /// <summary>Starts the receive loops and the session loop (a responder just waits for datagrams).</summary>
    public void Start()
    {
        if (_loop != null) return;
        _loop = Task.Run(RunLoopAsync);
        _ = Task.Run(() => ReceiveLoopAsync(_ike, natT: false));
        if (!ExternalNatT) _ = Task.Run(() => ReceiveLoopAsync(_natT, natT: true));
        if (_options.NatKeepaliveInterval is { } keepalive) _ = Task.Run(() => KeepaliveLoopAsync(keepalive));
    }

    /// <summary>Initiator: starts IKE_SA_INIT towards <paramref name="remote"/> (its IKE port).</summary>
    public void Connect(IPEndPoint remote)
    {
        Start();
        var local = IkeLocalEndPoint;
        if (local.Address.Equals(IPAddress.Any) || local.Address.Equals(IPAddress.IPv6Any))
            local = new IPEndPoint(SourceAddressFor(remote), local.Port);
        Post(() => _session.Connect(local, remote));
    }

    /// <summary>Deletes the IKE SA; await <see cref="Completion"/> for the result.</summary>
    public void Close() => Post(_session.Close);

    public void DeleteChildSa(uint inboundSpi) => Post(() => _session.DeleteChildSa(inboundSpi));

    public void RekeyChildSa(uint inboundSpi) => Post(() => _session.RekeyChildSa(inboundSpi));

    public void CheckLiveness() => Post(_session.CheckLiveness);

    /// <summary>
    /// Our source address towards the gateway is now <paramref name="local"/> (the sockets are bound to the wildcard
    /// address, so the kernel already sends from it): tells the session, which sends a MOBIKE address update
    /// (or a liveness check without MOBIKE). See <see cref="IkeSession.UpdateLocalAddress"/>.
    /// </summary>
    public void UpdateLocalAddress(IPAddress local)
    {
        var port = NatTLocalEndPoint.Port;
        Post(() => _session.UpdateLocalAddress(new IPEndPoint(local, port)));
    }

    /// <summary>Waits for the first event matching <paramref name="match"/> from now on (or throws when the session ends first).</summary>
    public async Task<T> WaitForAsync<T>(Func<T, bool>? match = null, CancellationToken cancellationToken = default) where T : IkeEvent
    {
        var tcs = new TaskCompletionSource<IkeEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters) _waiters.Add((e => e is T t && (match?.Invoke(t) ?? true), tcs));
        using var reg = cancellationToken.Register(() => tcs.TrySetCanceled(cancellationToken));
        var done = await Task.WhenAny(tcs.Task, _completion.Task).ConfigureAwait(false);
        if (done == tcs.Task || tcs.Task.IsCompleted) return (T)await tcs.Task.ConfigureAwait(false);
        var end = await _completion.Task.ConfigureAwait(false);
        if (end is T last && (match?.Invoke(last) ?? true)) return last;
        throw new IkeSessionEndedException(end);
    }

    /// <summary>Sends a UDP-encapsulated ESP packet from the NAT-T socket.</summary>
    public ValueTask<int> SendEspAsync(ReadOnlyMemory<byte> packet, IPEndPoint destination, CancellationToken cancellationToken = default) =>
        _natT.SendToAsync(packet, SocketFlags.None, destination, cancellationToken);

    private IPAddress SourceAddressFor(IPEndPoint remote)
    {
        using var probe = new Socket(remote.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _options.ProtectSocket?.Invoke(probe); // inside a full tunnel an unprotected probe would report the TUN's address
        probe.Connect(remote);
        return ((IPEndPoint)probe.LocalEndPoint!).Address;
    }

    private void Post(Func<IkeOutput> input) => _inputs.Writer.TryWrite(input);

    private async Task RunLoopAsync()
    {
        try
        {
            await foreach (var input in _inputs.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                IkeOutput output;
                try { output = input(); }
                catch (InvalidOperationException) { continue; } // a command that does not apply in this state
                await ApplyAsync(output).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) { }
    }

    private async Task ApplyAsync(IkeOutput output)
    {
        // SAs are installed before the answer leaves (as a kernel IKE daemon does): once the peer has our response to
        // a CREATE_CHILD_SA it may switch its outbound traffic to the new SA at once, so our inbound side must be
        // ready. Only the session's end (Deleted/Failed) waits until the last datagram (e.g. a DELETE response) is out.
        foreach (var e in output.Events) if (e is not (IkeEvent.Deleted or IkeEvent.Failed)) Raise(e);
        foreach (var d in output.Datagrams)
        {
            try
            {
                if (d.NonEspMarker)
                {
                    var framed = new byte[d.Data.Length + 4];
                    d.Data.CopyTo(framed, 4);
                    await _natT.SendToAsync(framed, SocketFlags.None, d.Destination).ConfigureAwait(false);
                }
                else await _ike.SendToAsync(d.Data, SocketFlags.None, d.Destination).ConfigureAwait(false);
            }
            catch (SocketException) { } // unreachable peers surface as a ProtocolTimeout
        }
        foreach (var t in output.Timers) SetTimer(t);
        foreach (var e in output.Events) if (e is IkeEvent.Deleted or IkeEvent.Failed) Raise(e);
    }

    private void SetTimer(TimerCommand command)
    {
        if (_timers.Remove(command.Timer, out var old)) old.Cancel();
        if (command.Delay is not { } delay) return;
        var cts = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        _timers[command.Timer] = cts;
        // Whole milliseconds, rounded up (timers count in them); a firing still a little early makes the session re-arm.
        _ = Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(delay.TotalMilliseconds)), _time, cts.Token).ContinueWith(t =>
        {
            if (t.IsCanceled) return;
            Post(() => cts.IsCancellationRequested ? new IkeOutput() : _session.HandleTimer(command.Timer));
        }, TaskScheduler.Default);
    }

    private void Raise(IkeEvent e)
    {
        EventRaised?.Invoke(e);
        List<TaskCompletionSource<IkeEvent>> hits = new();
        lock (_waiters)
        {
            for (int i = _waiters.Count - 1; i >= 0; i--)
                if (_waiters[i].Match(e)) { hits.Add(_waiters[i].Tcs); _waiters.RemoveAt(i); }
        }
        foreach (var h in hits) h.TrySetResult(e);
        if (e is IkeEvent.Deleted or IkeEvent.Failed) _completion.TrySetResult(e);
    }

    private async Task ReceiveLoopAsync(Socket socket, bool natT)
    {
        var buffer = new byte[65536];
        EndPoint any = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
        var bound = (IPEndPoint)socket.LocalEndPoint!;
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveMessageFromResult r;
            try { r = await socket.ReceiveMessageFromAsync(buffer, SocketFlags.None, any, _stop.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (SocketException) { continue; } // ICMP errors surface as resets on Linux; keep listening
            var remote = (IPEndPoint)r.RemoteEndPoint;
            var local = new IPEndPoint(r.PacketInformation.Address ?? bound.Address, bound.Port);
            int length = r.ReceivedBytes;
            if (natT)
            {
                if (length == 1 && buffer[0] == 0xFF) continue; // NAT keepalive
                if (length >= 4 && buffer[0] == 0 && buffer[1] == 0 && buffer[2] == 0 && buffer[3] == 0)
                {
                    var ike = buffer.AsSpan(4, length - 4).ToArray();
                    Post(() => _session.HandleDatagram(ike, remote, local, nonEspMarker: true));
                }
                else if (length >= 8) EspReceived?.Invoke(buffer.AsSpan(0, length).ToArray(), remote);
                continue;
            }
            var data = buffer.AsSpan(0, length).ToArray();
            Post(() => _session.HandleDatagram(data, remote, local, nonEspMarker: false));
        }
    }

    private async Task KeepaliveLoopAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                if (_session.Role == IkeRole.Initiator && _session.UsesNatT && _session.State == IkeSessionState.Established)
                {
                    try { await _natT.SendToAsync(new byte[] { 0xFF }, SocketFlags.None, _session.RemoteEndPoint, _stop.Token).ConfigureAwait(false); }
                    catch (SocketException) { }
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _inputs.Writer.TryComplete();
        if (_loop != null) { try { await _loop.ConfigureAwait(false); } catch (OperationCanceledException) { } }
        foreach (var t in _timers.Values) t.Cancel();
        _ike.Dispose();
        if (!ExternalNatT) _natT.Dispose();
        _completion.TrySetResult(new IkeEvent.Deleted(false, "driver disposed"));
        _stop.Dispose();
    }
}

/// <summary>The session ended (deleted or failed) before the awaited event happened.</summary>
public sealed class IkeSessionEndedException(IkeEvent final) : Exception(final is IkeEvent.Failed f ? f.Error.ToString() : $"the IKE SA was deleted: {((IkeEvent.Deleted)final).Reason}")
{
    public IkeEvent Final { get; } = final;
    public IkeError? Error => (Final as IkeEvent.Failed)?.Error;
}
