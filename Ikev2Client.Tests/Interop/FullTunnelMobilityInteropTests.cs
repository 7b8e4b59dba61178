using System.Text.RegularExpressions;
using FluentAssertions;
using Ikev2Client.Connection;
using Ikev2Client.Protocol.Ike;
using Ikev2Client.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static Ikev2Client.Tests.Interop.DualStackInterop;

namespace Ikev2Client.Tests.Interop;

/// <summary>
/// MOBIKE and make-before-break reauthentication with a <b>full tunnel</b> (<c>local_ts = 0.0.0.0/0</c>) and a default
/// profile, where every socket that talks to the gateway must stay outside the tunnel: the MOBIKE source-address probe
/// (unprotected, its route lookup would answer with the TUN's own address) and the reauthentication's IKE socket on the
/// IKE port (unprotected, its IKE_SA_INIT would travel inside the tunnel it is meant to replace). The gateway's log
/// shows where every IKE message came from. Needs root and strongSwan.
/// </summary>
[Trait("Requires", "root")]
[Trait("Requires", "strongswan")]
public sealed partial class FullTunnelMobilityInteropTests(ITestOutputHelper output)
{
    private const string SecondClientAddress = "192.0.2.4";

    private VpnConnection Connect(StrongSwanGateway gw, List<string> progress)
    {
        var connection = new VpnConnection(Options(Profile()), new Ikev2Client.Tests.Infrastructure.TestLog(line =>
        {
            lock (progress) progress.Add(line);
            output.WriteLine(line);
        }));
        gw.ClientNamespace.Run(() => connection.Connect());
        connection.Info!.FullTunnel.Should().BeTrue();
        connection.Info.Routes.Select(r => r.ToString()).Should().Equal("0.0.0.0/0");
        return connection;
    }

    /// <summary>The sources of the IKE messages the gateway received ("received packet: from A[port] to B[port]").</summary>
    private static string[] IkeSources(StrongSwanGateway gw) =>
        ReceivedFrom().Matches(gw.LogText).Select(m => m.Groups[1].Value).ToArray();

    [Fact]
    public void Mobike_moves_a_full_tunnel_to_our_other_address_and_the_probe_never_sees_the_tun()
    {
        using var gw = StrongSwanGateway.Start(Gateway("0.0.0.0/0", "pool4"));
        var dev = gw.Topology.ClientDevice;
        gw.ClientNamespace.Exec($"sysctl -qw net.ipv4.conf.{dev}.promote_secondaries=1");
        Shell.ShOk($"ip -n {gw.ClientNamespace.Name} addr add {SecondClientAddress}/24 dev {dev}");
        var progress = new List<string>();
        var connection = Connect(gw, progress);
        try
        {
            var vip = connection.Info!.VirtualAddresses.Single().BaseAddress.ToString();
            // Several address checks (every 2 s by default) pass while connected: inside the full tunnel an unprotected
            // probe would report the TUN's address and trigger a bogus MOBIKE update at once.
            Thread.Sleep(5000);
            lock (progress) progress.Should().NotContain(l => l.Contains("local address"), "nothing changed yet");
            Ping(gw.ClientNamespace, InteropTopology.ServerAddress, 10).Should().Be(10);

            int received = -1;
            var pinging = new Thread(() => received = Ping(gw.ClientNamespace, InteropTopology.ServerAddress, 60, interval: 0.1));
            pinging.Start();
            Thread.Sleep(1000);
            Shell.ShOk($"ip -n {gw.ClientNamespace.Name} addr del {InteropTopology.ClientAddress}/24 dev {dev}");
            pinging.Join(TimeSpan.FromSeconds(60));
            output.WriteLine($"pings answered during the move: {received}/60; {connection.Statistics}");

            var after = gw.Gateway.WaitForSas(s => s.Raw.Contains($"@ {SecondClientAddress}["), TimeSpan.FromSeconds(15)).Raw;
            output.WriteLine(after);
            after.Should().Contain($"@ {SecondClientAddress}[", "strongSwan moved the IKE SA to our new address");
            connection.State.Should().Be(VpnState.Connected, connection.EndReason);
            connection.Info!.LocalEndPoint.Address.ToString().Should().Be(SecondClientAddress);
            lock (progress) progress.Should().Contain(l => l.Contains($"→ {SecondClientAddress}")).And.NotContain(l => l.Contains($"→ {vip}"));
            // The move is noticed by the next address check (every 2 s by default), then MOBIKE and strongSwan's CHILD SA
            // rekey follow: a gap of a few seconds at 10 pings/s at most.
            received.Should().BeGreaterThanOrEqualTo(25, "a short gap at most");
            Ping(gw.ClientNamespace, InteropTopology.ServerAddress, 20).Should().Be(20, connection.Statistics.ToString());
            IkeSources(gw).Should().NotBeEmpty().And.OnlyContain(a => a == InteropTopology.ClientAddress || a == SecondClientAddress,
                "every IKE message reached the gateway from an underlay address, none through the tunnel");
        }
        finally
        {
            connection.Disconnect();
        }
        gw.Gateway.WaitForSas(s => s.IkeSaCount == 0).IkeSaCount.Should().Be(0);
    }

