using System.Net;
using System.Net.Sockets;
using FluentAssertions;
using Ikev2Client.Connection;
using Ikev2Client.Protocol.Esp;
using Ikev2Client.Protocol.Ike;
using Ikev2Client.Protocol.Traffic;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;
using Ikev2Client.Tests.Ike;
using Xunit;

namespace Ikev2Client.Tests.DataPlane;

/// <summary>The data path choice: transport mode only for a transport-mode SA with host-to-host selectors.</summary>
public sealed class DataPathSelectorTests
{
    private static readonly ChildSaInfo Negotiated = NegotiateTransportChild();
    private static readonly string Me = IkeTestPair.InitiatorAddress.ToString();
    private static readonly string Peer = IkeTestPair.ResponderAddress.ToString();

    private static ChildSaInfo NegotiateTransportChild()
    {
        using var pair = new IkeTestPair(IkeTestPair.InitiatorOptions(configure: b => b.Mode = EspMode.Transport), IkeTestPair.ResponderOptions());
        pair.Connect();
        pair.Run();
        return pair.Initiator.ChildSas.Single();
    }

    private static TrafficSelector Ts(string cidr) => TrafficSelector.FromNetwork(IPNetwork.Parse(cidr));

    private static ChildSaInfo Child(EspMode mode, TrafficSelector[] local, TrafficSelector[] remote) =>
        Negotiated with { Mode = mode, LocalTrafficSelectors = local, RemoteTrafficSelectors = remote };

    [Fact]
    public void Negotiated_transport_mode_sa_is_between_the_ike_endpoints()
    {
        Negotiated.Mode.Should().Be(EspMode.Transport);
        Negotiated.LocalEndPoint.Address.Should().Be(IkeTestPair.InitiatorAddress);
        Negotiated.RemoteEndPoint.Address.Should().Be(IkeTestPair.ResponderAddress);
    }

    [Fact]
    public void Transport_mode_with_host_to_host_selectors_takes_the_transport_path()
    {
        var child = Child(EspMode.Transport, [Ts($"{Me}/32")], [Ts($"{Peer}/32")]);
        DataPathSelector.IsHostToHost(child).Should().BeTrue();
        DataPathSelector.Choose(child).Should().Be(DataPath.TransportMode);
    }

    [Fact]
    public void Host_selectors_narrowed_to_a_protocol_and_port_are_still_host_to_host()
    {
        var udp = new TrafficSelector(TrafficSelectorType.Ipv4AddrRange, 17, 5000, 5000, IkeTestPair.ResponderAddress, IkeTestPair.ResponderAddress);
        var child = Child(EspMode.Transport, [Ts($"{Me}/32"), Ts($"{Me}/32")], [udp]);
        DataPathSelector.Choose(child).Should().Be(DataPath.TransportMode);
    }

    [Theory]
    [InlineData("10.0.0.2/32", "10.1.0.0/24")]   // remote subnet
    [InlineData("10.0.0.0/24", "10.0.0.1/32")]   // local subnet
    [InlineData("0.0.0.0/0", "0.0.0.0/0")]       // full tunnel
    [InlineData("10.3.0.7/32", "10.0.0.1/32")]   // a virtual IP, not our IKE address
    [InlineData("10.0.0.2/32", "10.0.0.9/32")]   // a host, but not the peer
    [InlineData("10.0.0.1/32", "10.0.0.2/32")]   // the two hosts swapped
    public void Transport_mode_with_other_selectors_takes_the_tun_fallback(string local, string remote)
    {
        var child = Child(EspMode.Transport, [Ts(local)], [Ts(remote)]);
        DataPathSelector.IsHostToHost(child).Should().BeFalse();
        DataPathSelector.Choose(child).Should().Be(DataPath.TunnelInterface);
    }

    [Fact]
    public void A_second_selector_wider_than_the_host_takes_the_tun_fallback()
    {
        var child = Child(EspMode.Transport, [Ts($"{Me}/32")], [Ts($"{Peer}/32"), TrafficSelector.Any(AddressFamily.InterNetworkV6)]);
        DataPathSelector.Choose(child).Should().Be(DataPath.TunnelInterface);
    }

    [Fact]
    public void No_selectors_is_not_host_to_host()
    {
        DataPathSelector.Choose(Child(EspMode.Transport, [], [Ts($"{Peer}/32")])).Should().Be(DataPath.TunnelInterface);
    }

    [Fact]
    public void Tunnel_mode_between_two_hosts_still_takes_the_tun_path()
    {
        var child = Child(EspMode.Tunnel, [Ts($"{Me}/32")], [Ts($"{Peer}/32")]);
        DataPathSelector.IsHostToHost(child).Should().BeTrue();
        DataPathSelector.Choose(child).Should().Be(DataPath.TunnelInterface, "tunnel-mode ESP carries inner IP headers");
    }

    [Fact]
    public void Tunnel_mode_with_subnets_takes_the_tun_path()
    {
        DataPathSelector.Choose(Child(EspMode.Tunnel, [Ts("10.3.0.2/32")], [Ts("10.1.0.0/24")])).Should().Be(DataPath.TunnelInterface);
    }
}
