using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
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
/// SA lifecycle against strongSwan: a gateway that rekeys CHILD SAs every 10 s and the IKE SA every 25 s while 60 s of
/// pings go through <see cref="VpnConnection"/> (with and without PFS), 20 % random loss of IKE datagrams, and a gateway
/// that dies (dead peer detection). Needs root; fails loudly without it.
/// </summary>
[Trait("Requires", "root")]
[Trait("Requires", "strongswan")]
public sealed class LifecycleInteropTests(ITestOutputHelper output)
{
    private static string RekeyingGateway(string esp) =>
        SwanctlConfigs.PskGateway(espProposals: esp, extraConnectionOptions: "rekey_time = 25s\n                rand_time = 0s\n                over_time = 10s",
            childOptions: "rekey_time = 10s\n                        life_time = 20s\n                        rand_time = 0s");

    private static VpnConnectionOptions Options(StrongSwanGateway gw, string esp, Action<IkeSessionOptionsSeed>? tune = null)
    {
        var seed = new IkeSessionOptionsSeed();
        tune?.Invoke(seed);
        return new VpnConnectionOptions
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
                ChildLifetime = seed.Child,
                IkeLifetime = seed.Ike,
                LivenessInterval = seed.Liveness,
                RetransmitTimeouts = seed.Retransmits,
            },
            InterfaceBuilderFactory = () => new LinuxVpnInterfaceBuilder(new LinuxVpnOptions { InterfaceName = "ikvt%d" }),
            NatT = new Ikev2Client.Platform.Userspace.NatTSocketOptions { KeepaliveInterval = TimeSpan.FromSeconds(20) },
        };
    }

    /// <summary>Test knobs for the client's session options.</summary>
    private sealed class IkeSessionOptionsSeed
    {
        public SaLifetime? Child { get; set; } = SaLifetime.DefaultChild;
        public SaLifetime? Ike { get; set; } = SaLifetime.DefaultIke;
        public TimeSpan? Liveness { get; set; }
        public IReadOnlyList<TimeSpan> Retransmits { get; set; } = new[] { 0.5, 1, 2, 4, 8 }.Select(TimeSpan.FromSeconds).ToArray();
    }

    [Theory]
    // Only the gateway rekeying (no PFS) is ChildSaContinuityInteropTests' two-minute run, ten gateways at once.
    [InlineData("aes256gcm16-x25519", true)]
    public void Sixty_seconds_of_pings_survive_child_and_ike_sa_rekeys_by_both_sides(string esp, bool oursToo)
    {
        using var gw = StrongSwanGateway.Start(RekeyingGateway(esp));
        // With PFS our own timers run too: CHILD SAs at 7-9 s (before the gateway's 10 s), the IKE SA at 18-20 s.
        var connection = new VpnConnection(Options(gw, esp, s =>
        {
            if (!oursToo) return;
            s.Child = new SaLifetime(TimeSpan.FromSeconds(9), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(2));
            s.Ike = new SaLifetime(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(2));
        }), new Ikev2Client.Tests.Infrastructure.TestLog(line => output.WriteLine(line)));
        var events = new List<IkeEvent>();
        try
        {
            gw.ClientNamespace.Run(() => connection.Connect());
            connection.Driver!.EventRaised += e => { lock (events) events.Add(e); };
            ulong firstSpiI = connection.Driver.Session.SpiI;

            var lost = gw.ClientNamespace.Run(() => DataPlaneInteropTests.PingMany(IPAddress.Parse(gw.ServerAddress), 300, TimeSpan.FromMilliseconds(200)));
            List<IkeEvent> seen;
            lock (events) seen = events.ToList();
            var rekeys = seen.OfType<IkeEvent.ChildSaRekeyed>().ToList();
            var ikeRekeys = seen.OfType<IkeEvent.IkeSaRekeyed>().ToList();
            output.WriteLine($"pings lost: {lost}; CHILD SA rekeys {rekeys.Count}, IKE SA rekeys {ikeRekeys.Count}; {connection.Statistics}");
            var trace = string.Join("\n", seen.Select(e => e.ToString()));
            lost.Should().Be(0, $"{connection.Statistics}\n{trace}\n--- gateway ---\n{gw.Gateway.LogTail(80)}");
            connection.State.Should().Be(VpnState.Connected, connection.EndReason);
            rekeys.Count.Should().BeGreaterThanOrEqualTo(5, trace);
            ikeRekeys.Count.Should().BeGreaterThanOrEqualTo(2, trace);
            connection.Driver.Session.SpiI.Should().NotBe(firstSpiI);
            if (esp.Contains("x25519"))
                seen.OfType<IkeEvent.MessageTraced>().Where(t => t.Exchange == Protocol.Wire.ExchangeType.CreateChildSa && t.Payloads.Contains("SA"))
                    .Should().OnlyContain(t => t.Payloads.Contains("KE"), "every CREATE_CHILD_SA carries a KE payload with PFS");
            var listing = gw.Gateway.WaitForSas(s => s.IkeSaCount == 1);
            listing.IkeSaCount.Should().Be(1, "old IKE SAs are deleted after each rekey");
            connection.ChildSas.Count.Should().BeLessThanOrEqualTo(2);
            var stats = connection.Statistics;
            (stats.ReplayDrops + stats.AuthenticationDrops + stats.MalformedDrops).Should().Be(0, stats.ToString());
        }
        finally
        {
            connection.Disconnect();
        }
        connection.State.Should().Be(VpnState.Disconnected, connection.EndReason);
        gw.Gateway.WaitForSas(s => s.IkeSaCount == 0).IkeSaCount.Should().Be(0);
    }

    [Fact]
    public async Task Ten_connects_out_of_ten_succeed_with_twenty_percent_loss_of_ike_datagrams()
    {
        using var gw = StrongSwanGateway.Start(SwanctlConfigs.PskGateway());
        var ns = gw.ClientNamespace;
        ns.Exec("nft add table inet loss");
        ns.Exec("nft add chain inet loss in { type filter hook input priority 0 \\; }");
        ns.Exec("nft add chain inet loss out { type filter hook output priority 0 \\; }");
        ns.Exec("nft add rule inet loss in udp sport { 500, 4500 } numgen random mod 100 \\< 20 drop");
        ns.Exec("nft add rule inet loss out udp dport { 500, 4500 } numgen random mod 100 \\< 20 drop");
        int ok = 0;
        var failures = new List<string>();
        for (int i = 0; i < 10; i++)
        {
            var options = IkeInteropClient.Options();
            options = new IkeSessionOptions
            {
                LocalIdentity = options.LocalIdentity, RemoteIdentity = options.RemoteIdentity, Authenticator = options.Authenticator,
                RetransmitTimeouts = new[] { 0.5, 1, 1, 2, 2, 2, 2, 2 }.Select(TimeSpan.FromSeconds).ToArray(),
            };
            await using var client = IkeInteropClient.Create(gw, options);
            try
            {
                await client.ConnectAsync(gw, TimeSpan.FromSeconds(40));
                ok++;
            }
            catch (Exception e) { failures.Add($"connect {i}: {e.Message}\n{client.Transcript}"); }
            await client.CloseAsync();
        }
        var dropped = ns.Exec("nft list table inet loss");
        output.WriteLine(dropped);
        ok.Should().Be(10, string.Join("\n\n", failures));
    }

    [Fact]
    public async Task Dead_gateway_is_a_recoverable_timeout_within_the_dpd_interval_plus_retransmissions()
    {
        using var gw = StrongSwanGateway.Start(SwanctlConfigs.PskGateway());
        var liveness = TimeSpan.FromSeconds(3);
        var retransmits = new[] { 0.5, 1, 2 }.Select(TimeSpan.FromSeconds).ToArray();
        var connection = new VpnConnection(Options(gw, SwanctlConfigs.DefaultEspProposals, s => { s.Liveness = liveness; s.Retransmits = retransmits; }), new Ikev2Client.Tests.Infrastructure.TestLog(line => output.WriteLine(line)));
        try
        {
            gw.ClientNamespace.Run(() => connection.Connect());
            // Two liveness rounds while the gateway is alive keep the connection up.
            await Task.Delay(liveness * 2 + TimeSpan.FromSeconds(0.5));
            connection.State.Should().Be(VpnState.Connected, connection.EndReason);

            Shell.ShOk($"kill -KILL {gw.Gateway.Pid}");
            var clock = Stopwatch.StartNew();
            var limit = liveness + retransmits.Aggregate(TimeSpan.Zero, (a, b) => a + b) + TimeSpan.FromSeconds(3);
            var ended = await Task.WhenAny(connection.Closed, Task.Delay(limit));
            ended.Should().Be(connection.Closed, $"the connection must end within {limit}");
            output.WriteLine($"failure detected after {clock.Elapsed.TotalSeconds:0.0} s: {connection.EndReason}");
            connection.State.Should().Be(VpnState.Failed);
            connection.Error.Should().NotBeNull();
            connection.Error!.Kind.Should().Be(IkeErrorKind.ProtocolTimeout);
            connection.Error.Recoverable.Should().BeTrue();
            connection.IsRecoverableFailure.Should().BeTrue();
            Shell.ShOk($"ip -n {gw.ClientNamespace.Name} link show").Should().NotContain("ikvt", "the tunnel interface is removed");
        }
        finally
        {
            connection.Disconnect();
        }
    }
}
