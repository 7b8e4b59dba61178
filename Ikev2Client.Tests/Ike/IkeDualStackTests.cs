using System.Net;
using System.Net.Sockets;
using FluentAssertions;
using Ikev2Client.Protocol.Ike;
using Ikev2Client.Protocol.Ike.Tasks;
using Ikev2Client.Protocol.Traffic;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;
using Xunit;

namespace Ikev2Client.Tests.Ike;

/// <summary>
/// Dual-stack CHILD SAs in process: the initiator asks for INTERNAL_IP4/IP6_ADDRESS and DNS and proposes selectors of
/// both families; every mix a gateway may answer (both families, IPv4 only, IPv6 only; selectors narrowed to one
/// family; prefixes with host bits) is accepted and reported as it is.
/// </summary>
public sealed class IkeDualStackTests
{
    private static readonly IkeAddressPool Unused = new(IPNetwork.Parse("10.250.0.0/24"));

    private static IkeTestPair Establish(Action<IkeSessionOptionsBuilder>? initiator, Action<IkeSessionOptionsBuilder> responder)
    {
        var pair = new IkeTestPair(IkeTestPair.InitiatorOptions(configure: initiator), IkeTestPair.ResponderOptions(configure: responder));
        pair.Connect();
        pair.Run();
        pair.Initiator.State.Should().Be(IkeSessionState.Established, string.Join("\n", pair.InitiatorEvents));
        return pair;
    }

    private static IkeConfiguration Config(IkeTestPair pair) => pair.InitiatorEvents.OfType<IkeEvent.ConfigReceived>().Single().Configuration;

    private static TrafficSelector Range(string network) => TrafficSelector.FromNetwork(IPNetwork.Parse(network));

    [Fact]
    public void Default_options_request_both_families_and_propose_both_full_selectors()
    {
        var options = IkeTestPair.InitiatorOptions();
        options.RequestedAddressFamilies.Should().BeEquivalentTo([AddressFamily.InterNetwork, AddressFamily.InterNetworkV6]);
        new IkeSessionOptions { LocalIdentity = options.LocalIdentity, Authenticator = options.Authenticator }
            .RemoteTrafficSelectors.Select(s => s.ToString()).Should().Equal(
                TrafficSelector.Any(AddressFamily.InterNetwork).ToString(), TrafficSelector.Any(AddressFamily.InterNetworkV6).ToString());
    }

    [Fact]
    public void Dual_stack_pools_give_one_address_of_each_family_and_selectors_of_both()
    {
        using var pair = Establish(null, r =>
        {
            r.Pool = new IkeAddressPool(IPNetwork.Parse("10.20.0.0/24"));
            r.MorePools = [new IkeAddressPool(IPNetwork.Parse("fd00:20::/112"))];
        });

        var config = Config(pair);
        config.VirtualAddresses.Should().Equal(IPNetwork.Parse("10.20.0.1/32"), IPNetwork.Parse("fd00:20::1/128"));
        config.DnsServers.Should().BeEquivalentTo([IPAddress.Parse("10.10.0.53"), IPAddress.Parse("fd00::53")]);
        config.InterfacePrefixLength(IPAddress.Parse("fd00:20::1")).Should().Be(128);
        var child = pair.Initiator.ChildSas.Single();
        child.LocalTrafficSelectors.Select(s => s.StartAddress).Should().Equal(IPAddress.Parse("10.20.0.1"), IPAddress.Parse("fd00:20::1"));
        child.LocalTrafficSelectors.Should().OnlyContain(s => s.StartAddress.Equals(s.EndAddress), "narrowed to the virtual IPs");
        child.RemoteTrafficSelectors.Should().Equal(TrafficSelector.Any(AddressFamily.InterNetwork), TrafficSelector.Any(AddressFamily.InterNetworkV6));
        pair.Responder.ChildSas.Single().RemoteTrafficSelectors.Should().Equal(child.LocalTrafficSelectors);
    }

