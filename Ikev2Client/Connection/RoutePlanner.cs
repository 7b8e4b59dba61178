using System.Net;
using System.Net.Sockets;
using Ikev2Client.Platform;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Connection;

/// <summary>
/// Turns negotiated remote traffic selectors into the prefixes to route into the tunnel: a selector covering a
/// whole family becomes 0.0.0.0/0 or ::/0 (full tunnel), anything narrower the smallest set of CIDR prefixes that
/// covers its address range exactly (split tunnel).
/// </summary>
public static class RoutePlanner
{
    /// <summary>The prefixes covering <paramref name="selectors"/>, families limited to <paramref name="families"/>.</summary>
    public static IReadOnlyList<IpPrefix> Routes(IReadOnlyList<TrafficSelector> selectors, IReadOnlyCollection<AddressFamily> families)
    {
        var result = new List<IpPrefix>();
        foreach (var s in selectors)
        {
            var family = s.TsType == TrafficSelectorType.Ipv4AddrRange ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;
            if (!families.Contains(family)) continue;
            foreach (var p in Cover(s.StartAddress, s.EndAddress))
                if (!result.Contains(p)) result.Add(p);
        }
        return result;
    }

    /// <summary>True when the prefixes include a default route.</summary>
    public static bool IsFullTunnel(IReadOnlyList<IpPrefix> routes) => routes.Any(r => r.PrefixLength == 0);

    /// <summary>The minimal CIDR prefixes covering start..end (same family, start ≤ end).</summary>
    public static IEnumerable<IpPrefix> Cover(IPAddress start, IPAddress end)
    {
        var family = start.AddressFamily;
        int bits = family == AddressFamily.InterNetwork ? 32 : 128;
        UInt128 lo = TrafficSelectorSet.ToNumber(start), hi = TrafficSelectorSet.ToNumber(end);
        if (lo > hi) yield break;
        while (true)
        {
            // largest block aligned at lo that does not pass hi
            int size = lo == 0 ? bits : Math.Min(bits, (int)UInt128.TrailingZeroCount(lo));
            while (size > 0 && (size == 128 ? UInt128.MaxValue : lo + ((UInt128.One << size) - 1)) > hi) size--;
            yield return new IpPrefix(TrafficSelectorSet.ToAddress(lo, family), bits - size);
            UInt128 last = size == 128 ? UInt128.MaxValue : lo + ((UInt128.One << size) - 1);
            if (last >= hi) yield break;
            lo = last + 1;
        }
    }
}
