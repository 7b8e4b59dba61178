using System.Net;
using System.Net.NetworkInformation;
using FluentAssertions;
using Ikev2Client.Connection;
using Ikev2Client.Platform.Linux;
using Ikev2Client.Profiles;
using Ikev2Client.Protocol.Ike;
using Xunit;
using Xunit.Abstractions;

namespace Ikev2Client.Tests.Interop;

/// <summary>
/// Volume-based CHILD SA rekeys against strongSwan (kernel-libipsec): a gateway with <c>rekey_bytes</c> rekeys while
/// large pings flow, and our client with a profile's <c>childRekeyBytes</c> rekeys on its own — no ping lost either way.
/// Needs root and strongSwan.
/// </summary>
[Trait("Requires", "root")]
[Trait("Requires", "strongswan")]
public sealed class VolumeRekeyInteropTests(ITestOutputHelper output)
{
    private const int PingPayload = 1300;

    [Fact]
    public void AGatewayRekeyingEveryFewHundredKilobytes_is_followed_without_losing_a_ping()
    {
        var conf = SwanctlConfigs.PskGateway(espProposals: "aes128ctr-aesxcbc",
            childOptions: "rekey_bytes = 400000\n                        life_bytes = 50000000\n                        rand_bytes = 0");
        using var gw = StrongSwanGateway.Start(conf);
        var result = Run(gw, "aes128ctr-aesxcbc", rekeyBytes: null, pings: 1200);
        result.ByPeer.Should().BeGreaterThanOrEqualTo(2, "the gateway rekeyed by volume; " + result.Trace + gw.Gateway.LogTail(60));
    }

    [Fact]
    public void OurProfilesChildRekeyBytes_rekeys_against_StrongSwan_without_losing_a_ping()
    {
        using var gw = StrongSwanGateway.Start(SwanctlConfigs.PskGateway(espProposals: "aes256-sha256"));
        var result = Run(gw, "aes256-sha256", rekeyBytes: 1_000_000, pings: 1600);
        result.Ours.Should().BeGreaterThanOrEqualTo(2, "1600 pings of 1.3 KB each way pass 1 MB more than once; " + result.Trace);
    }

    private (int Ours, int ByPeer, string Trace) Run(StrongSwanGateway gw, string esp, long? rekeyBytes, int pings)
    {
        var profile = new Ikev2VpnProfile.Builder(gw.GatewayAddress, SwanctlConfigs.ClientId).SetName("volume")
            .SetRemoteIdentity(SwanctlConfigs.GatewayId).SetAuthPsk(System.Text.Encoding.UTF8.GetBytes(SwanctlConfigs.DefaultPsk))
            .SetIkeProposal(SwanctlConfigs.DefaultIkeProposals).SetEspProposal(esp).SetChildSaByteLimits(rekeyBytes).Build();
        var lines = new List<string>();
        var connection = new VpnConnection(ProfileConnection.CreateOptions(profile, new ProfileConnectionSettings(), Ikev2Client.Tests.Infrastructure.TestPlatform.LinuxTun("ikvv%d")), new Ikev2Client.Tests.Infrastructure.TestLog(line => { lock (lines) lines.Add(line); output.WriteLine(line); }));
        int ours = 0, byPeer = 0;
        try
        {
            gw.ClientNamespace.Run(() => connection.Connect());
            connection.Driver!.EventRaised += e =>
            {
                if (e is IkeEvent.ChildSaRekeyed r) Interlocked.Increment(ref r.ByPeer ? ref byPeer : ref ours);
            };
            var lost = gw.ClientNamespace.Run(() => PingMany(IPAddress.Parse(gw.ServerAddress), pings));
            string trace;
            lock (lines) trace = string.Join("\n", lines);
            output.WriteLine($"pings lost {lost}; rekeys ours {ours}, gateway's {byPeer}; {connection.Statistics}");
            lost.Should().Be(0, $"{connection.Statistics}\n{trace}\n{gw.Gateway.LogTail(60)}");
            var stats = connection.Statistics;
            (stats.ReplayDrops + stats.AuthenticationDrops + stats.MalformedDrops).Should().Be(0, stats.ToString());
            connection.State.Should().Be(VpnState.Connected);
            return (ours, byPeer, trace);
        }
        finally
        {
            connection.Disconnect();
        }
    }

    private static int PingMany(IPAddress target, int count)
    {
        using var ping = new Ping();
        var payload = new byte[PingPayload];
        int lost = 0;
        for (int i = 0; i < count; i++)
        {
            if (ping.Send(target, 2000, payload).Status != IPStatus.Success) lost++;
            Thread.Sleep(2);
        }
        return lost;
    }
}
