using Ikev2Client.Tests.Infrastructure;

namespace Ikev2Client.Tests.NetGuard;

/// <summary>
/// A real systemd-resolved (Debian's binary, unpacked by .ci/test.sh, never installed) on a private dbus-daemon, in a
/// network namespace and a private mount namespace of its own: its <c>/run/systemd</c> is a tmpfs, so nothing of the
/// host's changes. No systemd runs on the test machines, so resolved runs as <c>nobody</c> with the capabilities its
/// unit file grants (it drops privileges itself only when started as root, which needs a systemd-resolve user).
/// </summary>
internal sealed class PrivateResolved : IDisposable
{
    public const string DefaultRoot = "/var/cache/ikev2-tests/systemd-resolved";
    private readonly string _dir;
    private int? _busPid, _resolvedPid;

    private readonly NetworkNamespace _ns;

    private PrivateResolved(string dir, NetworkNamespace ns)
    {
        _dir = dir;
        _ns = ns;
    }

    /// <summary>Where the unpacked package is ($IKEV2_TEST_RESOLVED_ROOT, else <see cref="DefaultRoot"/>).</summary>
    public static string Root => System.Environment.GetEnvironmentVariable("IKEV2_TEST_RESOLVED_ROOT") is { Length: > 0 } r ? r : DefaultRoot;

    /// <summary>The D-Bus address of the private bus (what DBUS_SYSTEM_BUS_ADDRESS is set to).</summary>
    public string BusAddress => "unix:path=" + BusSocket;
    private string BusSocket => Path.Combine(_dir, "bus.sock");
    public string LogPath => Path.Combine(_dir, "resolved.log");
    public string LogText => File.Exists(LogPath) ? File.ReadAllText(LogPath) : "";

    public static PrivateResolved Start(NetworkNamespace ns)
    {
        var binary = Path.Combine(Root, "lib/systemd/systemd-resolved");
        if (!File.Exists(binary))
            throw new InvalidOperationException($"systemd-resolved is not unpacked at {Root}: run .ci/test.sh as root (it fetches Debian's " +
                "systemd-resolved package with apt-get download and unpacks it there), or set IKEV2_TEST_RESOLVED_ROOT");
        var dir = Path.Combine("/tmp", "ikv2r-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(dir);
        var r = new PrivateResolved(dir, ns);
        try
        {
            r.Launch(ns, binary);
            return r;
        }
        catch
        {
            r.Dispose();
            throw;
        }
    }

    private void Launch(NetworkNamespace ns, string binary)
    {
        File.WriteAllText(Path.Combine(_dir, "bus.conf"), SystemBusConfig.Open(BusSocket));
        var busPidFile = Path.Combine(_dir, "bus.pid");
        Shell.ShOk($"dbus-daemon --config-file={Path.Combine(_dir, "bus.conf")} --fork --print-pid > {busPidFile}", TimeSpan.FromSeconds(10));
        _busPid = int.Parse(File.ReadAllText(busPidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Wait(() => File.Exists(BusSocket), "the private dbus-daemon");
        Shell.ShOk($"chmod 0777 {BusSocket} {_dir}");

        // resolved in the client namespace (it must see the TUN link) with a private /run/systemd.
        var pidFile = Path.Combine(_dir, "resolved.pid");
        var inner = string.Join(" && ",
            "mount -t tmpfs tmpfs /run/systemd",
            "mkdir -p /run/systemd/resolve /run/systemd/resolved.conf.d",
            "chown nobody:nogroup /run/systemd/resolve",
            "printf '[Resolve]\\nDNSStubListener=no\\nLLMNR=no\\nMulticastDNS=no\\n' > /run/systemd/resolved.conf.d/test.conf",
            $"echo $$ > {pidFile}",
            $"exec setpriv --reuid=nobody --regid=nogroup --init-groups --inh-caps=+net_raw,+net_bind_service,+setpcap " +
            $"--ambient-caps=+net_raw,+net_bind_service,+setpcap {binary}");
        Shell.ShOk($"setsid env DBUS_SYSTEM_BUS_ADDRESS={BusAddress} SYSTEMD_LOG_LEVEL=debug ip netns exec {ns.Name} unshare -m --propagation private " +
                   $"sh -c \"{inner}\" </dev/null >{LogPath} 2>&1 &", TimeSpan.FromSeconds(10));
        Wait(() => File.Exists(pidFile) && File.ReadAllText(pidFile).Trim().Length > 0, "resolved to start");
        _resolvedPid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        ShellResult? last = null;
        Wait(() => (last = Resolvectl("status")).StdOut.Contains("Global", StringComparison.Ordinal), "resolved to own org.freedesktop.resolve1", () => last?.Output);
    }

    /// <summary>Runs resolvectl against the private bus, in the namespace (it names links by their name there).</summary>
    public ShellResult Resolvectl(string args) =>
        Shell.Sh($"DBUS_SYSTEM_BUS_ADDRESS={BusAddress} ip netns exec {_ns.Name} {Path.Combine(Root, "usr/bin/resolvectl")} --no-pager {args}",
            TimeSpan.FromSeconds(15));

    private void Wait(Func<bool> condition, string what, Func<string?>? detail = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting for {what}: {detail?.Invoke()}\n{LogText}");
            Thread.Sleep(100);
        }
    }

    public void Dispose()
    {
        foreach (var pid in new[] { _resolvedPid, _busPid })
            if (pid is int p) Shell.Sh($"kill -TERM {p} 2>/dev/null", TimeSpan.FromSeconds(5));
        Thread.Sleep(200);
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
