using System.Globalization;
using Ikev2Client.NetworkManager;
using Ikev2Client.Tests.Infrastructure;
using Ikev2Client.Tests.NetGuard;

namespace Ikev2Client.Tests.NetworkManager;

/// <summary>
/// Debian's NetworkManager with its own system D-Bus (a private dbus-daemon on a socket in a temporary directory), run
/// <c>--no-daemon</c> in a network namespace and a private mount namespace: <c>/run</c> is a tmpfs, and
/// <c>/etc/NetworkManager</c> and <c>/var/lib/NetworkManager</c> are bind mounts of temporary directories, so its
/// configuration, its VPN plugin directory (<c>/etc/NetworkManager/VPN</c>, holding our <c>.name</c> file and nothing
/// of the host's) and its state are the test's; <c>/usr/lib/NetworkManager/VPN</c> is hidden under an empty tmpfs.
/// <c>/sys</c> is bind-remounted read-only in that mount namespace: NetworkManager then works without udev (as in a
/// container), which no test machine runs. The plugin is the real <c>ikev2 nm-service</c> from the test output.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal sealed class PrivateNetworkManager : IDisposable
{
    private readonly string _dir;
    private readonly NetworkNamespace _ns;
    private int? _busPid, _nmPid;

    private PrivateNetworkManager(string dir, NetworkNamespace ns)
    {
        _dir = dir;
        _ns = ns;
    }

    public string BusAddress => "unix:path=" + BusSocket;
    private string BusSocket => Path.Combine(_dir, "bus.sock");
    public string LogPath => Path.Combine(_dir, "nm.log");
    public string LogText => File.Exists(LogPath) ? File.ReadAllText(LogPath) : "";
    /// <summary>What /etc/resolv.conf holds in NetworkManager's namespace before it changes it.</summary>
    public const string OriginalResolvConf = "# the namespace of NetworkManager (test)\nnameserver 192.0.2.53\n";

    /// <summary>The DNS server of the uplink connection (<see cref="ActivateUplink"/>).</summary>
    public const string UplinkDns = "192.0.2.53";

    /// <summary>The plugin's state directory (IKEV2_HOME of the nm-service process).</summary>
    public string PluginHome => Path.Combine(_dir, "home");
    public string ConnectionsDirectory => Path.Combine(_dir, "etc", "system-connections");
    /// <summary>The VPN plugin directory nmcli reads (NM_VPN_PLUGIN_DIR): our .name file, with the test's auth dialog.</summary>
    public string ClientPluginDirectory => Path.Combine(_dir, "client-vpn");

    public static PrivateNetworkManager Start(NetworkNamespace ns)
    {
        if (!File.Exists("/usr/sbin/NetworkManager") || !File.Exists("/usr/bin/nmcli"))
            throw new InvalidOperationException("NetworkManager is not installed: run .ci/test.sh as root (it installs network-manager), " +
                "or apt-get install network-manager dbus");
        var dir = Path.Combine("/tmp", "ikv2nm-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(dir);
        var nm = new PrivateNetworkManager(dir, ns);
        try
        {
            nm.Launch();
            return nm;
        }
        catch
        {
            nm.Dispose();
            throw;
        }
    }

    private void Launch()
    {
        foreach (var d in new[] { "etc/VPN", "etc/conf.d", "etc/system-connections", "lib", "home" })
            Directory.CreateDirectory(Path.Combine(_dir, d));
        File.WriteAllText(Path.Combine(_dir, "bus.conf"), SystemBusConfig.Open(BusSocket));
        // Only the test's client device is managed (as an external connection: NetworkManager keeps its addresses and routes).
        File.WriteAllText(Path.Combine(_dir, "etc", "NetworkManager.conf"), """
            [main]
            auth-polkit=false
            dns=default
            rc-manager=file
            no-auto-default=*
            plugins=keyfile

            [logging]
            level=INFO
            domains=VPN,VPN_PLUGIN,DNS:DEBUG,CORE:WARN
            """);
        var wrapper = Path.Combine(_dir, "nm-ikev2client-service");
        File.WriteAllText(wrapper, $"#!/bin/sh\nexec env IKEV2_HOME={PluginHome} {NetGuard.NamespacedIkev2.Program} nm-service \"$@\"\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var authDialog = Path.Combine(_dir, "nm-ikev2client-auth-dialog");
        File.WriteAllText(authDialog, $"#!/bin/sh\nexec {NetGuard.NamespacedIkev2.Program} nm-auth-dialog \"$@\"\n");
        File.SetUnixFileMode(authDialog, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var nameFile = File.ReadAllText(Path.Combine(RepoRoot(), "packaging", "nm-ikev2client-service.name"))
            .Replace("/usr/libexec/nm-ikev2client-service", wrapper, StringComparison.Ordinal)
            .Replace("/usr/libexec/nm-ikev2client-auth-dialog", authDialog, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(_dir, "etc", "VPN", "nm-ikev2client-service.name"), nameFile);
        // nmcli's agent reads the .name files in its own mount namespace (the host's): NM_VPN_PLUGIN_DIR points it at ours.
        Directory.CreateDirectory(ClientPluginDirectory);
        File.WriteAllText(Path.Combine(ClientPluginDirectory, "nm-ikev2client-service.name"), nameFile);

        var busPidFile = Path.Combine(_dir, "bus.pid");
        Shell.ShOk($"dbus-daemon --config-file={Path.Combine(_dir, "bus.conf")} --fork --print-pid > {busPidFile}", TimeSpan.FromSeconds(10));
        _busPid = int.Parse(File.ReadAllText(busPidFile).Trim(), CultureInfo.InvariantCulture);
        NetGuardInteropTests.WaitUntil(() => File.Exists(BusSocket), "the private dbus-daemon");

        var pidFile = Path.Combine(_dir, "nm.pid");
        var inner = string.Join(" && ",
            "mount -o remount,bind,ro /sys",
            "mount -t tmpfs tmpfs /run",
            // /etc as an overlay whose upper layer is on that tmpfs: NetworkManager writes /etc/resolv.conf (by rename,
            // which the bind mount of ip netns exec would refuse) into the upper layer; the host's /etc stays as it is.
            "umount /etc/resolv.conf 2>/dev/null; mkdir -p /run/ikev2-etc/up /run/ikev2-etc/work",
            "mount -t overlay overlay -o lowerdir=/etc,upperdir=/run/ikev2-etc/up,workdir=/run/ikev2-etc/work /etc",
            $"printf '{OriginalResolvConf.Replace("\n", "\\n", StringComparison.Ordinal)}' > /etc/resolv.conf",
            $"mount --bind {_dir}/lib /var/lib/NetworkManager",
            $"mount --bind {_dir}/etc /etc/NetworkManager",
            "mount -t tmpfs tmpfs /usr/lib/NetworkManager/VPN",
            $"echo \\$\\$ > {pidFile}", // escaped: the launching shell must not expand it to its own pid
            "exec /usr/sbin/NetworkManager --no-daemon --debug");
        Shell.ShOk($"setsid env DBUS_SYSTEM_BUS_ADDRESS={BusAddress} ip netns exec {_ns.Name} unshare -m --propagation private " +
                   $"sh -c \"{inner}\" </dev/null >{LogPath} 2>&1 &", TimeSpan.FromSeconds(10));
        NetGuardInteropTests.WaitUntil(() => File.Exists(pidFile) && File.ReadAllText(pidFile).Trim().Length > 0, "NetworkManager to start");
        _nmPid = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
        ShellResult? last = null;
        try
        {
            NetGuardInteropTests.WaitUntil(() => (last = Nmcli("-t -f RUNNING general")).StdOut.Trim() == "running", "NetworkManager on its bus",
                TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}: {last?.Output}\n{LogText}");
        }
    }

    /// <summary>
    /// Has NetworkManager manage the client's uplink as a desktop does: an ethernet connection with the topology's
    /// addresses and default routes (the same ones the topology set), activated and waited for. It is the primary
    /// connection, which a VPN is activated over.
    /// </summary>
    public void ActivateUplink(string device)
    {
        AddConnection("uplink", $"""
            [connection]
            id=uplink
            type=ethernet
            interface-name={device}
            autoconnect=false

            [ipv4]
            method=manual
            address1={Interop.InteropTopology.ClientAddress}/24,{Interop.InteropTopology.GatewayAddress}
            dns={UplinkDns};

            [ipv6]
            method=manual
            address1={Interop.InteropTopology.ClientAddress6}/64,{Interop.InteropTopology.GatewayAddress6}

            """);
        var up = Nmcli("--wait 30 connection up uplink", TimeSpan.FromSeconds(45));
        if (up.ExitCode != 0) throw new InvalidOperationException($"nmcli connection up uplink failed: {up.Output}\n{LogText}");
    }

    /// <summary>
    /// The resolver file NetworkManager maintains, <c>/run/NetworkManager/resolv.conf</c> in its mount namespace (read
    /// through <c>/proc/PID/root</c>): what a desktop's <c>/etc/resolv.conf</c> links to. NetworkManager is told to leave
    /// the namespace's <c>/etc/resolv.conf</c> alone (rc-manager=file): that file is a bind mount of
    /// <c>ip netns exec</c>, which its atomic rename cannot replace.
    /// </summary>
    public string ResolvConf
    {
        get
        {
            var path = $"/proc/{_nmPid}/root/etc/resolv.conf";
            try { return File.ReadAllText(path); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return ""; }
        }
    }

    /// <summary>What NetworkManager's /run holds (for failure messages).</summary>
    public string Diagnose() => Shell.Sh($"cat /proc/{_nmPid}/comm; ls -la /proc/{_nmPid}/root/run/ /proc/{_nmPid}/root/etc/resolv.conf 2>&1", TimeSpan.FromSeconds(5)).Output;

    /// <summary>nmcli against this NetworkManager, in the namespace.</summary>
    public ShellResult Nmcli(string args, TimeSpan? timeout = null) =>
        Shell.Sh($"DBUS_SYSTEM_BUS_ADDRESS={BusAddress} ip netns exec {_ns.Name} nmcli {args}", timeout ?? TimeSpan.FromSeconds(30));

    /// <summary>
    /// <c>nmcli --ask ARGS</c> with standard input from <paramref name="stdinFile"/> (what a user types), its secret
    /// agent finding our <c>.name</c> file (and so our auth dialog) as on a machine where the plugin is installed.
    /// </summary>
    public ShellResult NmcliAsk(string args, string stdinFile, TimeSpan? timeout = null) =>
        Shell.Sh($"DBUS_SYSTEM_BUS_ADDRESS={BusAddress} NM_VPN_PLUGIN_DIR={ClientPluginDirectory} ip netns exec {_ns.Name} nmcli --ask {args} < {stdinFile}",
            timeout ?? TimeSpan.FromSeconds(30));

    /// <summary>Installs a keyfile (as <c>ikev2 nm-export</c> writes it) and has NetworkManager load it.</summary>
    public void AddConnection(string name, string keyfile)
    {
        var path = Path.Combine(ConnectionsDirectory, name + ".nmconnection");
        File.WriteAllText(path, keyfile);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var r = Nmcli($"connection load /etc/NetworkManager/system-connections/{name}.nmconnection");
        if (r.ExitCode != 0) throw new InvalidOperationException($"nmcli connection load failed: {r.Output}\n{LogText}");
    }

    /// <summary>True while an <c>ikev2 nm-service</c> process started by this NetworkManager runs.</summary>
    public bool PluginRunning => Shell.Sh($"pgrep -f -- '{PluginHome} '", TimeSpan.FromSeconds(5)).ExitCode == 0;

    private static string RepoRoot()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "Ikev2Client.sln"))) d = d.Parent;
        return d?.FullName ?? throw new InvalidOperationException("cannot find the repository root (Ikev2Client.sln) above " + AppContext.BaseDirectory);
    }

    public void Dispose()
    {
        if (_nmPid is int nm)
        {
            Shell.Sh($"kill -TERM {nm} 2>/dev/null", TimeSpan.FromSeconds(5));
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (Directory.Exists($"/proc/{nm}") && DateTime.UtcNow < deadline) Thread.Sleep(100);
            if (Directory.Exists($"/proc/{nm}")) Shell.Sh($"kill -KILL {nm} 2>/dev/null", TimeSpan.FromSeconds(5));
        }
        if (_busPid is int bus) Shell.Sh($"kill -TERM {bus} 2>/dev/null", TimeSpan.FromSeconds(5));
        Thread.Sleep(200);
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
