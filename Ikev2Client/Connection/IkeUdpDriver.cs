using System.Net;
using System.Net.Sockets;
using Ikev2Client.Platform.Userspace;
using Ikev2Client.Protocol.Ike;

namespace Ikev2Client.Connection;

/// <summary>
/// Drives an <see cref="IkeSession"/> with real UDP sockets and timers: its own socket for plain IKE (the "500" side)
/// and a <see cref="NatTSocket"/> for NAT-T (non-ESP marker, RFC 3948) — its own, or one it shares with the data plane
/// and other drivers, which then routes it the messages of its IKE SA by SPI. Every session call runs on one
/// <see cref="ConnectionLoop"/> (its own, or the connection's, shared with everything else the connection decides), so
/// the session needs no locking; receives and timers only post to that loop. Sockets are created in the constructor,
/// so constructing the driver on a thread inside a network namespace keeps them there.
/// </summary>
public sealed class IkeUdpDriver : IAsyncDisposable
{
    private readonly IkeSession _session;
    private readonly TimeProvider _time;
    private readonly IkeUdpDriverOptions _options;
    private readonly Socket _ike;
    private readonly NatTSocket _natT;
    private readonly bool _ownsNatT;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _timerGate = new();
    private readonly Dictionary<IkeTimer, LoopTimer> _timers = new();
    private readonly List<ulong> _routedSpis = new();
    private readonly List<(Func<IkeEvent, bool> Match, TaskCompletionSource<IkeEvent> Tcs)> _waiters = new();
    private readonly TaskCompletionSource<IkeEvent> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ConnectionLoop? _loop;
    private readonly bool _ownsLoop;
    private volatile IPAddress? _localAddress;
    private int _started, _disposed;

    public IkeUdpDriver(IkeSession session, IkeUdpDriverOptions? options = null, TimeProvider? time = null)
    {
        _session = session;
        _options = options ?? new IkeUdpDriverOptions();
        _time = time ?? TimeProvider.System;
        _loop = _options.Loop;
        _ownsLoop = _loop == null;
        _ike = Bind(_options.LocalIkeEndPoint);
        try
        {
            if (_options.NatTSocket is { } shared) _natT = shared;
            else
            {
                _natT = NatTSocket.Open(_options.LocalNatTEndPoint, new NatTSocketOptions
                {
                    KeepaliveInterval = _options.NatKeepaliveInterval, SocketBufferBytes = 0, ReceiveOffload = false,
                }, _options.ProtectSocket);
                _ownsNatT = true;
                _natT.DefaultIkeHandler = ReceiveNatT; // the only driver on it
            }
        }
        catch
        {
            _ike.Dispose();
            throw;
        }
        if (_options.ProtectSocket is { } protect) protect(_ike);
    }

    /// <summary>Applies <paramref name="protect"/> (e.g. <see cref="Platform.IVpnInterface.Protect"/>) to the sockets this driver owns.</summary>
    /// <returns>True when every socket is protected.</returns>
    public bool Protect(Func<Socket, bool> protect)
    {
        ArgumentNullException.ThrowIfNull(protect);
        bool ok = protect(_ike);
        if (_ownsNatT) ok &= _natT.Protect(protect);
        return ok;
    }

    /// <summary>Every session event, raised on the driver's loop before the datagrams of the same step leave (handlers must not block).</summary>
    public event Action<IkeEvent>? EventRaised;

    public IkeSession Session => _session;
    public IPEndPoint IkeLocalEndPoint => (IPEndPoint)_ike.LocalEndPoint!;
    public IPEndPoint NatTLocalEndPoint => _natT.LocalEndPoint;

    /// <summary>The NAT-T socket the driver sends on (its own or the shared one).</summary>
    public NatTSocket NatTSocket => _natT;

    /// <summary>Completes with the final <see cref="IkeEvent.Deleted"/> or <see cref="IkeEvent.Failed"/>.</summary>
    public Task<IkeEvent> Completion => _completion.Task;

