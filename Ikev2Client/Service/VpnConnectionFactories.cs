using Ikev2Client.Connection;

namespace Ikev2Client.Service;

/// <summary>The connection factory the daemon and <c>connect --foreground</c> use.</summary>
public static class VpnConnectionFactories
{
    /// <summary>
    /// The full connection (<see cref="VpnConnectionAdapterFactory"/>: IKE, TUN, routes, managed ESP), or with
    /// <c>IKEV2_DATAPLANE=none</c> the IKE-only <see cref="IkeControlPlaneConnectionFactory"/> (no interface; no root needed).
    /// </summary>
    public static IVpnConnectionFactory CreateDefault(ProfileConnectionSettings? settings = null) =>
        Environment.GetEnvironmentVariable("IKEV2_DATAPLANE") == "none"
            ? new IkeControlPlaneConnectionFactory()
            : new VpnConnectionAdapterFactory(settings);
}
