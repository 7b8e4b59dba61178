using Ikev2Client.Connection;
using Ikev2Client.Profiles;

namespace Ikev2Client.Service;

/// <summary>
/// One VPN connection as the service drives it: the seam between the service and the connection engine
/// (VpnConnection: IKE session, data plane, TUN). The service owns it: it calls <see cref="ConnectAsync"/>
/// once, then either <see cref="DisconnectAsync"/> or waits for a <see cref="VpnConnectionEvent.Disconnected"/>
/// or <see cref="VpnConnectionEvent.Failed"/> event, and disposes it.
/// </summary>
public interface IVpnConnection : IAsyncDisposable
{
    /// <summary>Raised for every state change (handlers must not block; they may run on any thread).</summary>
    event Action<VpnConnectionEvent>? EventRaised;

    /// <summary>The current state.</summary>
    VpnState State { get; }

    /// <summary>Counters and the next rekey time (zero before the tunnel is up).</summary>
    Platform.DataPlaneStatistics Statistics { get; }

    /// <summary>
    /// Connects; completes once the tunnel is up. Throws <see cref="VpnErrorException"/> with the mapped
    /// error when the attempt fails, and <see cref="OperationCanceledException"/> when cancelled (after cleaning up).
    /// </summary>
    Task<VpnConnectionInfo> ConnectAsync(Ikev2VpnProfile profile, CancellationToken cancellationToken);

    /// <summary>Deletes the IKE SA (best effort) and removes the tunnel; idempotent.</summary>
    Task DisconnectAsync();
}

/// <summary>Creates connections; the daemon gets the real one, tests a fake.</summary>
public interface IVpnConnectionFactory
{
    /// <summary>A new, unconnected connection for <paramref name="profile"/>.</summary>
    IVpnConnection Create(Ikev2VpnProfile profile);
}

/// <summary>What a connection reports. Pattern-match on the nested records.</summary>
public abstract record VpnConnectionEvent
{
    private VpnConnectionEvent() { }

    /// <summary>
    /// About to send the first packet to a gateway (the configured one, or a redirect target). Raised synchronously on
    /// the connecting thread: a handler may take a moment (installing a lockdown rule for that address) and may throw
    /// to stop the attempt.
    /// </summary>
    public sealed record Contacting(System.Net.IPEndPoint Gateway) : VpnConnectionEvent;

    /// <summary>Progress while connecting ("IKE_SA_INIT", "IKE_AUTH", "tunnel") for people to read.</summary>
    public sealed record Connecting(string Step) : VpnConnectionEvent;

    /// <summary>The tunnel is up.</summary>
    public sealed record Connected(VpnConnectionInfo Info) : VpnConnectionEvent;

    /// <summary>
    /// The tunnel is up but not known to carry traffic (the gateway does not answer a liveness check, or the IKE SA has no
    /// CHILD SA): shown as CONNECTING with <paramref name="Reason"/> until <see cref="Restored"/> or the end.
    /// </summary>
    public sealed record Degraded(string Reason) : VpnConnectionEvent;

    /// <summary>After <see cref="Degraded"/>: the gateway answered and a CHILD SA is installed again.</summary>
    public sealed record Restored : VpnConnectionEvent;

    /// <summary>The connection ended cleanly, by us or by the gateway.</summary>
    public sealed record Disconnected(bool ByPeer, string Reason) : VpnConnectionEvent;

    /// <summary>The connection failed (while connecting or after).</summary>
    public sealed record Failed(VpnError Error) : VpnConnectionEvent;
}
