using System.Diagnostics;
using System.Text;
using FluentAssertions;
using Ikev2Client.Tests.Service;
using Xunit;

namespace Ikev2Client.Tests.Cli;

/// <summary>
/// <c>ikev2 connect --foreground --verbose</c>, the real program: the IKE messages it sends are debug log events on
/// stderr. No root: the gateway is a closed port on loopback,
/// so the connection never gets past IKE_SA_INIT and SIGTERM ends it.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class VerboseLogTests : IDisposable
{
    private const string Password = "Verbose-pa55word-never-logged";
    private static string Program => Path.Combine(AppContext.BaseDirectory, "ikev2");
    private readonly string _home = ServiceTestData.NewTempDir();

    public VerboseLogTests()
    {
        File.WriteAllText(Path.Combine(_home, "lab.sswan"), """
            {"uuid":"5d0b6f3a-3c9d-4d55-9a1e-5b4f0f1a2b3c","name":"lab","type":"ikev2-eap",
             "remote":{"addr":"127.0.0.1","port":"9"},"local":{"eap_id":"alice"}}
            """);
        Run(null, "profile", "import", Path.Combine(_home, "lab.sswan")).Should().Be(0);
        Run(Password + "\n", "profile", "set", "lab", "--password-stdin").Should().Be(0);
    }

    public void Dispose() => Directory.Delete(_home, recursive: true);

    [Fact]
    public async Task Connect_verbose_logs_each_IKE_message_at_debug_level_and_no_secret()
    {
        var err = await ConnectUntilAsync(["--verbose"], "sent IkeSaInit request");
        err.Should().MatchRegex(@"(?m)^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} dbug: Ikev2Client\.Connection\.VpnConnection\[1005\] sent IkeSaInit request 0 \[");
        err.Should().Contain("info: Ikev2Client.Connection.VpnConnection[1000] connecting to 127.0.0.1:9");
        err.Should().NotContain(Password);
    }

    /// <summary>Runs <c>connect lab --foreground</c> until stderr shows <paramref name="awaited"/>, then SIGTERM; returns stderr.</summary>
    private async Task<string> ConnectUntilAsync(string[] extra, string awaited)
    {
        var psi = Psi(["connect", "lab", "--foreground", .. extra]);
        using var p = Process.Start(psi)!;
        var err = new StringBuilder();
        p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (err) err.AppendLine(e.Data); };
        p.BeginErrorReadLine();
        _ = p.StandardOutput.ReadToEndAsync();
        string Shown() { lock (err) return err.ToString(); }
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline && !p.HasExited && !Shown().Contains(awaited)) await Task.Delay(50);
        Shown().Should().Contain(awaited, "within 30 s");
        Process.Start("kill", ["-TERM", p.Id.ToString()])!.WaitForExit();
        if (!p.WaitForExit(30_000)) p.Kill(entireProcessTree: true);
        p.WaitForExit();
        return Shown();
    }

    private ProcessStartInfo Psi(string[] args)
    {
        var psi = new ProcessStartInfo(Program)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["IKEV2_HOME"] = _home;
        psi.Environment.Remove("IKEV2_SOCKET");
        psi.Environment.Remove("JOURNAL_STREAM");
        psi.Environment["IKEV2_NO_AUTOSTART"] = "1";
        return psi;
    }

    private int Run(string? stdin, params string[] args)
    {
        using var p = Process.Start(Psi(args))!;
        if (stdin is not null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        var outTask = p.StandardOutput.ReadToEndAsync();
        var errTask = p.StandardError.ReadToEndAsync();
        p.WaitForExit(60_000).Should().BeTrue();
        p.WaitForExit();
        (p.ExitCode == 0 ? "" : outTask.Result + errTask.Result).Should().BeEmpty();
        return p.ExitCode;
    }
}
