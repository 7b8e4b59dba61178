using System.Net;
using System.Net.Sockets;
using FluentAssertions;
using Ikev2Client.Connection;
using Ikev2Client.Platform;
using Ikev2Client.Platform.InMemory;
using Ikev2Client.Platform.Linux;
using Xunit;

namespace Ikev2Client.Tests.Platform;

/// <summary>
/// The VpnService.Builder contract as Android has it: non-blocking by default, protect() before establish(), underlying
/// networks; and on Linux every Android-only setting refused with its reason instead of recorded without effect.
/// </summary>
public sealed class VpnBuilderContractTests
{
    [Fact]
    public void The_interface_is_non_blocking_by_default_as_on_Android()
    {
        var b = new InMemoryVpnInterfaceBuilder();
        b.AddAddress(IPAddress.Parse("10.9.0.2"), 32);
        using var tun = b.Establish();
        tun.Configuration.Blocking.Should().BeFalse();
        var batch = new PacketBatch(4, tun.Mtu);
        tun.ReadPackets(batch.Buffers, batch.Sizes, 0, CancellationToken.None).Should().Be(0, "nothing queued and not blocking");
        // the connection asks for blocking reads (TunnelPlan.Apply; TunnelPlanTests checks it)
    }

    [Fact]
    public void Protect_works_before_establish_and_carries_over_to_the_interface()
    {
        var b = new InMemoryVpnInterfaceBuilder();
        using var early = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        b.Protect(early).Should().BeTrue();
        b.AddAddress(IPAddress.Parse("10.9.0.2"), 32).Establish();
        b.Established!.ProtectedSockets.Should().Contain(early);
        using var late = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        b.Protect(late).Should().BeTrue();
        b.Established.ProtectedSockets.Should().Contain(late);
    }

    [Fact]
    public void Underlying_networks_are_validated_and_recorded()
    {
        var b = new InMemoryVpnInterfaceBuilder();
        ((Action)(() => b.SetUnderlyingNetworks([]))).Should().Throw<VpnFeatureNotSupportedException>().WithMessage("*empty*");
        ((Action)(() => b.SetUnderlyingNetworks(["eth0/x"]))).Should().Throw<ArgumentException>();
        ((Action)(() => b.SetUnderlyingNetworks(["a-name-longer-than-15"]))).Should().Throw<ArgumentException>();
        b.SetUnderlyingNetworks(["wlan0", "eth0"]).AddAddress(IPAddress.Parse("10.9.0.2"), 32);
        using var tun = b.Establish();
        tun.Configuration.UnderlyingNetworks.Should().Equal("wlan0", "eth0");
    }

    [Fact]
    public void Linux_refuses_the_android_only_settings_with_the_reason()
    {
        var b = new LinuxVpnInterfaceBuilder();
        foreach (var (name, act) in new (string, Action)[]
                 {
                     ("AllowBypass", () => b.AllowBypass()),
                     ("SetMetered", () => b.SetMetered(false)),
                     ("SetHttpProxy", () => b.SetHttpProxy(new VpnHttpProxy("proxy.example.org", 3128, []))),
                     ("AddAllowedApplication", () => b.AddAllowedApplication("com.example.mail")),
                     ("AddDisallowedApplication", () => b.AddDisallowedApplication("com.example.tv")),
                 })
            act.Should().Throw<VpnFeatureNotSupportedException>().Which.Feature.Should().Be(name);
    }

    [Fact]
    public void Allow_family_and_exclude_route_are_part_of_the_contract()
    {
        var b = new InMemoryVpnInterfaceBuilder();
        b.AddAddress(IPAddress.Parse("10.9.0.2"), 32).AddRoute(IPAddress.Any, 0).ExcludeRoute(IPAddress.Parse("192.168.1.77"), 24)
            .AllowFamily(AddressFamily.InterNetworkV6);
        using var tun = b.Establish();
        tun.Configuration.ExcludedRoutes.Should().Equal(new IpPrefix(IPAddress.Parse("192.168.1.0"), 24));
        tun.Configuration.BlockedFamilies.Should().BeEmpty("IPv6 was allowed to bypass");
    }
}
