using System.Text;
using System.Text.RegularExpressions;
using Ikev2Client.Tests.Infrastructure;

namespace Ikev2Client.Tests.Interop;

/// <summary>
/// One strongSwan charon daemon (kernel-libipsec, userspace ESP over a TUN device) running in a namespace with a
/// private /run, its own strongswan.conf, vici socket and filelog, all below <see cref="Directory"/>. Controlled
/// through swanctl; every call has a timeout.
/// </summary>
public sealed partial class StrongSwanCharon : IDisposable
{
    private const string CharonPath = "/usr/lib/ipsec/charon";
    private static readonly TimeSpan SwanctlTimeout = TimeSpan.FromSeconds(30);
    private string? _swanctlConf;

    public StrongSwanRole Role { get; }
    public NetworkNamespace Namespace { get; }
    public StrongSwanOptions Options { get; }
    /// <summary>Directory holding strongswan.conf, swanctl.conf, x509/, x509ca/, private/, charon.log.</summary>
    public string Directory { get; }
    public string ViciUri => $"unix://{Path.Combine(Directory, "charon.vici")}";
    public string LogPath => Path.Combine(Directory, "charon.log");
    /// <summary>Pid of the running charon, or null.</summary>
    public int? Pid { get; private set; }

    public StrongSwanCharon(StrongSwanRole role, NetworkNamespace ns, string directory, StrongSwanOptions? options = null)
    {
        Role = role;
        Namespace = ns;
        Directory = directory;
        Options = options ?? new StrongSwanOptions();
        foreach (var sub in new[] { "", "x509", "x509ca", "private", "pubkey" })
            System.IO.Directory.CreateDirectory(Path.Combine(directory, sub));
    }

    /// <summary>The whole charon filelog so far (empty if none). May contain secrets if the level is 4.</summary>
    public string LogText
    {
        get
        {
            try
            {
                using var fs = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var r = new StreamReader(fs);
                return r.ReadToEnd();
            }
            catch (FileNotFoundException) { return ""; }
            catch (DirectoryNotFoundException) { return ""; }
        }
    }

    /// <summary>Last lines of the log and of charon's stdout, with key/secret hex dumps left out.</summary>
    public string LogTail(int lines = 40)
    {
        var log = LogText.Split('\n').Where(l => !DumpLine().IsMatch(l)).ToArray();
        var sb = new StringBuilder();
        sb.AppendLine($"--- {Role} charon log tail ({LogPath}) ---");
        foreach (var l in log.Skip(Math.Max(0, log.Length - lines))) sb.AppendLine(l.TrimEnd());
        var stdout = Path.Combine(Directory, "charon.stdout");
        if (File.Exists(stdout))
        {
            var text = File.ReadAllText(stdout).Trim();
            if (text.Length > 0) sb.AppendLine("--- charon stdout/stderr ---").AppendLine(text.Length > 2000 ? text[^2000..] : text);
        }
        return sb.ToString();
    }

    /// <summary>Writes strongswan.conf, starts charon, waits for vici and loads the last given swanctl.conf.</summary>
    public void Start()
    {
        if (Pid is int running && IsCharon(running))
            throw new InvalidOperationException($"{Role} charon already runs (pid {running})");
        Pid = null; // a charon killed with SIGKILL leaves its pid behind
        File.WriteAllText(Path.Combine(Directory, "strongswan.conf"), BuildStrongSwanConf());
        foreach (var f in new[] { "charon.vici", "charon.pid", "charon.log", "charon.stdout" })
            File.Delete(Path.Combine(Directory, f));
        var env = new Dictionary<string, string> { ["STRONGSWAN_CONF"] = Path.Combine(Directory, "strongswan.conf") };
        // charon's pid file path is fixed (/run/charon.pid): a private tmpfs /run lets several charons run at once.
        // The inner sh records its pid and then execs charon, so that pid is charon's.
        var inner = $"echo $$ > {Q(Path.Combine(Directory, "charon.pid"))}; mount -t tmpfs none /run && exec {CharonPath}";
        Shell.ShOk($"setsid ip netns exec {Namespace.Name} unshare -m sh -c {Q(inner)} </dev/null >{Q(Path.Combine(Directory, "charon.stdout"))} 2>&1 &",
            TimeSpan.FromSeconds(10), env);
        WaitForVici();
        if (_swanctlConf != null) LoadConfig(_swanctlConf);
    }

