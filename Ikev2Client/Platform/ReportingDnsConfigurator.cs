using System.Net;

namespace Ikev2Client.Platform;

/// <summary>An <see cref="IDnsConfigurator"/> that only records and reports the DNS settings; it changes nothing.</summary>
public sealed class ReportingDnsConfigurator : IDnsConfigurator
{
    private readonly object _gate = new();
    private IReadOnlyList<IPAddress> _servers = [];
    private IReadOnlyList<string> _domains = [];

    /// <summary>Raised after each apply (with the settings) and revert (with empty lists).</summary>
    public event Action<string?, IReadOnlyList<IPAddress>, IReadOnlyList<string>>? Changed;

    /// <summary>The last settings applied, or null.</summary>
    public DnsSettings? Last { get; private set; }

    /// <inheritdoc />
    public IReadOnlyList<IPAddress> Servers { get { lock (_gate) return _servers; } }

    /// <inheritdoc />
    public IReadOnlyList<string> SearchDomains { get { lock (_gate) return _domains; } }

    /// <inheritdoc />
    public void Apply(DnsSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        lock (_gate) { _servers = settings.Servers.ToArray(); _domains = settings.Domains.ToArray(); Last = settings; }
        Changed?.Invoke(settings.InterfaceName, Servers, SearchDomains);
    }

    /// <summary>Applies servers and domains for every query (see <see cref="IDnsConfigurator.Apply(string, IReadOnlyList{IPAddress}, IReadOnlyList{string})"/>).</summary>
    public void Apply(string interfaceName, IReadOnlyList<IPAddress> servers, IReadOnlyList<string> searchDomains) =>
        Apply(new DnsSettings(interfaceName, servers, searchDomains) { Exclusive = true });

    /// <inheritdoc />
    public void Revert()
    {
        lock (_gate) { _servers = []; _domains = []; Last = null; }
        Changed?.Invoke(null, [], []);
    }
}
