using System.Net;
using System.Net.Sockets;
using FluentAssertions;
using Ikev2Client.Connection;
using Ikev2Client.Platform;
using Ikev2Client.Platform.InMemory;
using Ikev2Client.Protocol.Ike;
using Ikev2Client.Protocol.Traffic;
using Ikev2Client.Protocol.Wire.Payloads;
using Ikev2Client.Tests.Ike;
using Xunit;

namespace Ikev2Client.Tests.DataPlane;

/// <summary>
/// <see cref="TunnelPlan"/>: every mix of families a gateway can answer, full and split, with and without the profile's
/// block flags, and what the interface builder gets from it (Android's family rule included).
/// </summary>
public sealed class TunnelPlanTests
{
    private static readonly ChildSaInfo Negotiated = NegotiateChild();

    private static ChildSaInfo NegotiateChild()
    {
        using var pair = new IkeTestPair(IkeTestPair.InitiatorOptions(), IkeTestPair.ResponderOptions());
        pair.Connect();
        pair.Run();
        return pair.Initiator.ChildSas.Single();
    }

    private static readonly TrafficSelector Any4 = TrafficSelector.Any(AddressFamily.InterNetwork);
    private static readonly TrafficSelector Any6 = TrafficSelector.Any(AddressFamily.InterNetworkV6);

    private static TrafficSelector Net(string cidr) => TrafficSelector.FromNetwork(IPNetwork.Parse(cidr));

    private static ChildSaInfo Child(params TrafficSelector[] remote) => Negotiated with { RemoteTrafficSelectors = remote };

    private static IkeConfiguration Config(string[] addresses, params string[] dns) =>
        new(addresses.Select(a => new IPNetwork(IPAddress.Parse(a), a.Contains(':') ? 128 : 32)).ToArray(),
            dns.Select(IPAddress.Parse).ToArray(), [], []);

    private static VpnConnectionOptions Options(bool force = false, int mtu = 1400, AddressFamily[]? block = null, IpPrefix[]? exclude = null) => new()
    {
        Server = new IPEndPoint(IPAddress.Loopback, 500),
        Session = IkeTestPair.InitiatorOptions(),
        ForceFullTunnel = force,
        Mtu = mtu,
        BlockFamilies = block ?? [],
        ExcludedRoutes = exclude ?? [],
    };

    private static string[] Text(IEnumerable<IpPrefix> prefixes) => prefixes.Select(p => p.ToString()).ToArray();

    [Fact]
    public void Ipv4_only_answer_to_a_full_tunnel_routes_ipv4_and_blocks_ipv6()
    {
        var plan = TunnelPlan.Create(Child(Any4, Any6), Config(["10.3.0.1"], "10.1.0.53", "fd00::53"), Options());

        Text(plan.Addresses).Should().Equal("10.3.0.1/32");
        Text(plan.Routes).Should().Equal("0.0.0.0/0");
        plan.FullTunnel.Should().BeTrue();
        plan.BlockedFamilies.Should().Equal(AddressFamily.InterNetworkV6);
        plan.AllowedFamilies.Should().BeEmpty();
        plan.DnsServers.Should().Equal(IPAddress.Parse("10.1.0.53"));
        plan.Notes.Should().Contain(n => n.Contains("IPv6 blocked")).And.Contain(n => n.Contains("fd00::53 left out"));

        var builder = new InMemoryVpnInterfaceBuilder();
        using var tun = plan.Apply(builder).Establish();
        tun.Configuration.BlockedFamilies.Should().Equal(AddressFamily.InterNetworkV6);
        tun.Configuration.Blocking.Should().BeTrue("the packet pump waits in ReadPackets; Android's (and the builder's) default is non-blocking");
    }

    [Fact]
    public void Ipv6_only_answer_to_a_full_tunnel_routes_ipv6_and_blocks_ipv4()
    {
        var plan = TunnelPlan.Create(Child(Any4, Any6), Config(["fd00:3::1"]), Options());

        Text(plan.Addresses).Should().Equal("fd00:3::1/128");
        Text(plan.Routes).Should().Equal("::/0");
        plan.BlockedFamilies.Should().Equal(AddressFamily.InterNetwork);
        using var tun = plan.Apply(new InMemoryVpnInterfaceBuilder()).Establish();
        tun.Configuration.BlockedFamilies.Should().Equal(AddressFamily.InterNetwork);
    }

