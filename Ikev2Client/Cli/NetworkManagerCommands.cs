using System.CommandLine;
using System.Runtime.InteropServices;
using Ikev2Client.Connection;
using Ikev2Client.NetworkManager;
using Ikev2Client.Profiles;
using Ikev2Client.Service;

namespace Ikev2Client.Cli;

/// <summary>
/// <c>ikev2 nm-service</c> (the NetworkManager VPN plugin process NetworkManager starts) and <c>ikev2 nm-export NAME</c>
/// (a stored profile as a NetworkManager connection). docs/networkmanager.md.
/// </summary>
internal static class NetworkManagerCommands
{
    public static IEnumerable<Command> Create(Func<ProfileStore> store)
    {
        yield return ServiceCommand();
        yield return ExportCommand(store);
    }

    private static Command ServiceCommand()
    {
        var busName = new Option<string>("--bus-name") { Description = "The D-Bus name to own (NetworkManager passes it for multi-connection plugins)", DefaultValueFactory = _ => NmVpnConnectionSettings.ServiceType };
        var persist = new Option<bool>("--persist") { Description = "Do not exit when idle (debugging)" };
        var idle = new Option<int>("--idle-exit") { Description = "Seconds without a connection before exiting", DefaultValueFactory = _ => 10 };
        var cmd = new Command("nm-service", "The NetworkManager VPN plugin service (started by NetworkManager, not by hand)") { busName, persist, idle };
        cmd.SetAction(pr =>
        {
            var err = pr.InvocationConfiguration.Error;
            var gate = new object();
            void Log(string line) { lock (gate) err.WriteLine("ikev2-nm: " + line); }
            using var stop = new CancellationTokenSource();
            void OnSignal(PosixSignalContext c) { c.Cancel = true; stop.Cancel(); }
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
            using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
            // NetworkManager applies DNS itself (from the Ip4Config/Ip6Config signals): the connection only reports it.
            var stateDir = Path.Combine(ProfileStore.DefaultStateDirectory(), "nm-network");
            if (OperatingSystem.IsLinux())
            {
                try
                {
                    foreach (var line in Platform.Linux.LinuxNetworkCleanup.CleanupStaleDirectory(stateDir)) Log("cleanup: " + line);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { Log($"cannot clean {stateDir}: {e.Message}"); }
            }
            var settings = new ProfileConnectionSettings { Dns = DnsMode.Off, StateDirectory = stateDir };
            var idleExit = pr.GetValue(persist) ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(Math.Max(1, pr.GetValue(idle)));
            if (idleExit == Timeout.InfiniteTimeSpan) idleExit = TimeSpan.MaxValue;
            var store = new ProfileStore(); // root's (/etc/ikev2) for store-profile connections (nm-export --secrets store)
            // The connection engine as the service composes it (Composition): Linux platform, DNS reported, not applied.
            using var provider = Composition.BuildService(new ServiceCliOptions(), store, new VpnServiceSettings { SocketPath = "", NetworkStateDirectory = stateDir },
                settings, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
            var factory = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<IVpnConnectionFactory>(provider);
            return NmVpnService.RunAsync(pr.GetValue(busName)!, null, factory, Log, idleExit, stop.Token, store.Load)
                .GetAwaiter().GetResult();
        });
        return cmd;
    }

    private static Command ExportCommand(Func<ProfileStore> store)
    {
        var name = new Argument<string>("name") { Description = "Profile name" };
        var output = new Option<string?>("--output", "-o") { Description = "Write the keyfile here (mode 0600), e.g. /etc/NetworkManager/system-connections/NAME.nmconnection" };
        var notSaved = new Option<bool>("--not-saved") { Description = "Secrets are asked for at every connect (not-saved) instead of kept by the user's secret agent (agent-owned)" };
        var passwd = new Option<string?>("--passwd-file") { Description = "Also write the profile's secrets as an nmcli passwd-file (mode 0600) for 'nmcli connection up NAME passwd-file FILE'" };
        var secretsFrom = new Option<string>("--secrets") { Description = "Where the plugin gets the secrets: 'agent' (NetworkManager's secret agents) or 'store' (this store, which must be the plugin's: root's /etc/ikev2)", DefaultValueFactory = _ => "agent" };
        secretsFrom.AcceptOnlyFromAmong("agent", "store");
        var cmd = new Command("nm-export", "Export a stored profile as a NetworkManager connection (keyfile); secrets stay out of it") { name, output, notSaved, passwd, secretsFrom };
        cmd.SetAction(pr =>
        {
            try
            {
                var s = store();
                var profile = s.Load(pr.GetValue(name)!);
                var fromStore = pr.GetValue(secretsFrom) == "store";
                if (fromStore && !Environment.IsPrivilegedProcess && Environment.GetEnvironmentVariable("IKEV2_HOME") is not { Length: > 0 })
                    throw new ProfileStoreException("--secrets store needs the profile in the plugin's store, root's /etc/ikev2: " +
                        $"run it as root (sudo ikev2 profile import ..., then sudo ikev2 nm-export {profile.Name} --secrets store)");
                var text = NmKeyfile.Create(profile, pr.GetValue(notSaved) ? NmSecretFlags.NotSaved : NmSecretFlags.AgentOwned, storeBacked: fromStore);
                if (pr.GetValue(output) is { } path) PrivateFile.Write(path, text);
                else pr.InvocationConfiguration.Output.Write(text);
                if (pr.GetValue(passwd) is { } secretsPath) PrivateFile.Write(secretsPath, NmKeyfile.PasswdFile(profile));
                return 0;
            }
            catch (Exception e) when (e is ProfileStoreException or ProfileImportException or ProfileValidationException)
            {
                pr.InvocationConfiguration.Error.WriteLine($"error: {SafeText.Line(e.Message)}");
                return 2;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                pr.InvocationConfiguration.Error.WriteLine($"error: {SafeText.Line(e.Message)}");
                return 1;
            }
        });
        return cmd;
    }
}
