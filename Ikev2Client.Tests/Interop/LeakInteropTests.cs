using System.Diagnostics;
using System.Net.Sockets;
using FluentAssertions;
using Ikev2Client.Connection;
using Ikev2Client.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static Ikev2Client.Tests.Interop.DualStackInterop;

namespace Ikev2Client.Tests.Interop;

/// <summary>
/// Leak tests modelled on the published attacks on VPN clients, in both families, each with a full tunnel from a
/// default profile against strongSwan on the dual-stack underlay, and tcpdump on the client's physical (veth) interface
/// for the whole time user traffic flows: nothing but IKE/ESP (UDP 500/4500) to the gateway may cross it.
/// <list type="bullet">
/// <item>A full tunnel to an IPv4-only gateway on a dual-stack host: IPv6 must be blocked, not sent around the tunnel.</item>
/// <item>TunnelCrack LocalNet (Vanhoef et al., USENIX Security 2023): the local network claims the destination's
/// prefix as on-link.</item>
/// <item>TunnelCrack ServerIP: user traffic to the gateway's own address (which spoofed DNS can make any address).</item>
/// <item>TunnelVision (CVE-2024-3661): more specific routes in the main table, as DHCP option 121 pushes them.</item>
/// </list>
/// Each test first shows that the capture does see plaintext (the same traffic before connecting, or after). See
/// docs/leaks.md. Needs root and strongSwan.
/// </summary>
[Trait("Requires", "root")]
[Trait("Requires", "strongswan")]
public sealed class LeakInteropTests(ITestOutputHelper output)
{
    private const string Server4 = InteropTopology.ServerAddress;
    private const string Server6 = InteropTopology.ServerAddress6;
    private const int Port = 8080;

    private static UnderlayCapture Capture(StrongSwanGateway gw) => UnderlayCapture.Start(gw.ClientNamespace, gw.Topology.ClientDevice,
        gw.Topology.Directory, [InteropTopology.ClientAddress, InteropTopology.ClientAddress6],
        [InteropTopology.GatewayAddress, InteropTopology.GatewayAddress6]);

    private VpnConnection Connect(StrongSwanGateway gw, string server = InteropTopology.GatewayAddress)
    {
        var connection = new VpnConnection(Options(Profile(server)), new Ikev2Client.Tests.Infrastructure.TestLog(line => output.WriteLine(line)));
        gw.ClientNamespace.Run(() => connection.Connect());
        connection.Info!.FullTunnel.Should().BeTrue();
        return connection;
    }

    private void AssertNoLeaks(UnderlayCapture capture, int minimumEncapsulated)
    {
        var packets = capture.Stop();
        output.WriteLine($"underlay: {packets.Count} frames, {capture.EncapsulatedCount} UDP 4500 datagrams to/from the gateway, {capture.Leaks.Count} leaks");
        capture.Leaks.Should().BeEmpty("no user packet may cross the physical interface in plaintext:\n" + capture.Describe());
        capture.EncapsulatedCount.Should().BeGreaterThanOrEqualTo(minimumEncapsulated, "the user traffic went through ESP instead");
    }

    /// <summary>Shows the capture sees plaintext user traffic on this underlay (before the tunnel is up).</summary>
    private void AssertCaptureSeesPlaintext(StrongSwanGateway gw, params string[] targets)
    {
        using var control = Capture(gw);
        foreach (var t in targets) Ping(gw.ClientNamespace, t, 1);
        control.Stop();
        foreach (var t in targets)
            control.Leaks.Should().Contain(p => p.Destination!.ToString() == t, $"without the tunnel, traffic to {t} is visible on the underlay");
    }

