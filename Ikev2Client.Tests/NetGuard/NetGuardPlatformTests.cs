using System.Net;
using FluentAssertions;
using Ikev2Client.Platform;
using Ikev2Client.Platform.Linux;
using Ikev2Client.Tests.Infrastructure;
using Xunit;
using static Ikev2Client.Tests.Platform.LinuxTunTestSupport;

namespace Ikev2Client.Tests.NetGuard;

/// <summary>
/// Root, each in a private network namespace: setting up takes over what a killed process left (the policy rule,
/// throw routes) instead of failing with EEXIST; a rule another live tunnel shares stays when one leaves; the nftables
/// lockdown table really blocks, replaces itself atomically, and is removed after a "crash" from its state file.
/// </summary>
[Trait("Requires", "root")]
public sealed class NetGuardPlatformTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ikev2-netguard-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Establish_takes_over_a_leftover_rule_and_throw_route_and_dispose_leaves_nothing()
    {
        RequireRoot();
        using var ns = NetworkNamespace.Create("tgo");
        // What `kill -9` of a connected daemon leaves: the rule (and throw routes) survive; the TUN and its routes do not.
        ns.Exec("ip rule add not fwmark 0x2300 table 2300 priority 32000");
        ns.Exec("ip route add throw 10.98.7.0/24 table 2300");
        var state = Path.Combine(_dir, "net-1.state");

        var tun = ns.Run(() => new LinuxVpnInterfaceBuilder(new LinuxVpnOptions { StateFile = state })
            .AddAddress(IPAddress.Parse("10.99.0.2"), 32).AddRoute(IPAddress.Any, 0).ExcludeRoute(IPAddress.Parse("10.98.7.0"), 24)
            .Establish());

        ns.Exec("ip rule show").Split('\n').Count(l => l.Contains("lookup 2300")).Should().Be(1, "the leftover rule was taken over, not duplicated");
        File.ReadAllText(state).Should().Contain("rule inet 32000 2300 8960").And.Contain("route throw 10.98.7.0/24 2300");
        tun.Dispose();
        ns.Exec("ip rule show").Should().NotContain("lookup 2300");
        ns.Exec("ip route show table 2300").Trim().Should().BeEmpty();
        File.Exists(state).Should().BeFalse();
    }

    [Fact]
    public void ARuleSharedWithAnotherLiveTunnel_stays_when_one_leaves()
    {
        RequireRoot();
        using var ns = NetworkNamespace.Create("tsh");
        var first = ns.Run(() => new LinuxVpnInterfaceBuilder(new LinuxVpnOptions { StateFile = Path.Combine(_dir, "net-a.state") })
            .AddAddress(IPAddress.Parse("10.99.0.2"), 32).AddRoute(IPAddress.Parse("10.97.0.0"), 16).Establish());
        var second = ns.Run(() => new LinuxVpnInterfaceBuilder(new LinuxVpnOptions { StateFile = Path.Combine(_dir, "net-b.state"), InterfaceName = "ikev2tst%d" })
            .AddAddress(IPAddress.Parse("10.99.1.2"), 32).AddRoute(IPAddress.Parse("10.98.0.0"), 16).Establish());

        second.Dispose();
        ns.Exec("ip rule show").Should().Contain("lookup 2300", "the first tunnel still needs the shared rule");
        ns.Exec("ip route get 10.97.0.1").Should().Contain($"dev {first.Name}");
        first.Dispose();
        ns.Exec("ip rule show").Should().NotContain("lookup 2300");
    }

    [Fact]
    public async Task NftLockdown_blocks_everything_but_the_gateway_and_tunnel_replaces_atomically_and_is_cleaned_up_after_a_crash()
    {
        RequireRoot();
        using var a = NetworkNamespace.Create("tla");
        using var b = NetworkNamespace.Create("tlb");
        a.Exec($"ip link add va type veth peer name vb netns {b.Name}");
        // Every command separately: "ip netns exec NS a && b" would run b outside the namespace.
        a.Exec("ip addr add 10.77.0.1/24 dev va");
        a.Exec("ip link set va up");
        b.Exec("ip addr add 10.77.0.2/24 dev vb");
        b.Exec("ip addr add 10.77.0.3/24 dev vb");
        b.Exec("ip link set vb up");
        a.Exec("ping -c 1 -W 2 10.77.0.3").Should().Contain("1 received");
        var state = Path.Combine(_dir, "lockdown-1.state");
        // Created and applied on a thread inside the namespace, as the service does: nft runs there too.
        var firewall = a.Run(() =>
        {
            var f = new NftablesLockdownFirewall(state);
            f.Apply(new LockdownPolicy([IPAddress.Parse("10.77.0.2")], [500, 4500], "ikev2tun7"));
            return f;
        });

        File.ReadAllText(state).Should().Contain("nft inet ikev2_lockdown", "recorded before it exists");
        a.Exec("nft list table inet ikev2_lockdown").Should().Contain("policy drop").And.Contain("oifname \"ikev2tun7\" accept");
        a.TryExec("ping -c 1 -W 1 10.77.0.3").ExitCode.Should().NotBe(0, "lockdown blocks everything else");
        a.TryExec("ping -c 1 -W 1 10.77.0.2").ExitCode.Should().NotBe(0, "only IKE and ESP may go to the gateway, not ICMP");
        using (var listener = b.Run(() =>
        {
            var l = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram,
                System.Net.Sockets.ProtocolType.Udp) { ReceiveTimeout = 3000 };
            l.Bind(new IPEndPoint(IPAddress.Parse("10.77.0.2"), 4500));
            return l;
        }))
        {
            a.Run(() =>
            {
                using var sender = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram,
                    System.Net.Sockets.ProtocolType.Udp);
                sender.SendTo("ike"u8.ToArray(), new IPEndPoint(IPAddress.Parse("10.77.0.2"), 4500));
            });
            var buffer = new byte[16];
            listener.Receive(buffer).Should().Be(3, "UDP 4500 to the gateway gets out");
        }

        // Switching gateways is one transaction: a concurrent prober never finds the table missing.
        using var stop = new CancellationTokenSource();
        int missing = 0, seen = 0;
        var prober = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var r = a.TryExec("nft list table inet ikev2_lockdown");
                if (r.ExitCode == 0) Interlocked.Increment(ref seen); else Interlocked.Increment(ref missing);
            }
        });
        a.Run(() =>
        {
            for (int i = 0; i < 20; i++)
                firewall.Apply(new LockdownPolicy([IPAddress.Parse(i % 2 == 0 ? "10.77.0.3" : "10.77.0.2")], [500, 4500], null));
        });
        stop.Cancel();
        await prober;
        missing.Should().Be(0, $"the table was there at every one of {seen} looks");

        // A crash: the firewall object is simply dropped; the table stays (fail closed) until the next start removes it.
        a.Exec("nft list table inet ikev2_lockdown").Should().Contain("policy drop");
        var removed = a.Run(() => LinuxNetworkCleanup.CleanupStale(state));
        removed.Should().Contain("nft inet ikev2_lockdown");
        a.TryExec("nft list table inet ikev2_lockdown").ExitCode.Should().NotBe(0);
        a.Exec("ping -c 1 -W 2 10.77.0.3").Should().Contain("1 received", "the network works again");
        File.Exists(state).Should().BeFalse();
    }

    [Fact]
    public void NftMissing_is_a_clear_error_not_a_silently_open_network()
    {
        var firewall = new NftablesLockdownFirewall(null, ["/nonexistent/nft"]);
        var act = () => firewall.Apply(new LockdownPolicy([IPAddress.Parse("192.0.2.1")], [500, 4500], null));
        act.Should().Throw<LockdownFirewallException>().Where(e => e.ToolMissing).WithMessage("*nftables*");
        firewall.Current.Should().BeNull();
    }
}
