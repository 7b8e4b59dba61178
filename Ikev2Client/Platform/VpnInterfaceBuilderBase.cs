using System.Net;
using System.Net.Sockets;

namespace Ikev2Client.Platform;

/// <summary>
/// Shared part of the <see cref="IVpnInterfaceBuilder"/> implementations: collects and validates settings into a
/// <see cref="VpnInterfaceConfiguration"/>; a platform overrides <see cref="Establish"/> and, where it cannot honour
/// them, the per-application methods.
/// </summary>
public abstract class VpnInterfaceBuilderBase : IVpnInterfaceBuilder
{
    /// <summary>The settings collected so far.</summary>
    protected VpnInterfaceConfiguration Configuration { get; } = new();

    /// <inheritdoc />
    public IVpnInterfaceBuilder AddAddress(IPAddress address, int prefixLength) { Configuration.AddAddress(address, prefixLength); return this; }

    /// <inheritdoc />
    public IVpnInterfaceBuilder AddRoute(IPAddress address, int prefixLength) { Configuration.AddRoute(address, prefixLength); return this; }

    /// <inheritdoc />
    public IVpnInterfaceBuilder ExcludeRoute(IPAddress address, int prefixLength) { Configuration.ExcludeRoute(address, prefixLength); return this; }

    /// <inheritdoc />
    public IVpnInterfaceBuilder AddDnsServer(IPAddress address) { Configuration.AddDnsServer(address); return this; }

    /// <inheritdoc />
    public IVpnInterfaceBuilder AddSearchDomain(string domain) { Configuration.AddSearchDomain(domain); return this; }

    /// <inheritdoc />
    public IVpnInterfaceBuilder SetMtu(int mtu) { Configuration.SetMtu(mtu); return this; }

    /// <inheritdoc />
    public IVpnInterfaceBuilder AllowFamily(AddressFamily family) { Configuration.AllowFamily(family); return this; }

    /// <inheritdoc />
    public virtual IVpnInterfaceBuilder AllowBypass() { Configuration.AllowBypass(); return this; }

    /// <inheritdoc />
    public virtual IVpnInterfaceBuilder AddAllowedApplication(string packageName) { Configuration.AddAllowedApplication(packageName); return this; }

    /// <inheritdoc />
    public virtual IVpnInterfaceBuilder AddDisallowedApplication(string packageName) { Configuration.AddDisallowedApplication(packageName); return this; }

    /// <inheritdoc />
    public IVpnInterfaceBuilder SetBlocking(bool blocking) { Configuration.SetBlocking(blocking); return this; }

    /// <inheritdoc />
    public IVpnInterfaceBuilder SetSession(string session) { Configuration.SetSession(session); return this; }

    /// <inheritdoc />
    public virtual IVpnInterfaceBuilder SetMetered(bool metered) { Configuration.SetMetered(metered); return this; }

    /// <inheritdoc />
    public IVpnInterfaceBuilder SetUnderlyingNetworks(IReadOnlyList<string>? interfaces) { Configuration.SetUnderlyingNetworks(interfaces); return this; }

    /// <inheritdoc />
    public virtual IVpnInterfaceBuilder SetHttpProxy(VpnHttpProxy proxy) { Configuration.SetHttpProxy(proxy); return this; }

    /// <inheritdoc />
    public abstract bool Protect(Socket socket);

    /// <inheritdoc />
    public abstract IVpnInterface Establish();
}
