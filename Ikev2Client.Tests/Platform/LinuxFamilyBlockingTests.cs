using System.Net;
using System.Net.Sockets;
using FluentAssertions;
using Ikev2Client.Platform;
using Ikev2Client.Connection;
using Ikev2Client.Platform.Linux;
using Ikev2Client.Tests.Infrastructure;
using Xunit;
using static Ikev2Client.Tests.Platform.LinuxTunTestSupport;

namespace Ikev2Client.Tests.Platform;

/// <summary>
/// Family blocking and socket protection on a real TUN in private namespaces (root) on a dual-stack "LAN": an
/// IPv4-only full tunnel makes IPv6 fail at once (EHOSTUNREACH) instead of leaving outside the tunnel, a protected
/// socket still reaches the peer over either family, AllowFamily keeps the family working, IPv6 tunnels get their
/// address, route and rule, and the blocking route is recorded and removed like everything else.
/// </summary>
[Trait("Requires", "root")]
public sealed class LinuxFamilyBlockingTests
{
    /// <summary>Two namespaces joined by a veth with IPv4 and IPv6 (no DAD), the far side listening on UDP 5555.</summary>
    private sealed class Lan : IDisposable
    {
        public readonly NetworkNamespace A = NetworkNamespace.Create("tfa");
        public readonly NetworkNamespace B = NetworkNamespace.Create("tfb");

        public Lan()
        {
            A.Exec($"ip link add va type veth peer name vb netns {B.Name}");
            foreach (var (ns, dev, host) in new[] { (A, "va", 1), (B, "vb", 2) })
            {
                // one command per Exec: "ip netns exec" runs only the first command of a && chain inside the namespace
                ns.Exec($"ip addr add 10.77.0.{host}/24 dev {dev}");
                ns.Exec($"ip -6 addr add 2001:db8:77::{host}/64 dev {dev} nodad");
                ns.Exec($"ip link set {dev} up");
            }
        }

        public Socket Listener(AddressFamily family) => B.Run(() =>
        {
            var s = new Socket(family, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 3000 };
            s.Bind(new IPEndPoint(family == AddressFamily.InterNetwork ? IPAddress.Parse("10.77.0.2") : IPAddress.Parse("2001:db8:77::2"), 5555));
            return s;
        });

        public void Dispose()
        {
            A.Dispose();
            B.Dispose();
        }
    }

    private static readonly IPEndPoint PeerV6 = new(IPAddress.Parse("2001:db8:77::2"), 5555);

    [Fact]
    public void Ipv4_only_full_tunnel_blocks_ipv6_with_ehostunreach_while_protected_sockets_pass()
    {
        RequireRoot();
        using var lan = new Lan();
        using var tun = lan.A.Run(() => new LinuxVpnInterfaceBuilder()
            .AddAddress(IPAddress.Parse("10.99.0.2"), 32).AddRoute(IPAddress.Any, 0).Establish());
        tun.Configuration.BlockedFamilies.Should().Equal(AddressFamily.InterNetworkV6);

        lan.A.Exec("ip -6 route show table 2300").Should().Contain("unreachable default");
        lan.A.Exec("ip -6 rule show").Should().Contain("not from all fwmark 0x2300 lookup 2300");
        lan.A.TryExec("ip -6 route get 2001:db8:77::2").Output.Should().Contain("No route to host", "even the on-link IPv6 LAN is blocked");
        lan.A.Exec("ip -6 route get 2001:db8:77::2 mark 0x2300").Should().Contain("dev va", "marked traffic uses the main table");
        lan.A.Exec("ip -6 route get ::1").Should().Contain("dev lo", "loopback is in the local table, before our rule");

        using var listener = lan.Listener(AddressFamily.InterNetworkV6);
        using var plain = lan.A.Run(() => new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp));
        var error = ((Action)(() => plain.SendTo("leak?"u8.ToArray(), PeerV6))).Should().Throw<SocketException>().Which;
        error.SocketErrorCode.Should().Be(SocketError.HostUnreachable, "applications fail at once and fall back to IPv4");
        var connect = lan.A.TryExec("ping -6 -c 1 -W 1 2001:db8:77::2");
        connect.ExitCode.Should().NotBe(0);
        connect.Output.Should().Contain("No route to host");

