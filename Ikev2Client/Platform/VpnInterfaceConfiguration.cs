using System.Net;
using System.Net.Sockets;

namespace Ikev2Client.Platform;

/// <summary>
/// The settings a <see cref="IVpnInterfaceBuilder"/> collected. Builders share it so every platform validates the
/// same way; it is immutable once <see cref="Freeze"/> has run (at <c>Establish</c>).
/// </summary>
public sealed class VpnInterfaceConfiguration
{
    private readonly List<IpPrefix> _addresses = [];
    private readonly List<IpPrefix> _routes = [];
    private readonly List<IpPrefix> _excludedRoutes = [];
    private readonly List<IPAddress> _dnsServers = [];
    private readonly List<string> _searchDomains = [];
    private readonly List<string> _allowedApplications = [];
    private readonly List<string> _disallowedApplications = [];
    private readonly List<AddressFamily> _allowedFamilies = [];
    private bool _frozen;

    /// <summary>Default MTU when none was set (fits ESP-in-UDP inside a 1500-byte path).</summary>
    public const int DefaultMtu = 1400;

    /// <summary>Interface addresses.</summary>
    public IReadOnlyList<IpPrefix> Addresses => _addresses;

    /// <summary>Prefixes routed into the tunnel.</summary>
    public IReadOnlyList<IpPrefix> Routes => _routes;

    /// <summary>Prefixes kept out of the tunnel.</summary>
    public IReadOnlyList<IpPrefix> ExcludedRoutes => _excludedRoutes;

    /// <summary>DNS servers.</summary>
    public IReadOnlyList<IPAddress> DnsServers => _dnsServers;

    /// <summary>DNS search domains.</summary>
    public IReadOnlyList<string> SearchDomains => _searchDomains;

    /// <summary>Applications the VPN is restricted to (empty: all).</summary>
    public IReadOnlyList<string> AllowedApplications => _allowedApplications;

    /// <summary>Applications excluded from the VPN.</summary>
    public IReadOnlyList<string> DisallowedApplications => _disallowedApplications;

    /// <summary>Families <c>AllowFamily</c> was called for.</summary>
    public IReadOnlyList<AddressFamily> AllowedFamilies => _allowedFamilies;

    /// <summary>
    /// Families whose traffic is blocked while the interface is up (Android's rule): IPv4 and IPv6 when the VPN has no
    /// address, route or DNS server of that family and <c>AllowFamily</c> was not called for it.
    /// </summary>
    public IReadOnlyList<AddressFamily> BlockedFamilies =>
        [.. new[] { AddressFamily.InterNetwork, AddressFamily.InterNetworkV6 }.Where(f => !_allowedFamilies.Contains(f)
            && !_addresses.Any(a => a.Address.AddressFamily == f) && !_routes.Any(r => r.Address.AddressFamily == f)
            && !_dnsServers.Any(d => d.AddressFamily == f))];

    /// <summary>MTU.</summary>
    public int Mtu { get; private set; } = DefaultMtu;

    /// <summary>Whether applications may bypass the VPN.</summary>
    public bool BypassAllowed { get; private set; }

    /// <summary>Whether reads wait for a packet (false by default, as Android's establish() descriptor).</summary>
    public bool Blocking { get; private set; }

    /// <summary>Session name, if any.</summary>
    public string? Session { get; private set; }

    /// <summary>Whether the network is metered (Android's default for VPNs is metered).</summary>
    public bool Metered { get; private set; } = true;

    /// <summary>Interfaces the VPN's own traffic uses, in order of preference; null: whatever the system routes to.</summary>
    public IReadOnlyList<string>? UnderlyingNetworks { get; private set; }

    /// <summary>The VPN network's HTTP proxy, if any (a platform that has none refuses it).</summary>
    public VpnHttpProxy? HttpProxy { get; private set; }

    internal void AddAddress(IPAddress address, int prefixLength)
    {
        var p = new IpPrefix(address, prefixLength);
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
            throw new ArgumentException($"{p} is not a usable interface address", nameof(address));
        Mutate(() => _addresses.Add(p));
    }

    internal void AddRoute(IPAddress address, int prefixLength)
    {
        var p = new IpPrefix(address, prefixLength);
        Mutate(() => _routes.Add(new IpPrefix(p.Network, prefixLength)));
    }

    internal void ExcludeRoute(IPAddress address, int prefixLength)
    {
        var p = new IpPrefix(address, prefixLength);
        Mutate(() => _excludedRoutes.Add(new IpPrefix(p.Network, prefixLength)));
    }