    [Fact]
    public void Dual_stack_answer_routes_both_families_and_blocks_nothing()
    {
        var plan = TunnelPlan.Create(Child(Any4, Any6), Config(["10.3.0.1", "fd00:3::1"], "10.1.0.53", "fd00::53"), Options());

        Text(plan.Routes).Should().Equal("0.0.0.0/0", "::/0");
        plan.TunnelledFamilies.Should().Equal(AddressFamily.InterNetwork, AddressFamily.InterNetworkV6);
        plan.BlockedFamilies.Should().BeEmpty();
        plan.DnsServers.Should().HaveCount(2);
        using var tun = plan.Apply(new InMemoryVpnInterfaceBuilder()).Establish();
        tun.Configuration.BlockedFamilies.Should().BeEmpty();
    }

    [Fact]
    public void A_full_ipv4_tunnel_with_narrower_ipv6_selectors_still_routes_each_family_by_its_selectors()
    {
        var plan = TunnelPlan.Create(Child(Any4, Net("2001:db8:1::/64")), Config(["10.3.0.1", "fd00:3::1"]), Options());
        Text(plan.Routes).Should().Equal("0.0.0.0/0", "2001:db8:1::/64");
        plan.FullTunnel.Should().BeTrue();
        plan.BlockedFamilies.Should().BeEmpty("IPv6 has an address; its other traffic is the split part");
    }

    [Fact]
    public void A_split_tunnel_leaves_the_family_without_an_address_alone()
    {
        var plan = TunnelPlan.Create(Child(Net("10.1.0.0/24"), Net("2001:db8:1::/64")), Config(["10.3.0.1"]), Options());

        Text(plan.Routes).Should().Equal("10.1.0.0/24");
        plan.FullTunnel.Should().BeFalse();
        plan.BlockedFamilies.Should().BeEmpty();
        plan.AllowedFamilies.Should().Equal(AddressFamily.InterNetworkV6);
        using var tun = plan.Apply(new InMemoryVpnInterfaceBuilder()).Establish();
        tun.Configuration.AllowedFamilies.Should().Equal(AddressFamily.InterNetworkV6);
        tun.Configuration.BlockedFamilies.Should().BeEmpty();
    }

    [Fact]
    public void Profile_block_flags_route_a_tunnelled_family_whole_and_block_one_without_an_address()
    {
        var plan = TunnelPlan.Create(Child(Net("10.1.0.0/24")), Config(["10.3.0.1"]),
            Options(block: [AddressFamily.InterNetwork, AddressFamily.InterNetworkV6]));

        Text(plan.Routes).Should().Equal(["0.0.0.0/0"], "the pump then drops IPv4 outside the selectors instead of it leaving in plaintext");
        plan.BlockedFamilies.Should().Equal(AddressFamily.InterNetworkV6);
    }

    [Fact]
    public void Force_full_tunnel_routes_every_tunnelled_family_whole()
    {
        var plan = TunnelPlan.Create(Child(Net("10.1.0.0/24"), Net("2001:db8:1::/64")), Config(["10.3.0.1", "fd00:3::1"]), Options(force: true));
        Text(plan.Routes).Should().Equal("0.0.0.0/0", "::/0");
    }

    [Fact]
    public void Ipv6_raises_a_low_mtu_to_1280_and_keeps_the_gateways_prefix()
    {
        var config = Config(["fd00:3::1"]) with { Ipv6PrefixLengths = new Dictionary<IPAddress, int> { [IPAddress.Parse("fd00:3::1")] = 64 } };
        var plan = TunnelPlan.Create(Child(Any6), config, Options(mtu: 1200));
        plan.Mtu.Should().Be(1280);
        Text(plan.Addresses).Should().Equal("fd00:3::1/64");
        plan.Notes.Should().Contain(n => n.Contains("1280"));
        TunnelPlan.Create(Child(Any4), Config(["10.3.0.1"]), Options(mtu: 1200)).Mtu.Should().Be(1200, "IPv4 alone may go lower");
    }

    [Fact]
    public void Exclusions_are_handed_through_and_no_address_at_all_is_an_error()
    {
        var exclude = new IpPrefix(IPAddress.Parse("192.168.1.0"), 24);
        TunnelPlan.Create(Child(Any4), Config(["10.3.0.1"]), Options(exclude: [exclude])).ExcludedRoutes.Should().Equal(exclude);
        var act = () => TunnelPlan.Create(Child(Any4), Config([]), Options());
        act.Should().Throw<VpnConnectionException>().WithMessage("*no virtual IP*");
    }
}
