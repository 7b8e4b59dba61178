using System.Net;
using System.Net.Sockets;
using Ikev2Client.Platform;
using Ikev2Client.Platform.Linux;
using Ikev2Client.Profiles;

namespace Ikev2Client.Connection;

/// <summary>
/// The profile settings that depend on the network under the tunnel, as Android applies them: the TUN MTU
/// (<c>maxMtu</c>), the local subnets kept out of a full tunnel (<c>localRoutesExcluded</c>) and the order in which
/// the gateway's addresses are tried (<c>automaticIpVersionSelectionEnabled</c>). docs/android-parity.md.
/// </summary>
public static class ProfileNetwork
{
    /// <summary>
    /// ESP-in-UDP overhead on top of the outer IP header, worst case over every ESP algorithm the data plane runs with
    /// the truncations IKE negotiates: UDP 8 + SPI and sequence 8 + IV 16 + padding 15 + pad length and next header 2
    /// + ICV 32 (HMAC-SHA2-512/256).
    /// </summary>
    public const int EspInUdpOverhead = 8 + 8 + 16 + 15 + 2 + 32;

    /// <summary>
    /// The TUN MTU: the smaller of <paramref name="maxMtu"/> and what an inner packet may be so that its ESP-in-UDP
    /// packet still fits <paramref name="pathMtu"/> (no fragmentation of the outer packet), never below 1280 (IPv6's
    /// minimum; a narrower path then fragments the outer packets). Without a known path MTU: <paramref name="maxMtu"/>.
    /// </summary>
    public static int TunnelMtu(int maxMtu, int? pathMtu, AddressFamily gatewayFamily)
    {
        var mtu = maxMtu;
        if (pathMtu is { } path)
        {
            var outerHeader = gatewayFamily == AddressFamily.InterNetworkV6 ? 40 : 20;
            mtu = Math.Min(mtu, path - outerHeader - EspInUdpOverhead);
        }
        return Math.Clamp(mtu, Ikev2VpnProfile.MinimumMtu, 65535);
    }

    /// <summary>The TUN MTU for <paramref name="profile"/> towards <paramref name="gateway"/> (path MTU asked of the kernel).</summary>
    public static int TunnelMtu(Ikev2VpnProfile profile, IPEndPoint gateway) =>
        TunnelMtu(profile.MaxMtu, LinuxUnderlyingNetwork.PathMtu(gateway), gateway.AddressFamily);

    /// <summary>
    /// Routes kept outside the tunnel beyond <c>splitTunneling.exclude</c>: with <c>localRoutesExcluded</c>, the directly
    /// connected subnets of both families (Android excludes the underlying network's local routes); else none.
    /// </summary>
    public static IReadOnlyList<IpPrefix> LocalExclusions(Ikev2VpnProfile profile, Func<IReadOnlyList<IpPrefix>>? connected = null) =>
        profile.LocalRoutesExcluded ? (connected ?? LinuxUnderlyingNetwork.ConnectedSubnets)() : [];

    /// <summary>
    /// The order in which the gateway's addresses are tried. Without automatic IP version selection: the first IPv4
    /// address, else the first one (as before). With it: one address of each family, IPv6 first when this host has an IPv6
    /// route to it (as Android prefers IPv6 where the network has it), the other family as the fallback when the first
    /// gets no answer.
    /// </summary>
    public static IReadOnlyList<IPAddress> OrderGatewayAddresses(IReadOnlyList<IPAddress> addresses, bool automatic, Func<IPAddress, bool> routable)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        var v4 = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork);
        var v6 = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetworkV6);
        if (!automatic) return (v4 ?? addresses.FirstOrDefault()) is { } only ? [only] : [];
        var order = new List<IPAddress>();
        if (v6 != null && routable(v6)) order.Add(v6);
        if (v4 != null) order.Add(v4);
        if (v6 != null && !order.Contains(v6)) order.Add(v6);
        return order;
    }

    /// <summary>
    /// The gateway endpoints of <paramref name="profile"/> in the order to try them (<see cref="OrderGatewayAddresses"/>).
    /// </summary>
    /// <exception cref="VpnConnectionException">the name does not resolve ("unknown host").</exception>
    public static IReadOnlyList<IPEndPoint> GatewayCandidates(Ikev2VpnProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var addresses = GatewayAddress.Lookup(profile.ServerAddr);
        var order = OrderGatewayAddresses(addresses, profile.AutomaticIpVersionSelectionEnabled, HasRoute);
        if (order.Count == 0) throw new VpnConnectionException($"unknown host '{profile.ServerAddr}'");
        return [.. order.Select(a => new IPEndPoint(a, profile.ServerPort))];
    }

    private static bool HasRoute(IPAddress address)
    {
        try
        {
            using var probe = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            probe.Connect(new IPEndPoint(address, 500));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