        using var protectedSocket = lan.A.Run(() => new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp));
        tun.Protect(protectedSocket).Should().BeTrue();
        protectedSocket.SendTo("around the tunnel"u8.ToArray(), PeerV6);
        var buffer = new byte[64];
        System.Text.Encoding.ASCII.GetString(buffer, 0, listener.Receive(buffer)).Should().Be("around the tunnel");
    }

    [Fact]
    public void Allow_family_keeps_the_family_outside_the_tunnel_and_adds_no_ipv6_rule()
    {
        RequireRoot();
        using var lan = new Lan();
        using var tun = lan.A.Run(() => new LinuxVpnInterfaceBuilder()
            .AddAddress(IPAddress.Parse("10.99.0.2"), 32).AddRoute(IPAddress.Parse("10.98.0.0"), 16)
            .AllowFamily(AddressFamily.InterNetworkV6).Establish());
        tun.Configuration.BlockedFamilies.Should().BeEmpty();
        lan.A.Exec("ip -6 rule show").Should().NotContain("lookup 2300");
        lan.A.Exec("ip -6 route show table all").Should().NotContain("table 2300");
        using var listener = lan.Listener(AddressFamily.InterNetworkV6);
        using var plain = lan.A.Run(() => new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp));
        plain.SendTo("split"u8.ToArray(), PeerV6);
        var buffer = new byte[16];
        listener.Receive(buffer).Should().Be(5);
    }

    [Fact]
    public void Ipv6_only_full_tunnel_routes_ipv6_into_the_tun_and_blocks_ipv4()
    {
        RequireRoot();
        using var lan = new Lan();
        using var tun = lan.A.Run(() => new LinuxVpnInterfaceBuilder()
            .AddAddress(IPAddress.Parse("fd00:3::2"), 128).AddRoute(IPAddress.IPv6Any, 0).SetMtu(1280).Establish());

        lan.A.Exec($"ip -6 addr show dev {tun.Name}").Should().Contain("fd00:3::2/128");
        lan.A.Exec("ip -6 route get 2001:db8:77::2").Should().Contain($"dev {tun.Name}").And.Contain("src fd00:3::2");
        lan.A.Exec("ip route show table 2300").Should().Contain("unreachable default");
        lan.A.TryExec("ip route get 10.77.0.2").Output.Should().Contain("No route to host");
        lan.A.Exec("ip route get 10.77.0.2 mark 0x2300").Should().Contain("dev va");

        using var plain = lan.A.Run(() => new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp));
        plain.SendTo("into the tunnel"u8.ToArray(), PeerV6);
        var captured = ReadUntil(tun, p => p.Length > 48 && p[0] >> 4 == 6 && p[6] == 17, TimeSpan.FromSeconds(5));
        new IPAddress(captured.AsSpan(8, 16)).Should().Be(IPAddress.Parse("fd00:3::2"));
        System.Text.Encoding.ASCII.GetString(captured, 48, captured.Length - 48).Should().Be("into the tunnel");
    }

    [Fact]
    public void Source_address_probe_sees_the_underlay_through_a_full_tunnel_only_when_protected()
    {
        RequireRoot();
        using var lan = new Lan();
        using var tun = lan.A.Run(() => new LinuxVpnInterfaceBuilder()
            .AddAddress(IPAddress.Parse("10.99.0.2"), 32).AddAddress(IPAddress.Parse("fd00:3::2"), 128)
            .AddRoute(IPAddress.Any, 0).AddRoute(IPAddress.IPv6Any, 0).SetMtu(1280).Establish());
        var protector = new SocketProtector();
        var gatewayV4 = new IPEndPoint(IPAddress.Parse("10.77.0.2"), 4500);
        var gatewayV6 = new IPEndPoint(IPAddress.Parse("2001:db8:77::2"), 4500);

        lan.A.Run(() => protector.SourceAddressFor(gatewayV4)).Should().Be(IPAddress.Parse("10.99.0.2"),
            "without the tunnel known to it, the probe's route lookup picks the TUN, as an unprotected MOBIKE probe did");
        protector.Interface = tun;
        lan.A.Run(() => protector.SourceAddressFor(gatewayV4)).Should().Be(IPAddress.Parse("10.77.0.1"));
        lan.A.Run(() => protector.SourceAddressFor(gatewayV6)).Should().Be(IPAddress.Parse("2001:db8:77::1"));
    }

    [Fact]
    public void The_blocking_route_is_recorded_removed_on_dispose_and_cleaned_up_after_a_crash()
    {
        RequireRoot();
        using var ns = NetworkNamespace.Create("tfs");
        var state = Path.Combine(Path.GetTempPath(), $"ikev2-state-{Guid.NewGuid():N}");
        var tun = ns.Run(() => new LinuxVpnInterfaceBuilder(new LinuxVpnOptions { StateFile = state })
            .AddAddress(IPAddress.Parse("10.99.0.2"), 32).AddRoute(IPAddress.Any, 0).Establish());
        File.ReadAllText(state).Should().Contain("route unreachable ::/0 2300").And.Contain("rule inet6 32000 2300 8960");
        tun.Dispose();
        ns.Exec("ip -6 route show table all").Should().NotContain("table 2300");
        ns.Exec("ip -6 rule show").Should().NotContain("lookup 2300");

        var crashed = (LinuxTunInterface)ns.Run(() => new LinuxVpnInterfaceBuilder(new LinuxVpnOptions { StateFile = state })
            .AddAddress(IPAddress.Parse("10.99.0.2"), 32).AddRoute(IPAddress.Any, 0).Establish());
        crashed.AbandonLikeCrash();
        ns.Exec("ip -6 route show table 2300").Should().Contain("unreachable default", "a killed process leaves the block behind");
        var removed = ns.Run(() => LinuxNetworkCleanup.CleanupStale(state));
        removed.Should().Contain("route unreachable ::/0 2300").And.Contain("rule inet6 32000 2300 8960");
        ns.Exec("ip -6 route show table all").Should().NotContain("table 2300");
        ns.Exec("ip -6 rule show").Should().NotContain("lookup 2300");
    }
}
