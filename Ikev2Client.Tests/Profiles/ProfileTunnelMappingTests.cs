using System.Net;
using System.Net.Sockets;
using FluentAssertions;
using Ikev2Client.Connection;
using Ikev2Client.Profiles;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;
using Xunit;

namespace Ikev2Client.Tests.Profiles;

/// <summary>
/// Profile → connection options for the tunnel's shape: both families asked for by default, full-tunnel selectors of
/// both families, <c>splitTunneling</c> include/exclude/block flags per family.
/// </summary>
public sealed class ProfileTunnelMappingTests
{
    private static Ikev2VpnProfile.Builder Base() => new Ikev2VpnProfile.Builder("192.0.2.1", null)
        .SetName("t").SetUserIdentity("client.test").SetRemoteIdentity("gw.test").SetAuthPsk("secret-secret"u8.ToArray());

    [Fact]
    public void A_default_profile_asks_for_both_families_and_proposes_a_full_tunnel_of_both()
    {
        var options = ProfileConnection.CreateOptions(Base().Build());
        options.Session.RequestedAddressFamilies.Should().BeEquivalentTo([AddressFamily.InterNetwork, AddressFamily.InterNetworkV6]);
        options.Session.RemoteTrafficSelectors.Should().Equal(TrafficSelector.Any(AddressFamily.InterNetwork), TrafficSelector.Any(AddressFamily.InterNetworkV6));
        options.Session.LocalTrafficSelectors.Should().Equal(TrafficSelector.Any(AddressFamily.InterNetwork), TrafficSelector.Any(AddressFamily.InterNetworkV6));
        options.ExcludedRoutes.Should().BeEmpty();
        options.BlockFamilies.Should().BeEmpty();
    }

    [Fact]
    public void Split_tunnelling_entries_of_both_families_become_selectors_exclusions_and_blocks()
    {
        var profile = Base().SetSplitTunneling(new SplitTunneling(
            ["10.1.0.0/24", "2001:db8:1::/64", "10.9.0.1 - 10.9.0.6", "198.51.100.7"],
            ["10.1.0.128/25", "fd00::1 - fd00::2"], BlockIpv4: false, BlockIpv6: true)).Build();

        var options = ProfileConnection.CreateOptions(profile);

        options.Session.RemoteTrafficSelectors.Select(s => $"{s.TsType} {s.StartAddress}-{s.EndAddress}").Should().Equal(
            "Ipv4AddrRange 10.1.0.0-10.1.0.255", "Ipv6AddrRange 2001:db8:1::-2001:db8:1:0:ffff:ffff:ffff:ffff",
            "Ipv4AddrRange 10.9.0.1-10.9.0.6", "Ipv4AddrRange 198.51.100.7-198.51.100.7");
        options.Session.RemoteTrafficSelectors.Should().OnlyContain(s => s.IpProtocol == 0 && s.StartPort == 0 && s.EndPort == 65535);
        options.ExcludedRoutes.Select(p => p.ToString()).Should().Equal("10.1.0.128/25", "fd00::1/128", "fd00::2/128");
        options.BlockFamilies.Should().Equal(AddressFamily.InterNetworkV6);
    }
}
