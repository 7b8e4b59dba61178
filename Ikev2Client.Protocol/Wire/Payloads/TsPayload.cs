using System.Net;
using System.Net.Sockets;

namespace Ikev2Client.Protocol.Wire.Payloads;

/// <summary>
/// Traffic Selector payload, TSi or TSr (RFC 7296 §3.13).
/// <code>
/// | Number of TSs |                 RESERVED                      |
/// ~                       &lt;Traffic Selectors&gt;                     ~
/// </code>
/// </summary>
public sealed class TsPayload : Payload
{
    private readonly bool _initiator;

    /// <summary>An empty TSi (<paramref name="initiator"/> true) or TSr payload.</summary>
    public TsPayload(bool initiator) => _initiator = initiator;

    /// <summary>A TSi or TSr payload with the given selectors.</summary>
    public TsPayload(bool initiator, IEnumerable<TrafficSelector> selectors) : this(initiator) => Selectors.AddRange(selectors);

    /// <inheritdoc />
    public override PayloadType Type => _initiator ? PayloadType.TrafficSelectorInitiator : PayloadType.TrafficSelectorResponder;
    /// <summary>The traffic selectors.</summary>
    public List<TrafficSelector> Selectors { get; } = new();

    internal override int BodyLength => 4 + Selectors.Sum(s => s.Length);

    internal override void WriteBody(Span<byte> d)
    {
        var w = new SpanWriter(d);
        w.U8((byte)Selectors.Count);
        w.Zeros(3);
        foreach (var s in Selectors) s.Write(ref w);
    }

    internal static bool TryRead(ReadOnlySpan<byte> body, bool initiator, out TsPayload? payload, out string? error)
    {
        payload = null;
        var r = new SpanReader(body);
        byte count = r.U8();
        r.Bytes(3);
        if (r.Failed) { error = "TS payload shorter than 4 bytes"; return false; }
        if (count == 0) { error = "TS payload has no traffic selectors"; return false; }
        var p = new TsPayload(initiator);
        for (int i = 0; i < count; i++)
        {
            if (!TrafficSelector.TryRead(ref r, out var ts, out error)) return false;
            p.Selectors.Add(ts!);
        }
        if (r.Remaining != 0) { error = "data after the last traffic selector"; return false; }
        (payload, error) = (p, null);
        return true;
    }
}

/// <summary>
/// One traffic selector (RFC 7296 §3.13.1): an address range, a port range and an IP protocol (0 = any).
/// <code>
/// |   TS Type     |IP Protocol ID*|       Selector Length         |
/// |           Start Port*         |           End Port*           |
/// ~                         Starting Address*                     ~
/// ~                         Ending Address*                       ~
/// </code>
/// </summary>
public sealed record TrafficSelector(TrafficSelectorType TsType, byte IpProtocol, ushort StartPort, ushort EndPort, IPAddress StartAddress, IPAddress EndAddress)
{
    internal int AddressLength => TsType == TrafficSelectorType.Ipv4AddrRange ? 4 : 16;
    internal int Length => 8 + 2 * AddressLength;

    /// <summary>All addresses, ports and protocols of one family.</summary>
    public static TrafficSelector Any(AddressFamily family) => family == AddressFamily.InterNetwork
        ? new(TrafficSelectorType.Ipv4AddrRange, 0, 0, 65535, IPAddress.Any, IPAddress.Broadcast)
        : new(TrafficSelectorType.Ipv6AddrRange, 0, 0, 65535, IPAddress.IPv6Any, IPAddress.Parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));

    /// <summary>A single host, any port and protocol.</summary>
    public static TrafficSelector Host(IPAddress address) => new(
        address.AddressFamily == AddressFamily.InterNetwork ? TrafficSelectorType.Ipv4AddrRange : TrafficSelectorType.Ipv6AddrRange,
        0, 0, 65535, address, address);

    /// <summary>Every address of <paramref name="network"/>, any port and protocol.</summary>
    public static TrafficSelector FromNetwork(IPNetwork network)
    {
        var bytes = network.BaseAddress.GetAddressBytes();
        var last = (byte[])bytes.Clone();
        for (int bit = network.PrefixLength; bit < bytes.Length * 8; bit++) last[bit / 8] |= (byte)(0x80 >> (bit % 8));
        var type = bytes.Length == 4 ? TrafficSelectorType.Ipv4AddrRange : TrafficSelectorType.Ipv6AddrRange;
        return new TrafficSelector(type, 0, 0, 65535, network.BaseAddress, new IPAddress(last));
    }

    internal void Write(ref SpanWriter w)
    {
        w.U8((byte)TsType);
        w.U8(IpProtocol);
        w.U16((ushort)Length);
        w.U16(StartPort);
        w.U16(EndPort);
        w.Bytes(StartAddress.GetAddressBytes());
        w.Bytes(EndAddress.GetAddressBytes());
    }

    internal static bool TryRead(ref SpanReader r, out TrafficSelector? ts, out string? error)
    {
        ts = null;
        var type = (TrafficSelectorType)r.U8();
        byte proto = r.U8();
        ushort length = r.U16();
        ushort startPort = r.U16();
        ushort endPort = r.U16();
        if (r.Failed) { error = "traffic selector truncated"; return false; }
        int addrLen = type switch { TrafficSelectorType.Ipv4AddrRange => 4, TrafficSelectorType.Ipv6AddrRange => 16, _ => -1 };
        if (addrLen < 0) { error = $"unsupported traffic selector type {(byte)type}"; return false; }
        if (length != 8 + 2 * addrLen) { error = $"traffic selector length {length} does not match its type"; return false; }
        var start = r.Bytes(addrLen);
        var end = r.Bytes(addrLen);
        if (r.Failed) { error = "traffic selector addresses truncated"; return false; }
        ts = new TrafficSelector(type, proto, startPort, endPort, new IPAddress(start), new IPAddress(end));
        error = null;
        return true;
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var range = StartAddress.Equals(EndAddress) ? StartAddress.ToString() : $"{StartAddress}-{EndAddress}";
        var ports = StartPort == 0 && EndPort == 65535 ? "" : StartPort == EndPort ? $"[{StartPort}]" : $"[{StartPort}-{EndPort}]";
        var proto = IpProtocol == 0 ? "" : $" proto {IpProtocol}";
        return range + ports + proto;
    }
}
