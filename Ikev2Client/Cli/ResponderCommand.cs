using System.CommandLine;
using System.Runtime.InteropServices;
using Ikev2Client.Connection;

namespace Ikev2Client.Cli;

/// <summary>
/// <c>ikev2 responder --config FILE</c>: a minimal IKEv2 responder with our userspace data plane, for tests and
/// throughput benchmarks. Not a production gateway (PSK only, one client at a time). Runs until Ctrl-C/SIGTERM.
/// </summary>
public static class ResponderCommand
{
    /// <summary>The command.</summary>
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "Responder JSON config (see docs/dataplane.md)", Required = true };
        var command = new Command("responder", "Run a minimal IKEv2 responder (test and benchmark tool, not a production gateway)") { config };
        command.SetAction(pr => Run(pr.GetValue(config)!, pr.InvocationConfiguration.Output, pr.InvocationConfiguration.Error));
        return command;
    }

    /// <summary>Runs the responder until a signal arrives.</summary>
    public static int Run(string path, TextWriter output, TextWriter error, CancellationToken stop = default)
    {
        ResponderConfig? config;
        try
        {
            if (!ResponderConfig.TryParse(File.ReadAllText(path), out config, out var problem))
            {
                error.WriteLine($"error: {Profiles.SafeText.Line(problem)}");
                return 2;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"error: cannot read {Profiles.SafeText.Clip(path, 256)}: {Profiles.SafeText.Line(e.Message)}");
            return 2;
        }

        using var signalled = CancellationTokenSource.CreateLinkedTokenSource(stop);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; signalled.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; signalled.Cancel(); });
        try
        {
            // The test and benchmark tool's own composition: a Linux TUN and the userspace IpSecManager; its log on stderr.
            using var logging = Logging.CreateFactory(Microsoft.Extensions.Logging.LogLevel.Information);
            using var manager = new Platform.Userspace.UserspaceIpSecManager();
            using var host = new ResponderHost(config!,
                () => new Platform.Linux.LinuxVpnInterfaceBuilder(new Platform.Linux.LinuxVpnOptions { InterfaceName = config!.InterfaceName }), manager, logging);
            host.Start();
            output.WriteLine("READY");
            output.Flush();
            host.Run(signalled.Token);
            output.WriteLine($"stopped; {host.Statistics}");
            return 0;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            error.WriteLine($"error: {Profiles.SafeText.Line(e.Message)}");
            return 1;
        }
    }
}
