using System.Net;
using System.Net.Sockets;

namespace Ikev2Client.Platform;

/// <summary>
/// Builds a VPN interface, shaped after Android's <c>VpnService.Builder</c>: collect addresses, routes, DNS
/// and MTU, then <see cref="Establish"/>. Every method returns the builder for chaining. Settings that a
/// platform cannot honour either throw <see cref="VpnFeatureNotSupportedException"/> at the call (per-app
/// rules on Linux) or are recorded without effect (documented on each implementation).
/// </summary>
public interface IVpnInterfaceBuilder
{
    /// <summary>Adds an interface address (Android <c>addAddress</c>).</summary>
    IVpnInterfaceBuilder AddAddress(IPAddress address, int prefixLength);

    /// <summary>Routes the prefix into the tunnel (Android <c>addRoute</c>); 0.0.0.0/0 or ::/0 is a full tunnel.</summary>
    IVpnInterfaceBuilder AddRoute(IPAddress address, int prefixLength);

    /// <summary>Keeps the prefix out of the tunnel even when a wider route covers it (Android 13 <c>excludeRoute</c>).</summary>
    IVpnInterfaceBuilder ExcludeRoute(IPAddress address, int prefixLength);

    /// <summary>Adds a DNS server to hand to the resolver (Android <c>addDnsServer</c>).</summary>
    IVpnInterfaceBuilder AddDnsServer(IPAddress address);

    /// <summary>Adds a DNS search domain (Android <c>addSearchDomain</c>).</summary>
    IVpnInterfaceBuilder AddSearchDomain(string domain);

    /// <summary>Sets the interface MTU (Android <c>setMtu</c>); 576..65535 for IPv4-only, at least 1280 with IPv6.</summary>
    IVpnInterfaceBuilder SetMtu(int mtu);

    /// <summary>
    /// Lets traffic of <paramref name="family"/> (<see cref="AddressFamily.InterNetwork"/> or
    /// <see cref="AddressFamily.InterNetworkV6"/>) bypass the VPN when the VPN has no address, route or DNS server of
    /// that family (Android <c>allowFamily</c>). By default such a family is <b>blocked</b> while the interface is up, so
    /// a full tunnel that only got an IPv4 address cannot leak IPv6 (and vice versa); a family the VPN has an address,
    /// route or DNS server of is unaffected by this call.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="family"/> is not IPv4 or IPv6.</exception>
    IVpnInterfaceBuilder AllowFamily(AddressFamily family);

    /// <summary>Lets applications bypass the VPN (Android <c>allowBypass</c>).</summary>
    IVpnInterfaceBuilder AllowBypass();

    /// <summary>Restricts the VPN to the named application (Android <c>addAllowedApplication</c>).</summary>
    IVpnInterfaceBuilder AddAllowedApplication(string packageName);

    /// <summary>Excludes the named application from the VPN (Android <c>addDisallowedApplication</c>).</summary>
    IVpnInterfaceBuilder AddDisallowedApplication(string packageName);

    /// <summary>
    /// Android <c>setBlocking</c>: when true (the default) <see cref="IVpnInterface.ReadPackets"/> waits for at least
    /// one packet; when false it returns 0 at once if none is queued.
    /// </summary>
    IVpnInterfaceBuilder SetBlocking(bool blocking);

    /// <summary>A human-readable session name (Android <c>setSession</c>).</summary>
    IVpnInterfaceBuilder SetSession(string session);

    /// <summary>Marks the VPN network metered or not (Android <c>setMetered</c>).</summary>
    IVpnInterfaceBuilder SetMetered(bool metered);

    /// <summary>Creates the interface with the collected settings (Android <c>establish</c>).</summary>
    /// <exception cref="VpnPlatformException">the platform refused a setting (typed errno on Linux).</exception>
    IVpnInterface Establish();
}
