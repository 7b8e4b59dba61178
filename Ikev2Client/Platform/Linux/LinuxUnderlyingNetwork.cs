using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Ikev2Client.Platform.Linux;

/// <summary>
/// What the network under the tunnel looks like from here (the calling thread's network namespace): its directly
/// connected subnets (Android's "local routes", for <c>localRoutesExcluded</c>) and the path MTU towards the gateway
/// (for <c>maxMtu</c>).
/// </summary>
public static class LinuxUnderlyingNetwork
{
    private const int IPPROTO_IP = 0, IP_MTU = 14, IPPROTO_IPV6 = 41, IPV6_MTU = 24;

    /// <summary>
    /// The directly connected subnets of both families on every interface that is up and has a link-layer address
    /// (Ethernet, Wi-Fi, veth: not loopback and not point-to-point tunnels such as our own TUN), IPv6 link-local left out
    /// (fe80::/10 never follows a tunnel route). Each as its network prefix, without duplicates.
    /// </summary>
    public static IReadOnlyList<IpPrefix> ConnectedSubnets()
    {
        var list = new List<IpPrefix>();
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            if (nic.OperationalStatus is not (OperationalStatus.Up or OperationalStatus.Unknown)) continue;
            if (nic.NetworkInterfaceType is NetworkInterfaceType.Loopback or NetworkInterfaceType.Tunnel) continue;
            if (nic.GetPhysicalAddress().GetAddressBytes() is not { Length: > 0 } mac || mac.All(b => b == 0)) continue;
            foreach (var u in nic.GetIPProperties().UnicastAddresses)
            {
                var a = u.Address;
                if (a.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)) continue;
                if (a.IsIPv6LinkLocal || IPAddress.IsLoopback(a)) continue;
                var length = u.PrefixLength;
                if (length <= 0) continue; // a /0 "subnet" would exclude everything
                var prefix = new IpPrefix(new IpPrefix(a, length).Network, length);
                if (!list.Contains(prefix)) list.Add(prefix);
            }
        }
        return list;
    }

    /// <summary>
    /// The path MTU the kernel knows towards <paramref name="gateway"/> (IP_MTU/IPV6_MTU of a connected UDP socket: the
    /// route's MTU, the outgoing interface's, or a learned smaller path MTU); null when there is no route.
    /// </summary>
    public static int? PathMtu(IPEndPoint gateway)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        try
        {
            using var probe = new Socket(gateway.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            probe.Connect(gateway);
            Span<byte> value = stackalloc byte[4];
            var v6 = gateway.AddressFamily == AddressFamily.InterNetworkV6;
            var n = probe.GetRawSocketOption(v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_MTU : IP_MTU, value);
            var mtu = n == 4 ? BitConverter.ToInt32(value) : 0;
            return mtu > 0 ? mtu : null;
        }
        catch (SocketException)
        {
            return null;
        }
    }
}
