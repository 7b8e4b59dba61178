using System.Net;
using System.Net.Sockets;
using Ikev2Client.Platform;
using Microsoft.Extensions.Logging;

namespace Ikev2Client.Connection;

/// <summary>
/// Follows the network (RFC 4555): re-checks our source address towards the gateway — every
/// <see cref="VpnConnectionOptions.AddressCheckInterval"/> and when told the network changed — and when it moved (the
/// old address removed, another interface preferred), or always when told, sends a MOBIKE address update from it (a NAT
/// may have remapped us even when it looks unchanged). Without MOBIKE the session sends a liveness check instead, which
/// lets the gateway follow. Runs on the connection's loop.
/// </summary>
internal sealed class Mobility(VpnConnectionOptions options, SocketProtector protector, ILogger log)
{
    private long _nextCheck = Environment.TickCount64 + (long)(options.AddressCheckInterval ?? TimeSpan.Zero).TotalMilliseconds;

    /// <summary>On the monitor tick: checks the address when the interval has passed.</summary>
    public void Tick(Attempt attempt, TunnelInfo? info)
    {
        if (options.AddressCheckInterval is not { } every || Environment.TickCount64 < _nextCheck) return;
        _nextCheck = Environment.TickCount64 + (long)every.TotalMilliseconds;
        Check(attempt, info, force: false);
    }

    /// <summary>Checks the source address; <paramref name="force"/> announces it even when unchanged.</summary>
    public void Check(Attempt attempt, TunnelInfo? info, bool force)
    {
        if (!(options.LocalAddress.Equals(IPAddress.Any) || options.LocalAddress.Equals(IPAddress.IPv6Any))) return;
        IPAddress now;
        try { now = protector.SourceAddressFor(attempt.Server); } // protected: a full tunnel's routes would answer with the TUN
        catch (SocketException) { return; } // no route right now: wait for the next check
        if (info?.VirtualAddresses.Any(v => v.BaseAddress.Equals(now)) == true) return; // never announce an address inside the tunnel
        var before = attempt.LocalAddress;
        if (!force && now.Equals(before)) return;
        ConnectionLog.AddressChanged(log, now.Equals(before) ? "re-announced" : $"changed {before} → {now}");
        attempt.LocalAddress = now;
        attempt.Current.Driver.UpdateLocalAddress(now);
    }
}
