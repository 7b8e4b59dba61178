using System.Diagnostics;
using FluentAssertions;
using Ikev2Client.Profiles;
using Ikev2Client.Service;
using Xunit;

namespace Ikev2Client.Tests.Service;

/// <summary>The real <c>ikev2</c> program: the daemon started detached in the background, and SIGTERM.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DaemonProcessTests
{
    private static string Program => Path.Combine(AppContext.BaseDirectory, "ikev2");

    [Fact]
    public async Task The_daemon_starts_in_the_background_logs_to_the_state_directory_and_stops_on_sigterm()
    {
        File.Exists(Program).Should().BeTrue("the ikev2 apphost is copied next to the tests");
        var home = ServiceTestData.NewTempDir();
        try
        {
            var store = new ProfileStore(home);
            var socket = Path.Combine(home, "run", "ikev2.sock");
            var client = new VpnManagerClient(socket);
            var log = ServicePaths.LogPath(store);
            int pid = await DaemonLauncher.StartAsync(client, log, TimeSpan.FromSeconds(20),
                ["/usr/bin/env", $"IKEV2_HOME={home}", "IKEV2_SOCKET=", Program]);
            pid.Should().NotBe(Environment.ProcessId);
            File.GetUnixFileMode(socket).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.GetUnixFileMode(log).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);

            // A second CLI process sees the same service.
            var status = Run(home, "status", "--json");
            status.Code.Should().Be(0, status.Err);
            status.Out.Trim().Should().Be("[]");
            Run(home, "daemon").Out.Should().Contain($"already running (pid {pid})");

            Process.Start("kill", ["-TERM", pid.ToString()])!.WaitForExit();
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (File.Exists(socket) && DateTime.UtcNow < deadline) await Task.Delay(100);
            File.Exists(socket).Should().BeFalse("SIGTERM shuts the service down and removes its socket");
            File.ReadAllText(log).Should().Contain("SIGTERM").And.Contain("ikev2 service stopped");
            var after = Run(home, "status");
            after.Code.Should().Be(0, "no service means no connections, not an error");
            after.Out.Should().Contain("No connections");
            Run(home, "status", "--watch").Code.Should().Be(4, "there is no service to follow");
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    private static (int Code, string Out, string Err) Run(string home, params string[] args)
    {
        var psi = new ProcessStartInfo(Program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["IKEV2_HOME"] = home;
        psi.Environment.Remove("IKEV2_SOCKET");
        psi.Environment["IKEV2_NO_AUTOSTART"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit(30_000).Should().BeTrue();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
