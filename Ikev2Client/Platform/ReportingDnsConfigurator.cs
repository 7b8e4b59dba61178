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

    /// <inheritdoc />
    public IReadOnlyList<IPAddress> Servers { get { lock (_gate) return _servers; } }

    /// <inheritdoc />
    public IReadOnlyList<string> SearchDomains { get { lock (_gate) return _domains; } }

    /// <inheritdoc />
    public void Apply(string interfaceName, IReadOnlyList<IPAddress> servers, IReadOnlyList<string> searchDomains)
    {
        lock (_gate) { _servers = servers.ToArray(); _domains = searchDomains.ToArray(); }
        Changed?.Invoke(interfaceName, Servers, SearchDomains);
    }

    /// <inheritdoc />
    public void Revert()
    {
        lock (_gate) { _servers = []; _domains = []; }
        Changed?.Invoke(null, [], []);
    }
}
