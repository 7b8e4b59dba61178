namespace Ikev2Client.Service;

/// <summary>The connection factory the daemon and <c>connect --foreground</c> use.</summary>
public static class VpnConnectionFactories
{
    /// <summary>
    /// The default factory. Until the full data-plane connection (Connection/VpnConnection) is wired in, this is
    /// <see cref="IkeControlPlaneConnectionFactory"/>: IKE and CHILD SAs are negotiated and reported, no tunnel
    /// interface is installed.
    /// </summary>
    public static IVpnConnectionFactory CreateDefault() => new IkeControlPlaneConnectionFactory();
}
