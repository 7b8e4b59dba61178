using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json;
using FluentAssertions;
using Ikev2Client.Connection;
using Ikev2Client.Platform.Linux;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Ike;
using Ikev2Client.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using Ikev2Client.Protocol.Crypto;

namespace Ikev2Client.Tests.Interop;

/// <summary>
/// Our client and data plane against the strongSwan gateway (kernel-libipsec, forced UDP encapsulation): virtual IP,
/// 1000 pings with no loss, a 10-second iperf3 TCP run through the tunnel, and nothing left behind after disconnect.
/// Needs root; fails loudly without it.
/// </summary>
[Trait("Requires", "root")]
[Trait("Requires", "strongswan")]
public sealed class DataPlaneInteropTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("aes256gcm16")]
    [InlineData("aes256-sha256")]
    public void Client_gets_virtual_ip_pings_server_1000_times_runs_iperf_and_leaves_nothing_behind(string esp)
    {
        using var gw = StrongSwanGateway.Start(SwanctlConfigs.PskGateway(espProposals: esp));
        var connection = new VpnConnection(ClientOptions(gw, esp), new Ikev2Client.Tests.Infrastructure.TestLog(line => output.WriteLine(line)));
        try
        {
            gw.ClientNamespace.Run(() => connection.Connect());
            connection.State.Should().Be(VpnState.Connected);
            var info = connection.Info!;
            info.DataPath.Should().Be(DataPath.TunnelInterface);
            info.VirtualAddresses.Should().ContainSingle().Which.BaseAddress.ToString().Should().StartWith("10.3.0.");
            info.Routes.Select(r => r.ToString()).Should().Equal(gw.ServerSubnet);
            info.DnsServers.Select(d => d.ToString()).Should().Contain(gw.DnsAddress);
            gw.ListSas().EstablishedCount.Should().Be(1);

            var lost = gw.ClientNamespace.Run(() => PingMany(IPAddress.Parse(gw.ServerAddress), 1000, TimeSpan.FromMilliseconds(5)));
            output.WriteLine($"pings lost: {lost}; {connection.Statistics}");
            lost.Should().Be(0, connection.Statistics.ToString());

            var mbps = RunIperf(gw, seconds: 10);
            output.WriteLine($"iperf3 {esp}: {mbps:0.0} Mbit/s; {connection.Statistics}");
            mbps.Should().BeGreaterThan(20, "a TCP stream through the tunnel must move real data");

            var stats = connection.Statistics;
            stats.PacketsSent.Should().BeGreaterThan(1000);
            stats.PacketsReceived.Should().BeGreaterThan(1000);
            (stats.ReplayDrops + stats.AuthenticationDrops + stats.MalformedDrops).Should().Be(0, stats.ToString());
        }
        finally
        {
            connection.Disconnect();
        }

        connection.State.Should().Be(VpnState.Disconnected, connection.EndReason);
        var ns = gw.ClientNamespace.Name;
        Shell.ShOk($"ip -n {ns} link show").Should().NotContain("ikvt");
        Shell.ShOk($"ip -n {ns} rule show").Should().NotContain("2300").And.NotContain("0x2300");
        Shell.ShOk($"ip -n {ns} route show table all").Should().NotContain("table 2300").And.NotContain(gw.ServerSubnet);
        gw.Gateway.WaitForSas(s => s.IkeSaCount == 0).IkeSaCount.Should().Be(0);
    }

    internal static VpnConnectionOptions ClientOptions(StrongSwanGateway gw, string esp) => new()
    {
        IpSecManager = new Ikev2Client.Platform.Userspace.UserspaceIpSecManager(),
        Server = new IPEndPoint(IPAddress.Parse(gw.GatewayAddress), 500),
        Session = new IkeSessionOptions
        {
            LocalIdentity = IkeIdentity.Parse(SwanctlConfigs.ClientId),
            RemoteIdentity = IkeIdentity.Parse(SwanctlConfigs.GatewayId),
            Authenticator = new PskAuthenticator(SwanctlConfigs.DefaultPsk),
            IkeProposals = [ProposalSpec.Parse(SwanctlConfigs.DefaultIkeProposals)],
            EspProposals = [ProposalSpec.Parse(esp, esp: true)],
            RequestedAddressFamilies = [AddressFamily.InterNetwork],
        },
        InterfaceBuilderFactory = () => new LinuxVpnInterfaceBuilder(new LinuxVpnOptions { InterfaceName = "ikvt%d" }),
        NatT = new Ikev2Client.Platform.Userspace.NatTSocketOptions { KeepaliveInterval = TimeSpan.FromSeconds(20) },
    };

    /// <summary>Sends <paramref name="count"/> echo requests one after the other; returns how many got no reply.</summary>
    internal static int PingMany(IPAddress target, int count, TimeSpan interval)
    {
        using var ping = new Ping();
        var payload = new byte[56];
        int lost = 0;
        for (int i = 0; i < count; i++)
        {
            var reply = ping.Send(target, 2000, payload);
            if (reply.Status != IPStatus.Success) lost++;
            Thread.Sleep(interval);
        }
        return lost;
    }

    /// <summary>iperf3 server in the server namespace, client in the client namespace; received Mbit/s.</summary>
    internal static double RunIperf(StrongSwanGateway gw, int seconds)
    {
        gw.ServerNamespace.Exec("iperf3 -s -1 -D");
        // -D returns before the server listens: wait until its port is open.
        var listening = DualStackInterop.WaitFor(() => gw.ServerNamespace.Exec("ss -Hltn sport = :5201").Contains("5201"), TimeSpan.FromSeconds(10));
        if (!listening) throw new TimeoutException("iperf3 -s did not listen on 5201 within 10 s");
        var json = gw.ClientNamespace.Exec($"iperf3 -c {gw.ServerAddress} -t {seconds} -J", TimeSpan.FromSeconds(seconds + 30));
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("end").GetProperty("sum_received").GetProperty("bits_per_second").GetDouble() / 1e6;
    }
}