    internal void AddDnsServer(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        Mutate(() => _dnsServers.Add(address));
    }

    internal void AddSearchDomain(string domain)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(domain);
        if (domain.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            throw new ArgumentException("a search domain cannot contain whitespace or control characters", nameof(domain));
        Mutate(() => _searchDomains.Add(domain));
    }

    internal void SetMtu(int mtu)
    {
        if (mtu < 576 || mtu > 65535) throw new ArgumentOutOfRangeException(nameof(mtu), mtu, "MTU must be 576..65535");
        Mutate(() => Mtu = mtu);
    }

    internal void AllowFamily(AddressFamily family)
    {
        if (family is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
            throw new ArgumentException($"only IPv4 and IPv6 can be allowed, not {family}", nameof(family));
        Mutate(() => { if (!_allowedFamilies.Contains(family)) _allowedFamilies.Add(family); });
    }

    internal void AllowBypass() => Mutate(() => BypassAllowed = true);

    internal void AddAllowedApplication(string packageName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(packageName);
        if (_disallowedApplications.Count > 0)
            throw new InvalidOperationException("allowed and disallowed applications cannot be mixed");
        Mutate(() => _allowedApplications.Add(packageName));
    }

    internal void AddDisallowedApplication(string packageName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(packageName);
        if (_allowedApplications.Count > 0)
            throw new InvalidOperationException("allowed and disallowed applications cannot be mixed");
        Mutate(() => _disallowedApplications.Add(packageName));
    }

    internal void SetBlocking(bool blocking) => Mutate(() => Blocking = blocking);

    internal void SetSession(string session)
    {
        ArgumentNullException.ThrowIfNull(session);
        Mutate(() => Session = session);
    }

    internal void SetMetered(bool metered) => Mutate(() => Metered = metered);

    internal void SetUnderlyingNetworks(IReadOnlyList<string>? interfaces)
    {
        if (interfaces is null) { Mutate(() => UnderlyingNetworks = null); return; }
        if (interfaces.Count == 0)
            throw new VpnFeatureNotSupportedException("SetUnderlyingNetworks",
                "an empty list (no underlying network) would leave protected sockets no way out; pass null for the system's choice");
        foreach (var name in interfaces)
        {
            if (string.IsNullOrEmpty(name) || System.Text.Encoding.UTF8.GetByteCount(name) > 15 || name is "." or ".."
                || name.Any(c => c == '/' || c == ':' || char.IsWhiteSpace(c) || char.IsControl(c)))
                throw new ArgumentException($"'{name}' is not an interface name (1..15 bytes, no '/', ':' or whitespace)", nameof(interfaces));
        }
        var copy = interfaces.ToArray();
        Mutate(() => UnderlyingNetworks = copy);
    }

    internal void SetHttpProxy(VpnHttpProxy proxy)
    {
        ArgumentNullException.ThrowIfNull(proxy);
        ArgumentException.ThrowIfNullOrWhiteSpace(proxy.Host);
        if (proxy.Port is < 1 or > 65535) throw new ArgumentOutOfRangeException(nameof(proxy), proxy.Port, "proxy port must be 1..65535");
        Mutate(() => HttpProxy = proxy);
    }

    /// <summary>Validates the whole set (as Android's establish does) and makes it immutable.</summary>
    internal void Freeze()
    {
        if (_frozen) throw new InvalidOperationException("this builder has already established an interface");
        if (_addresses.Count == 0)
            throw new InvalidOperationException("a VPN interface needs at least one address (AddAddress)");
        if (Mtu < 1280 && (_addresses.Any(a => a.IsIPv6) || _routes.Any(r => r.IsIPv6)))
            throw new InvalidOperationException($"MTU {Mtu} is below IPv6's minimum of 1280");
        _frozen = true;
    }

    private void Mutate(Action change)
    {
        if (_frozen) throw new InvalidOperationException("the interface is already established; build a new one");
        change();
    }
}

/// <summary>An HTTP proxy for the VPN network (Android <c>ProxyInfo</c> as given to <c>VpnService.Builder.setHttpProxy</c>).</summary>
/// <param name="Host">Proxy host name or address.</param>
/// <param name="Port">Proxy port.</param>
/// <param name="Exclusions">Hosts that bypass the proxy.</param>
public sealed record VpnHttpProxy(string Host, int Port, IReadOnlyList<string> Exclusions);
