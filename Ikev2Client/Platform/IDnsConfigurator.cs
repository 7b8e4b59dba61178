using System.Net;

namespace Ikev2Client.Platform;

/// <summary>
/// Hands the VPN's DNS settings to the system. The default (<see cref="ReportingDnsConfigurator"/>) only reports
/// them; a system resolver is changed only by an implementation the user asked for (resolv.conf on Linux),
/// and <see cref="Revert"/> puts back exactly what was there before.
/// </summary>
public interface IDnsConfigurator
{
    /// <summary>The servers currently applied (empty when none or reverted).</summary>
    IReadOnlyList<IPAddress> Servers { get; }

    /// <summary>The search domains currently applied.</summary>
    IReadOnlyList<string> SearchDomains { get; }

    /// <summary>Applies the servers and search domains for <paramref name="interfaceName"/>; replaces an earlier apply.</summary>
    void Apply(string interfaceName, IReadOnlyList<IPAddress> servers, IReadOnlyList<string> searchDomains);

    /// <summary>Restores the previous resolver state; does nothing when nothing is applied.</summary>
    void Revert();
}
