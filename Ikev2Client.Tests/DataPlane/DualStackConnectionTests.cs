using System.Net;
using System.Net.Sockets;
using FluentAssertions;
using Ikev2Client.Connection;
using Ikev2Client.Platform.InMemory;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Ike;
using Xunit;
using Xunit.Abstractions;
using static Ikev2Client.Tests.DataPlane.PumpTestSupport;

namespace Ikev2Client.Tests.DataPlane;

/// <summary>
/// <see cref="VpnConnection"/> with default session options (both families asked for, full selectors of both) against
/// the in-process <see cref="ResponderHost"/> over loopback, both sides on in-memory interfaces (no root): a dual-stack
/// pool gives both addresses and IPv4 and IPv6 packets cross both ways; an IPv4-only or IPv6-only gateway leaves the
/// other family blocked (the interface builder's configuration says so).
/// </summary>
public sealed class DualStackConnectionTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private sealed class Setup : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Thread _thread;
        public readonly ResponderHost Gateway;
        public InMemoryVpnInterfaceBuilder? GatewayBuilder;
        public readonly VpnConnection Connection;
        public InMemoryVpnInterfaceBuilder? ClientBuilder;
        public readonly List<string> Progress = [];

        public Setup(ITestOutputHelper output, string pool, string? pool6, string[] localSubnets)
        {
            int ikePort = Random.Shared.Next(20000, 40000), natTPort = ikePort + 1;
            Gateway = new ResponderHost(new ResponderConfig
            {
                ListenAddress = "127.0.0.1", ListenPort = ikePort, NatTPort = natTPort, Psk = "dual stack test key",
                LocalId = "@gw.test", AddressPool = pool, AddressPool6 = pool6, LocalSubnets = [.. localSubnets],
                Dns = ["10.77.0.53", "fd00:77::53"],
            }, () => GatewayBuilder = new InMemoryVpnInterfaceBuilder("gw0"), new Ikev2Client.Platform.Userspace.UserspaceIpSecManager(),
                new Ikev2Client.Tests.Infrastructure.TestLog(line => output.WriteLine($"gateway: {line}")));
            Gateway.Start();
            _thread = new Thread(() => Gateway.Run(_stop.Token)) { IsBackground = true, Name = "dual-stack-gateway" };
            _thread.Start();
            Connection = new VpnConnection(new VpnConnectionOptions
            {
                IpSecManager = new Ikev2Client.Platform.Userspace.UserspaceIpSecManager(),
                Server = new IPEndPoint(IPAddress.Loopback, ikePort),
                LocalAddress = IPAddress.Loopback,
                ConnectTimeout = Wait,
                DisconnectTimeout = TimeSpan.FromSeconds(3),
                Session = new IkeSessionOptions
                {
                    LocalIdentity = IkeIdentity.Parse("client@example.org"),
                    RemoteIdentity = IkeIdentity.Parse("@gw.test"),
                    Authenticator = new PskAuthenticator("dual stack test key"),
                    RemoteNatTPort = natTPort,
                },
                InterfaceBuilderFactory = () => ClientBuilder = new InMemoryVpnInterfaceBuilder("vpn0"),
                NatT = new Ikev2Client.Platform.Userspace.NatTSocketOptions { KeepaliveInterval = null },
            }, new Ikev2Client.Tests.Infrastructure.TestLog(line => { lock (Progress) Progress.Add(line); output.WriteLine($"client: {line}"); }));
        }

        public InMemoryVpnInterface ClientTun => ClientBuilder!.Established!;
        public InMemoryVpnInterface GatewayTun => GatewayBuilder!.Established!;

        public void Dispose()
        {
            Connection.Dispose();
            _stop.Cancel();
            _thread.Join(TimeSpan.FromSeconds(10));
            Gateway.Dispose();
        }
    }

    private static void Crosses(InMemoryVpnInterface from, InMemoryVpnInterface to, byte[] packet)
    {
        from.InjectPacket(packet).Should().BeTrue();
        TakeWritten(to, Wait).Should().Equal(packet);
    }

    [Fact]
    public void A_dual_stack_gateway_gives_both_families_and_ipv6_crosses_both_ways()
    {
        using var s = new Setup(output, "10.77.0.0/24", "fd00:77::/120", ["0.0.0.0/0", "::/0"]);
        s.Connection.Connect();

        var info = s.Connection.Info!;
        info.VirtualAddresses.Select(a => a.ToString()).Should().Equal("10.77.0.2/32", "fd00:77::2/128");
        info.Routes.Select(r => r.ToString()).Should().Equal("0.0.0.0/0", "::/0");
        info.FullTunnel.Should().BeTrue();
        info.BlockedFamilies.Should().BeEmpty();
        info.DnsServers.Select(d => d.ToString()).Should().Equal("10.77.0.53", "fd00:77::53");
        s.ClientTun.Configuration.Addresses.Select(a => a.ToString()).Should().Equal("10.77.0.2/32", "fd00:77::2/128");
        s.ClientTun.Configuration.BlockedFamilies.Should().BeEmpty();
        s.ClientTun.Configuration.Mtu.Should().BeGreaterThanOrEqualTo(1280);

        for (int i = 0; i < 20; i++)
        {
            Crosses(s.ClientTun, s.GatewayTun, PacketPumpIpv6Tests.Ipv6Udp("fd00:77::2", "2001:db8:1::10", 100 + i * 50, (byte)i));
            Crosses(s.GatewayTun, s.ClientTun, PacketPumpIpv6Tests.Ipv6Udp("2001:db8:1::10", "fd00:77::2", 1000 - i * 30, (byte)i));
        }
        Crosses(s.ClientTun, s.GatewayTun, Ipv4Udp("10.77.0.2", "10.1.0.10"));
        Crosses(s.GatewayTun, s.ClientTun, Ipv4Udp("10.1.0.10", "10.77.0.2"));
        s.Connection.Statistics.TotalDrops.Should().Be(0);
        s.Connection.Statistics.PacketsSent.Should().Be(21);
        s.Connection.Statistics.PacketsReceived.Should().Be(21);
    }

    [Fact]
    public void An_ipv4_only_gateway_with_a_full_tunnel_leaves_ipv6_blocked()
    {
        using var s = new Setup(output, "10.77.0.0/24", null, ["0.0.0.0/0"]);
        s.Connection.Connect();

        var info = s.Connection.Info!;
        info.VirtualAddresses.Select(a => a.ToString()).Should().Equal("10.77.0.2/32");
        info.Routes.Select(r => r.ToString()).Should().Equal("0.0.0.0/0");
        info.BlockedFamilies.Should().Equal(AddressFamily.InterNetworkV6);
        info.DnsServers.Select(d => d.ToString()).Should().Equal("10.77.0.53");
        s.ClientTun.Configuration.BlockedFamilies.Should().Equal(AddressFamily.InterNetworkV6);
        s.ClientTun.Configuration.DnsServers.Should().OnlyContain(d => d.AddressFamily == AddressFamily.InterNetwork,
            "an IPv6 DNS server would unblock IPv6 (Android's rule) and cannot be reached anyway");
        lock (s.Progress) s.Progress.Should().Contain(l => l.Contains("IPv6 blocked"));
        Crosses(s.ClientTun, s.GatewayTun, Ipv4Udp("10.77.0.2", "10.1.0.10"));
    }

    [Fact]
    public void An_ipv6_only_gateway_with_a_full_tunnel_leaves_ipv4_blocked()
    {
        using var s = new Setup(output, "fd00:66::/120", null, ["::/0"]);
        s.Connection.Connect();

        var info = s.Connection.Info!;
        info.VirtualAddresses.Select(a => a.ToString()).Should().Equal("fd00:66::2/128");
        info.Routes.Select(r => r.ToString()).Should().Equal("::/0");
        info.BlockedFamilies.Should().Equal(AddressFamily.InterNetwork);
        s.ClientTun.Configuration.BlockedFamilies.Should().Equal(AddressFamily.InterNetwork);
        Crosses(s.ClientTun, s.GatewayTun, PacketPumpIpv6Tests.Ipv6Udp("fd00:66::2", "2001:db8:1::10"));
        Crosses(s.GatewayTun, s.ClientTun, PacketPumpIpv6Tests.Ipv6Udp("2001:db8:1::10", "fd00:66::2"));
    }

    [Fact]
    public void A_split_tunnel_of_one_family_leaves_the_other_family_alone()
    {
        using var s = new Setup(output, "10.77.0.0/24", null, ["10.1.0.0/24"]);
        s.Connection.Connect();

        s.Connection.Info!.Routes.Select(r => r.ToString()).Should().Equal("10.1.0.0/24");
        s.Connection.Info.FullTunnel.Should().BeFalse();
        s.Connection.Info.BlockedFamilies.Should().BeEmpty();
        s.ClientTun.Configuration.AllowedFamilies.Should().Equal(AddressFamily.InterNetworkV6);
        s.ClientTun.Configuration.BlockedFamilies.Should().BeEmpty();
    }
}