    private static Socket Bind(IPEndPoint local)
    {
        var s = new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (local.AddressFamily == AddressFamily.InterNetwork) s.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.PacketInformation, true);
            else s.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.PacketInformation, true);
            s.Bind(local);
            return s;
        }
        catch
        {
            s.Dispose();
            throw;
        }
    }

    /// <summary>Starts receiving and the loop (a responder just waits for datagrams).</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0) return;
        _loop ??= new ConnectionLoop("ike-driver", _time) { UnhandledException = static _ => { } };
        _ = Task.Run(ReceiveLoopAsync);
        if (_ownsNatT) _natT.Start();
    }

    /// <summary>Initiator: starts IKE_SA_INIT towards <paramref name="remote"/> (its IKE port).</summary>
    public void Connect(IPEndPoint remote)
    {
        Start();
        var local = IkeLocalEndPoint;
        if (local.Address.Equals(IPAddress.Any) || local.Address.Equals(IPAddress.IPv6Any))
            local = new IPEndPoint(Platform.SocketProtector.SourceAddressFor(remote, _options.ProtectSocket), local.Port); // a full tunnel's routes would answer with the TUN
        _localAddress = local.Address;
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
        _localAddress = local;
        Post(() => _session.UpdateLocalAddress(new IPEndPoint(local, port)));
    }

    /// <summary>An IKE message the NAT-T socket received for this driver's IKE SA (non-ESP marker stripped).</summary>
    public void ReceiveNatT(byte[] ikeMessage, IPEndPoint remote)
    {
        var local = new IPEndPoint(_localAddress ?? _natT.LocalEndPoint.Address, _natT.LocalEndPoint.Port);
        Post(() => _session.HandleDatagram(ikeMessage, remote, local, nonEspMarker: true));
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

    private void Post(Func<IkeOutput> input)
    {
        if (_disposed != 0) return;
        Start();
        _loop!.Post(() =>
        {
            if (_disposed != 0) return;
            IkeOutput output;
            try { output = input(); }
            catch (InvalidOperationException) { return; } // a command that does not apply in this state
            Apply(output);
        });
    }

    private void Apply(IkeOutput output)
    {
        // SAs are installed before the answer leaves (as a kernel IKE daemon does): once the peer has our response to
        // a CREATE_CHILD_SA it may switch its outbound traffic to the new SA at once, so our inbound side must be
        // ready. Only the session's end (Deleted/Failed) waits until the last datagram (e.g. a DELETE response) is out.
        foreach (var e in output.Events) if (e is not (IkeEvent.Deleted or IkeEvent.Failed)) Raise(e);
        RouteOwnSpi();
        foreach (var d in output.Datagrams)
        {
            try
            {
                if (d.NonEspMarker) _natT.SendIke(d.Data, d.Destination);
                else _ike.SendTo(d.Data, SocketFlags.None, d.Destination);
            }
            catch (SocketException) { } // unreachable peers surface as a ProtocolTimeout
            catch (ObjectDisposedException) { }
        }
        foreach (var t in output.Timers) SetTimer(t);
        if (_ownsNatT)
            _natT.KeepalivePeer = _session.Role == IkeRole.Initiator && _session.UsesNatT && _session.State == IkeSessionState.Established
                ? _session.RemoteEndPoint : null;
        foreach (var e in output.Events) if (e is IkeEvent.Deleted or IkeEvent.Failed) Raise(e);
    }

    /// <summary>
    /// The NAT-T socket routes the messages of every IKE SA this driver's session has had (its SPIs change with an IKE
    /// rekey; the peer may still answer on the old ones until the old SA is deleted) to this driver.
    /// </summary>
    private void RouteOwnSpi()
    {
        ulong spiI = _session.SpiI;
        lock (_routedSpis)
        {
            if (spiI == 0 || _routedSpis.Contains(spiI) || _disposed != 0) return;
            _routedSpis.Add(spiI);
        }
        _natT.RouteIke(spiI, ReceiveNatT);
    }

    private void SetTimer(TimerCommand command)
    {
        lock (_timerGate)
        {
            if (_timers.Remove(command.Timer, out var old)) old.Cancel();
            if (command.Delay is not { } delay || _disposed != 0) return;
            LoopTimer? timer = null;
            // Whole milliseconds, rounded up (timers count in them); a firing still a little early makes the session re-arm.
            timer = _loop!.Schedule(TimeSpan.FromMilliseconds(Math.Ceiling(delay.TotalMilliseconds)), () =>
            {
                lock (_timerGate)
                {
                    if (timer!.IsCancelled || _disposed != 0) return;
                    _timers.Remove(command.Timer);
                }
                IkeOutput output;
                try { output = _session.HandleTimer(command.Timer); }
                catch (InvalidOperationException) { return; }
                Apply(output);
            });
            _timers[command.Timer] = timer;
        }
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

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[65536];
        EndPoint any = new IPEndPoint(_ike.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
        var bound = (IPEndPoint)_ike.LocalEndPoint!;
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            SocketReceiveMessageFromResult r;
            try { r = await _ike.ReceiveMessageFromAsync(buffer, SocketFlags.None, any, token).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (SocketException) { continue; } // ICMP errors surface as resets on Linux; keep listening
            var remote = (IPEndPoint)r.RemoteEndPoint;
            var local = new IPEndPoint(r.PacketInformation.Address ?? bound.Address, bound.Port);
            if (_localAddress == null && !local.Address.Equals(IPAddress.Any) && !local.Address.Equals(IPAddress.IPv6Any)) _localAddress = local.Address;
            var data = buffer.AsSpan(0, r.ReceivedBytes).ToArray();
            Post(() => _session.HandleDatagram(data, remote, local, nonEspMarker: false));
        }
    }

    /// <summary>
    /// Stops receiving and the timers, closes the driver's own sockets (a shared NAT-T socket stays, its routes to this
    /// driver are removed) and stops its own loop. The session stays with its owner.
    /// </summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return ValueTask.CompletedTask;
        _stop.Cancel();
        lock (_timerGate)
        {
            foreach (var t in _timers.Values) t.Cancel();
            _timers.Clear();
        }
        _ike.Dispose();
        if (_ownsNatT) _natT.Dispose();
        else
        {
            ulong[] routed;
            lock (_routedSpis) routed = _routedSpis.ToArray();
            foreach (var spi in routed) _natT.UnrouteIke(spi);
        }
        if (_ownsLoop) _loop?.Dispose();
        _completion.TrySetResult(new IkeEvent.Deleted(false, "driver disposed"));
        _stop.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>The session ended (deleted or failed) before the awaited event happened.</summary>
public sealed class IkeSessionEndedException(IkeEvent final) : Exception(final is IkeEvent.Failed f ? f.Error.ToString() : $"the IKE SA was deleted: {((IkeEvent.Deleted)final).Reason}")
{
    public IkeEvent Final { get; } = final;
    public IkeError? Error => (Final as IkeEvent.Failed)?.Error;
}
