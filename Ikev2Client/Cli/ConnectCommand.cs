using System.CommandLine;
using System.Runtime.InteropServices;
using Ikev2Client.Connection;
using Ikev2Client.Profiles;

namespace Ikev2Client.Cli;

/// <summary>
/// <c>ikev2 connect FILE --foreground</c>: connects with a native profile (PSK), prints progress and the result,
/// keeps the tunnel up until Ctrl-C or SIGTERM, then disconnects cleanly. Exit 0 when it was connected and shut
/// down cleanly; otherwise 1 (2 for bad usage) with a one-line error on stderr.
/// </summary>
public static class ConnectCommand
{
    /// <summary>The command.</summary>
    public static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "Native profile JSON (see docs/profiles.md)" };
        var foreground = new Option<bool>("--foreground") { Description = "Run in this process until Ctrl-C/SIGTERM (required for now)" };
        var fullTunnel = new Option<bool>("--full-tunnel") { Description = "Route all traffic into the tunnel" };
        var applyDns = new Option<bool>("--apply-dns") { Description = "Write the VPN's DNS servers to /etc/resolv.conf while connected" };
        var stats = new Option<bool>("--stats") { Description = "Print data plane counters on exit" };
        var command = new Command("connect", "Connect a VPN profile") { file, foreground, fullTunnel, applyDns, stats };
        command.SetAction(pr => Run(pr.GetValue(file)!, pr.GetValue(foreground), new ProfileConnectionSettings
        {
            ForceFullTunnel = pr.GetValue(fullTunnel),
            ApplyDns = pr.GetValue(applyDns),
        }, pr.GetValue(stats), Console.Out, Console.Error));
        return command;
    }

    /// <summary>Runs the command (exposed for tests): blocks until a signal or the connection ends.</summary>
    public static int Run(string path, bool foreground, ProfileConnectionSettings settings, bool printStats, TextWriter output, TextWriter error,
        CancellationToken stop = default)
    {
        if (!foreground)
        {
            error.WriteLine("error: only --foreground is supported for now");
            return 2;
        }
        Ikev2VpnProfile profile;
        VpnConnectionOptions options;
        try
        {
            profile = ProfileImporter.Import(path).Profile;
            options = ProfileConnection.CreateOptions(profile, settings);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            error.WriteLine($"error: {OneLine(e.Message)}");
            return 1;
        }

        using var signalled = CancellationTokenSource.CreateLinkedTokenSource(stop);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; signalled.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; signalled.Cancel(); });
        using var connection = new VpnConnection(options);
        connection.Progress += line => output.WriteLine($"  {line}");
        output.WriteLine($"Connecting '{profile.Name}' to {options.Server}...");
        try
        {
            connection.Connect(signalled.Token);
        }
        catch (OperationCanceledException)
        {
            error.WriteLine("error: cancelled before the tunnel was up");
            return 1;
        }
        catch (VpnConnectionException e)
        {
            error.WriteLine($"error: {OneLine(e.Message)}");
            return 1;
        }

        var info = connection.Info!;
        output.WriteLine($"CONNECTED {info.DataPath} {info.InterfaceName} virtual IP {string.Join(", ", info.VirtualAddresses)}");
        output.WriteLine($"  routes: {string.Join(", ", info.Routes)}{(info.FullTunnel ? " (full tunnel)" : " (split tunnel)")}");
        output.WriteLine($"  DNS: {(info.DnsServers.Count == 0 ? "(none)" : string.Join(", ", info.DnsServers))}{(settings.ApplyDns ? " (applied)" : " (not applied)")}");
        output.WriteLine("Press Ctrl-C to disconnect.");
        output.Flush();

        WaitHandle.WaitAny([signalled.Token.WaitHandle, ((IAsyncResult)connection.Closed).AsyncWaitHandle]);
        bool endedByUs = !connection.Closed.IsCompleted;
        if (endedByUs)
        {
            output.WriteLine("Disconnecting...");
            connection.Disconnect();
        }
        if (printStats) output.WriteLine($"  {connection.Statistics}");
        if (!endedByUs || connection.State != VpnConnectionState.Disconnected)
        {
            error.WriteLine($"error: {OneLine(connection.EndReason ?? "the connection ended")}");
            return 1;
        }
        output.WriteLine("DISCONNECTED");
        return 0;
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}
