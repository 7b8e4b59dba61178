using System.Net;
using System.Net.NetworkInformation;
using FluentAssertions;
using Ikev2Client.Tests.Infrastructure;
using Xunit;

namespace Ikev2Client.Tests.Interop;

/// <summary>Smoke tests of the strongSwan interop harness itself (needs root: fails loudly without it).</summary>
[Trait("Requires", "root")]
[Trait("Requires", "strongswan")]
public sealed class StrongSwanHarnessTests
{
    [Fact]
    public void Gateway_starts_and_loads_a_psk_connection()
    {
        using var gw = StrongSwanGateway.Start(SwanctlConfigs.PskGateway());

        var conns = gw.Gateway.Swanctl("--list-conns");
        conns.ExitCode.Should().Be(0, conns.Output);
        conns.StdOut.Should().Contain($"{SwanctlConfigs.GatewayConnection}: IKEv2");
        var pools = gw.Gateway.Swanctl("--list-pools");
        pools.StdOut.Should().Contain("pool4").And.Contain("10.3.0.");
        gw.ListSas().IkeSaCount.Should().Be(0);
        gw.LogText.Should().Contain("kernel-libipsec").And.Contain("vici");
        Shell.Sh($"ip -n {gw.GatewayNamespace.Name} -4 addr").StdOut.Should().Contain(gw.GatewayAddress);
    }

    [Fact]
    public void StrongSwan_client_connects_with_psk_gets_virtual_ip_pings_server_and_disconnects()
    {
        using var gw = StrongSwanGateway.Start(SwanctlConfigs.PskGateway());
        var client = gw.StartClient(SwanctlConfigs.PskClient());

        var output = gw.Initiate();
        output.Should().Contain("established");

        var clientSas = client.ListSas();
        clientSas.IkeSaCount.Should().Be(1, clientSas.Raw);
        clientSas.EstablishedCount.Should().Be(1);
        clientSas.ChildSaCount.Should().Be(1);
        var vip = clientSas.IkeSas[0].VirtualIp;
        vip.Should().NotBeNull(clientSas.Raw);
        vip.Should().StartWith("10.3.0.");
        Shell.Sh($"ip -n {gw.ClientNamespace.Name} -4 addr").StdOut.Should().Contain(vip);
        gw.ListSas().EstablishedCount.Should().Be(1);

        var reply = gw.ClientNamespace.Run(() =>
        {
            using var ping = new Ping();
            PingReply r = ping.Send(IPAddress.Parse(gw.ServerAddress), 3000);
            for (var i = 0; i < 3 && r.Status != IPStatus.Success; i++) r = ping.Send(IPAddress.Parse(gw.ServerAddress), 3000);
            return r;
        });
        reply.Status.Should().Be(IPStatus.Success, "the server must answer through the tunnel\n" + client.LogTail());
        reply.Address.ToString().Should().Be(gw.ServerAddress);
        client.Swanctl("--list-sas").StdOut.Should().MatchRegex(@"in\s+[0-9a-f]{8},\s+[1-9]\d* bytes");

        gw.Terminate();
        client.ListSas().IkeSaCount.Should().Be(0);
        gw.Gateway.WaitForSas(s => s.IkeSaCount == 0).IkeSaCount.Should().Be(0);
    }

    [Theory]
    [InlineData("aes256gcm16-prfsha384-x448", "aes256gcm16", "CURVE_448")]
    [InlineData("aes128-sha256-modp2048", "aes128-sha256", "MODP_2048")]
    [InlineData("chacha20poly1305-prfsha256-ecp256", "chacha20poly1305", "ECP_256")]
    public void Gateway_negotiates_configured_key_exchange(string ike, string esp, string expectedGroup)
    {
        using var gw = StrongSwanGateway.Start(SwanctlConfigs.PskGateway(ike, esp));
        gw.StartClient(SwanctlConfigs.PskClient(ike, esp));

        gw.Initiate();

        var sas = gw.ListSas();
        sas.EstablishedCount.Should().Be(1, sas.Raw);
        sas.Raw.Should().Contain(expectedGroup);
    }

    [Fact]
    public void Gateway_restarts_and_dispose_removes_namespaces()
    {
        string[] names;
        int pid;
        using (var gw = StrongSwanGateway.Start(SwanctlConfigs.PskGateway()))
        {
            names = new[] { gw.ClientNamespace.Name, gw.GatewayNamespace.Name, gw.ServerNamespace.Name };
            names.Should().OnlyContain(n => n.Length <= 15);
            pid = gw.Gateway.Pid ?? throw new InvalidOperationException("no gateway pid");

            gw.Stop();
            Directory.Exists($"/proc/{pid}").Should().BeFalse("Stop must end charon");
            gw.Gateway.Swanctl("--stats", TimeSpan.FromSeconds(5)).ExitCode.Should().NotBe(0);

            gw.Start();
            gw.Gateway.Pid.Should().NotBeNull().And.NotBe(pid);
            pid = gw.Gateway.Pid!.Value;
            gw.Gateway.Swanctl("--list-conns").StdOut.Should().Contain("gw: IKEv2", "Start reloads the config");
        }
        Directory.Exists($"/proc/{pid}").Should().BeFalse();
        var list = Shell.Sh("ip netns list").StdOut;
        foreach (var n in names) list.Should().NotContain(n);
    }

    [Fact]
    public void Two_fixtures_run_side_by_side()
    {
        using var a = StrongSwanGateway.Start(SwanctlConfigs.PskGateway());
        using var b = StrongSwanGateway.Start(SwanctlConfigs.PskGateway());
        a.Topology.Id.Should().NotBe(b.Topology.Id);
        a.StartClient(SwanctlConfigs.PskClient());
        b.StartClient(SwanctlConfigs.PskClient());
        a.Initiate();
        b.Initiate();
        a.ListSas().EstablishedCount.Should().Be(1);
        b.ListSas().EstablishedCount.Should().Be(1);
    }

    [Fact]
    public void Bad_config_fails_with_the_charon_log_in_the_message()
    {
        var act = () => StrongSwanGateway.Start("connections { broken { proposals = not-an-algorithm } }");
        act.Should().Throw<InvalidOperationException>().WithMessage("*load-all*charon log tail*");
    }
}
