using System.Net;
using System.Text.RegularExpressions;
using FluentAssertions;
using Ikev2Client.Connection;
using Ikev2Client.Protocol.Ike;
using Ikev2Client.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Ikev2Client.Tests.Interop;

/// <summary>
/// Redirect (RFC 5685) and MOBIKE (RFC 4555) against the strongSwan gateway: <c>swanctl --redirect</c> moves our
/// connection to a second address of the gateway; removing our address moves the IKE SA and CHILD SA (same SPIs)
/// to our other address while pings go on. Needs root; fails loudly without it.
/// </summary>
[Trait("Requires", "root")]
[Trait("Requires", "strongswan")]
public sealed partial class MobilityInteropTests(ITestOutputHelper output)
{
    private const string SecondGatewayAddress = "192.0.2.3";
    private const string SecondClientAddress = "192.0.2.4";

    [Fact]
    public void Swanctl_redirect_moves_the_connection_to_the_other_gateway_address()
    {
        var conf = SwanctlConfigs.PskGateway().Replace($"local_addrs = {InteropTopology.GatewayAddress}",
            $"local_addrs = {InteropTopology.GatewayAddress},{SecondGatewayAddress}", StringComparison.Ordinal);
        using var gw = StrongSwanGateway.Start(conf);
        Shell.ShOk($"ip -n {gw.GatewayNamespace.Name} addr add {SecondGatewayAddress}/24 dev {gw.Topology.GatewayDevice}");
        var connection = new VpnConnection(DataPlaneInteropTests.ClientOptions(gw, SwanctlConfigs.DefaultEspProposals), new Ikev2Client.Tests.Infrastructure.TestLog(line => output.WriteLine(line)));
        try
        {
            gw.ClientNamespace.Run(() => connection.Connect());
            Ping(gw, 10).Should().Be(0);
            var redirect = gw.Gateway.Swanctl($"--redirect --peer-ip {gw.ClientAddress} --gateway {SecondGatewayAddress}");
            output.WriteLine(redirect.Output);
            redirect.ExitCode.Should().Be(0, redirect.Output);

            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (DateTime.UtcNow < deadline &&
                   !(connection.State == VpnState.Connected && connection.Info?.RemoteEndPoint.Address.ToString() == SecondGatewayAddress))
                Thread.Sleep(100);
            connection.State.Should().Be(VpnState.Connected, connection.EndReason);
            connection.Info!.RemoteEndPoint.Address.ToString().Should().Be(SecondGatewayAddress);
            var sas = gw.Gateway.WaitForSas(s => s.IkeSaCount == 1 && s.EstablishedCount == 1);
            output.WriteLine(sas.Raw);
            sas.EstablishedCount.Should().Be(1, "the redirected IKE SA was deleted");
            sas.Raw.Should().Contain($"@ {SecondGatewayAddress}[4500]");
            Ping(gw, 10).Should().Be(0, connection.Statistics.ToString());
            gw.LogText.Should().Contain($"client got redirected from {InteropTopology.GatewayAddress}", "we sent REDIRECTED_FROM");
        }
        finally
        {
            connection.Disconnect();
        }
        connection.State.Should().Be(VpnState.Disconnected, connection.EndReason);
        gw.Gateway.WaitForSas(s => s.IkeSaCount == 0).IkeSaCount.Should().Be(0);
    }

