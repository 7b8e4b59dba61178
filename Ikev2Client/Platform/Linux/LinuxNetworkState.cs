using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Ikev2Client.Platform.Linux;

/// <summary>One thing a Linux VPN interface installed, as recorded in the state file.</summary>
internal abstract record LinuxNetworkResource
{
    /// <summary>The TUN device.</summary>
    public sealed record Device(string Name) : LinuxNetworkResource
    {
        public override string ToString() => $"device {Name}";
    }

    /// <summary>A route in the tunnel table (<see cref="RtNetlink.RTN_UNICAST"/> via the TUN, a throw route, or an
    /// unreachable route blocking a family).</summary>
    public sealed record Route(IpPrefix Destination, byte Type, uint Table) : LinuxNetworkResource
    {
        public override string ToString() =>
            $"route {Type switch { RtNetlink.RTN_THROW => "throw", RtNetlink.RTN_UNREACHABLE => "unreachable", _ => "unicast" }} {Destination} {Table}";
    }

    /// <summary>The rule "not fwmark Mark lookup Table" at Priority.</summary>
    public sealed record Rule(AddressFamily Family, uint Priority, uint Table, uint Mark) : LinuxNetworkResource
    {
        public override string ToString() =>
            $"rule {(Family == AddressFamily.InterNetworkV6 ? "inet6" : "inet")} {Priority} {Table} {Mark}";
    }

    /// <summary>Parses one state-file line; null for anything unrecognised (a damaged file never throws).</summary>
    public static LinuxNetworkResource? Parse(string line)
    {
        var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (f.Length == 0) return null;
        try
        {
            switch (f[0])
            {
                case "device" when f.Length == 2 && f[1].Length is > 0 and < 16:
                    return new Device(f[1]);
                case "route" when f.Length == 4:
                {
                    var slash = f[2].IndexOf('/');
                    if (slash < 0 || !IPAddress.TryParse(f[2].AsSpan(0, slash), out var addr)
                        || !int.TryParse(f[2].AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var len)
                        || !uint.TryParse(f[3], NumberStyles.None, CultureInfo.InvariantCulture, out var table))
                        return null;
                    var type = f[1] switch
                    {
                        "throw" => RtNetlink.RTN_THROW, "unicast" => RtNetlink.RTN_UNICAST, "unreachable" => RtNetlink.RTN_UNREACHABLE, _ => (byte)0,
                    };
                    return type == 0 ? null : new Route(new IpPrefix(addr, len), type, table);
                }
                case "rule" when f.Length == 5:
                {
                    var family = f[1] switch { "inet" => AddressFamily.InterNetwork, "inet6" => AddressFamily.InterNetworkV6, _ => AddressFamily.Unknown };
                    if (family == AddressFamily.Unknown
                        || !uint.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out var prio)
                        || !uint.TryParse(f[3], NumberStyles.None, CultureInfo.InvariantCulture, out var table)
                        || !uint.TryParse(f[4], NumberStyles.None, CultureInfo.InvariantCulture, out var mark))
                        return null;
                    return new Rule(family, prio, table, mark);
                }
                default:
                    return null;
            }
        }
        catch (ArgumentException)
        {
            return null; // prefix length out of range for the family
        }
    }
}

/// <summary>
/// The write-ahead record of installed resources: each resource is written (temp file + rename) before it is
/// created, so a crash at any point leaves a file that lists at least everything that exists.
/// </summary>
internal sealed class LinuxNetworkState
{
    private const string Header = "# ikev2 Linux VPN interface state v1: removed by LinuxNetworkCleanup.CleanupStale";
    private readonly string? _path;
    private readonly List<LinuxNetworkResource> _resources = [];

    public LinuxNetworkState(string? path) => _path = path;

    public IReadOnlyList<LinuxNetworkResource> Resources => _resources;

    public void Record(LinuxNetworkResource resource)
    {
        _resources.Add(resource);
        Save();
    }

    /// <summary>Drops a resource whose creation failed, so neither rollback nor cleanup touches what someone else owns.</summary>
    public void Forget(LinuxNetworkResource resource)
    {
        _resources.Remove(resource);
        Save();
    }

    public void Delete()
    {
        _resources.Clear();
        if (_path != null) File.Delete(_path);
    }

    public static List<LinuxNetworkResource> Load(string path)
    {
        var list = new List<LinuxNetworkResource>();
        if (!File.Exists(path)) return list;
        foreach (var line in File.ReadLines(path))
            if (LinuxNetworkResource.Parse(line.Trim()) is { } r) list.Add(r);
        return list;
    }

    private void Save()
    {
        if (_path == null) return;
        var dir = Path.GetDirectoryName(Path.GetFullPath(_path));
        if (dir != null) Directory.CreateDirectory(dir);
        var tmp = _path + ".tmp";
        using (var w = new StreamWriter(tmp, append: false))
        {
            w.WriteLine(Header);
            foreach (var r in _resources) w.WriteLine(r.ToString());
            w.Flush();
            ((FileStream)w.BaseStream).Flush(flushToDisk: true);
        }
        File.Move(tmp, _path, overwrite: true);
    }
}
