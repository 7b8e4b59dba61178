using System.CommandLine;
using System.Runtime.InteropServices;
using Ikev2Client.Connection;
using Ikev2Client.NetworkManager;
using Ikev2Client.Profiles;
using Ikev2Client.Service;

namespace Ikev2Client.Cli;

/// <summary>
/// <c>ikev2 nm-service</c> (the NetworkManager VPN plugin process NetworkManager starts) and <c>ikev2 nm-export NAME</c>
/// (a stored profile as a NetworkManager connection) and <c>ikev2 nm-auth-dialog</c> (the auth dialog secret agents run).
/// docs/networkmanager.md.
/// </summary>
internal static class NetworkManagerCommands
{
    /// <summary>The auth dialog's command name: <see cref="CommandLine"/> hands its arguments to <see cref="RunAuthDialog"/>.</summary>
    public const string AuthDialogName = "nm-auth-dialog";

    public static IEnumerable<Command> Create(Func<ProfileStore> store)
    {
        yield return ServiceCommand();
        yield return ExportCommand(store);
        yield return AuthDialogCommand();
    }

    /// <summary>
    /// Listed in the help only: the arguments of <c>nm-auth-dialog</c> never reach System.CommandLine (a connection name
    /// may start with <c>@</c> or <c>-</c>), <see cref="CommandLine"/> runs <see cref="RunAuthDialog"/> directly.
    /// </summary>
    private static Command AuthDialogCommand()
    {
        var cmd = new Command(AuthDialogName, "The NetworkManager auth dialog (run by GNOME Shell or nmcli's secret agent: " +
            "-u UUID -n NAME -s SERVICE [-i] [-r] [-t HINT]... [--external-ui-mode]; the connection on standard input)");
        cmd.SetAction(pr => RunAuthDialog([], Console.In, pr.InvocationConfiguration.Output, pr.InvocationConfiguration.Error));
        return cmd;
    }

    /// <summary>
    /// <c>ikev2 nm-auth-dialog ARGS</c>: the protocol is <see cref="NmAuthDialog"/>; without <c>--external-ui-mode</c> it
    /// asks on the controlling terminal, and with none says so and exits 1 instead of waiting.
    /// </summary>
    public static int RunAuthDialog(IReadOnlyList<string> args, TextReader input, TextWriter output, TextWriter error)
    {
        if (args is ["-h" or "--help"])
        {
            output.WriteLine("usage: ikev2 nm-auth-dialog -u UUID -n NAME -s " + NmVpnConnectionSettings.ServiceType +
                " [-i] [-r] [-t HINT]... [--external-ui-mode]");
            output.WriteLine("Started by a NetworkManager secret agent (GNOME Shell, nmcli --ask), which writes the connection on standard input");
            output.WriteLine("(DATA_KEY=/DATA_VAL=/SECRET_KEY=/SECRET_VAL= lines, then DONE). docs/networkmanager.md.");
            return 0;
        }
        NmAuthDialogOptions options;
        try { options = NmAuthDialogOptions.Parse(args); }
        catch (NmAuthDialogException e)
        {
            error.WriteLine("nm-auth-dialog: " + SafeText.Line(e.Message, 400) + " (see ikev2 nm-auth-dialog --help)");
            return 2;
        }
        AuthDialogTerminal? terminal = null;
        try
        {
            Func<NmAuthSecret, string?>? ask = null;
            if (!options.ExternalUi && (terminal = AuthDialogTerminal.TryOpen()) is { } t) ask = s => t.Ask(options.Name, s);
            return NmAuthDialog.Run(options, input, output, error, ask);
        }
        finally
        {
            terminal?.Dispose();
        }
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