    [Fact]
    public void Mobike_moves_the_sas_to_our_other_address_when_the_first_is_removed()
    {
        using var gw = StrongSwanGateway.Start(SwanctlConfigs.PskGateway());
        var dev = gw.Topology.ClientDevice;
        gw.ClientNamespace.Exec($"sysctl -qw net.ipv4.conf.{dev}.promote_secondaries=1");
        Shell.ShOk($"ip -n {gw.ClientNamespace.Name} addr add {SecondClientAddress}/24 dev {dev}");
        var options = DataPlaneInteropTests.ClientOptions(gw, SwanctlConfigs.DefaultEspProposals);
        var connection = new VpnConnection(new VpnConnectionOptions
        {
            IpSecManager = new Ikev2Client.Platform.Userspace.UserspaceIpSecManager(),
            Server = options.Server, Session = options.Session, InterfaceBuilderFactory = options.InterfaceBuilderFactory,
            Pump = options.Pump, AddressCheckInterval = TimeSpan.FromMilliseconds(500),
        }, new Ikev2Client.Tests.Infrastructure.TestLog(line => output.WriteLine(line)));
        try
        {
            gw.ClientNamespace.Run(() => connection.Connect());
            Ping(gw, 10).Should().Be(0);
            var before = gw.ListSas().Raw;
            output.WriteLine(before);
            before.Should().Contain($"@ {gw.ClientAddress}[");
            var spisBefore = Spis(before);
            spisBefore.Should().HaveCount(3, "IKE SPIs, CHILD in and out SPIs");

            // Pings run while the address goes away; the connection notices on its own (address check).
            int lost = -1;
            var pinging = new Thread(() => lost = gw.ClientNamespace.Run(() =>
                DataPlaneInteropTests.PingMany(IPAddress.Parse(gw.ServerAddress), 60, TimeSpan.FromMilliseconds(100))));
            pinging.Start();
            Thread.Sleep(1000);
            Shell.ShOk($"ip -n {gw.ClientNamespace.Name} addr del {gw.ClientAddress}/24 dev {dev}");
            pinging.Join(TimeSpan.FromSeconds(60));
            output.WriteLine($"pings lost during the move: {lost}; {connection.Statistics}");

            var after = gw.Gateway.WaitForSas(s => s.Raw.Contains($"@ {SecondClientAddress}["), TimeSpan.FromSeconds(10)).Raw;
            output.WriteLine(after);
            after.Should().Contain($"@ {SecondClientAddress}[", "strongSwan moved the IKE SA to our new address");
            foreach (var line in gw.LogText.Split('\n').Where(l => l.Contains("[IKE]") || l.Contains("[KNL]") || l.Contains("[CHD]")).TakeLast(25))
                output.WriteLine(line);
            Spis(after)[0].Should().Be(spisBefore[0], "MOBIKE keeps the IKE SA");
            // The CHILD SA keeps its SPIs when the gateway's kernel interface can move it; kernel-libipsec cannot, so
            // strongSwan rekeys it right after the update (RFC 4555 allows either); both must be seamless for us.
            if (!Spis(after).SequenceEqual(spisBefore))
                gw.LogText.Should().Contain("CREATE_CHILD_SA", "a changed CHILD SA SPI can only come from a rekey");
            connection.State.Should().Be(VpnState.Connected);
            connection.Info!.LocalEndPoint.Address.ToString().Should().Be(SecondClientAddress);
            lost.Should().BeInRange(0, 10, "a short gap at most");
            Ping(gw, 20).Should().Be(0, connection.Statistics.ToString());
        }
        finally
        {
            connection.Disconnect();
        }
        gw.Gateway.WaitForSas(s => s.IkeSaCount == 0).IkeSaCount.Should().Be(0);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Through_a_nat_router_keepalives_flow_and_a_changed_mapping_is_recovered(bool mobike)
    {
        using var gw = StrongSwanGateway.Start(SwanctlConfigs.PskGateway());
        using var nat = NatRouter.Insert(gw.Topology);
        var options = DataPlaneInteropTests.ClientOptions(gw, SwanctlConfigs.DefaultEspProposals);
        var o = options.Session;
        // Without MOBIKE the change is announced by a liveness check: strongSwan follows a NATed peer's new address
        // on any authenticated IKE message.
        var session = mobike ? o : new IkeSessionOptions
        {
            LocalIdentity = o.LocalIdentity, RemoteIdentity = o.RemoteIdentity, Authenticator = o.Authenticator,
            IkeProposals = o.IkeProposals, EspProposals = o.EspProposals, RequestedAddressFamilies = o.RequestedAddressFamilies,
            AdvertiseMobike = false,
        };
        var connection = new VpnConnection(new VpnConnectionOptions
        {
            IpSecManager = new Ikev2Client.Platform.Userspace.UserspaceIpSecManager(),
            Server = options.Server, Session = session, InterfaceBuilderFactory = options.InterfaceBuilderFactory,
            NatT = new Ikev2Client.Platform.Userspace.NatTSocketOptions { KeepaliveInterval = TimeSpan.FromSeconds(1) },
        }, new Ikev2Client.Tests.Infrastructure.TestLog(line => output.WriteLine(line)));
        try
        {
            gw.ClientNamespace.Run(() => connection.Connect());
            connection.Info!.LocalEndPoint.Address.ToString().Should().Be(NatRouter.ClientInsideAddress);
            var first = gw.ListSas().Raw;
            output.WriteLine(first);
            var firstPort = RemotePort(first, nat.PublicAddress);
            Ping(gw, 10).Should().Be(0);

            // Idle: the pump sends NAT keepalives, which the router forwards.
            var keepalives = nat.KeepalivesForwarded;
            Thread.Sleep(3500);
            (nat.KeepalivesForwarded - keepalives).Should().BeGreaterThanOrEqualTo(2, "keepalives every second while idle");

            // The NAT loses its state and maps us to another port; the next IKE message (our MOBIKE update) tells the gateway.
            nat.Remap("20000-20999");
            connection.NetworkChanged();
            var moved = gw.Gateway.WaitForSas(s => RemotePort(s.Raw, nat.PublicAddress) is >= 20000 and <= 20999, TimeSpan.FromSeconds(10)).Raw;
            output.WriteLine(moved);
            RemotePort(moved, nat.PublicAddress).Should().BeInRange(20000, 20999, $"the gateway follows the new mapping (was {firstPort})");
            Spis(moved)[0].Should().Be(Spis(first)[0], "the same IKE SA");
            Ping(gw, 20).Should().BeLessThanOrEqualTo(1, connection.Statistics.ToString());
            Ping(gw, 10).Should().Be(0, connection.Statistics.ToString());
            connection.State.Should().Be(VpnState.Connected);
        }
        finally
        {
            connection.Disconnect();
        }
        gw.Gateway.WaitForSas(s => s.IkeSaCount == 0).IkeSaCount.Should().Be(0);
    }

    private static int RemotePort(string listing, string address)
    {
        var m = Regex.Match(listing, $@"remote\s+'[^']*' @ {Regex.Escape(address)}\[(\d+)\]");
        return m.Success ? int.Parse(m.Groups[1].Value) : -1;
    }

    private static int Ping(StrongSwanGateway gw, int count) =>
        gw.ClientNamespace.Run(() => DataPlaneInteropTests.PingMany(IPAddress.Parse(gw.ServerAddress), count, TimeSpan.FromMilliseconds(20)));

    /// <summary>The IKE SPI pair and the CHILD SA's in/out SPIs from a <c>swanctl --list-sas</c> listing.</summary>
    internal static string[] Spis(string listing) =>
        SpiPattern().Matches(listing).Select(m => m.Value).ToArray();

    [GeneratedRegex(@"[0-9a-f]{16}_i\*? [0-9a-f]{16}_r\*?|(?:in|out)\s+[0-9a-f]{8}")]
    private static partial Regex SpiPattern();
}
