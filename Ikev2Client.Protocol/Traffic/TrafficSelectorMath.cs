using System.Net;
using System.Numerics;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Traffic;

/// <summary>Intersection and narrowing of traffic selectors (RFC 7296 §2.9).</summary>
internal static class TrafficSelectorMath
{
    /// <summary>The intersection of two selectors, or null when they share nothing.</summary>
    public static TrafficSelector? Intersect(TrafficSelector a, TrafficSelector b)
    {
        if (a.TsType != b.TsType) return null;
        if (a.IpProtocol != 0 && b.IpProtocol != 0 && a.IpProtocol != b.IpProtocol) return null;
        ushort startPort = Math.Max(a.StartPort, b.StartPort), endPort = Math.Min(a.EndPort, b.EndPort);
        if (startPort > endPort) return null;
        var start = Max(a.StartAddress, b.StartAddress);
        var end = Min(a.EndAddress, b.EndAddress);
        if (ToNumber(start) > ToNumber(end)) return null;
        return new TrafficSelector(a.TsType, a.IpProtocol != 0 ? a.IpProtocol : b.IpProtocol, startPort, endPort, start, end);
    }

    /// <summary>Every non-empty pairwise intersection of the two lists (the peer's order first).</summary>
    public static List<TrafficSelector> Narrow(IEnumerable<TrafficSelector> proposed, IEnumerable<TrafficSelector> allowed) =>
        proposed.SelectMany(p => allowed.Select(a => Intersect(p, a))).OfType<TrafficSelector>().Distinct().ToList();

    /// <summary>True when <paramref name="inner"/> lies entirely within <paramref name="outer"/>.</summary>
    public static bool IsSubsetOf(TrafficSelector inner, TrafficSelector outer) => Intersect(inner, outer) == inner;

    private static BigInteger ToNumber(IPAddress a) => new(a.GetAddressBytes(), isUnsigned: true, isBigEndian: true);
    private static IPAddress Max(IPAddress a, IPAddress b) => ToNumber(a) >= ToNumber(b) ? a : b;
    private static IPAddress Min(IPAddress a, IPAddress b) => ToNumber(a) <= ToNumber(b) ? a : b;
}
