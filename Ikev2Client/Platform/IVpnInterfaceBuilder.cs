using System.Net;
using System.Net.Sockets;

namespace Ikev2Client.Platform;

/// <summary>
/// Builds a VPN interface, shaped after Android's <c>VpnService.Builder</c>: collect addresses, routes, DNS
/// and MTU, then <see cref="Establish"/>. Every method returns the builder for chaining. A setting a platform cannot
/// honour throws <see cref="VpnFeatureNotSupportedException"/> at the call, naming the reason (per-application rules,
/// bypass, metered and the HTTP proxy on Linux); none is recorded without effect. docs/android-parity.md lists what each
/// method does on Linux.
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

    /// <summary>
    /// Lets applications bypass the VPN (Android <c>allowBypass</c>). Linux: refused (no per-process network selection to
    /// open up).
    /// </summary>
    IVpnInterfaceBuilder AllowBypass();

    /// <summary>Restricts the VPN to the named application (Android <c>addAllowedApplication</c>).</summary>
    IVpnInterfaceBuilder AddAllowedApplication(string packageName);

    /// <summary>Excludes the named application from the VPN (Android <c>addDisallowedApplication</c>).</summary>
    IVpnInterfaceBuilder AddDisallowedApplication(string packageName);

    /// <summary>
    /// Android <c>setBlocking</c>: when true <see cref="IVpnInterface.ReadPackets"/> waits for at least one packet; when
    /// false (the default, as on Android: "by default, the file descriptor returned by establish() is non-blocking") it
    /// returns 0 at once if none is queued.
    /// </summary>
    IVpnInterfaceBuilder SetBlocking(bool blocking);

    /// <summary>A human-readable session name (Android <c>setSession</c>).</summary>
    IVpnInterfaceBuilder SetSession(string session);

    /// <summary>Marks the VPN network metered or not (Android <c>setMetered</c>). Linux: refused (no metered flag).</summary>
    IVpnInterfaceBuilder SetMetered(bool metered);

    /// <summary>
    /// The networks the VPN's own traffic uses (Android <c>setUnderlyingNetworks</c>), as interface names in order of
    /// preference; null (the default): whatever the system routes to. On Linux a protected socket is then bound to the
    /// first one (SO_BINDTODEVICE) as well as marked, so the tunnel's traffic leaves only through it.
    /// </summary>
    /// <exception cref="ArgumentException">a name is not a possible interface name.</exception>
    /// <exception cref="VpnFeatureNotSupportedException">an empty list (Android: no underlying network).</exception>
    IVpnInterfaceBuilder SetUnderlyingNetworks(IReadOnlyList<string>? interfaces);

    /// <summary>The HTTP proxy of the VPN network (Android <c>setHttpProxy</c>). Linux: refused (no system-wide proxy).</summary>
    IVpnInterfaceBuilder SetHttpProxy(VpnHttpProxy proxy);

    /// <summary>
    /// Keeps the socket's traffic out of the tunnel this builder will establish (Android <c>VpnService.protect</c>), usable
    /// <b>before</b> <see cref="Establish"/>: Android's order is protect → connect to the gateway → establish. The same
    /// protection as <see cref="IVpnInterface.Protect"/> (Linux: the routing mark, and the first underlying network).
    /// </summary>
    /// <returns>True when the socket is now protected.</returns>
    bool Protect(Socket socket);

    /// <summary>Creates the interface with the collected settings (Android <c>establish</c>).</summary>
    /// <exception cref="VpnPlatformException">the platform refused a setting (typed errno on Linux).</exception>
    IVpnInterface Establish();
}
