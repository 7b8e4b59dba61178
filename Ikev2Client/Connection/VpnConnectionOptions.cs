using System.Net;
using Ikev2Client.Platform;
using Ikev2Client.Protocol.Ike;

namespace Ikev2Client.Connection;

/// <summary>What a <see cref="VpnConnection"/> connects to and how it sets up the data plane.</summary>
public sealed class VpnConnectionOptions
{
    /// <summary>The gateway's IKE endpoint (port 500 normally; NAT-T follows on <see cref="IkeSessionOptions.RemoteNatTPort"/>).</summary>
    public required IPEndPoint Server { get; init; }

    /// <summary>The IKE session settings (identities, authenticator, proposals).</summary>
    public required IkeSessionOptions Session { get; init; }

    /// <summary>
    /// Creates the VPN interface builder for the tunnel path (called once, on the connection's loop, which lives in the
    /// network namespace of the thread that called <see cref="VpnConnection.Connect"/>). Needed for tunnel mode; the
    /// composition root passes its platform's (<see cref="IVpnInterfaceBuilderFactory"/>).
    /// </summary>
    public Func<IVpnInterfaceBuilder>? InterfaceBuilderFactory { get; init; }

    /// <summary>
    /// The IpSecManager that reserves SPIs and builds transforms (required; the caller owns it). The managed data plane
    /// needs the userspace one (<see cref="Platform.Userspace.UserspaceIpSecManager"/>), shared by every connection.
    /// </summary>
    public IIpSecManager? IpSecManager { get; init; }

    /// <summary>TUN MTU.</summary>
    public int Mtu { get; init; } = VpnInterfaceConfiguration.DefaultMtu;

    /// <summary>Route everything (0.0.0.0/0) into the tunnel even when the traffic selectors are narrower.</summary>
    public bool ForceFullTunnel { get; init; }

    /// <summary>
    /// Prefixes kept outside the tunnel even when a tunnel route covers them (Android <c>excludeRoute</c>; profile
    /// <c>splitTunneling.exclude</c>).
    /// </summary>
    public IReadOnlyList<IpPrefix> ExcludedRoutes { get; init; } = [];

    /// <summary>
    /// Families whose traffic never leaves outside the tunnel, even in a split tunnel (profile
    /// <c>splitTunneling.blockIpv4</c>/<c>blockIpv6</c>): with a virtual address of the family everything of it is routed
    /// into the tunnel and what the traffic selectors do not cover is dropped; without one the family is blocked. In a
    /// full tunnel every family is covered or blocked anyway (<see cref="TunnelPlan"/>).
    /// </summary>
    public IReadOnlyList<System.Net.Sockets.AddressFamily> BlockFamilies { get; init; } = [];

    /// <summary>Local address to bind the IKE and NAT-T sockets to (any address by default).</summary>
    public IPAddress LocalAddress { get; init; } = IPAddress.Any;

    /// <summary>How long <see cref="VpnConnection.Connect"/> waits for the CHILD SA.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a disconnect waits for the peer to answer the DELETE.</summary>
    public TimeSpan DisconnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Packet pump settings (batching, SA limit retries).</summary>
    public PacketPumpOptions Pump { get; init; } = new();

    /// <summary>The NAT-T socket's settings (NAT-T keepalive interval, socket buffers, receive offload).</summary>
    public Platform.Userspace.NatTSocketOptions NatT { get; init; } = new();

    /// <summary>
    /// How often the source address towards the gateway is checked; a change (the old address removed, another
    /// interface preferred) triggers a MOBIKE address update. Null: only <see cref="VpnConnection.NetworkChanged"/>.
    /// </summary>
    public TimeSpan? AddressCheckInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How many redirects (RFC 5685) are followed in a row before giving up with TooManyRedirects.</summary>
    public int MaxRedirects { get; init; } = 5;

    /// <summary>
    /// When the gateway's liveness is checked (idle silence, one-way traffic); null: never. The default applies to every
    /// connection, so a crashed gateway is found without any profile setting (<see cref="LivenessPolicy.Default"/>).
    /// </summary>
    public LivenessPolicy? Liveness { get; init; } = LivenessPolicy.Default;

    /// <summary>How often the connection's monitor looks at liveness and the CHILD SAs (and the clock it reads).</summary>
    public TimeSpan MonitorInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Session name shown on the interface (Android <c>setSession</c>).</summary>
    public string? SessionName { get; init; }

    /// <summary>DNS servers that replace the gateway's (the profile's <c>dnsServers</c>); null or empty: the gateway's.</summary>
    public IReadOnlyList<IPAddress>? DnsServers { get; init; }

    /// <summary>
    /// Called on the connecting thread before anything is sent to a gateway (the first one, and each redirect target),
    /// e.g. to let IKE to it through a lockdown firewall. An exception fails the attempt.
    /// </summary>
    public Action<IPEndPoint>? BeforeContact { get; init; }
}
