using System.Net;
using System.Net.Sockets;
using Ikev2Client.Platform;
using Ikev2Client.Protocol.Ike;

namespace Ikev2Client.Connection;

/// <summary>
/// What the TUN of a tunnel-mode CHILD SA gets, per address family, decided from what the gateway answered (virtual
/// IPs, DNS servers, traffic selectors) and what the profile asks for:
/// <list type="bullet">
/// <item>a family with a virtual address is <b>tunnelled</b>: its address (IPv4 /32, IPv6 the prefix given or /128), its
/// routes (the remote selectors as CIDR prefixes, or /0 with <see cref="VpnConnectionOptions.ForceFullTunnel"/> or
/// <see cref="VpnConnectionOptions.BlockFamilies"/>, where the pump then drops what the selectors do not cover) and its
/// DNS servers;</item>
/// <item>a family without one is <b>blocked</b> when the tunnel is full (a /0 route in any family) or the profile blocks
/// it — Android's VpnService rule: no address, route or DNS server of a family means its traffic is blocked — and
/// <b>allowed</b> around the tunnel otherwise (a split tunnel leaves other traffic alone;
/// <see cref="IVpnInterfaceBuilder.AllowFamily"/>). DNS servers of such a family are left out: a server the tunnel cannot
/// reach would be useless and, added to the builder, would unblock the family.</item>
/// </list>
/// </summary>
public sealed class TunnelPlan
{
    private static readonly AddressFamily[] Families = [AddressFamily.InterNetwork, AddressFamily.InterNetworkV6];

    private TunnelPlan() { }

    /// <summary>Interface addresses.</summary>
    public IReadOnlyList<IpPrefix> Addresses { get; private init; } = [];

    /// <summary>Prefixes routed into the tunnel.</summary>
    public IReadOnlyList<IpPrefix> Routes { get; private init; } = [];

    /// <summary>Prefixes kept out of the tunnel (profile exclusions).</summary>
    public IReadOnlyList<IpPrefix> ExcludedRoutes { get; private init; } = [];

    /// <summary>DNS servers handed to the interface (only of tunnelled families).</summary>
    public IReadOnlyList<IPAddress> DnsServers { get; private init; } = [];

    /// <summary>DNS search domains.</summary>
    public IReadOnlyList<string> SearchDomains { get; private init; } = [];

    /// <summary>Families that have a virtual address (their traffic is routed into the tunnel per <see cref="Routes"/>).</summary>
    public IReadOnlyList<AddressFamily> TunnelledFamilies { get; private init; } = [];

    /// <summary>Families without an address whose traffic is blocked while connected.</summary>
    public IReadOnlyList<AddressFamily> BlockedFamilies { get; private init; } = [];

    /// <summary>Families without an address left outside the tunnel (<see cref="IVpnInterfaceBuilder.AllowFamily"/>).</summary>
    public IReadOnlyList<AddressFamily> AllowedFamilies { get; private init; } = [];

    /// <summary>True when a default route (0.0.0.0/0 or ::/0) goes into the tunnel.</summary>
    public bool FullTunnel { get; private init; }

    /// <summary>The interface MTU (raised to IPv6's minimum of 1280 when IPv6 is tunnelled).</summary>
    public int Mtu { get; private init; }

    /// <summary>Lines for people: blocked families, DNS servers left out, an MTU raised.</summary>
    public IReadOnlyList<string> Notes { get; private init; } = [];

    /// <summary>Plans the interface for <paramref name="child"/> and the gateway's <paramref name="config"/>.</summary>
    /// <exception cref="VpnConnectionException">the gateway assigned no virtual IP address at all.</exception>
    public static TunnelPlan Create(ChildSaInfo child, IkeConfiguration? config, VpnConnectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(child);
        ArgumentNullException.ThrowIfNull(options);
        var virtualAddresses = config?.VirtualAddresses ?? [];
        if (virtualAddresses.Count == 0) throw new VpnConnectionException("the gateway assigned no virtual IP address");
        var notes = new List<string>();
        var addresses = virtualAddresses
            .Select(a => new IpPrefix(a.BaseAddress, config!.InterfacePrefixLength(a.BaseAddress)))
            .Distinct().ToArray();
        var tunnelled = Families.Where(f => addresses.Any(a => a.Address.AddressFamily == f)).ToArray();

        var routes = new List<IpPrefix>();
        foreach (var family in tunnelled)
        {
            if (options.ForceFullTunnel || options.BlockFamilies.Contains(family)) routes.Add(Default(family));
            else routes.AddRange(RoutePlanner.Routes(child.RemoteTrafficSelectors, [family]));
        }
        bool full = RoutePlanner.IsFullTunnel(routes);

        var blocked = new List<AddressFamily>();
        var allowed = new List<AddressFamily>();
        foreach (var family in Families.Except(tunnelled))
        {
            if (full || options.BlockFamilies.Contains(family))
            {
                blocked.Add(family);
                notes.Add($"{Name(family)} blocked while connected: the gateway assigned no {Name(family)} address" +
                    (full ? " and the tunnel is full" : " and the profile blocks it"));
            }
            else allowed.Add(family);
        }

        var dns = new List<IPAddress>();
        // The profile's dnsServers replace the gateway's INTERNAL_IP4/6_DNS.
        foreach (var server in options.DnsServers is { Count: > 0 } own ? own : config?.DnsServers ?? [])
        {
            if (tunnelled.Contains(server.AddressFamily)) dns.Add(server);
            else notes.Add($"DNS server {server} left out: the tunnel carries no {Name(server.AddressFamily)}");
        }

        int mtu = options.Mtu;
        if (tunnelled.Contains(AddressFamily.InterNetworkV6) && mtu < 1280)
        {
            notes.Add($"MTU raised from {mtu} to 1280, IPv6's minimum");
            mtu = 1280;
        }

        return new TunnelPlan
        {
            Addresses = addresses,
            Routes = routes,
            ExcludedRoutes = options.ExcludedRoutes,
            DnsServers = dns,
            SearchDomains = config?.DnsDomains ?? [],
            TunnelledFamilies = tunnelled,
            BlockedFamilies = blocked,
            AllowedFamilies = allowed,
            FullTunnel = full,
            Mtu = mtu,
            Notes = notes,
        };
    }

    /// <summary>Hands the plan to <paramref name="builder"/> (everything but the session name).</summary>
    public IVpnInterfaceBuilder Apply(IVpnInterfaceBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        foreach (var a in Addresses) builder.AddAddress(a.Address, a.PrefixLength);
        foreach (var r in Routes) builder.AddRoute(r.Address, r.PrefixLength);
        foreach (var r in ExcludedRoutes) builder.ExcludeRoute(r.Address, r.PrefixLength);
        foreach (var d in DnsServers) builder.AddDnsServer(d);
        foreach (var domain in SearchDomains) builder.AddSearchDomain(domain);
        foreach (var family in AllowedFamilies) builder.AllowFamily(family);
        builder.SetMtu(Mtu);
        builder.SetBlocking(true); // the packet pump waits in ReadPackets (Android's default is non-blocking)
        return builder;
    }

    private static IpPrefix Default(AddressFamily family) =>
        new(family == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);

    /// <summary>"IPv4" or "IPv6".</summary>
    public static string Name(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";
}
