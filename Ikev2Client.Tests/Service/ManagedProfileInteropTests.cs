using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using FluentAssertions;
using Ikev2Client.Cli;
using Ikev2Client.Profiles;
using Ikev2Client.Service;
using Ikev2Client.Tests.Interop;
using Xunit;
using Xunit.Abstractions;

namespace Ikev2Client.Tests.Service;

/// <summary>
/// MDM provisioning end to end, with nobody at the keyboard: the service runs (real TUN and managed ESP in the client
/// namespace, strongSwan 5.9.8 as the gateway); a default always-on profile file is written into <c>managed.d</c> the
/// way docs/service.md tells an MDM to. It is listed as managed within 5 s, connects and carries traffic on its own,
/// can't be removed with <c>profile remove</c>, and deleting the file takes the tunnel down and the SA off the gateway.
/// </summary>
[Trait("Requires", "root")]
[Trait("Requires", "strongswan")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ManagedProfileInteropTests(ITestOutputHelper output)
{
    private static async Task<(int Code, string Out, string Err)> Cli(string dir, string socket, params string[] args)
    {
        var root = new RootCommand("test") { ProfileCommands.Create(() => new ProfileStore(dir), _ => socket) };
        foreach (var c in ServiceCommands.Create(new ServiceCliOptions
                 {
                     Store = () => new ProfileStore(dir), SocketPath = _ => socket, AutoStartDaemon = false, Interactive = false,
                 }))
            root.Subcommands.Add(c);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr });
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string TunDevices(StrongSwanGateway gw) => gw.ClientNamespace.Exec("ip -o link show type tun").Trim();

    [Fact]
    public async Task A_profile_file_dropped_into_managed_d_is_managed_within_5_s_connects_cannot_be_removed_and_goes_with_its_file()
    {
        using var gw = StrongSwanGateway.Start(SwanctlConfigs.PskGateway());
        var dir = ServiceTestData.NewTempDir();
        var log = new StringWriter();
        try
        {
            var store = new ProfileStore(dir);
            var socket = Path.Combine(dir, "run", "ikev2.sock");
            await using var daemon = new VpnDaemon(new VpnManagerOptions
            {
                Store = store,
                ConnectionFactory = new NamespacedFactory(gw.ClientNamespace, new VpnConnectionAdapterFactory(Ikev2Client.Tests.Infrastructure.TestPlatform.Linux(), Microsoft.Extensions.Options.Options.Create(new Ikev2Client.Connection.ProfileConnectionSettings()))),
                LoggerFactory = new Ikev2Client.Tests.Infrastructure.TestLog(line => { lock (log) log.WriteLine(line); }),
            }, socket);
            daemon.Start(startAlwaysOn: true);
            TunDevices(gw).Should().BeEmpty();

            // The MDM writes the file (a default profile: no tuned DPD or lifetimes; always-on) and renames it in.
            var profile = ChildSaContinuityInteropTests.DefaultProfile().ToBuilder().SetAlwaysOn(true, false).Build();
            var clock = Stopwatch.StartNew();
            var path = ManagedFiles.Drop(store, "lab.json", ManagedFiles.Native(profile));

            JsonNode? listed = null;
            while (clock.Elapsed < TimeSpan.FromSeconds(5))
            {
                listed = JsonNode.Parse((await Cli(dir, socket, "profile", "list", "--json")).Out)!.AsArray().SingleOrDefault();
                if (listed?["managed"]?.GetValue<bool>() == true) break;
                await Task.Delay(100);
            }
            var listedAfter = clock.Elapsed;
            output.WriteLine($"listed as managed after {listedAfter.TotalMilliseconds:0} ms");
            listed.Should().NotBeNull("the file is listed within 5 s with no command run: " + log);
            listed!["managed"]!.GetValue<bool>().Should().BeTrue();
            listed["managedBy"]!.GetValue<string>().Should().Be(path);
            listedAfter.Should().BeLessThan(TimeSpan.FromSeconds(5));

            // Always-on: it connects on its own.
            JsonNode status;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while ((status = JsonNode.Parse((await Cli(dir, socket, "status", "lab", "--json")).Out)!)["state"]!.GetValue<string>() != "CONNECTED")
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException("the managed always-on profile did not connect: " + status.ToJsonString() + log + gw.LogText);
                await Task.Delay(200);
            }
            output.WriteLine($"CONNECTED after {clock.Elapsed.TotalMilliseconds:0} ms");
            status["managedBy"]!.GetValue<string>().Should().Be(path);
            status["sessionKey"]!.GetValue<string>().Should().NotBeNullOrEmpty();
            var sas = gw.Gateway.WaitForSas(s => s.EstablishedCount == 1);
            sas.Raw.Should().Contain(status["connection"]!["ikeSpiInitiator"]!.GetValue<string>());
            TunDevices(gw).Should().NotBeEmpty();
            using (var probe = new PingProbe(gw.ClientNamespace, IPAddress.Parse(gw.ServerAddress), TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1)))
                probe.WaitForAnswerSince(TimeSpan.Zero, TimeSpan.FromSeconds(5)).Should().BeTrue("traffic crosses the managed tunnel");

            // The user can't remove it.
            var remove = await Cli(dir, socket, "profile", "remove", "lab");
            remove.Code.Should().Be(2);
            remove.Err.Should().Contain(store.ManagedDirectory).And.Contain(path);
            output.WriteLine(remove.Err.Trim());
            JsonNode.Parse((await Cli(dir, socket, "status", "lab", "--json")).Out)!["state"]!.GetValue<string>().Should().Be("CONNECTED");
            gw.ListSas().EstablishedCount.Should().Be(1, "a refused remove leaves the tunnel up");

            // The MDM deletes the file: the tunnel goes down, the SA leaves the gateway, the profile and its secrets go.
            File.Delete(path);
            clock.Restart();
            gw.Gateway.WaitForSas(s => s.IkeSaCount == 0, TimeSpan.FromSeconds(15)).IkeSaCount.Should().Be(0, "the IKE SA was deleted: " + log);
            output.WriteLine($"gateway without SA {clock.Elapsed.TotalMilliseconds:0} ms after the delete");
            var gone = DateTime.UtcNow.AddSeconds(10);
            while (new ProfileStore(dir).Exists("lab") || TunDevices(gw).Length > 0)
            {
                if (DateTime.UtcNow > gone) throw new TimeoutException("the profile or its TUN device is still there: " + TunDevices(gw) + log);
                await Task.Delay(100);
            }
            JsonNode.Parse((await Cli(dir, socket, "profile", "list", "--json")).Out)!.AsArray().Should().BeEmpty();
            (await Cli(dir, socket, "status", "lab")).Code.Should().Be(ServiceExitCodes.Usage, "no profile named 'lab' any more");
            Directory.GetFiles(Path.Combine(dir, "managed", "secrets")).Should().BeEmpty();
            log.ToString().Should().NotContain(SwanctlConfigs.DefaultPsk, "secrets never reach the log");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
