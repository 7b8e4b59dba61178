using System.Text.RegularExpressions;
using Ikev2Client.Tests.Infrastructure;

namespace Ikev2Client.Tests.Interop;

/// <summary>
/// Three network namespaces: <c>client</c> (192.0.2.2) —veth— (192.0.2.1) <c>gateway</c> (10.1.0.1) —veth—
/// (10.1.0.10) <c>server</c>, with IP forwarding on the gateway. The underlay is dual-stack, as users' hosts are:
/// client 2001:db8:2::2 —— 2001:db8:2::1 gateway 2001:db8:1::1 —— 2001:db8:1::10 server; the client's default routes
/// (both families) and the server's point at the gateway, which forwards both families, so the server is also "the
/// internet" the client reaches outside any tunnel. Names are <c>ssw{id}{c|g|s}{4 hex}</c>, unique per
/// instance, so several topologies may exist at once; <see cref="Dispose"/> removes everything, and the first
/// topology of a process removes stale ones left by dead processes.
/// </summary>
public sealed partial class InteropTopology : IDisposable
{
    /// <summary>Namespace and veth name prefix.</summary>
    public const string Prefix = "ssw";
    public const string ClientAddress = "192.0.2.2";
    public const string GatewayAddress = "192.0.2.1";
    public const string GatewayInnerAddress = "10.1.0.1";
    public const string ServerAddress = "10.1.0.10";
    public const string ServerSubnet = "10.1.0.0/24";
    /// <summary>Virtual IP pool the default gateway configs hand out.</summary>
    public const string PoolSubnet = "10.3.0.0/24";
    /// <summary>DNS server address the default gateway configs hand out.</summary>
    public const string DnsAddress = "10.1.0.53";
    public const string ClientAddress6 = "2001:db8:2::2";
    public const string GatewayAddress6 = "2001:db8:2::1";
    public const string GatewayInnerAddress6 = "2001:db8:1::1";
    public const string ServerAddress6 = "2001:db8:1::10";
    public const string ServerSubnet6 = "2001:db8:1::/64";

    private static readonly string Root = Path.Combine(Path.GetTempPath(), "ikev2-interop");
    private static int s_staleCleanupDone;
    private readonly List<NetworkNamespace> _namespaces = new();
    private bool _disposed;

    /// <summary>4 hex digits shared by all names of this topology.</summary>
    public string Id { get; }
    /// <summary>Scratch directory of this topology (charon configs and logs live below it).</summary>
    public string Directory { get; }
    public NetworkNamespace Client { get; private set; } = null!;
    public NetworkNamespace Gateway { get; private set; } = null!;
    public NetworkNamespace Server { get; private set; } = null!;
    /// <summary>Client's interface towards the gateway (inside <see cref="Client"/>).</summary>
    public string ClientDevice => $"{Prefix}{Id}cg";
    /// <summary>Gateway's interface towards the client (inside <see cref="Gateway"/>).</summary>
    public string GatewayDevice => $"{Prefix}{Id}gc";

    private InteropTopology(string id, string dir)
    {
        Id = id;
        Directory = dir;
    }

    /// <summary>Builds the topology; throws (after cleaning up) when anything fails. Needs root.</summary>
    public static InteropTopology Create()
    {
        if (!Shell.IsRoot)
            throw new InvalidOperationException("the strongSwan interop topology needs root (CI runs as root; run the tests with sudo)");
        if (Interlocked.Exchange(ref s_staleCleanupDone, 1) == 0) CleanupStale();
        System.IO.Directory.CreateDirectory(Root);
        var (id, dir) = ReserveId();
        var topo = new InteropTopology(id, dir);
        try
        {
            topo.Build();
            return topo;
        }
        catch
        {
            topo.Dispose();
            throw;
        }
    }

