using System.Net;
using System.Text;

namespace Ikev2Client.Platform.Linux;

/// <summary>
/// Applies VPN DNS by replacing a resolv.conf (default <c>/etc/resolv.conf</c>, a path parameter for tests and
/// for hosts that keep it elsewhere). The original is first renamed to a backup, which keeps a symlink a symlink
/// (systemd-resolved's stub), and <see cref="Revert"/> renames it back. A backup found at apply time is from a
/// crashed run and is kept as the original, so the host's own file is never lost; <see cref="RestoreStale"/>
/// restores it at the next start.
/// </summary>
public sealed class ResolvConfDnsConfigurator : IDnsConfigurator
{
    private const string AbsentMarker = "# ikev2: there was no resolv.conf before the VPN";
    private readonly object _gate = new();
    private IReadOnlyList<IPAddress> _servers = [];
    private IReadOnlyList<string> _domains = [];

    /// <summary>Creates a configurator for <paramref name="path"/>, backing it up at <paramref name="backupPath"/>
    /// (default: path + <c>.ikev2-backup</c>).</summary>
    public ResolvConfDnsConfigurator(string path = "/etc/resolv.conf", string? backupPath = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        FilePath = path;
        BackupPath = backupPath ?? path + ".ikev2-backup";
    }

    /// <summary>The resolv.conf managed.</summary>
    public string FilePath { get; }

    /// <summary>Where the original is kept while the VPN's file is in place.</summary>
    public string BackupPath { get; }

    /// <inheritdoc />
    public IReadOnlyList<IPAddress> Servers { get { lock (_gate) return _servers; } }

    /// <inheritdoc />
    public IReadOnlyList<string> SearchDomains { get { lock (_gate) return _domains; } }

    /// <inheritdoc />
    public void Apply(string interfaceName, IReadOnlyList<IPAddress> servers, IReadOnlyList<string> searchDomains)
    {
        lock (_gate)
        {
            if (!File.Exists(BackupPath))
            {
                if (File.Exists(FilePath) || new FileInfo(FilePath).LinkTarget != null) File.Move(FilePath, BackupPath);
                else File.WriteAllText(BackupPath, AbsentMarker + "\n");
            }
            var text = new StringBuilder();
            text.Append("# written by ikev2 for ").Append(interfaceName).Append("; the original is ").Append(BackupPath).Append('\n');
            foreach (var s in servers) text.Append("nameserver ").Append(s).Append('\n');
            if (searchDomains.Count > 0) text.Append("search ").AppendJoin(' ', searchDomains).Append('\n');
            var tmp = FilePath + ".ikev2-tmp";
            File.WriteAllText(tmp, text.ToString());
            File.Move(tmp, FilePath, overwrite: true);
            _servers = servers.ToArray();
            _domains = searchDomains.ToArray();
        }
    }

    /// <inheritdoc />
    public void Revert()
    {
        lock (_gate)
        {
            RestoreStale(FilePath, BackupPath);
            _servers = [];
            _domains = [];
        }
    }

    /// <summary>Puts the original back if a backup exists (after a crash); returns true when it did.</summary>
    public static bool RestoreStale(string path, string backupPath)
    {
        var backup = new FileInfo(backupPath);
        if (!backup.Exists && backup.LinkTarget == null) return false;
        if (backup.LinkTarget == null && backup.Length < 256 && File.ReadAllText(backupPath).StartsWith(AbsentMarker, StringComparison.Ordinal))
        {
            File.Delete(path);
            File.Delete(backupPath);
            return true;
        }
        File.Move(backupPath, path, overwrite: true);
        return true;
    }
}
