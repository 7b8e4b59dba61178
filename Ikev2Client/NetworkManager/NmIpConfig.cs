using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Ikev2Client.Service;

namespace Ikev2Client.NetworkManager;

/// <summary>One value of a NetworkManager VPN config dictionary (<c>a{sv}</c>), with its D-Bus type.</summary>
public abstract record NmValue
{
    private NmValue() { }
    /// <summary><c>u</c></summary>
    public sealed record UInt32(uint Value) : NmValue;
    /// <summary><c>b</c></summary>
    public sealed record Bool(bool Value) : NmValue;
    /// <summary><c>s</c></summary>
    public sealed record Text(string Value) : NmValue;
    /// <summary><c>au</c></summary>
    public sealed record UInt32Array(IReadOnlyList<uint> Value) : NmValue;
    /// <summary><c>as</c></summary>
    public sealed record TextArray(IReadOnlyList<string> Value) : NmValue;
    /// <summary><c>ay</c></summary>
    public sealed record Bytes(byte[] Value) : NmValue;
    /// <summary><c>aay</c></summary>
    public sealed record BytesArray(IReadOnlyList<byte[]> Value) : NmValue;
}

/// <summary>
/// The Config, Ip4Config and Ip6Config dictionaries the plugin emits once the tunnel is up, from what the connection
/// reports (<see cref="VpnConnectionInfo"/>). Keys and encodings are NetworkManager's (<c>nm-vpn-dbus-interface.h</c>):
/// IPv4 addresses are a <c>u</c> holding the four address bytes in network order, IPv6 addresses an <c>ay</c>.
/// </summary>
/// <remarks>
/// Our connection has already configured the TUN device: its addresses, and every tunnel route in its own routing table
/// behind a policy rule that the IKE/ESP socket's mark skips (docs/dataplane.md). NetworkManager is told the device, the
/// addresses, the DNS servers and domains, and <c>never-default</c> with no routes, so it adds nothing to the main table
/// that could pull the IKE/ESP packets into the tunnel, and applies DNS the way it does for any VPN.
/// </remarks>
public sealed record NmIpConfig(
    IReadOnlyDictionary<string, NmValue> Config, IReadOnlyDictionary<string, NmValue>? Ip4, IReadOnlyDictionary<string, NmValue>? Ip6)
{
    /// <summary>Builds the three dictionaries; a family without a virtual address gets none (has-ip4/has-ip6 false).</summary>
    public static NmIpConfig From(VpnConnectionInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var addresses = info.VirtualAddresses.Select(ParsePrefix).ToList();
        var dns = info.DnsServers.Select(IPAddress.Parse).ToList();
        var v4 = addresses.FirstOrDefault(a => a.Address.AddressFamily == AddressFamily.InterNetwork);
        var v6 = addresses.FirstOrDefault(a => a.Address.AddressFamily == AddressFamily.InterNetworkV6);
        var config = new Dictionary<string, NmValue>(StringComparer.Ordinal);
        if (info.InterfaceName is { } dev) config["tundev"] = new NmValue.Text(dev);
        if (GatewayAddress(info.Gateway) is { } gw)
            config["gateway"] = gw.AddressFamily == AddressFamily.InterNetwork ? new NmValue.UInt32(ToUInt32(gw)) : new NmValue.Bytes(gw.GetAddressBytes());
        config["has-ip4"] = new NmValue.Bool(v4.Address is not null);
        config["has-ip6"] = new NmValue.Bool(v6.Address is not null);
        config["can-persist"] = new NmValue.Bool(true);

        Dictionary<string, NmValue>? ip4 = null, ip6 = null;
        var domains = info.DnsDomains.ToList();
        if (v4.Address is { } a4)
        {
            ip4 = new(StringComparer.Ordinal)
            {
                ["address"] = new NmValue.UInt32(ToUInt32(a4)),
                ["prefix"] = new NmValue.UInt32((uint)v4.Length),
                ["never-default"] = new NmValue.Bool(true),
            };
            var dns4 = dns.Where(d => d.AddressFamily == AddressFamily.InterNetwork).Select(ToUInt32).ToList();
            if (dns4.Count > 0) ip4["dns"] = new NmValue.UInt32Array(dns4);
            if (domains.Count > 0) ip4["domains"] = new NmValue.TextArray(domains);
        }
        if (v6.Address is { } a6)
        {
            ip6 = new(StringComparer.Ordinal)
            {
                ["address"] = new NmValue.Bytes(a6.GetAddressBytes()),
                ["prefix"] = new NmValue.UInt32((uint)v6.Length),
                ["never-default"] = new NmValue.Bool(true),
            };
            var dns6 = dns.Where(d => d.AddressFamily == AddressFamily.InterNetworkV6).Select(d => d.GetAddressBytes()).ToList();
            if (dns6.Count > 0) ip6["dns"] = new NmValue.BytesArray(dns6);
            if (domains.Count > 0 && ip4 is null) ip6["domains"] = new NmValue.TextArray(domains);
        }
        return new NmIpConfig(config, ip4, ip6);
    }

    /// <summary>An IPv4 address as NetworkManager's <c>u</c>: the address bytes in network order, read in host order.</summary>
    public static uint ToUInt32(IPAddress address)
    {
        Span<byte> b = stackalloc byte[4];
        if (!address.TryWriteBytes(b, out var n) || n != 4) throw new ArgumentException("not an IPv4 address", nameof(address));
        return BitConverter.IsLittleEndian ? BinaryPrimitives.ReadUInt32LittleEndian(b) : BinaryPrimitives.ReadUInt32BigEndian(b);
    }

    private static (IPAddress Address, int Length) ParsePrefix(string cidr)
    {
        var slash = cidr.IndexOf('/', StringComparison.Ordinal);
        var address = IPAddress.Parse(slash < 0 ? cidr : cidr[..slash]);
        var length = slash < 0 ? (address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128)
            : int.Parse(cidr.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture);
        return (address, length);
    }

    /// <summary>The address of "a.b.c.d:port" or "[v6]:port" (null when it does not parse).</summary>
    private static IPAddress? GatewayAddress(string gateway) =>
        IPEndPoint.TryParse(gateway, out var ep) ? ep.Address : IPAddress.TryParse(gateway, out var a) ? a : null;
}
