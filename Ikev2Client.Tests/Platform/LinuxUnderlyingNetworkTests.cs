using System.Net;
using System.Net.Sockets;
using System.Text;
using FluentAssertions;
using Ikev2Client.Connection;
using Ikev2Client.Platform;
using Ikev2Client.Platform.Linux;
using Ikev2Client.Profiles;
using Ikev2Client.Tests.Infrastructure;
using Xunit;
using static Ikev2Client.Tests.Platform.LinuxTunTestSupport;

namespace Ikev2Client.Tests.Platform;

/// <summary>
/// The profile and builder settings that depend on the network under the tunnel, on real interfaces in private
/// namespaces (root): protect() before establish(), underlying networks, the TUN MTU from the path MTU, and the local
/// subnets a full tunnel leaves outside with <c>localRoutesExcluded</c>.
/// </summary>
[Trait("Requires", "root")]
public sealed class LinuxUnderlyingNetworkTests : IDisposable
{
    private readonly NetworkNamespace _a = NetworkNamespace.Create("una");
    private readonly NetworkNamespace _b = NetworkNamespace.Create("unb");

    public LinuxUnderlyingNetworkTests()
    {
        RequireRoot();
        _a.Exec($"ip link add va type veth peer name vb netns {_b.Name}");
        foreach (var (ns, dev, host) in new[] { (_a, "va", 1), (_b, "vb", 2) })
        {
            ns.Exec($"ip addr add 10.78.0.{host}/24 dev {dev}");
            ns.Exec($"ip -6 addr add 2001:db8:78::{host}/64 dev {dev} nodad");
            ns.Exec($"ip link set {dev} up");
        }
    }

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }

    private static readonly IPEndPoint Peer = new(IPAddress.Parse("10.78.0.2"), 5556);

    private Socket Listener() => _b.Run(() =>
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 3000 };
        s.Bind(Peer);
        return s;
    });

    private static Ikev2VpnProfile Profile(Action<Ikev2VpnProfile.Builder>? change = null)
    {
        var b = new Ikev2VpnProfile.Builder("10.78.0.2", null).SetName("u").SetUserIdentity("client.test")
            .SetRemoteIdentity("gw.test").SetAuthPsk("secret-secret"u8.ToArray());
        change?.Invoke(b);
        return b.Build();
    }

    [Fact]
    public void A_socket_protected_before_establish_reaches_the_gateway_past_the_full_tunnel_that_follows()
    {
        using var listener = Listener();
        var (tun, socket) = _a.Run(() =>
        {
            var b = new LinuxVpnInterfaceBuilder(new LinuxVpnOptions { InterfaceName = "ikvp%d" });
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            b.Protect(s).Should().BeTrue("Android's order: protect, connect, then establish");
            s.Connect(Peer);
            var t = b.AddAddress(IPAddress.Parse("10.99.0.2"), 32).AddRoute(IPAddress.Any, 0).Establish();
            return (t, s);
        });
        using var _ = tun;
        using var __ = socket;
        var mark = new byte[4];
        socket.GetRawSocketOption(1, 36, mark).Should().Be(4);
        BitConverter.ToUInt32(mark).Should().Be(((LinuxTunInterface)tun).FwMark);
        socket.Send("protected"u8);
        var buffer = new byte[64];
        var n = listener.Receive(buffer);
        Encoding.ASCII.GetString(buffer, 0, n).Should().Be("protected", "the full tunnel's routes do not apply to the protected socket");
    }

    [Fact]
    public void Protected_sockets_are_bound_to_the_first_underlying_network()
    {
        var bound = _a.Run(() =>
        {
            var b = new LinuxVpnInterfaceBuilder(new LinuxVpnOptions { InterfaceName = "ikvu%d" });
            b.SetUnderlyingNetworks(["va"]);
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            b.Protect(s).Should().BeTrue();
            var name = new byte[16];
            var n = s.GetRawSocketOption(1, 25, name); // SO_BINDTODEVICE
            return Encoding.ASCII.GetString(name, 0, n).TrimEnd('\0');
        });
        bound.Should().Be("va");
        var refused = _a.Run(() =>
        {
            var b = new LinuxVpnInterfaceBuilder(new LinuxVpnOptions { InterfaceName = "ikvu%d" });
            b.SetUnderlyingNetworks(["nosuchdev0"]);
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            return b.Protect(s);
        });
        refused.Should().BeFalse("an underlying network that does not exist cannot carry the tunnel");
    }

    [Fact]
    public void The_tun_mtu_is_max_mtu_up_to_what_the_path_to_the_gateway_allows()
    {
        _a.Exec("ip link set va mtu 9000");
        _b.Exec("ip link set vb mtu 9000");
        _a.Run(() => ProfileConnection.CreateOptions(Profile(b => b.SetMaxMtu(8000))).Mtu).Should().Be(8000, "no 1400 cap");
        _a.Run(() => ProfileConnection.CreateOptions(Profile()).Mtu).Should().Be(Ikev2VpnProfile.DefaultMaxMtu);
        _a.Exec("ip link set va mtu 1420");
        _a.Run(() => ProfileConnection.CreateOptions(Profile(b => b.SetMaxMtu(8000))).Mtu)
            .Should().Be(1420 - 20 - ProfileNetwork.EspInUdpOverhead, "the path allows no more");
    }

    [Fact]
    public void Local_routes_excluded_keeps_the_connected_subnets_of_both_families_outside_a_full_tunnel()
    {
        var excluded = _a.Run(() => ProfileConnection.CreateOptions(Profile(b => b.SetLocalRoutesExcluded(true))).ExcludedRoutes);
        excluded.Should().Contain(new IpPrefix(IPAddress.Parse("10.78.0.0"), 24)).And.Contain(new IpPrefix(IPAddress.Parse("2001:db8:78::"), 64));
        _a.Run(() => ProfileConnection.CreateOptions(Profile()).ExcludedRoutes).Should().BeEmpty();

        // On a real full tunnel an unprotected socket still reaches the LAN directly (the exclusions are throw routes).
        using var listener = Listener();
        using var tun = _a.Run(() =>
        {
            var b = new LinuxVpnInterfaceBuilder(new LinuxVpnOptions { InterfaceName = "ikvl%d" });
            b.AddAddress(IPAddress.Parse("10.99.0.2"), 32).AddRoute(IPAddress.Any, 0).AddRoute(IPAddress.IPv6Any, 0).SetMtu(1360);
            foreach (var r in excluded) b.ExcludeRoute(r.Address, r.PrefixLength);
            return b.Establish();
        });
        _a.Run(() =>
        {
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.Connect(Peer);
            s.Send("local"u8);
        });
        var buffer = new byte[64];
        Encoding.ASCII.GetString(buffer, 0, listener.Receive(buffer)).Should().Be("local");
        _a.Exec("ip route get 10.78.0.2").Should().Contain("dev va", "the LAN is outside the tunnel");
        _a.Exec("ip route get 198.51.100.1").Should().Contain("dev ikvl", "everything else goes into the tunnel");
    }
}