    [Fact]
    public void Full_tunnel_to_an_ipv4_only_gateway_on_a_dual_stack_underlay_leaks_nothing_of_either_family()
    {
        using var gw = StrongSwanGateway.Start(Gateway("0.0.0.0/0", "pool4"));
        using var sink4 = Listen(gw.ServerNamespace, Server4, Port);
        using var sink6 = Listen(gw.ServerNamespace, Server6, Port);
        AssertCaptureSeesPlaintext(gw, Server4, Server6);
        var connection = Connect(gw);
        try
        {
            connection.Info!.BlockedFamilies.Should().Equal(AddressFamily.InterNetworkV6);
            using var capture = Capture(gw);

            Ping(gw.ClientNamespace, Server4, 20).Should().Be(20, "IPv4 goes through the tunnel");
            TcpConnect(gw.ClientNamespace, Server4, Port, TimeSpan.FromSeconds(5)).Should().BeNull();
            UdpSend(gw.ClientNamespace, Server4, 53).Should().BeNull("a DNS-like datagram goes into the tunnel");

            var watch = Stopwatch.StartNew();
            var ping6 = PingOnce(gw.ClientNamespace, Server6);
            ping6.ExitCode.Should().NotBe(0, "IPv6 has no address in the tunnel and must not go around it");
            ping6.Output.Should().Contain("No route to host");
            TcpConnect(gw.ClientNamespace, Server6, Port, TimeSpan.FromSeconds(10)).Should().Be(SocketError.HostUnreachable);
            UdpSend(gw.ClientNamespace, Server6, 53).Should().Be(SocketError.HostUnreachable);
            watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(3), "blocked IPv6 fails at once, so applications fall back to IPv4");

            AssertNoLeaks(capture, minimumEncapsulated: 20);
            sink4.Remotes.Should().ContainSingle().Which.Should().Be(connection.Info.VirtualAddresses.Single().BaseAddress,
                "the TCP connection came out of the tunnel at the gateway");
            sink6.Accepted.Should().Be(0);
        }
        finally
        {
            connection.Disconnect();
        }
        Ping(gw.ClientNamespace, Server6, 3).Should().Be(3, "after disconnect IPv6 works again");
        Ping(gw.ClientNamespace, Server4, 3).Should().Be(3);
    }

    [Fact]
    public void TunnelCrack_LocalNet_a_local_network_claiming_the_destinations_prefixes_gets_nothing_of_either_family()
    {
        using var gw = StrongSwanGateway.Start(Gateway("0.0.0.0/0,::/0", "pool4, pool6"));
        using var sink4 = Listen(gw.ServerNamespace, Server4, Port);
        using var sink6 = Listen(gw.ServerNamespace, Server6, Port);
        // The rogue LAN assigns us addresses inside the destination's prefixes, so the main table has them on-link.
        var dev = gw.Topology.ClientDevice;
        Shell.ShOk($"ip -n {gw.ClientNamespace.Name} addr add 10.1.0.99/24 dev {dev}");
        Shell.ShOk($"ip -n {gw.ClientNamespace.Name} -6 addr add 2001:db8:1::99/64 dev {dev} nodad");
        gw.ClientNamespace.Exec($"ip route get {Server4}").Should().Contain($"dev {dev}").And.NotContain("via", "the attack makes the server look on-link");
        using (var control = Capture(gw))
        {
            Ping(gw.ClientNamespace, Server4, 1);
            Ping(gw.ClientNamespace, Server6, 1);
            control.Stop();
            control.Leaks.Should().Contain(p => p.Kind == "arp" && p.Destination!.ToString() == Server4, "without the tunnel the client asks the LAN for the server");
            control.Leaks.Should().Contain(p => p.Kind == "nd" && p.Destination!.ToString() == Server6);
        }

        var connection = Connect(gw);
        try
        {
            using var capture = Capture(gw);
            Ping(gw.ClientNamespace, Server4, 20).Should().Be(20, "through the tunnel the real server answers");
            Ping(gw.ClientNamespace, Server6, 20).Should().Be(20);
            TcpConnect(gw.ClientNamespace, Server4, Port, TimeSpan.FromSeconds(5)).Should().BeNull();
            TcpConnect(gw.ClientNamespace, Server6, Port, TimeSpan.FromSeconds(5)).Should().BeNull();
            AssertNoLeaks(capture, minimumEncapsulated: 40);
            sink4.Accepted.Should().Be(1);
            sink6.Accepted.Should().Be(1);
        }
        finally
        {
            connection.Disconnect();
        }
    }

    [Theory]
    [InlineData(InteropTopology.GatewayAddress)]
    [InlineData(InteropTopology.GatewayAddress6)]
    public void TunnelCrack_ServerIP_user_traffic_to_the_gateways_own_addresses_goes_through_the_tunnel(string ikeAddress)
    {
        using var gw = StrongSwanGateway.Start(Gateway("0.0.0.0/0,::/0", "pool4, pool6"));
        // A service on the gateway's underlay addresses plays the site the spoofed DNS name pointed at.
        using var sink4 = Listen(gw.GatewayNamespace, InteropTopology.GatewayAddress, Port);
        using var sink6 = Listen(gw.GatewayNamespace, InteropTopology.GatewayAddress6, Port);
        AssertCaptureSeesPlaintext(gw, InteropTopology.GatewayAddress, InteropTopology.GatewayAddress6);
        var connection = Connect(gw, ikeAddress);
        try
        {
            connection.Info!.RemoteEndPoint.Address.ToString().Should().Be(ikeAddress);
            gw.ClientNamespace.Exec("ip route show table all").Should().NotContain($"{ikeAddress} via", "no exception route for the server");
            using var capture = Capture(gw);
            Ping(gw.ClientNamespace, InteropTopology.GatewayAddress, 20).Should().Be(20);
            Ping(gw.ClientNamespace, InteropTopology.GatewayAddress6, 20).Should().Be(20);
            TcpConnect(gw.ClientNamespace, InteropTopology.GatewayAddress, Port, TimeSpan.FromSeconds(5)).Should().BeNull();
            TcpConnect(gw.ClientNamespace, InteropTopology.GatewayAddress6, Port, TimeSpan.FromSeconds(5)).Should().BeNull();
            AssertNoLeaks(capture, minimumEncapsulated: 40);
            var vips = connection.Info.VirtualAddresses.Select(a => a.BaseAddress).ToArray();
            sink4.Remotes.Concat(sink6.Remotes).Should().HaveCount(2).And.OnlyContain(a => vips.Contains(a),
                "the gateway's service saw our virtual IPs: the connections arrived through the tunnel");
        }
        finally
        {
            connection.Disconnect();
        }
    }

    [Fact]
    public void TunnelVision_more_specific_routes_in_the_main_table_do_not_pull_traffic_of_either_family_out()
    {
        using var gw = StrongSwanGateway.Start(Gateway("0.0.0.0/0,::/0", "pool4, pool6"));
        using var sink4 = Listen(gw.ServerNamespace, Server4, Port);
        using var sink6 = Listen(gw.ServerNamespace, Server6, Port);
        var ns = gw.ClientNamespace.Name;
        // DHCP option 121 (and its IPv6 equivalent, RA route information) as TunnelVision pushes it: halves of the
        // address space via the LAN router, plus host routes for the destinations.
        string via4 = InteropTopology.GatewayAddress, via6 = InteropTopology.GatewayAddress6;
        foreach (var r in new[] { "0.0.0.0/1", "128.0.0.0/1", $"{Server4}/32" }) Shell.ShOk($"ip -n {ns} route add {r} via {via4}");
        foreach (var r in new[] { "::/1", "8000::/1" }) Shell.ShOk($"ip -n {ns} -6 route add {r} via {via6}");
        AssertCaptureSeesPlaintext(gw, Server4, Server6);

        var connection = Connect(gw);
        try
        {
            // ... and more pushed while connected (a DHCP renewal).
            Shell.ShOk($"ip -n {ns} -6 route add {Server6}/128 via {via6}");
            Shell.ShOk($"ip -n {ns} route add 10.1.0.0/25 via {via4}");
            gw.ClientNamespace.Exec($"ip route get {Server4}").Should().Contain("dev ikvd", "our table is consulted before the main table");
            gw.ClientNamespace.Exec($"ip -6 route get {Server6}").Should().Contain("dev ikvd");
            using var capture = Capture(gw);
            Ping(gw.ClientNamespace, Server4, 20).Should().Be(20);
            Ping(gw.ClientNamespace, Server6, 20).Should().Be(20);
            TcpConnect(gw.ClientNamespace, Server4, Port, TimeSpan.FromSeconds(5)).Should().BeNull();
            TcpConnect(gw.ClientNamespace, Server6, Port, TimeSpan.FromSeconds(5)).Should().BeNull();
            AssertNoLeaks(capture, minimumEncapsulated: 40);
            sink4.Accepted.Should().Be(1);
            sink6.Accepted.Should().Be(1);
        }
        finally
        {
            connection.Disconnect();
        }
    }
}
