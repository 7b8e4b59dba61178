using System.Net;
using Ikev2Client.Protocol.Esp;
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
    /// Transport mode when the SA was negotiated in transport mode (USE_TRANSPORT_MODE) and its traffic selectors are
    /// host-to-host: every local selector is the single address of our IKE endpoint and every remote selector the
    /// peer's. The TUN fallback otherwise (tunnel mode: any subnet, a virtual IP, a full tunnel — a tunnel-mode SA
    /// carries inner IP headers even between two hosts, so it always needs the TUN path).
    /// </summary>
    public static DataPath Choose(ChildSaInfo child)
    {
        ArgumentNullException.ThrowIfNull(child);
        return child.Mode == EspMode.Transport && IsHostToHost(child) ? DataPath.TransportMode : DataPath.TunnelInterface;
    }

    /// <summary>True when both sides' selectors are exactly the two IKE endpoint addresses (any protocol and port).</summary>
    public static bool IsHostToHost(ChildSaInfo child)
    {
        ArgumentNullException.ThrowIfNull(child);
        return IsSingle(child.LocalTrafficSelectors, child.LocalEndPoint.Address)
            && IsSingle(child.RemoteTrafficSelectors, child.RemoteEndPoint.Address);
    }

    private static bool IsSingle(IReadOnlyList<TrafficSelector> selectors, IPAddress address) =>
        selectors.Count > 0 && selectors.All(s => s.StartAddress.Equals(s.EndAddress) && s.StartAddress.Equals(Unmapped(address)));

    private static IPAddress Unmapped(IPAddress a) => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a;
}
