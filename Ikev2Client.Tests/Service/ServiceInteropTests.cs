using System.CommandLine;
using System.Text.Json.Nodes;
using FluentAssertions;
using Ikev2Client.Cli;
using Ikev2Client.Profiles;
using Ikev2Client.Service;
using Ikev2Client.Tests.Infrastructure;
using Ikev2Client.Tests.Interop;
using Xunit;

namespace Ikev2Client.Tests.Service;

/// <summary>
/// The service and CLI against strongSwan 5.9.8 (needs root and network namespaces; fails loudly without them).
/// The connection is the real <see cref="VpnConnectionAdapter"/> (TUN in the client namespace), created in the client
/// namespace.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[Trait("Requires", "root")]
[Trait("Requires", "strongswan")]
public sealed class ServiceInteropTests
{
    private static Ikev2VpnProfile Profile(bool alwaysOn) =>
        new Ikev2VpnProfile.Builder().SetName("lab").SetServer(InteropTopology.GatewayAddress, 500)
            .SetUserIdentity(SwanctlConfigs.ClientId).SetRemoteIdentity(SwanctlConfigs.GatewayId)
            .SetAuthPsk(System.Text.Encoding.UTF8.GetBytes(SwanctlConfigs.DefaultPsk))
            .SetIkeProposal(SwanctlConfigs.DefaultIkeProposals).SetEspProposal(SwanctlConfigs.DefaultEspProposals)
            .SetDpdSeconds(20).SetAlwaysOn(alwaysOn, false).Build();

    private static async Task<(int Code, string Out, string Err)> Cli(ServiceCliOptions o, params string[] args)
    {
        var root = new RootCommand("test");
        foreach (var c in ServiceCommands.Create(o)) root.Subcommands.Add(c);
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Connect_toggle_status_and_always_on_survives_a_gateway_restart()
    {
        using var gw = StrongSwanGateway.Start(SwanctlConfigs.PskGateway());
        var dir = ServiceTestData.NewTempDir();
        try
        {
            new ProfileStore(dir).Save(Profile(alwaysOn: true));
            var socket = Path.Combine(dir, "run", "ikev2.sock");
            await using var daemon = new VpnDaemon(new VpnManagerOptions
            {
                Store = new ProfileStore(dir), ConnectionFactory = new NamespacedFactory(gw.ClientNamespace,
                    new VpnConnectionAdapterFactory(Ikev2Client.Tests.Infrastructure.TestPlatform.Linux(), Microsoft.Extensions.Options.Options.Create(new Ikev2Client.Connection.ProfileConnectionSettings()))), Random = () => 0.0,
                LoggerFactory = new Ikev2Client.Tests.Infrastructure.TestLog(),
            }, socket);
            daemon.Start(startAlwaysOn: false);
            var o = new ServiceCliOptions { Store = () => new ProfileStore(dir), SocketPath = _ => socket, AutoStartDaemon = false, Interactive = false };

            var connect = await Cli(o, "connect", "lab");
            connect.Code.Should().Be(0, connect.Err + gw.LogText);
            var status = JsonNode.Parse((await Cli(o, "status", "lab", "--json")).Out)!;
            status["state"]!.GetValue<string>().Should().Be("CONNECTED");
            var sas = gw.ListSas();
            sas.EstablishedCount.Should().Be(1, sas.Raw);
            var c = status["connection"]!;
            sas.Raw.Should().Contain(c["ikeSpiInitiator"]!.GetValue<string>()).And.Contain(c["ikeSpiResponder"]!.GetValue<string>());
            sas.Raw.Should().Contain(c["espSpiIn"]!.GetValue<string>()).And.Contain(c["espSpiOut"]!.GetValue<string>());
            var vip = c["virtualAddresses"]!.AsArray().Select(n => n!.GetValue<string>().Split('/')[0]).ToList();
            vip.Should().ContainSingle();
            sas.Raw.Should().Contain($"remote '{SwanctlConfigs.ClientId}' @").And.Contain($"[{vip[0]}]", "the gateway lists the virtual IP it assigned");

            (await Cli(o, "toggle", "lab")).Code.Should().Be(0);
            gw.Gateway.WaitForSas(s => s.IkeSaCount == 0).IkeSaCount.Should().Be(0, "toggle deleted the IKE SA");
            (await Cli(o, "toggle", "lab")).Code.Should().Be(0);
            gw.Gateway.WaitForSas(s => s.EstablishedCount == 1).EstablishedCount.Should().Be(1);
            var before = JsonNode.Parse((await Cli(o, "status", "lab", "--json")).Out)!["connection"]!["ikeSpiInitiator"]!.GetValue<string>();

            gw.Stop();
            gw.Start();
            var restarted = DateTime.UtcNow;
            var deadline = restarted.AddSeconds(150);
            JsonNode now;
            while (true)
            {
                now = JsonNode.Parse((await Cli(o, "status", "lab", "--json")).Out)!;
                if (now["state"]!.GetValue<string>() == "CONNECTED" && now["connection"]!["ikeSpiInitiator"]!.GetValue<string>() != before) break;
                if (DateTime.UtcNow > deadline) throw new TimeoutException("not CONNECTED again after the gateway restart: " + now.ToJsonString());
                await Task.Delay(500);
            }
            (DateTime.UtcNow - restarted).Should().BeLessThan(TimeSpan.FromSeconds(15),
                "always-on reconnects within 15 s of the gateway coming back, unattended");
            gw.Gateway.WaitForSas(s => s.EstablishedCount == 1).EstablishedCount.Should().Be(1);
            now["attempt"]!.GetValue<int>().Should().BeGreaterThan(1);

            (await Cli(o, "disconnect")).Code.Should().Be(0);
            gw.Gateway.WaitForSas(s => s.IkeSaCount == 0).IkeSaCount.Should().Be(0);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
