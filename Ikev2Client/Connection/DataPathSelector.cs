using System.Net;
using Ikev2Client.Protocol.Ike;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Connection;

/// <summary>The data path a CHILD SA uses (architecture: one of two per CHILD SA).</summary>
public enum DataPath
{
    /// <summary>Tunnel mode through a TUN interface and the userspace packet pump (split or full tunnel).</summary>
    TunnelInterface,
    /// <summary>Transport mode through the IpSecManager contract: transforms applied to the sockets that talk to the peer.</summary>
    TransportMode,
}

/// <summary>Chooses the data path from the negotiated CHILD SA.</summary>
public static class DataPathSelector
{
    /// <summary>
    /// Transport mode when the SA was negotiated in transport mode, or when the traffic selectors are host-to-host:
    /// every local selector is the single address of our IKE endpoint and every remote selector the peer's. The TUN
    /// fallback otherwise (any subnet, a virtual IP, or a full tunnel).
    /// </summary>
    public static DataPath Choose(ChildSaInfo child)
    {
        ArgumentNullException.ThrowIfNull(child);
        if (child.Mode == ChildSaMode.Transport) return DataPath.TransportMode;
        return IsHostToHost(child.LocalTrafficSelectors, child.LocalEndPoint.Address)
            && IsHostToHost(child.RemoteTrafficSelectors, child.RemoteEndPoint.Address)
            ? DataPath.TransportMode
            : DataPath.TunnelInterface;
    }

    private static bool IsHostToHost(IReadOnlyList<TrafficSelector> selectors, IPAddress address) =>
        selectors.Count > 0 && selectors.All(s => s.StartAddress.Equals(s.EndAddress) && s.StartAddress.Equals(address));
}
