using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Connection;

/// <summary>
/// The negotiated traffic selectors of one side of a CHILD SA in a form the packet pump checks per packet without
/// allocating: address ranges as 128-bit numbers (IPv4 in the low 32 bits), IP protocol and port range.
/// </summary>
public sealed class TrafficSelectorSet
{
    private readonly Range[] _ranges;

    private readonly record struct Range(bool V6, UInt128 Start, UInt128 End, byte Protocol, ushort StartPort, ushort EndPort)
    {
        public bool AllPorts => StartPort == 0 && EndPort == 65535;
    }

    private TrafficSelectorSet(Range[] ranges, IReadOnlyList<TrafficSelector> selectors)
    {
        _ranges = ranges;
        Selectors = selectors;
    }

    /// <summary>The selectors this set was built from.</summary>
    public IReadOnlyList<TrafficSelector> Selectors { get; }

    /// <summary>True when no selector is present (nothing matches).</summary>
    public bool IsEmpty => _ranges.Length == 0;

    /// <summary>Builds the set from negotiated selectors.</summary>
    public static TrafficSelectorSet From(IReadOnlyList<TrafficSelector> selectors)
    {
        ArgumentNullException.ThrowIfNull(selectors);
        var ranges = selectors.Select(s => new Range(
            s.TsType == TrafficSelectorType.Ipv6AddrRange, ToNumber(s.StartAddress), ToNumber(s.EndAddress),
            s.IpProtocol, s.StartPort, s.EndPort)).ToArray();
        return new TrafficSelectorSet(ranges, selectors.ToArray());
    }

    /// <summary>True when some selector covers the address with the protocol and port.</summary>
    public bool Contains(bool v6, UInt128 address, byte protocol, int port)
    {
        foreach (ref readonly Range r in _ranges.AsSpan())
        {
            if (r.V6 != v6 || address < r.Start || address > r.End) continue;
            if (r.Protocol != 0 && r.Protocol != protocol) continue;
            if (!r.AllPorts && (port < 0 || port < r.StartPort || port > r.EndPort)) continue;
            return true;
        }
        return false;
    }

    /// <summary>
    /// Checks an IP packet travelling from the <paramref name="source"/> side to the <paramref name="destination"/>
    /// side (outbound: local → remote; inbound: remote → local). False for anything that is not a whole IP header.
    /// </summary>
    public static bool Allows(ReadOnlySpan<byte> packet, TrafficSelectorSet source, TrafficSelectorSet destination)
    {
        if (!PacketHeader.TryParse(packet, out var h)) return false;
        return source.Contains(h.V6, h.Source, h.Protocol, h.SourcePort)
            && destination.Contains(h.V6, h.Destination, h.Protocol, h.DestinationPort);
    }

    /// <summary>An address as a 128-bit number (IPv4 addresses in the low 32 bits).</summary>
    public static UInt128 ToNumber(IPAddress address)
    {
        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out int n);
        return n == 4 ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt128BigEndian(b);
    }

    /// <summary>The number back as an address of the family.</summary>
    public static IPAddress ToAddress(UInt128 number, AddressFamily family)
    {
        Span<byte> b = stackalloc byte[16];
        if (family == AddressFamily.InterNetwork)
        {
            BinaryPrimitives.WriteUInt32BigEndian(b, (uint)number);
            return new IPAddress(b[..4]);
        }
        BinaryPrimitives.WriteUInt128BigEndian(b, number);
        return new IPAddress(b);
    }

    /// <inheritdoc />
    public override string ToString() => string.Join(", ", Selectors);
}

/// <summary>The fields of an IP header the traffic-selector check needs (ports are -1 when absent).</summary>
internal readonly record struct PacketHeader(bool V6, UInt128 Source, UInt128 Destination, byte Protocol, int SourcePort, int DestinationPort)
{
    private const byte Tcp = 6, Udp = 17, Sctp = 132, UdpLite = 136;

    /// <summary>Reads an IPv4 or IPv6 header; ports from TCP/UDP/SCTP when the first fragment carries them.</summary>
    public static bool TryParse(ReadOnlySpan<byte> p, out PacketHeader header)
    {
        header = default;
        if (p.Length < 20) return false;
        int version = p[0] >> 4;
        if (version == 4)
        {
            if (!Platform.Net.Ipv4Header.TryRead(p, out var ip)) return false;
            (int sp, int dp) = ip.IsFirstFragment ? Ports(p[ip.HeaderLength..], ip.Protocol) : (-1, -1);
            header = new PacketHeader(false, ip.Source, ip.Destination, ip.Protocol, sp, dp);
            return true;
        }
        if (version == 6)
        {
            if (p.Length < 40) return false;
            byte next = p[6];
            int at = 40;
            bool firstFragment = true;
            // RFC 8200 §4: skip extension headers to the upper-layer protocol, which is what selectors name (RFC 4301
            // §4.4.1.1: "Next Layer Protocol" is the protocol after any extension headers).
            while (next is HopByHop or Routing or DestinationOptions or Fragment or Ah)
            {
                if (p.Length < at + 8) return false;
                int length = next switch
                {
                    Fragment => 8,
                    Ah => (p[at + 1] + 2) * 4,
                    _ => (p[at + 1] + 1) * 8,
                };
                if (next == Fragment) firstFragment = (BinaryPrimitives.ReadUInt16BigEndian(p[(at + 2)..]) & 0xFFF8) == 0;
                next = p[at];
                at += length;
                if (at > p.Length) return false;
            }
            (int sp, int dp) = firstFragment ? Ports(p[at..], next) : (-1, -1);
            header = new PacketHeader(true, BinaryPrimitives.ReadUInt128BigEndian(p[8..]), BinaryPrimitives.ReadUInt128BigEndian(p[24..]), next, sp, dp);
            return true;
        }
        return false;
    }

    private const byte HopByHop = 0, Routing = 43, Fragment = 44, Ah = 51, DestinationOptions = 60;

    private static (int, int) Ports(ReadOnlySpan<byte> l4, byte proto) =>
        proto is Tcp or Udp or Sctp or UdpLite && l4.Length >= 4
            ? (BinaryPrimitives.ReadUInt16BigEndian(l4), BinaryPrimitives.ReadUInt16BigEndian(l4[2..]))
            : (-1, -1);
}