    [Fact]
    public void An_ipv4_only_gateway_leaves_out_the_ipv6_address_and_the_child_covers_ipv4()
    {
        // strongSwan with a v4 pool and local_ts = 0.0.0.0/0: no INTERNAL_IP6_ADDRESS, TSi = v4 host, TSr = 0.0.0.0/0.
        using var pair = Establish(null, r => r.LocalTs = [TrafficSelector.Any(AddressFamily.InterNetwork)]);

        Config(pair).VirtualAddresses.Should().Equal(IPNetwork.Parse("10.10.0.1/32"));
        var child = pair.Initiator.ChildSas.Single();
        child.LocalTrafficSelectors.Should().Equal(TrafficSelector.Host(IPAddress.Parse("10.10.0.1")));
        child.RemoteTrafficSelectors.Should().Equal(TrafficSelector.Any(AddressFamily.InterNetwork));
    }

    [Fact]
    public void An_ipv6_only_gateway_gives_only_an_ipv6_address()
    {
        using var pair = Establish(null, r =>
        {
            r.Pool = new IkeAddressPool(IPNetwork.Parse("fd00:66::/120"));
            r.LocalTs = [Range("2001:db8:1::/64")];
        });

        Config(pair).VirtualAddresses.Should().Equal(IPNetwork.Parse("fd00:66::1/128"));
        var child = pair.Initiator.ChildSas.Single();
        child.LocalTrafficSelectors.Should().Equal(TrafficSelector.Host(IPAddress.Parse("fd00:66::1")));
        child.RemoteTrafficSelectors.Should().Equal(Range("2001:db8:1::/64"));
    }

    [Fact]
    public void An_initiator_asking_for_ipv4_only_gets_no_ipv6_address_from_a_dual_stack_gateway()
    {
        using var pair = Establish(i => i.Families = [AddressFamily.InterNetwork],
            r => r.MorePools = [new IkeAddressPool(IPNetwork.Parse("fd00:20::/112"))]);

        Config(pair).VirtualAddresses.Should().Equal(IPNetwork.Parse("10.10.0.1/32"));
        Config(pair).DnsServers.Should().Equal(IPAddress.Parse("10.10.0.53"));
    }

    [Fact]
    public void Split_selectors_of_both_families_are_proposed_and_narrowed_per_family()
    {
        using var pair = Establish(
            i => i.RemoteTs = [Range("10.1.0.0/16"), Range("2001:db8:1::/48")],
            r =>
            {
                r.MorePools = [new IkeAddressPool(IPNetwork.Parse("fd00:20::/112"))];
                r.LocalTs = [Range("10.1.2.0/24"), Range("2001:db8:1:5::/64"), Range("192.168.0.0/16")];
            });

        pair.Initiator.ChildSas.Single().RemoteTrafficSelectors.Should().Equal(Range("10.1.2.0/24"), Range("2001:db8:1:5::/64"));
    }

    [Fact]
    public void Responder_addresses_of_both_pools_return_to_their_pools_when_the_sa_ends()
    {
        var v4 = new IkeAddressPool(IPNetwork.Parse("10.30.0.0/30")); // two usable addresses
        var v6 = new IkeAddressPool(IPNetwork.Parse("fd00:30::/127")); // one usable address
        for (int round = 0; round < 3; round++)
        {
            using var pair = Establish(null, r => { r.Pool = v4; r.MorePools = [v6]; });
            Config(pair).VirtualAddresses.Should().Contain(IPNetwork.Parse("fd00:30::1/128"), $"round {round}: the single IPv6 address is free again");
            pair.Absorb(pair.Initiator.Close(), fromInitiator: true);
            pair.Run();
            pair.Responder.State.Should().Be(IkeSessionState.Closed);
        }
    }

    [Theory]
    [InlineData(64, 64)]
    [InlineData(0, 128)]
    [InlineData(128, 128)]
    [InlineData(200, 128)]
    public void Ipv6_address_prefixes_are_kept_without_breaking_on_host_bits(int sent, int used)
    {
        var address = IPAddress.Parse("fd00:1:2:3::a:b");
        var cp = new ConfigPayload(ConfigType.Reply,
            [ConfigAttribute.Address(ConfigAttributeType.InternalIp6Address, address, sent), ConfigAttribute.Address(ConfigAttributeType.InternalIp4Address, IPAddress.Parse("10.0.0.9"))]);
        var config = ConfigTask.Parse(cp);
        config.VirtualAddresses.Should().Equal(new IPNetwork(address, 128), IPNetwork.Parse("10.0.0.9/32"));
        config.InterfacePrefixLength(address).Should().Be(used);
        config.InterfacePrefixLength(IPAddress.Parse("10.0.0.9")).Should().Be(32);
    }
}
