using System.Net;
using System.Net.Sockets;
using Ikev2Client.Platform;
using Ikev2Client.Profiles;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Ike;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;
using Ikev2Client.Protocol.Crypto;

namespace Ikev2Client.Connection;

/// <summary>How a connection hands its DNS servers to the system.</summary>
public enum DnsMode
{
    /// <summary>
    /// Apply them (the default): on Linux systemd-resolved's per-link API where resolved manages /etc/resolv.conf, else
    /// /etc/resolv.conf itself, restored on disconnect and after a crash (<see cref="Platform.Linux.SystemDnsConfigurator"/>).
    /// </summary>
    System,
    /// <summary>Only report them (status shows them; the resolver is not touched).</summary>
    Off,
}

/// <summary>Choices a caller adds to a profile when it connects (CLI flags, service settings).</summary>
public sealed class ProfileConnectionSettings
{
    /// <summary>
    /// Whether the DNS servers are applied to the system resolver or only reported. The <c>ikev2</c> commands (daemon,
    /// <c>connect</c>, <c>connect --foreground</c>) apply them unless told <c>--no-dns</c>; this library default only
    /// reports, so code that connects in-process (tests in a network namespace) never rewrites the host's resolver by accident.
    /// </summary>
    public DnsMode Dns { get; init; } = DnsMode.Off;
    /// <summary>Route everything into the tunnel regardless of the traffic selectors.</summary>
    public bool ForceFullTunnel { get; init; }
    /// <summary>
    /// Where connections record what they install (TUN, routes, rules, resolv.conf) so the next start can remove it after
    /// a crash (<see cref="INetworkStateRecovery"/>); null keeps no record.
    /// </summary>
    public string? StateDirectory { get; init; }
    /// <summary>The system bus address for systemd-resolved (null: the default system bus; tests use a private bus).</summary>
    public string? DnsBusAddress { get; init; }
    /// <summary>The resolver file (default /etc/resolv.conf).</summary>
    public string ResolvConfPath { get; init; } = "/etc/resolv.conf";
}

/// <summary>
/// The one place a profile becomes a connection's settings: <see cref="Ikev2VpnProfile"/> → <see cref="VpnConnectionOptions"/>
/// with its <see cref="IkeSessionOptions"/> (authentication: <see cref="ProfileAuthentication"/>; the gateway's name
/// resolved by <see cref="GatewayAddress"/>).
/// </summary>
public static class ProfileConnection
{
    /// <summary>
    /// Builds the options; throws <see cref="VpnConnectionException"/> with a one-line reason when the profile cannot be used.
    /// <paramref name="platform"/> gives the IpSecManager and the interface builders (the composition root's); without one
    /// the options are for inspection only (they cannot connect).
    /// </summary>
    public static VpnConnectionOptions CreateOptions(Ikev2VpnProfile profile, ProfileConnectionSettings? settings = null,
        ConnectionPlatform? platform = null, Action<IPEndPoint>? beforeContact = null)
    {
        ArgumentNullException.ThrowIfNull(profile);
        settings ??= new ProfileConnectionSettings();
        var auth = ProfileAuthentication.Create(profile);
        var server = GatewayAddress.Resolve(profile.ServerAddr, profile.ServerPort);
        IReadOnlyList<ProposalSpec> ike, esp;
        try { ike = ProposalConversion.ForProfile(profile.IkeProposal, isEsp: false, profile.AllowedAlgorithms); }
        catch (ArgumentException e) { throw new VpnConnectionException($"profile '{profile.Name}': ikeProposal: {e.Message}"); }
        try { esp = ProposalConversion.ForProfile(profile.EspProposal, isEsp: true, profile.AllowedAlgorithms); }
        catch (ArgumentException e) { throw new VpnConnectionException($"profile '{profile.Name}': espProposal: {e.Message}"); }
        var local = profile.UserIdentity is { Length: > 0 } u ? IkeIdentity.Parse(u)
            : auth.LocalIdentity ?? IkeIdentity.FromAddress(SocketProtector.SourceAddressFor(server, protect: null));
        var session = new IkeSessionOptions
        {
            LocalIdentity = local,
            RemoteIdentity = profile.RemoteIdentity is { Length: > 0 } r ? IkeIdentity.Parse(r) : null,
            SendRemoteIdentity = profile.RemoteIdentity is { Length: > 0 },
            Authenticator = auth.Local,
            PeerAuthenticator = auth.Peer,
            IkeProposals = ike,
            EspProposals = esp,
            LivenessInterval = null, // the connection's LivenessMonitor checks (idle and traffic-driven), see Liveness below
            // Both families, as Android's IKE client asks for a tunnel-mode child; the gateway answers what it has.
            RequestedAddressFamilies = [AddressFamily.InterNetwork, AddressFamily.InterNetworkV6],
            RemoteTrafficSelectors = SplitTunnelSelectors(profile),
            ChildLifetime = SaLifetime.DefaultChild with
            {
                RekeyBytes = profile.ChildRekeyBytes ?? 0, LifeBytes = profile.ChildLifeBytes ?? 0,
                RekeyPackets = profile.ChildRekeyPackets ?? 0, LifePackets = profile.ChildLifePackets ?? 0,
            },
        };
        var dnsOverride = profile.DnsServers.Select(d => IPAddress.TryParse(d, out var a) ? a : null).OfType<IPAddress>().ToArray();
        return new VpnConnectionOptions
        {
            Server = server,
            Session = session,
            Mtu = Math.Clamp(profile.MaxMtu, Ikev2VpnProfile.MinimumMtu, 1400),
            ForceFullTunnel = settings.ForceFullTunnel,
            ExcludedRoutes = profile.SplitTunneling.Exclude.SelectMany(e => Prefixes(profile, e)).Distinct().ToArray(),
            BlockFamilies = [.. profile.SplitTunneling.BlockIpv4 ? [AddressFamily.InterNetwork] : Array.Empty<AddressFamily>(),
                .. profile.SplitTunneling.BlockIpv6 ? [AddressFamily.InterNetworkV6] : Array.Empty<AddressFamily>()],
            SessionName = profile.Name,
            Liveness = LivenessPolicy.ForProfile(profile.DpdSeconds),
            IpSecManager = platform?.IpSecManager,
            InterfaceBuilderFactory = platform is { Interfaces: { } interfaces } ? interfaces.Create : null,
            DnsServers = dnsOverride.Length > 0 ? dnsOverride : null,
            BeforeContact = beforeContact,
            NatT = new Platform.Userspace.NatTSocketOptions
            {
                KeepaliveInterval = TimeSpan.FromSeconds(profile.NatKeepaliveSeconds ?? 20),
            },
        };
    }

