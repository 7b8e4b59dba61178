using System.Diagnostics;
using System.Text.RegularExpressions;
using FluentAssertions;
using Ikev2Client.Service;
using Xunit;

namespace Ikev2Client.Tests.Service;

/// <summary>
/// The daemon's log as the real <c>ikev2</c> program writes it to stderr: under systemd (<c>JOURNAL_STREAM</c> set) one
/// line per event with the syslog priority as a <c>&lt;N&gt;</c> prefix, no timestamp and no colour; elsewhere a UTC
/// timestamp first. No root: the daemon only opens its control socket in a temporary home.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DaemonLogFormatTests
{
    private static string Program => Path.Combine(AppContext.BaseDirectory, "ikev2");

    [Fact]
    public async Task Under_systemd_each_line_starts_with_its_syslog_priority_and_has_no_timestamp_or_colour()
    {
        var log = await RunDaemonAsync(journal: true);
        var lines = log.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().Contain(l => Regex.IsMatch(l, @"^<6>Ikev2Client\.Service\.VpnDaemon\[3300\] ikev2 service started \(pid \d+\)$"), log);
        lines.Should().Contain(l => l.StartsWith("<6>Ikev2Client.Service.VpnDaemon[3303] ikev2 service stopped", StringComparison.Ordinal), log);
        lines.Should().OnlyContain(l => Regex.IsMatch(l, @"^<[0-7]>"), "every line carries a priority the journal reads");
        log.Should().NotContain("\u001b", "no colour codes").And.NotMatchRegex(@"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", "the journal has its own timestamps");
    }

    [Fact]
    public async Task Outside_systemd_each_line_starts_with_a_utc_timestamp_and_the_level()
    {
        var log = await RunDaemonAsync(journal: false);
        log.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().Contain(l =>
            Regex.IsMatch(l, @"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} info: Ikev2Client\.Service\.VpnDaemon\[3300\] ikev2 service started"), log);
        log.Should().NotContain("\u001b").And.NotMatchRegex("(?m)^<[0-7]>");
    }

    /// <summary>Runs <c>ikev2 daemon --foreground</c> until it answers on its socket, stops it with SIGTERM, returns stderr.</summary>
    private static async Task<string> RunDaemonAsync(bool journal)
    {
        var home = ServiceTestData.NewTempDir();
        try
        {
            var socket = Path.Combine(home, "run", "ikev2.sock");
            var psi = new ProcessStartInfo(Program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in (string[])["daemon", "--foreground", "--no-always-on"]) psi.ArgumentList.Add(a);
            psi.Environment["IKEV2_HOME"] = home;
            psi.Environment["IKEV2_SOCKET"] = socket;
            psi.Environment.Remove("JOURNAL_STREAM");
            if (journal) psi.Environment["JOURNAL_STREAM"] = "8:123456";
            using var p = Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync();
            _ = p.StandardOutput.ReadToEndAsync();
            var client = new VpnManagerClient(socket);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!await client.IsRunningAsync() && !p.HasExited && DateTime.UtcNow < deadline) await Task.Delay(50);
            (await client.IsRunningAsync()).Should().BeTrue("the daemon answers on its socket");
            Process.Start("kill", ["-TERM", p.Id.ToString()])!.WaitForExit();
            p.WaitForExit(30_000).Should().BeTrue("SIGTERM stops the daemon");
            return await stderr;
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }
}
