using System.Net.Sockets;
using Ikev2Client.Platform;
using Ikev2Client.Protocol.Ike;
using Microsoft.Extensions.Logging;

namespace Ikev2Client.Connection;

/// <summary>
/// Reauthentication (RFC 4478) when the gateway sent N(AUTH_LIFETIME), make-before-break: before the lifetime ends
/// (<see cref="ReauthenticationSchedule"/>) a new IKE SA and CHILD SA are negotiated by a second session on the attempt's
/// NAT-T socket (which routes each IKE message to its session by SPI); the new CHILD SA takes outbound traffic at once
/// while the old inbound SA keeps decrypting, and only then is the old IKE SA deleted. The TUN, routes and virtual IP stay
/// (the CP request asks for the same virtual IP again). Every step is an input on the connection's loop: the schedule, the
/// new session's events, its timeout, the old session's DELETE answer.
/// </summary>
internal sealed class Reauthentication(
    VpnConnectionOptions options, IIpSecManager manager, SocketProtector protector, ConnectionLoop loop, DataPathInstaller installer,
    Func<Attempt?> carrying, Action<IkeUdpDriver, IkeEvent> onEvent, ILogger log, Action<IkeSaInfo> completed)
{
    private readonly List<IkeSaRun> _closing = new();
    private LoopTimer? _due, _timeout;
    private IkeSaRun? _pending, _retiring;
    private IReadOnlyList<ChildSaTransforms> _oldChildren = [];
    private ChildSaInfo? _child;
    private IkeConfiguration? _config;
    private IkeSaInfo? _established;
    private int _completed;
    private volatile object? _authLifetime;

    /// <summary>How many reauthentications completed.</summary>
    public int Completed => Volatile.Read(ref _completed);

    /// <summary>The gateway's N(AUTH_LIFETIME) of the current IKE SA, if it sent one.</summary>
    public TimeSpan? AuthLifetime => (TimeSpan?)_authLifetime;

    /// <summary>True for the drivers of a reauthentication in progress (the new IKE SA's, or the old one being deleted).</summary>
    public bool Owns(IkeUdpDriver driver) =>
        ReferenceEquals(_pending?.Driver, driver) || ReferenceEquals(_retiring?.Driver, driver) || _closing.Any(r => ReferenceEquals(r.Driver, driver));

    /// <summary>An IKE SA that carries the connection was established: plans its reauthentication if the gateway asked for one.</summary>
    public void Schedule(IkeSaInfo sa)
    {
        _authLifetime = sa.AuthLifetime;
        if (sa.AuthLifetime is not { } lifetime) return;
        var due = ReauthenticationSchedule.Deadline(lifetime);
        ConnectionLog.ReauthScheduled(log, lifetime.TotalSeconds, due.TotalSeconds);
        _due?.Cancel();
        _due = loop.Schedule(due, Begin);
    }

    private void Begin()
    {
        if (_pending != null || carrying() is not { } attempt) return;
        ConnectionLog.Reauthenticating(log);
        var addresses = installer.Info?.VirtualAddresses.Select(a => a.BaseAddress).ToArray() ?? [];
        _oldChildren = installer.Children;
        (_child, _config, _established) = (null, null, null);
        try { _pending = attempt.OpenSecond(options, options.Session.WithReauthentication(addresses), manager, protector, loop, onEvent); }
        catch (Exception e) when (e is ObjectDisposedException or SocketException or InvalidOperationException or VpnPlatformException)
        {
            ConnectionLog.ReauthFailed(log, e.Message);
            return;
        }
        _timeout = loop.Schedule(options.ConnectTimeout, () => Abandon("no answer"));
    }

    /// <summary>An event of a reauthentication's driver (<see cref="Owns"/>).</summary>
    public void OnEvent(IkeUdpDriver driver, IkeEvent e)
    {
        if (ReferenceEquals(_pending?.Driver, driver))
        {
            switch (e)
            {
                case IkeEvent.ConfigReceived c: _config = c.Configuration; break;
                case IkeEvent.IkeSaEstablished s: _established = s.Sa; Schedule(s.Sa); break;
                case IkeEvent.ChildSaEstablished c when _child == null: _child = c.ChildSa; Make(); break;
                case IkeEvent.Deleted or IkeEvent.Failed: loop.Post(() => Abandon(VpnConnection.Ended(e).Message)); break;
            }
        }
        else if (ReferenceEquals(_retiring?.Driver, driver))
        {
            if (e is IkeEvent.Deleted or IkeEvent.Failed) loop.Post(Break);
        }
        else if (e is IkeEvent.Deleted or IkeEvent.Failed && _closing.FirstOrDefault(r => ReferenceEquals(r.Driver, driver)) is { } run)
        {
            loop.Post(() => Release(run));
        }
    }

    /// <summary>Make: the new CHILD SA carries the traffic, the new IKE SA the connection; then the old IKE SA is deleted.</summary>
    private void Make()
    {
        _timeout?.Cancel();
        if (carrying() is not { } attempt || _pending is not { } pending)
        {
            Abandon(null);
            return;
        }
        installer.Reauthenticated(pending.Spis, attempt.Socket, _child!, _config, _oldChildren);
        attempt.Configuration = _config ?? attempt.Configuration;
        _retiring = attempt.Replace(pending);
        _pending = null;
        // Break: the old IKE SA (and its CHILD SAs) are deleted only now that the new ones carry the traffic.
        _retiring.Driver.Close();
        _timeout = loop.Schedule(options.DisconnectTimeout, Break);
    }

    private void Break()
    {
        if (_retiring is not { } old) return;
        _timeout?.Cancel();
        _retiring = null;
        installer.Retire(_oldChildren);
        _oldChildren = [];
        var current = carrying()?.Current.Session;
        ConnectionLog.Reauthenticated(log, current?.SpiI ?? 0, current?.SpiR ?? 0, old.Session.SpiI, _child!.InboundSpi, _child.OutboundSpi);
        old.Dispose();
        Interlocked.Increment(ref _completed);
        if (_established is { } sa) completed(sa);
    }

    /// <summary>The new IKE SA did not come up (or the connection is going down): the old one stays.</summary>
    private void Abandon(string? why)
    {
        _timeout?.Cancel();
        if (_pending is not { } pending) return;
        _pending = null;
        if (why == null) ConnectionLog.ReauthAbandoned(log);
        else ConnectionLog.ReauthFailed(log, why);
        Close(pending);
    }

    /// <summary>Deletes a run's IKE SA if it holds one (its end, or the disconnect timeout, releases it), else releases it now.</summary>
    private void Close(IkeSaRun run)
    {
        if (run.Session.State == IkeSessionState.Established)
        {
            _closing.Add(run);
            run.Driver.Close();
            loop.Schedule(options.DisconnectTimeout, () => Release(run));
        }
        else run.Dispose();
    }

    private void Release(IkeSaRun run)
    {
        if (_closing.Remove(run)) run.Dispose();
    }

    /// <summary>The connection is being disconnected: a reauthentication in progress sends its DELETEs too.</summary>
    public void CloseAll()
    {
        _due?.Cancel();
        _pending?.Driver.Close();
        _retiring?.Driver.Close();
    }

    /// <summary>Teardown: stops the schedule and releases every session of a reauthentication.</summary>
    public void Stop()
    {
        _due?.Cancel();
        _timeout?.Cancel();
        foreach (var run in new[] { _pending, _retiring }.Concat(_closing).OfType<IkeSaRun>().ToArray())
        {
            try { run.Dispose(); }
            catch (AggregateException) { }
        }
        (_pending, _retiring) = (null, null);
        _closing.Clear();
    }
}
