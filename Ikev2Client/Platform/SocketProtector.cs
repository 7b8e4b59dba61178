using System.Net;
using System.Net.Sockets;
namespace Ikev2Client.Platform;

/// <summary>
/// Keeps every socket that talks to the gateway outside the tunnel (Android <c>VpnService.protect</c>): the NAT-T
/// socket of the data plane, the IKE sockets of a reauthentication or redirect attempt, and the probe that learns our
/// source address for MOBIKE. With a full tunnel an unprotected socket's route lookup would pick the TUN: its packets
/// would loop into the tunnel and a probe would report the TUN's own address. Protection goes through the interface
/// that is up now (<see cref="Interface"/>); with none, no tunnel route exists and nothing needs protecting.
/// </summary>
public sealed class SocketProtector
{
    private volatile IVpnInterface? _interface;

    /// <summary>The tunnel interface currently up (null before it is established and after it is removed).</summary>
    public IVpnInterface? Interface
    {
        get => _interface;
        set => _interface = value;
    }

    /// <summary>Protects <paramref name="socket"/> from the current tunnel; true when it is protected or there is no tunnel.</summary>
    public bool Protect(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        return _interface?.Protect(socket) ?? true;
    }

    /// <summary>
    /// The source address the kernel picks for protected traffic to <paramref name="remote"/>: a connected UDP socket,
    /// protected before it connects (its route lookup then ignores the tunnel's routes), that never sends anything.
    /// </summary>
    /// <exception cref="SocketException">no route to <paramref name="remote"/> outside the tunnel.</exception>
    public IPAddress SourceAddressFor(IPEndPoint remote) => SourceAddressFor(remote, Protect);

    /// <summary>
    /// The source address the kernel picks for traffic to <paramref name="remote"/> from a socket protected with
    /// <paramref name="protect"/> (none: before any tunnel exists): the one probe every part uses.
    /// </summary>
    /// <exception cref="SocketException">no route to <paramref name="remote"/> (outside the tunnel).</exception>
    public static IPAddress SourceAddressFor(IPEndPoint remote, Func<Socket, bool>? protect)
    {
        ArgumentNullException.ThrowIfNull(remote);
        using var probe = new Socket(remote.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        if (protect != null && !protect(probe)) throw new SocketException((int)SocketError.AccessDenied);
        probe.Connect(remote);
        return ((IPEndPoint)probe.LocalEndPoint!).Address;
    }

    /// <summary>The wildcard address of <paramref name="family"/> when <paramref name="local"/> is a wildcard, else <paramref name="local"/>.</summary>
    public static IPAddress BindAddress(IPAddress local, AddressFamily family) =>
        local.Equals(IPAddress.Any) || local.Equals(IPAddress.IPv6Any)
            ? family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any
            : local;
}
