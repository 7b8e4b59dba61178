using System.Net;

namespace Ikev2Client.Platform;

/// <summary>
/// The VPN's DNS for one interface: servers, domains, and whether every query goes to these servers.
/// </summary>
/// <param name="InterfaceName">The tunnel interface.</param>
/// <param name="Servers">DNS servers, both families.</param>
/// <param name="Domains">Search domains; with <see cref="DefaultRoute"/> false also the only names sent to these servers
/// (split DNS, RFC 8598 INTERNAL_DNS_DOMAIN).</param>
public sealed record DnsSettings(string InterfaceName, IReadOnlyList<IPAddress> Servers, IReadOnlyList<string> Domains)
{
    /// <summary>The kernel's interface index (0 when not known; resolvers that need it look it up by name).</summary>
    public int InterfaceIndex { get; init; }

    /// <summary>
    /// True: names outside <see cref="Domains"/> may be resolved by <see cref="Servers"/> too (a full tunnel, or a split
    /// tunnel whose gateway named no domains). False: only names under <see cref="Domains"/> go to them (split DNS);
    /// other names keep the host's resolvers.
    /// </summary>
    public bool DefaultRoute { get; init; } = true;

    /// <summary>
    /// True for a full tunnel: every query goes to <see cref="Servers"/> and no other resolver is asked (a query
    /// sent outside the tunnel would leak the name).
    /// </summary>
    public bool Exclusive { get; init; }
}

/// <summary>
/// Hands the VPN's DNS settings to the system and takes them back. <see cref="Revert"/> puts back exactly what was
/// there before. Implementations: <see cref="ReportingDnsConfigurator"/> (changes nothing), on Linux
/// <c>ResolvedDnsConfigurator</c> (systemd-resolved, per link) and <c>ResolvConfDnsConfigurator</c> (/etc/resolv.conf),
/// chosen by <c>SystemDnsConfigurator</c>.
/// </summary>
public interface IDnsConfigurator
{
    /// <summary>The servers currently applied (empty when none or reverted).</summary>
    IReadOnlyList<IPAddress> Servers { get; }

    /// <summary>The domains currently applied.</summary>
    IReadOnlyList<string> SearchDomains { get; }

    /// <summary>Applies <paramref name="settings"/>; replaces an earlier apply.</summary>
    /// <exception cref="DnsConfigurationException">the resolver refused or could not be reached.</exception>
    void Apply(DnsSettings settings);

    /// <summary>Applies servers and search domains for <paramref name="interfaceName"/>, used for every query.</summary>
    void Apply(string interfaceName, IReadOnlyList<IPAddress> servers, IReadOnlyList<string> searchDomains) =>
        Apply(new DnsSettings(interfaceName, servers, searchDomains) { Exclusive = true });

    /// <summary>Restores the previous resolver state; does nothing when nothing is applied.</summary>
    void Revert();
}

/// <summary>The system resolver could not be configured (or restored).</summary>
public sealed class DnsConfigurationException(string message, Exception? inner = null) : VpnPlatformException(message, 0, inner);