    [Fact]
    public void Make_before_break_reauthentication_of_a_full_tunnel_negotiates_outside_the_tunnel()
    {
        using var gw = StrongSwanGateway.Start(Gateway("0.0.0.0/0", "pool4",
            extra: "reauth_time = 20s\n                rand_time = 0s\n                over_time = 10s"));
        var progress = new List<string>();
        var reauths = new List<IkeSaInfo>();
        var connection = Connect(gw, progress);
        connection.Reauthenticated += sa => { lock (reauths) reauths.Add(sa); };
        try
        {
            connection.AuthLifetime.Should().NotBeNull("strongSwan sends AUTH_LIFETIME when reauth_time is set");
            var firstSpiI = connection.Driver!.Session.SpiI;
            var firstVip = connection.Info!.VirtualAddresses.Single();

            var received = Ping(gw.ClientNamespace, InteropTopology.ServerAddress, 150, interval: 0.2);
            output.WriteLine($"pings answered: {received}/150; reauthentications {connection.Reauthentications}; {connection.Statistics}");
            connection.State.Should().Be(VpnState.Connected, connection.EndReason);
            lock (reauths) reauths.Should().NotBeEmpty(gw.Gateway.LogTail(80));
            connection.Driver!.Session.SpiI.Should().NotBe(firstSpiI);
            received.Should().BeGreaterThanOrEqualTo(149, $"{connection.Statistics}\n{gw.Gateway.LogTail(80)}");
            connection.Info!.VirtualAddresses.Single().Should().Be(firstVip);
            gw.Gateway.WaitForSas(s => s.IkeSaCount == 1).IkeSaCount.Should().Be(1, "the old IKE SA was deleted");

            var initFrom = IkeSaInitSources().Matches(gw.LogText).Select(m => m.Groups[1].Value).ToArray();
            output.WriteLine($"IKE_SA_INIT requests from: {string.Join(", ", initFrom)}");
            initFrom.Should().HaveCountGreaterThanOrEqualTo(2, "the first IKE SA and the reauthentication");
            initFrom.Should().OnlyContain(a => a == InteropTopology.ClientAddress, "the new IKE SA was negotiated outside the tunnel");
            IkeSources(gw).Should().OnlyContain(a => a == InteropTopology.ClientAddress);
        }
        finally
        {
            connection.Disconnect();
        }
        gw.Gateway.WaitForSas(s => s.IkeSaCount == 0).IkeSaCount.Should().Be(0);
    }

    [GeneratedRegex(@"received packet: from ([0-9a-f.:]+)\[\d+\] to ")]
    private static partial Regex ReceivedFrom();

    [GeneratedRegex(@"received packet: from ([0-9a-f.:]+)\[\d+\] to [0-9a-f.:]+\[500\]")]
    private static partial Regex IkeSaInitSources();
}
