using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Ikev2Client.Tests.Infrastructure;

namespace Ikev2Client.Tests.NetGuard;

/// <summary>
/// The real <c>ikev2</c> program inside a network namespace, as a user runs it: <c>ip netns exec NS ikev2 daemon
/// --foreground</c> (so it has the namespace's own <c>/etc/resolv.conf</c> bind mount, routes, rules and nftables) and
/// the CLI next to it, both with their own <c>IKEV2_HOME</c>. The daemon can be killed with SIGKILL like a crash.
/// </summary>
internal sealed class NamespacedIkev2 : IDisposable
{
    private readonly StringBuilder _log = new();
    private Process? _daemon;

    public NamespacedIkev2(NetworkNamespace ns, string home, IReadOnlyDictionary<string, string>? environment = null)
    {
        Namespace = ns;
        Home = home;
        Environment = environment ?? new Dictionary<string, string>();
    }

    /// <summary>Extra environment for the daemon and the CLI (e.g. DBUS_SYSTEM_BUS_ADDRESS).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; }

    public static string Program => Path.Combine(AppContext.BaseDirectory, "ikev2");
    public NetworkNamespace Namespace { get; }
    public string Home { get; }
    public string StateDirectory => Path.Combine(Home, "state", "network");
    public int? DaemonPid => _daemon is { HasExited: false } d ? d.Id : null;

    /// <summary>Everything the daemons wrote to stderr so far (for failure messages).</summary>
    public string Log { get { lock (_log) return _log.ToString(); } }

    /// <summary>Starts <c>ikev2 daemon --foreground</c> in the namespace and waits until it answers.</summary>
    public void StartDaemon(params string[] extra)
    {
        var psi = Psi(["daemon", "--foreground", .. extra]);
        psi.RedirectStandardError = true;
        psi.RedirectStandardOutput = true;
        var p = Process.Start(psi)!;
        p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (_log) _log.AppendLine(e.Data); };
        p.OutputDataReceived += (_, e) => { if (e.Data != null) lock (_log) _log.AppendLine(e.Data); };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        _daemon = p;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (p.HasExited) throw new InvalidOperationException($"the daemon exited ({p.ExitCode}):\n{Log}");
            // 'status' answers "no connections" (exit 0) without a service too: ask the service itself (a ping).
            if (Ping()) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the daemon did not answer within 30 s:\n{Log}");
            Thread.Sleep(200);
        }
    }

    /// <summary>SIGKILL, as a crash: nothing of ours runs after it.</summary>
    public void KillDaemon()
    {
        var p = _daemon ?? throw new InvalidOperationException("no daemon");
        Process.Start("kill", ["-KILL", p.Id.ToString()])!.WaitForExit();
        if (!p.WaitForExit(10_000)) throw new TimeoutException("the daemon survived SIGKILL");
        lock (_log) _log.AppendLine("---- SIGKILL ----");
        _daemon = null;
    }

    /// <summary>SIGTERM and wait (a clean stop).</summary>
    public void StopDaemon()
    {
        if (_daemon is not { } p) return;
        if (!p.HasExited)
        {
            Process.Start("kill", ["-TERM", p.Id.ToString()])!.WaitForExit();
            if (!p.WaitForExit(20_000))
            {
                Process.Start("kill", ["-KILL", p.Id.ToString()])!.WaitForExit();
                p.WaitForExit(5_000);
            }
        }
        _daemon = null;
    }

    /// <summary>True once the daemon answers on its socket (a path socket: reachable from outside the namespace).</summary>
    private bool Ping()
    {
        var client = new Ikev2Client.Service.VpnManagerClient(System.IO.Path.Combine(Home, "run", "ikev2.sock"));
        try { return client.PingAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)).GetAwaiter().GetResult() > 0; }
        catch (Exception e) when (e is Ikev2Client.Service.VpnManagerException or IOException or TimeoutException
                                  or System.Net.Sockets.SocketException) { return false; }
    }

    /// <summary>Runs the CLI in the namespace.</summary>
    public (int Code, string Out, string Err) Cli(params string[] args)
    {
        var psi = Psi(args);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"ikev2 {string.Join(' ', args)} did not finish");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary><c>status NAME --json</c> as JSON.</summary>
    public JsonNode Status(string name)
    {
        var r = Cli("status", name, "--json");
        if (r.Code != 0) throw new InvalidOperationException($"status failed ({r.Code}): {r.Err}\n{Log}");
        return JsonNode.Parse(r.Out)!;
    }

    private ProcessStartInfo Psi(IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardInput = true };
        foreach (var a in (string[])["netns", "exec", Namespace.Name, "env", "-u", "IKEV2_SOCKET", $"IKEV2_HOME={Home}", "IKEV2_NO_AUTOSTART=1"])
            psi.ArgumentList.Add(a);
        foreach (var (k, v) in Environment) psi.ArgumentList.Add($"{k}={v}");
        psi.ArgumentList.Add(Program);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return psi;
    }

    public void Dispose() => StopDaemon();
}
