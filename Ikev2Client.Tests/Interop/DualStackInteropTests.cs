using System.Net;
using System.Net.Sockets;
using FluentAssertions;
using Ikev2Client.Connection;
using Ikev2Client.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static Ikev2Client.Tests.Interop.DualStackInterop;

namespace Ikev2Client.Tests.Interop;

/// <summary>
/// Dual-stack tunnels against strongSwan on the dual-stack underlay, our client built from a default profile: a
/// dual-stack pool with a full tunnel of both families, an IPv6-only pool, IKE and ESP to the gateway over IPv6, and a
/// split tunnel of both families. IPv6 ping and iperf3 run through the tunnel, and the packets are shown to have gone
/// through ESP: the gateway's CHILD SA byte counters grow by at least the traffic, and tcpdump on the client's
/// underlay sees nothing but UDP 500/4500 to the gateway. Needs root and strongSwan.
/// </summary>
[Trait("Requires", "root")]
[Trait("Requires", "strongswan")]
public sealed class DualStackInteropTests(ITestOutputHelper output)
{
    private const string Server4 = InteropTopology.ServerAddress;
    private const string Server6 = InteropTopology.ServerAddress6;

    private UnderlayCapture Capture(StrongSwanGateway gw) => UnderlayCapture.Start(gw.ClientNamespace, gw.Topology.ClientDevice, gw.Topology.Directory,
        [InteropTopology.ClientAddress, InteropTopology.ClientAddress6], [InteropTopology.GatewayAddress, InteropTopology.GatewayAddress6]);

    private VpnConnection Connect(StrongSwanGateway gw, string server = InteropTopology.GatewayAddress)
    {
        var connection = new VpnConnection(Options(Profile(server)), new Ikev2Client.Tests.Infrastructure.TestLog(line => output.WriteLine(line)));
        try { gw.ClientNamespace.Run(() => connection.Connect()); }
        catch (Exception)
        {
            output.WriteLine(gw.Gateway.LogTail(60));
            throw;
        }
        output.WriteLine($"virtual IPs {string.Join(", ", connection.Info!.VirtualAddresses)}; routes {string.Join(", ", connection.Info.Routes)}; " +
            $"blocked [{string.Join(", ", connection.Info.BlockedFamilies)}]; CHILD SA {connection.Info.ChildSa}");
        return connection;
    }

    private void AssertNothingLeft(StrongSwanGateway gw, VpnConnection connection)
    {
        connection.State.Should().Be(VpnState.Disconnected, connection.EndReason);
        var ns = gw.ClientNamespace.Name;
        Shell.ShOk($"ip -n {ns} link show").Should().NotContain("ikvd");
        Shell.ShOk($"ip -n {ns} rule show").Should().NotContain("lookup 2300");
        Shell.ShOk($"ip -n {ns} -6 rule show").Should().NotContain("lookup 2300");
        Shell.ShOk($"ip -n {ns} route show table all").Should().NotContain("table 2300");
        Shell.ShOk($"ip -n {ns} -6 route show table all").Should().NotContain("table 2300");
        gw.Gateway.WaitForSas(s => s.IkeSaCount == 0).IkeSaCount.Should().Be(0);
    }

    [Fact]
    public void Dual_stack_pool_full_tunnel_carries_ping6_and_iperf3_over_ipv6_through_esp()
    {
        using var gw = StrongSwanGateway.Start(Gateway("0.0.0.0/0,::/0", "pool4, pool6"));
        var connection = Connect(gw);
        try
        {
            var info = connection.Info!;
            info.VirtualAddresses.Select(a => a.BaseAddress.AddressFamily).Should().BeEquivalentTo([AddressFamily.InterNetwork, AddressFamily.InterNetworkV6]);
            info.VirtualAddresses.Should().Contain(a => a.BaseAddress.ToString().StartsWith("fd00:3::"));
            info.Routes.Select(r => r.ToString()).Should().BeEquivalentTo(["0.0.0.0/0", "::/0"]);
            info.FullTunnel.Should().BeTrue();
            info.BlockedFamilies.Should().BeEmpty();
            info.DnsServers.Select(d => d.ToString()).Should().Contain([InteropTopology.DnsAddress, Dns6Address]);
            gw.ClientNamespace.Exec("ip -6 route get " + Server6).Should().Contain("dev ikvd").And.Contain("src fd00:3::");

            var before = ChildBytes(gw);
            using var capture = Capture(gw);
            Ping(gw.ClientNamespace, Server6, 50).Should().Be(50, connection.Statistics.ToString());
            Ping(gw.ClientNamespace, Server4, 20).Should().Be(20);
            var mbps = Iperf(gw, Server6, seconds: 5);
            output.WriteLine($"iperf3 over IPv6 through the tunnel: {mbps:0.0} Mbit/s; {connection.Statistics}");
            mbps.Should().BeGreaterThan(10, "a TCP stream over IPv6 through the tunnel must move real data");
            capture.Stop();
            var after = ChildBytes(gw);
            output.WriteLine($"gateway CHILD SA bytes in {before.In} → {after.In}, out {before.Out} → {after.Out}; ESP/NAT-T datagrams on the underlay {capture.EncapsulatedCount}");

            capture.Leaks.Should().BeEmpty("only UDP 500/4500 to the gateway may cross the underlay:\n" + capture.Describe());
            long iperfBytes = (long)(mbps * 1e6 / 8 * 5 * 0.9);
            (after.In - before.In).Should().BeGreaterThan(iperfBytes, "the IPv6 iperf3 stream went through the gateway's CHILD SA");
            capture.EncapsulatedCount.Should().BeGreaterThan(1000);
            connection.Statistics.TotalDrops.Should().Be(0, connection.Statistics.ToString());
        }
        finally
        {
            connection.Disconnect();
        }
        AssertNothingLeft(gw, connection);
    }

