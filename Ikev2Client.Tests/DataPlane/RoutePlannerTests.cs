using System.Net;
using System.Net.Sockets;
using FluentAssertions;
using Ikev2Client.Connection;
using Ikev2Client.Protocol.Wire.Payloads;
using Xunit;

namespace Ikev2Client.Tests.DataPlane;

/// <summary>Traffic selectors → routes (split and full tunnel).</summary>
public sealed class RoutePlannerTests
{
    [Theory]
    [InlineData("10.1.0.0", "10.1.0.255", "10.1.0.0/24")]
    [InlineData("10.1.0.5", "10.1.0.5", "10.1.0.5/32")]
    [InlineData("10.1.0.1", "10.1.0.6", "10.1.0.1/32 10.1.0.2/31 10.1.0.4/31 10.1.0.6/32")]
    [InlineData("0.0.0.0", "255.255.255.255", "0.0.0.0/0")]
    [InlineData("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::/0")]
    [InlineData("fd00::", "fd00::ff", "fd00::/120")]
    public void Cover_gives_the_minimal_cidr_set(string start, string end, string expected) =>
        string.Join(" ", RoutePlanner.Cover(IPAddress.Parse(start), IPAddress.Parse(end))).Should().Be(expected);

    [Fact]
    public void Routes_keep_only_families_with_an_address_and_detect_full_tunnels()
    {
        TrafficSelector[] selectors = [TrafficSelector.Any(AddressFamily.InterNetwork), TrafficSelector.Any(AddressFamily.InterNetworkV6)];
        var routes = RoutePlanner.Routes(selectors, [AddressFamily.InterNetwork]);
        routes.Select(r => r.ToString()).Should().Equal("0.0.0.0/0");
        RoutePlanner.IsFullTunnel(routes).Should().BeTrue();
        RoutePlanner.IsFullTunnel(RoutePlanner.Routes([TrafficSelector.Host(IPAddress.Parse("10.1.0.10"))], [AddressFamily.InterNetwork])).Should().BeFalse();
    }
}
