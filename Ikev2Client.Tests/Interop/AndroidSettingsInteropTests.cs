using FluentAssertions;
using Ikev2Client.Connection;
using Ikev2Client.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static Ikev2Client.Tests.Interop.DualStackInterop;

namespace Ikev2Client.Tests.Interop;

/// <summary>
/// Android's network settings of a profile on a real full tunnel against strongSwan on the dual-stack underlay:
/// <c>maxMtu</c> above what the path allows gives the largest TUN MTU whose ESP-in-UDP packets still fit the 1500-byte
/// underlay (and a full-size ping crosses with DF set), and <c>localRoutesExcluded</c> keeps the local network of both
/// families outside the tunnel while everything else goes through ESP. Needs root and strongSwan.
/// </summary>
[Trait("Requires", "root")]
[Trait("Requires", "strongswan")]
public sealed class AndroidSettingsInteropTests(ITestOutputHelper output)
{
    [Fact]
    public void Max_mtu_follows_the_path_and_local_routes_excluded_keeps_the_lan_of_both_families_outside_a_full_tunnel()
    {
        using var gw = StrongSwanGateway.Start(Gateway("0.0.0.0/0,::/0", "pool4, pool6"));
        var profile = Profile().ToBuilder().SetLocalRoutesExcluded(true).SetMaxMtu(9000).Build();
        // The options read the network they will run on (path MTU, connected subnets): made inside the client's namespace.
        var connection = new VpnConnection(gw.ClientNamespace.Run(() => Options(profile, "ikva%d")), new TestLog(line => output.WriteLine(line)));
        gw.ClientNamespace.Run(() => connection.Connect());
        try
        {
            var info = connection.Info!;
            info.FullTunnel.Should().BeTrue();
            var mtu = 1500 - 20 - ProfileNetwork.EspInUdpOverhead;
            gw.ClientNamespace.Exec($"ip link show {info.InterfaceName}").Should().Contain($"mtu {mtu} ", "maxMtu 9000 is cut to what the 1500-byte path carries");
            // A full-size inner packet, DF set, crosses the tunnel: its ESP-in-UDP packet fits the underlay.
            gw.ClientNamespace.TryExec($"ping -n -c 3 -W 2 -M do -s {mtu - 28} {InteropTopology.ServerAddress}", TimeSpan.FromSeconds(20))
                .Output.Should().Contain("3 received");

            var dev = gw.Topology.ClientDevice;
            gw.ClientNamespace.Exec($"ip route get {InteropTopology.GatewayAddress}").Should().Contain($"dev {dev}", "the LAN stays outside");
            gw.ClientNamespace.Exec($"ip -6 route get {InteropTopology.GatewayAddress6}").Should().Contain($"dev {dev}");
            gw.ClientNamespace.Exec($"ip route get {InteropTopology.ServerAddress}").Should().Contain($"dev {info.InterfaceName}");
            gw.ClientNamespace.Exec($"ip -6 route get {InteropTopology.ServerAddress6}").Should().Contain($"dev {info.InterfaceName}");

            using var capture = UnderlayCapture.Start(gw.ClientNamespace, dev, gw.Topology.Directory,
                [InteropTopology.ClientAddress, InteropTopology.ClientAddress6], [InteropTopology.GatewayAddress, InteropTopology.GatewayAddress6]);
            Ping(gw.ClientNamespace, InteropTopology.GatewayAddress, 3).Should().Be(3, "the LAN host answers directly");
            Ping(gw.ClientNamespace, InteropTopology.GatewayAddress6, 3).Should().Be(3);
            Ping(gw.ClientNamespace, InteropTopology.ServerAddress, 10).Should().Be(10, "the rest goes through the tunnel");
            Ping(gw.ClientNamespace, InteropTopology.ServerAddress6, 10).Should().Be(10);
            capture.Stop();
            output.WriteLine(capture.Describe());
            capture.Leaks.Should().Contain(p => p.Destination!.ToString() == InteropTopology.GatewayAddress, "LAN traffic is plaintext on the LAN by design")
                .And.Contain(p => p.Destination!.ToString() == InteropTopology.GatewayAddress6)
                .And.NotContain(p => p.Destination!.ToString() == InteropTopology.ServerAddress || p.Destination!.ToString() == InteropTopology.ServerAddress6,
                    "traffic beyond the LAN never leaves outside the tunnel");
            capture.EncapsulatedCount.Should().BeGreaterThanOrEqualTo(40);
        }
        finally
        {
            connection.Disconnect();
        }
    }
}
