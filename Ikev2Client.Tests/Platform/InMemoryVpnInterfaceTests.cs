using System.Net;
using System.Net.Sockets;
using FluentAssertions;
using Ikev2Client.Platform;
using Ikev2Client.Platform.InMemory;
using Xunit;

namespace Ikev2Client.Tests.Platform;

/// <summary>The channel-backed VPN interface used by no-root tests, and the shared builder validation.</summary>
public sealed class InMemoryVpnInterfaceTests
{
    private static InMemoryVpnInterface Establish(bool blocking = true)
    {
        var b = new InMemoryVpnInterfaceBuilder();
        b.AddAddress(IPAddress.Parse("10.99.0.2"), 24).AddRoute(IPAddress.Parse("10.98.1.9"), 16).SetMtu(1400).SetBlocking(blocking);
        b.Establish();
        return b.Established!;
    }

    [Fact]
    public void InjectedPackets_are_read_in_one_batch_at_the_offset()
    {
        using var tun = Establish();
        for (var i = 0; i < 5; i++) tun.InjectPacket(Enumerable.Repeat((byte)i, 20 + i).ToArray()).Should().BeTrue();
        var batch = new PacketBatch(8, 32 + tun.Mtu);
        tun.ReadPackets(batch.Buffers, batch.Sizes, 32, CancellationToken.None).Should().Be(5);
        for (var i = 0; i < 5; i++) batch.Packet(i, 32).ToArray().Should().Equal(Enumerable.Repeat((byte)i, 20 + i));
        tun.InjectPacket(new byte[tun.Mtu + 1]).Should().BeFalse("longer than the MTU");
    }

    [Fact]
    public void WrittenPackets_reach_the_other_side()
    {
        using var tun = Establish();
        tun.WritePackets(new ReadOnlyMemory<byte>[] { new byte[] { 0x45, 1 }, new byte[] { 0x45, 2 } }).Should().Be(2);
        tun.TakeWritten().Should().Equal(0x45, 1);
        tun.TakeWritten().Should().Equal(0x45, 2);
        tun.TakeWritten().Should().BeNull();
    }

    [Fact]
    public async Task BlockingRead_waits_for_injection_cancels_and_closes_cleanly()
    {
        var tun = Establish();
        var batch = new PacketBatch(4, tun.Mtu);
        var reader = Task.Run(() => tun.ReadPackets(batch.Buffers, batch.Sizes, 0, CancellationToken.None));
        await Task.Delay(100);
        reader.IsCompleted.Should().BeFalse();
        tun.InjectPacket(new byte[] { 0x45, 9 });
        (await reader.WaitAsync(TimeSpan.FromSeconds(5))).Should().Be(1);

        using var cts = new CancellationTokenSource(100);
        var cancelled = () => tun.ReadPackets(batch.Buffers, batch.Sizes, 0, cts.Token);
        cancelled.Should().Throw<OperationCanceledException>();

        var blocked = Task.Run(() => tun.ReadPackets(batch.Buffers, batch.Sizes, 0, CancellationToken.None));
        await Task.Delay(100);
        tun.Dispose();
        var act = async () => await blocked.WaitAsync(TimeSpan.FromSeconds(5));
        await act.Should().ThrowAsync<VpnInterfaceClosedException>();
        tun.Closed.IsCancellationRequested.Should().BeTrue();
    }

    [Fact]
    public void NonBlockingRead_returns_zero_when_empty()
    {
        using var tun = Establish(blocking: false);
        var batch = new PacketBatch(4, tun.Mtu);
        tun.ReadPackets(batch.Buffers, batch.Sizes, 0, CancellationToken.None).Should().Be(0);
    }

