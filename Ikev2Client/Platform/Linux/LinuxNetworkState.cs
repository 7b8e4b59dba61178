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

    /// <summary>An nftables table (the lockdown firewall), removed with <c>nft delete table FAMILY NAME</c>.</summary>
    public sealed record NftTable(string Family, string Name) : LinuxNetworkResource
    {
        public override string ToString() => $"nft {Family} {Name}";
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
                case "nft" when f.Length == 3 && f[1] is "inet" or "ip" or "ip6" && IsNftName(f[2]):
                    return new NftTable(f[1], f[2]);
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

    /// <summary>An nftables identifier we would have written (letters, digits, underscore; no shell or nft syntax).</summary>
    internal static bool IsNftName(string name) =>
        name.Length is > 0 and <= 64 && char.IsAsciiLetter(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}

/// <summary>
/// The write-ahead record of installed resources: each resource is written (temp file + rename) before it is
/// created, so a crash at any point leaves a file that lists at least everything that exists. The first line names
/// the owner (<see cref="StateOwner"/>: process, boot, network namespace), so the next start removes only what a dead
/// process left in its own namespace.
/// </summary>
internal sealed class LinuxNetworkState
{
    private const string Header = "# ikev2 Linux network state v2: removed by LinuxNetworkCleanup.CleanupStale";
    private readonly string? _path;
    private readonly List<LinuxNetworkResource> _resources = [];
    private readonly StateOwner _owner;

    /// <summary>A record at <paramref name="path"/> (null: kept in memory only), owned by the calling process and thread's namespace.</summary>
    public LinuxNetworkState(string? path)
    {
        _path = path;
        _owner = StateOwner.Current();
    }

    /// <summary>The file, or null.</summary>
    public string? Path => _path;

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
        if (_path != null) DeleteFile(_path);
    }

    public static List<LinuxNetworkResource> Load(string path) => Load(path, out _);

    /// <summary>The resources listed in <paramref name="path"/> and its owner (null for a v1 file without one).</summary>
    public static List<LinuxNetworkResource> Load(string path, out StateOwner? owner)
    {
        owner = null;
        var list = new List<LinuxNetworkResource>();
        if (!File.Exists(path)) return list;
        foreach (var raw in File.ReadLines(path))
        {
            var line = raw.Trim();
            if (owner == null && StateOwner.Parse(line) is { } o) owner = o;
            else if (LinuxNetworkResource.Parse(line) is { } r) list.Add(r);
        }
        return list;
    }

    /// <summary>
    /// True when another live process's record in the same directory and network namespace lists
    /// <paramref name="resource"/> too (a policy rule two tunnels share): then it must stay when we leave.
    /// </summary>
    public bool HeldByAnotherLiveOwner(LinuxNetworkResource resource)
    {
        if (_path == null) return false;
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(_path));
        if (dir == null || !Directory.Exists(dir)) return false;
        foreach (var file in Directory.EnumerateFiles(dir, "*.state"))
        {
            if (string.Equals(System.IO.Path.GetFullPath(file), System.IO.Path.GetFullPath(_path), StringComparison.Ordinal)) continue;
            try
            {
                var resources = Load(file, out var owner);
                if (owner is { IsAlive: true } && owner.NetworkNamespace == _owner.NetworkNamespace && resources.Contains(resource)) return true;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return false;
    }

    private void Save()
    {
        if (_path == null) return;
        WriteAtomically(_path, [Header, _owner.ToLine(), .. _resources.Select(r => r.ToString())]);
    }

    /// <summary>Deletes a file; a missing file or directory is fine.</summary>
    internal static void DeleteFile(string path)
    {
        try { File.Delete(path); }
        catch (DirectoryNotFoundException) { }
    }

    /// <summary>Writes lines to a temporary file, flushes it to disk and renames it over <paramref name="path"/> (mode 0600).</summary>
    internal static void WriteAtomically(string path, IEnumerable<string> lines)
    {
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (dir != null && !Directory.Exists(dir))
        {
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(dir);
            else Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var tmp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(tmp, options))
        using (var w = new StreamWriter(stream))
        {
            foreach (var line in lines) w.WriteLine(line);
            w.Flush();
            stream.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }
}
