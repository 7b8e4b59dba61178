using System.Net;

namespace Ikev2Client.Platform.Linux;

/// <summary>
/// The default DNS configurator on Linux: at the first <see cref="Apply"/> it picks systemd-resolved's per-link D-Bus
/// API (<see cref="ResolvedDnsConfigurator"/>) when resolved owns its bus name and <c>/etc/resolv.conf</c> points at it
/// (a symlink into <c>/run/systemd/resolve/</c>, or a <c>nameserver 127.0.0.53</c>/<c>127.0.0.54</c> line: then every
/// program resolves through resolved); otherwise it rewrites resolv.conf (<see cref="ResolvConfDnsConfigurator"/>, with
/// a crash-recovery state file).
/// </summary>
public sealed class SystemDnsConfigurator : IDnsConfigurator
{
    private readonly string? _stateFile;
    private readonly string? _busAddress;
    private readonly string _resolvConf;
    private IDnsConfigurator? _chosen;

    /// <summary>
    /// Creates the chooser. <paramref name="stateFile"/>: where resolv.conf changes are recorded; <paramref name="busAddress"/>:
    /// the D-Bus address of the system bus (null: the default); <paramref name="resolvConf"/>: the resolver file.
    /// </summary>
    public SystemDnsConfigurator(string? stateFile, string? busAddress = null, string resolvConf = "/etc/resolv.conf",
        Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        _log = logger;
        _stateFile = stateFile;
        _busAddress = busAddress;
        _resolvConf = resolvConf;
    }

    /// <summary>"systemd-resolved" or "resolv.conf" once chosen, else null.</summary>
    public string? Backend => _chosen switch
    {
        ResolvedDnsConfigurator => "systemd-resolved",
        ResolvConfDnsConfigurator => "resolv.conf",
        _ => null,
    };

    /// <inheritdoc />
    public IReadOnlyList<IPAddress> Servers => _chosen?.Servers ?? [];

    /// <inheritdoc />
    public IReadOnlyList<string> SearchDomains => _chosen?.SearchDomains ?? [];

    /// <inheritdoc />
    public void Apply(DnsSettings settings)
    {
        _chosen ??= UsesResolved(_resolvConf) && ResolvedDnsConfigurator.IsRunning(_busAddress)
            ? new ResolvedDnsConfigurator(_busAddress)
            : new ResolvConfDnsConfigurator(_resolvConf, _stateFile);
        _chosen.Apply(settings);
        if (_log != null)
            PlatformLog.DnsApplied(_log, settings.InterfaceName, Backend!, string.Join(", ", settings.Servers), string.Join(", ", settings.Domains));
    }

    /// <inheritdoc />
    public void Revert()
    {
        if (_chosen is null) return;
        _chosen.Revert();
        if (_log != null) PlatformLog.DnsReverted(_log, Backend!);
    }

    private readonly Microsoft.Extensions.Logging.ILogger? _log;

    /// <summary>True when <paramref name="resolvConf"/> sends programs to systemd-resolved.</summary>
    public static bool UsesResolved(string resolvConf)
    {
        try
        {
            var info = new FileInfo(resolvConf);
            if (info.LinkTarget is { } target && target.Contains("/run/systemd/resolve/", StringComparison.Ordinal)) return true;
            if (!File.Exists(resolvConf)) return false;
            foreach (var line in File.ReadLines(resolvConf))
            {
                var f = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                if (f.Length >= 2 && f[0] == "nameserver" && f[1] is "127.0.0.53" or "127.0.0.54") return true;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return false;
    }
}