    [Fact]
    public void Builder_records_every_setting_and_protect_is_recorded()
    {
        var b = new InMemoryVpnInterfaceBuilder("mem7");
        b.AddAddress(IPAddress.Parse("10.99.0.2"), 24)
            .AddAddress(IPAddress.Parse("fd00::2"), 64)
            .AddRoute(IPAddress.Parse("10.98.77.1"), 16)
            .ExcludeRoute(IPAddress.Parse("10.98.5.1"), 24)
            .AddDnsServer(IPAddress.Parse("10.98.0.53"))
            .AddSearchDomain("corp.example")
            .SetMtu(1300).AllowBypass().AddAllowedApplication("org.example.app").SetSession("s1").SetMetered(false);
        using var tun = b.Establish();
        var c = tun.Configuration;
        tun.Name.Should().Be("mem7");
        c.Routes.Should().Equal(new IpPrefix(IPAddress.Parse("10.98.0.0"), 16));
        c.ExcludedRoutes.Should().Equal(new IpPrefix(IPAddress.Parse("10.98.5.0"), 24));
        c.DnsServers.Should().Equal(IPAddress.Parse("10.98.0.53"));
        c.SearchDomains.Should().Equal("corp.example");
        c.AllowedApplications.Should().Equal("org.example.app");
        (c.Mtu, c.BypassAllowed, c.Session, c.Metered).Should().Be((1300, true, "s1", false));
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        tun.Protect(s).Should().BeTrue();
        ((InMemoryVpnInterface)tun).ProtectedSockets.Should().Equal(s);
        var late = () => b.SetMtu(1400);
        late.Should().Throw<InvalidOperationException>("an established builder is frozen");
    }

    [Fact]
    public void Builder_validates_like_android()
    {
        var b = new InMemoryVpnInterfaceBuilder();
        ((Action)(() => b.AddAddress(IPAddress.Parse("10.0.0.1"), 33))).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => b.AddRoute(IPAddress.Parse("fd00::"), 129))).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => b.AddAddress(IPAddress.Loopback, 8))).Should().Throw<ArgumentException>();
        ((Action)(() => b.SetMtu(100))).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => b.AddSearchDomain("a b"))).Should().Throw<ArgumentException>();
        ((Action)(() => b.Establish())).Should().Throw<InvalidOperationException>("no address was added");
        var v6 = new InMemoryVpnInterfaceBuilder();
        v6.AddAddress(IPAddress.Parse("fd00::2"), 64).SetMtu(1200);
        ((Action)(() => v6.Establish())).Should().Throw<InvalidOperationException>().WithMessage("*1280*");
        var mixed = new InMemoryVpnInterfaceBuilder();
        mixed.AddAllowedApplication("a");
        ((Action)(() => mixed.AddDisallowedApplication("b"))).Should().Throw<InvalidOperationException>();
    }

    [Fact]
    public void A_family_with_no_address_route_or_dns_server_is_blocked_unless_allowed_like_Androids_allowFamily()
    {
        static IReadOnlyList<System.Net.Sockets.AddressFamily> Blocked(Action<InMemoryVpnInterfaceBuilder> configure)
        {
            var b = new InMemoryVpnInterfaceBuilder();
            b.AddAddress(IPAddress.Parse("10.0.0.2"), 32);
            configure(b);
            return b.Establish().Configuration.BlockedFamilies;
        }
        var v4 = System.Net.Sockets.AddressFamily.InterNetwork;
        var v6 = System.Net.Sockets.AddressFamily.InterNetworkV6;
        Blocked(_ => { }).Should().Equal(v6);
        Blocked(b => b.AllowFamily(v6)).Should().BeEmpty();
        Blocked(b => b.AddAddress(IPAddress.Parse("fd00::2"), 128)).Should().BeEmpty();
        Blocked(b => b.AddRoute(IPAddress.Parse("fd00::"), 64)).Should().BeEmpty("a route of the family counts, as on Android");
        Blocked(b => b.AddDnsServer(IPAddress.Parse("fd00::53"))).Should().BeEmpty("a DNS server of the family counts, as on Android");
        Blocked(b => b.AllowFamily(v4)).Should().Equal(v6);
        var only6 = new InMemoryVpnInterfaceBuilder();
        only6.AddAddress(IPAddress.Parse("fd00::2"), 128);
        only6.Establish().Configuration.BlockedFamilies.Should().Equal(v4);
        ((Action)(() => new InMemoryVpnInterfaceBuilder().AllowFamily(System.Net.Sockets.AddressFamily.Unix)))
            .Should().Throw<ArgumentException>().WithMessage("*IPv4 and IPv6*");
    }
}