    private void WaitForVici()
    {
        var deadline = DateTime.UtcNow + Options.StartTimeout;
        var pidFile = Path.Combine(Directory, "charon.pid");
        while (DateTime.UtcNow < deadline)
        {
            if (Pid == null && File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid)) Pid = pid;
            if (File.Exists(Path.Combine(Directory, "charon.vici")) && Swanctl("--stats", TimeSpan.FromSeconds(5)).ExitCode == 0)
                return;
            if (Pid is int p && !System.IO.Directory.Exists($"/proc/{p}"))
                throw new InvalidOperationException($"{Role} charon in {Namespace.Name} exited during start\n{LogTail()}");
            Thread.Sleep(100);
        }
        var tail = LogTail();
        Stop();
        throw new TimeoutException($"{Role} charon in {Namespace.Name}: vici did not answer within {Options.StartTimeout}\n{tail}");
    }

    /// <summary>Stops charon: SIGTERM, SIGKILL after 5 s. Never throws; no-op when not running.</summary>
    public void Stop()
    {
        var pids = new List<int>();
        if (Pid is int pid && IsCharon(pid)) pids.Add(pid);
        // also any charon of ours that was started but never reported its pid
        var listed = Shell.Sh($"ip netns pids {Namespace.Name} 2>/dev/null", TimeSpan.FromSeconds(10)).StdOut;
        foreach (var s in listed.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            if (int.TryParse(s, out var p) && !pids.Contains(p) && IsCharon(p)) pids.Add(p);
        foreach (var p in pids) Shell.Sh($"kill -TERM {p} 2>/dev/null", TimeSpan.FromSeconds(5));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (pids.Any(p => System.IO.Directory.Exists($"/proc/{p}")) && DateTime.UtcNow < deadline) Thread.Sleep(50);
        foreach (var p in pids.Where(p => System.IO.Directory.Exists($"/proc/{p}")))
            Shell.Sh($"kill -KILL {p} 2>/dev/null", TimeSpan.FromSeconds(5));
        Pid = null;
    }

    private bool IsCharon(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/comm").Trim() == "charon"; }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    /// <summary>Writes <paramref name="swanctlConf"/> as swanctl.conf and loads it (swanctl --load-all).
    /// The config is reloaded by <see cref="Start"/> after a restart.</summary>
    public void LoadConfig(string swanctlConf)
    {
        _swanctlConf = swanctlConf;
        File.WriteAllText(Path.Combine(Directory, "swanctl.conf"), swanctlConf);
        var r = Swanctl($"--load-all --noprompt --file {Q(Path.Combine(Directory, "swanctl.conf"))}");
        if (r.ExitCode != 0 || r.StdOut.Contains("failed", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"{Role}: swanctl --load-all failed (exit {r.ExitCode}): {r.Output}\n{LogTail()}");
    }

    /// <summary>Places a credential file next to swanctl.conf (e.g. "x509ca/ca.crt", "private/gw.key");
    /// call before <see cref="LoadConfig"/>.</summary>
    public void InstallFile(string relativePath, byte[] content)
    {
        var path = Path.GetFullPath(Path.Combine(Directory, relativePath));
        if (!path.StartsWith(Directory, StringComparison.Ordinal)) throw new ArgumentException("path escapes the charon directory", nameof(relativePath));
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
    }

    /// <summary>Runs swanctl against this charon (<c>--uri</c> appended) and returns the result whatever the exit code.</summary>
    public ShellResult Swanctl(string arguments, TimeSpan? timeout = null)
        => Shell.Sh($"swanctl {arguments} --uri {Q(ViciUri)}", timeout ?? SwanctlTimeout);

    /// <summary><c>swanctl --list-sas</c>, raw and parsed.</summary>
    public SaListing ListSas()
    {
        var r = Swanctl("--list-sas");
        if (r.ExitCode != 0) throw new InvalidOperationException($"{Role}: swanctl --list-sas failed: {r.Output}\n{LogTail()}");
        return SaListing.Parse(r.StdOut);
    }

    /// <summary>Initiates CHILD_SA <paramref name="child"/> (and its IKE SA); throws with the log tail on failure.</summary>
    public string Initiate(string child, string? ike = null, TimeSpan? timeout = null)
    {
        var t = timeout ?? TimeSpan.FromSeconds(20);
        var ikeArg = ike != null ? $" --ike {Q(ike)}" : "";
        var r = Swanctl($"--initiate --child {Q(child)}{ikeArg} --timeout {(int)Math.Ceiling(t.TotalSeconds)}", t + TimeSpan.FromSeconds(10));
        if (r.ExitCode != 0)
            throw new InvalidOperationException($"{Role}: initiating '{child}' failed (exit {r.ExitCode}): {r.Output}\n{LogTail()}");
        return r.StdOut;
    }

    /// <summary>Terminates IKE SA <paramref name="ike"/> (by connection name), waiting for the DELETE exchange.</summary>
    public string Terminate(string ike, TimeSpan? timeout = null)
    {
        var t = timeout ?? TimeSpan.FromSeconds(15);
        var r = Swanctl($"--terminate --ike {Q(ike)} --timeout {(int)Math.Ceiling(t.TotalSeconds)}", t + TimeSpan.FromSeconds(10));
        if (r.ExitCode != 0)
            throw new InvalidOperationException($"{Role}: terminating '{ike}' failed (exit {r.ExitCode}): {r.Output}\n{LogTail()}");
        return r.StdOut;
    }

    /// <summary>Polls <see cref="ListSas"/> until <paramref name="condition"/> holds; returns the last listing.</summary>
    public SaListing WaitForSas(Func<SaListing, bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        var sas = ListSas();
        while (!condition(sas) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(100);
            sas = ListSas();
        }
        return sas;
    }

    public void Dispose() => Stop();

    private string BuildStrongSwanConf()
    {
        var levels = new StringBuilder();
        var parts = Options.LogLevels.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length % 2 != 0) throw new ArgumentException($"LogLevels must be 'group level' pairs: '{Options.LogLevels}'");
        for (var i = 0; i < parts.Length; i += 2) levels.Append($"            {parts[i]} = {int.Parse(parts[i + 1])}\n");
        var fragment = Options.FragmentSize is int fs ? $"    fragment_size = {fs}\n" : "";
        return $$"""
            charon {
                load = {{Options.Plugins}}
                install_routes = yes
                install_virtual_ip = yes
                retransmit_tries = 3
                retransmit_timeout = 1.0
            {{fragment}}{{Options.ExtraCharonConfig}}
                plugins {
                    vici {
                        socket = {{ViciUri}}
                    }
                }
                filelog {
                    main {
                        path = {{LogPath}}
                        time_format = %H:%M:%S
                        time_add_ms = yes
                        append = no
                        flush_line = yes
                        default = 1
            {{levels}}        }
                }
                syslog {
                    daemon {
                        default = -1
                    }
                }
            }

            """;
    }

    /// <summary>Single-quotes a shell word.</summary>
    private static string Q(string s) => "'" + s.Replace("'", "'\\''") + "'";

    [GeneratedRegex(@"(\]\s+\d+: [0-9A-F]{2} )|( => \d+ bytes @ 0x)")]
    private static partial Regex DumpLine();
}
