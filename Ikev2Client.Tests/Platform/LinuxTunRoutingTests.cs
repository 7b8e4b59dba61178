using System.Net;
using System.Net.Sockets;
using System.Buffers.Binary;
using FluentAssertions;
using Ikev2Client.Platform;
using Ikev2Client.Platform.Linux;
using Ikev2Client.Tests.Infrastructure;
using Xunit;
using static Ikev2Client.Tests.Platform.LinuxTunTestSupport;

namespace Ikev2Client.Tests.Platform;

/// <summary>Policy routing, protect, exclusions, IPv6 and cleanup of the Linux TUN (root, private namespaces).</summary>
[Trait("Requires", "root")]
public sealed class LinuxTunRoutingTests
{
    [Fact]
    public void ProtectedSocket_bypasses_full_tunnel_while_unprotected_traffic_enters_tun()
    {
        RequireRoot();
        using var a = NetworkNamespace.Create("tra");
        using var b = NetworkNamespace.Create("trb");
        a.Exec($"ip link add va type veth peer name vb netns {b.Name}");
        a.Exec("ip addr add 10.77.0.1/24 dev va");
        a.Exec("ip link set va up");
        b.Exec("ip addr add 10.77.0.2/24 dev vb");
        b.Exec("ip link set vb up");
        using var tun = a.Run(() => new LinuxVpnInterfaceBuilder()
            .AddAddress(IPAddress.Parse("10.99.0.2"), 24).AddRoute(IPAddress.Any, 0).Establish());
        using var listener = b.Run(() =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 3000 };
            s.Bind(new IPEndPoint(IPAddress.Parse("10.77.0.2"), 5555));
            return s;
        });
        using var plain = a.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
        using var protectedSocket = a.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
        tun.Protect(protectedSocket).Should().BeTrue();
        var peer = new IPEndPoint(IPAddress.Parse("10.77.0.2"), 5555);

        a.Exec("ip route get 10.77.0.2").Should().Contain($"dev {tun.Name}", "the full tunnel covers the LAN peer");
        a.Exec("ip route get 10.77.0.2 mark 0x2300").Should().Contain("dev va", "marked traffic uses the main table");

        plain.SendTo("into the tunnel"u8.ToArray(), peer);
        var captured = ReadUntil(tun, p => IsIPv4(p, 17) && BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(22)) == 5555, TimeSpan.FromSeconds(5));
        Source(captured).Should().Be(IPAddress.Parse("10.99.0.2"));
        System.Text.Encoding.ASCII.GetString(captured, 28, captured.Length - 28).Should().Be("into the tunnel");

        protectedSocket.SendTo("around the tunnel"u8.ToArray(), peer);
        var buf = new byte[100];
        var n = listener.Receive(buf);
        System.Text.Encoding.ASCII.GetString(buf, 0, n).Should().Be("around the tunnel");
    }

    [Fact]
    public void ExcludedRoute_is_a_throw_route_and_falls_back_to_main_table()
    {
        RequireRoot();
        using var ns = NetworkNamespace.Create("tex");
        ns.Exec("ip link add lan0 type veth peer name lan1");
        ns.Exec("ip addr add 192.168.50.1/24 dev lan0");
        ns.Exec("ip link set lan0 up");
        ns.Exec("ip link set lan1 up");
        using var tun = ns.Run(() => new LinuxVpnInterfaceBuilder()
            .AddAddress(IPAddress.Parse("10.99.0.2"), 24)
            .AddRoute(IPAddress.Any, 0)
            .ExcludeRoute(IPAddress.Parse("192.168.50.77"), 24)
            .Establish());

        ns.Exec("ip route show table 2300").Should().Contain("throw 192.168.50.0/24").And.Contain($"default dev {tun.Name}");
        ns.Exec("ip route get 192.168.50.9").Should().Contain("dev lan0");
        ns.Exec("ip route get 192.168.51.9").Should().Contain($"dev {tun.Name}");
    }

    [Fact]
    public void DualStack_adds_IPv6_address_route_and_rule()
    {
        RequireRoot();
        using var ns = NetworkNamespace.Create("tv6");
        using var tun = ns.Run(() => new LinuxVpnInterfaceBuilder()
            .AddAddress(IPAddress.Parse("10.99.0.2"), 32)
            .AddAddress(IPAddress.Parse("fd00:99::2"), 64)
            .AddRoute(IPAddress.Parse("fd00:98::"), 48)
            .AddRoute(IPAddress.Parse("10.98.0.0"), 16)
            .SetMtu(1280)
            .Establish());

        ns.Exec($"ip -6 addr show dev {tun.Name}").Should().Contain("fd00:99::2/64").And.NotContain("fe80:");
        ns.Exec("ip -6 route show table 2300").Should().Contain($"fd00:98::/48 dev {tun.Name}");
        ns.Exec("ip -6 rule show").Should().Contain("not from all fwmark 0x2300 lookup 2300");
        ns.Exec("ip -6 route get fd00:98::1").Should().Contain($"dev {tun.Name}");
    }

    [Fact]
    public void Dispose_removes_device_routes_rules_and_state_file()
    {
        RequireRoot();
        using var ns = NetworkNamespace.Create("tcl");
        var state = Path.Combine(Path.GetTempPath(), $"ikev2-state-{Guid.NewGuid():N}");
        var tun = ns.Run(() => new LinuxVpnInterfaceBuilder(new LinuxVpnOptions { StateFile = state })
            .AddAddress(IPAddress.Parse("10.99.0.2"), 24)
            .AddRoute(IPAddress.Parse("10.98.0.0"), 16)
            .ExcludeRoute(IPAddress.Parse("10.98.7.0"), 24)
            .Establish());
        File.ReadAllText(state).Should().Contain($"device {tun.Name}").And.Contain("rule inet 32000 2300 8960")
            .And.Contain("route throw 10.98.7.0/24 2300");

        tun.Dispose();

        ns.Exec("ip -o link show").Should().NotContain("ikev2tun");
        ns.Exec("ip route show table 2300").Trim().Should().BeEmpty();
        ns.Exec("ip rule show").Should().NotContain("lookup 2300");
        File.Exists(state).Should().BeFalse();
    }

    [Fact]
    public void CrashLeftovers_are_removed_by_cleanup_stale()
    {
        RequireRoot();
        using var ns = NetworkNamespace.Create("tcr");
        var state = Path.Combine(Path.GetTempPath(), $"ikev2-state-{Guid.NewGuid():N}");
        var tun = (LinuxTunInterface)ns.Run(() => new LinuxVpnInterfaceBuilder(new LinuxVpnOptions { StateFile = state })
            .AddAddress(IPAddress.Parse("10.99.0.2"), 24)
            .AddRoute(IPAddress.Any, 0)
            .ExcludeRoute(IPAddress.Parse("10.98.7.0"), 24)
            .Establish());

        tun.AbandonLikeCrash(); // the fd closes as on kill -9; nothing else is undone
        ns.Exec("ip rule show").Should().Contain("lookup 2300", "a killed process leaves its rule");
        ns.Exec("ip route show table 2300").Should().Contain("throw 10.98.7.0/24");

        var removed = ns.Run(() => LinuxNetworkCleanup.CleanupStale(state));

        removed.Should().Contain("rule inet 32000 2300 8960").And.Contain("route throw 10.98.7.0/24 2300");
        ns.Exec("ip rule show").Should().NotContain("lookup 2300");
        ns.Exec("ip route show table 2300").Trim().Should().BeEmpty();
        ns.Exec("ip -o link show").Should().NotContain("ikev2tun");
        File.Exists(state).Should().BeFalse();
    }

    [Fact]
    public void Establish_cleans_a_stale_state_file_first_including_a_leftover_device()
    {
        RequireRoot();
        using var ns = NetworkNamespace.Create("tst");
        var state = Path.Combine(Path.GetTempPath(), $"ikev2-state-{Guid.NewGuid():N}");
        var first = (LinuxTunInterface)ns.Run(() => new LinuxVpnInterfaceBuilder(new LinuxVpnOptions { StateFile = state })
            .AddAddress(IPAddress.Parse("10.99.0.2"), 24).AddRoute(IPAddress.Parse("10.98.0.0"), 16).Establish());
        first.AbandonLikeCrash();
        ns.Exec("ip tuntap add dev ikev2tun9 mode tun"); // a persistent leftover that survives its fd
        File.AppendAllText(state, "device ikev2tun9\nthis line is garbage\nroute bogus 1.2.3.4/99 x\n");

        using var second = ns.Run(() => new LinuxVpnInterfaceBuilder(new LinuxVpnOptions { StateFile = state })
            .AddAddress(IPAddress.Parse("10.99.0.2"), 24).AddRoute(IPAddress.Parse("10.98.0.0"), 16).Establish());

        ns.Exec("ip -o link show").Should().NotContain("ikev2tun9");
        ns.Exec("ip rule show").Split('\n').Count(l => l.Contains("lookup 2300")).Should().Be(1);
        File.ReadAllText(state).Should().Contain($"device {second.Name}").And.NotContain("ikev2tun9");
    }

    [Fact]
    public void KernelRefusal_surfaces_typed_errno_and_rolls_back()
    {
        RequireRoot();
        using var ns = NetworkNamespace.Create("tee");
        using var first = ns.Run(() => new LinuxVpnInterfaceBuilder()
            .AddAddress(IPAddress.Parse("10.99.0.2"), 24).AddRoute(IPAddress.Parse("10.98.0.0"), 16).Establish());

        var act = () => ns.Run(() => new LinuxVpnInterfaceBuilder()
            .AddAddress(IPAddress.Parse("10.99.1.2"), 24).AddRoute(IPAddress.Parse("10.98.0.0"), 16).Establish());

        var error = act.Should().Throw<AggregateException>().WithInnerException<NetlinkException>().Which;
        error.ErrorCode.Should().Be(17, "EEXIST: the same route is already in table 2300");
        error.Operation.Should().Contain("10.98.0.0/16");
        ns.Exec("ip -o link show").Split('\n').Count(l => l.Contains("ikev2tun")).Should().Be(1, "the failed attempt removed its TUN");
        ns.Exec("ip route show table 2300").Should().Contain($"10.98.0.0/16 dev {first.Name}");
    }
}