    /// <summary>
    /// The TSr we propose: the profile's <c>splitTunneling.include</c> entries (subnets, addresses, ranges of either
    /// family), or everything of both families (0.0.0.0/0 and ::/0) for a full tunnel. The gateway narrows them.
    /// </summary>
    internal static IReadOnlyList<TrafficSelector> SplitTunnelSelectors(Ikev2VpnProfile profile)
    {
        if (profile.SplitTunneling.Include.Count == 0)
            return [TrafficSelector.Any(AddressFamily.InterNetwork), TrafficSelector.Any(AddressFamily.InterNetworkV6)];
        return profile.SplitTunneling.Include.Select(e =>
        {
            var (start, end) = Range(profile, e);
            var type = start.AddressFamily == AddressFamily.InterNetwork ? TrafficSelectorType.Ipv4AddrRange : TrafficSelectorType.Ipv6AddrRange;
            return new TrafficSelector(type, 0, 0, 65535, start, end);
        }).Distinct().ToArray();
    }

    private static IEnumerable<IpPrefix> Prefixes(Ikev2VpnProfile profile, string entry)
    {
        var (start, end) = Range(profile, entry);
        return RoutePlanner.Cover(start, end);
    }

    /// <summary>A split-tunnelling entry (CIDR prefix, single address or <c>a - b</c>) as its first and last address.</summary>
    private static (IPAddress Start, IPAddress End) Range(Ikev2VpnProfile profile, string entry)
    {
        var dash = entry.IndexOf('-');
        if (dash > 0 && !entry.Contains('/')
            && IPAddress.TryParse(entry[..dash].Trim(), out var a) && IPAddress.TryParse(entry[(dash + 1)..].Trim(), out var b)
            && a.AddressFamily == b.AddressFamily)
            return (a, b);
        if (IPAddress.TryParse(entry.Trim(), out var single)) return (single, single);
        if (IPNetwork.TryParse(entry.Trim(), out var network))
        {
            var selector = TrafficSelector.FromNetwork(network);
            return (selector.StartAddress, selector.EndAddress);
        }
        throw new VpnConnectionException($"profile '{profile.Name}': splitTunneling: '{entry}' is not a subnet, address or range");
    }
}

/// <summary>What a connection built from a profile runs on: the platform the composition root chose.</summary>
/// <param name="IpSecManager">SPIs and transforms (the userspace one: the data plane is managed ESP).</param>
/// <param name="Interfaces">Tunnel interface builders (Linux TUN, or in-memory).</param>
public sealed record ConnectionPlatform(IIpSecManager IpSecManager, IVpnInterfaceBuilderFactory Interfaces);

/// <summary>The gateway's name or address as an IKE endpoint: the one DNS lookup of a gateway (profiles and redirects).</summary>
public static class GatewayAddress
{
    /// <summary>
    /// <paramref name="host"/> as an address, or resolved (IPv4 preferred, as the gateway's IPv4 address is what a
    /// dual-stack profile names first), with <paramref name="port"/>.
    /// </summary>
    /// <exception cref="VpnConnectionException">the name does not resolve ("unknown host").</exception>
    public static IPEndPoint Resolve(string host, int port)
    {
        var addresses = Lookup(host);
        var pick = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault();
        return pick != null ? new IPEndPoint(pick, port) : throw new VpnConnectionException($"unknown host '{host}'");
    }

    /// <summary>
    /// Every address of <paramref name="host"/> (a literal is its own only address), as DNS gives them; waits at most
    /// <paramref name="timeout"/> (default: as long as the system resolver takes).
    /// </summary>
    /// <exception cref="VpnConnectionException">the name does not resolve, or not in time ("unknown host").</exception>
    public static IPAddress[] Lookup(string host, TimeSpan? timeout = null)
    {
        if (IPAddress.TryParse(host, out var address)) return [address];
        using var cts = new CancellationTokenSource(timeout ?? Timeout.InfiniteTimeSpan);
        try { return Dns.GetHostAddressesAsync(host, cts.Token).GetAwaiter().GetResult(); }
        catch (SocketException e) { throw new VpnConnectionException($"unknown host '{host}': {e.Message}"); }
        catch (OperationCanceledException) { throw new VpnConnectionException($"unknown host '{host}': no answer within {timeout!.Value.TotalSeconds:0} s"); }
    }
}