    private static (string Id, string Dir) ReserveId()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var id = Random.Shared.Next(0x1000, 0x10000).ToString("x4");
            try
            {
                // the owner file is created atomically: it both reserves the id and marks it as alive
                using (var f = new FileStream(OwnerFile(id), FileMode.CreateNew, FileAccess.Write))
                using (var w = new StreamWriter(f)) w.Write(Environment.ProcessId);
                var dir = Path.Combine(Root, id);
                System.IO.Directory.CreateDirectory(dir);
                return (id, dir);
            }
            catch (IOException) when (File.Exists(OwnerFile(id))) { }
        }
        throw new InvalidOperationException($"could not reserve a topology id under {Root}");
    }

    private void Build()
    {
        Client = CreateNamespace('c');
        Gateway = CreateNamespace('g');
        Server = CreateNamespace('s');
        string p = Prefix + Id;
        var t = TimeSpan.FromSeconds(15);
        // each veth pair is created inside the namespaces directly, so names never clash in the root namespace
        Shell.ShOk($"ip -n {Client.Name} link add {p}cg type veth peer name {p}gc netns {Gateway.Name}", t);
        Shell.ShOk($"ip -n {Gateway.Name} link add {p}gs type veth peer name {p}sg netns {Server.Name}", t);
        Shell.ShOk($"ip -n {Client.Name} addr add {ClientAddress}/24 dev {p}cg && ip -n {Client.Name} link set {p}cg up", t);
        Shell.ShOk($"ip -n {Gateway.Name} addr add {GatewayAddress}/24 dev {p}gc && ip -n {Gateway.Name} link set {p}gc up", t);
        Shell.ShOk($"ip -n {Gateway.Name} addr add {GatewayInnerAddress}/24 dev {p}gs && ip -n {Gateway.Name} link set {p}gs up", t);
        Shell.ShOk($"ip -n {Server.Name} addr add {ServerAddress}/24 dev {p}sg && ip -n {Server.Name} link set {p}sg up", t);
        Shell.ShOk($"ip -n {Server.Name} route add default via {GatewayInnerAddress}", t);
        Gateway.Exec("sysctl -qw net.ipv4.ip_forward=1", t);
        // Dual-stack underlay (no DAD: the addresses are usable at once).
        Shell.ShOk($"ip -n {Client.Name} -6 addr add {ClientAddress6}/64 dev {p}cg nodad", t);
        Shell.ShOk($"ip -n {Gateway.Name} -6 addr add {GatewayAddress6}/64 dev {p}gc nodad", t);
        Shell.ShOk($"ip -n {Gateway.Name} -6 addr add {GatewayInnerAddress6}/64 dev {p}gs nodad", t);
        Shell.ShOk($"ip -n {Server.Name} -6 addr add {ServerAddress6}/64 dev {p}sg nodad", t);
        Shell.ShOk($"ip -n {Client.Name} route add default via {GatewayAddress}", t);
        Shell.ShOk($"ip -n {Client.Name} -6 route add default via {GatewayAddress6}", t);
        Shell.ShOk($"ip -n {Server.Name} -6 route add default via {GatewayInnerAddress6}", t);
        Gateway.Exec("sysctl -qw net.ipv6.conf.all.forwarding=1", t);
    }

    private NetworkNamespace CreateNamespace(char role)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var ns = NetworkNamespace.Create($"{Prefix}{Id}{role}");
                _namespaces.Add(ns);
                return ns;
            }
            catch (InvalidOperationException) when (attempt < 5) { } // random suffix collided: try another
        }
    }

    /// <summary>Kills every process in the namespaces, deletes them and the scratch directory. Never throws.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var ns in _namespaces)
        {
            try { ns.Dispose(); } catch (Exception) { /* best effort; the stale cleanup retries */ }
        }
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (Exception) { }
        try { File.Delete(OwnerFile(Id)); } catch (Exception) { }
    }

    private static string OwnerFile(string id) => Path.Combine(Root, id + ".owner");

    /// <summary>Deletes namespaces named like ours whose owning process is gone (crashed earlier test runs).</summary>
    public static void CleanupStale()
    {
        try
        {
            var list = Shell.Sh("ip netns list", TimeSpan.FromSeconds(10)).StdOut;
            foreach (Match m in StaleName().Matches(list))
            {
                var id = m.Groups[1].Value;
                if (OwnerAlive(id)) continue;
                var name = m.Value;
                Shell.Sh($"for p in $(ip netns pids {name} 2>/dev/null); do kill -9 $p 2>/dev/null; done; sleep 0.1; ip netns del {name}",
                    TimeSpan.FromSeconds(15));
                try { System.IO.Directory.Delete(Path.Combine(Root, id), recursive: true); } catch (Exception) { }
                try { File.Delete(OwnerFile(id)); } catch (Exception) { }
            }
        }
        catch (Exception) { /* best effort */ }
    }

    private static bool OwnerAlive(string id)
    {
        try
        {
            var text = File.ReadAllText(OwnerFile(id)).Trim();
            return int.TryParse(text, out var pid) && System.IO.Directory.Exists($"/proc/{pid}");
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    [GeneratedRegex(@"(?m)^ssw([0-9a-f]{4})[cgs][0-9a-f]{4}\b")]
    private static partial Regex StaleName();
}