    [Fact]
    public void Ipv6_only_pool_gives_an_ipv6_tunnel_and_blocks_ipv4()
    {
        using var gw = StrongSwanGateway.Start(Gateway("0.0.0.0/0,::/0", "pool6"));
        var connection = Connect(gw);
        try
        {
            var info = connection.Info!;
            info.VirtualAddresses.Should().ContainSingle().Which.BaseAddress.AddressFamily.Should().Be(AddressFamily.InterNetworkV6);
            info.Routes.Select(r => r.ToString()).Should().Equal("::/0");
            info.BlockedFamilies.Should().Equal(AddressFamily.InterNetwork);

            var before = ChildBytes(gw);
            using var capture = Capture(gw);
            Ping(gw.ClientNamespace, Server6, 30).Should().Be(30, connection.Statistics.ToString());
            var mbps = Iperf(gw, Server6, seconds: 3);
            output.WriteLine($"iperf3 over IPv6: {mbps:0.0} Mbit/s");
            mbps.Should().BeGreaterThan(10);
            var ping4 = PingOnce(gw.ClientNamespace, Server4);
            ping4.ExitCode.Should().NotBe(0, "IPv4 has no address in the tunnel and must not go around it");
            ping4.Output.Should().Contain("No route to host", "it fails at once instead of timing out");
            TcpConnect(gw.ClientNamespace, Server4, 5201, TimeSpan.FromSeconds(5)).Should().Be(SocketError.HostUnreachable);
            capture.Stop();
            capture.Leaks.Should().BeEmpty(capture.Describe());
            (ChildBytes(gw).In - before.In).Should().BeGreaterThan((long)(mbps * 1e6 / 8 * 3 * 0.9));
        }
        finally
        {
            connection.Disconnect();
        }
        AssertNothingLeft(gw, connection);
    }

    [Fact]
    public void Ike_and_esp_to_the_gateway_over_ipv6_carry_both_families()
    {
        using var gw = StrongSwanGateway.Start(Gateway("0.0.0.0/0,::/0", "pool4, pool6"));
        var connection = Connect(gw, InteropTopology.GatewayAddress6);
        try
        {
            connection.Info!.RemoteEndPoint.Address.ToString().Should().Be(InteropTopology.GatewayAddress6);
            connection.Info.LocalEndPoint.Address.ToString().Should().Be(InteropTopology.ClientAddress6);
            connection.Info.RemoteEndPoint.Port.Should().Be(4500, "ESP in UDP over IPv6");
            gw.ListSas().Raw.Should().Contain($"@ {InteropTopology.ClientAddress6}[");

            using var capture = Capture(gw);
            Ping(gw.ClientNamespace, Server6, 30).Should().Be(30, connection.Statistics.ToString());
            Ping(gw.ClientNamespace, Server4, 30).Should().Be(30, connection.Statistics.ToString());
            capture.Stop();
            capture.Leaks.Should().BeEmpty(capture.Describe());
            capture.Stop().Where(p => p.Kind == "udp" && p.DestinationPort == 4500).Should()
                .OnlyContain(p => p.Destination!.ToString() == InteropTopology.GatewayAddress6, "the outer packets are IPv6");
            capture.EncapsulatedCount.Should().BeGreaterThanOrEqualTo(60, "at least the 60 echo requests (replies may arrive coalesced by UDP GRO)");
        }
        finally
        {
            connection.Disconnect();
        }
        AssertNothingLeft(gw, connection);
    }

    [Fact]
    public void A_dual_stack_split_tunnel_routes_each_familys_selectors_and_leaves_other_traffic_alone()
    {
        using var gw = StrongSwanGateway.Start(Gateway($"{InteropTopology.ServerSubnet},{InteropTopology.ServerSubnet6}", "pool4, pool6"));
        var connection = Connect(gw);
        try
        {
            connection.Info!.Routes.Select(r => r.ToString()).Should().BeEquivalentTo([InteropTopology.ServerSubnet, InteropTopology.ServerSubnet6]);
            connection.Info.FullTunnel.Should().BeFalse();
            connection.Info.BlockedFamilies.Should().BeEmpty();

            using var capture = Capture(gw);
            Ping(gw.ClientNamespace, Server6, 10).Should().Be(10);
            Ping(gw.ClientNamespace, Server4, 10).Should().Be(10);
            capture.Stop();
            capture.Leaks.Should().BeEmpty("the selectors' traffic goes through ESP:\n" + capture.Describe());
            capture.EncapsulatedCount.Should().BeGreaterThanOrEqualTo(20);

            // The gateway's underlay addresses are outside the selectors: a split tunnel sends that in the clear, as
            // configured (which also shows that the capture does see plaintext).
            using var outside = Capture(gw);
            Ping(gw.ClientNamespace, InteropTopology.GatewayAddress6, 3).Should().Be(3, "other IPv6 traffic is left alone");
            Ping(gw.ClientNamespace, InteropTopology.GatewayAddress, 3).Should().Be(3, "other IPv4 traffic is left alone");
            outside.Stop();
            outside.Leaks.Should().Contain(p => p.Kind == "icmpv6" && p.Destination!.ToString() == InteropTopology.GatewayAddress6);
            outside.Leaks.Should().Contain(p => p.Kind == "icmp" && p.Destination!.ToString() == InteropTopology.GatewayAddress);
        }
        finally
        {
            connection.Disconnect();
        }
        AssertNothingLeft(gw, connection);
    }
}
