using System.Net;

namespace Ikev2Client.Connection;

/// <summary>Where <see cref="IkeUdpDriver"/> binds its two UDP sockets.</summary>
public sealed class IkeUdpDriverOptions
{
    /// <summary>The plain IKE socket (the "500" side); port 0 picks an ephemeral port.</summary>
    public IPEndPoint LocalIkeEndPoint { get; init; } = new(IPAddress.Any, 0);

    /// <summary>The NAT-T socket (the "4500" side, non-ESP marker); port 0 picks an ephemeral port.</summary>
    public IPEndPoint LocalNatTEndPoint { get; init; } = new(IPAddress.Any, 0);

    /// <summary>
    /// A NAT-T socket owned by someone else (a connection's, shared by IKE and ESP and by the IKE SAs of a
    /// reauthentication): the driver sends from it and the socket routes it the IKE messages of its IKE SA by SPI; the
    /// driver neither starts nor disposes it. Null: the driver opens its own on <see cref="LocalNatTEndPoint"/>.
    /// </summary>
    public Platform.Userspace.NatTSocket? NatTSocket { get; init; }

    /// <summary>
    /// The loop the session runs on (a connection's, shared with everything the connection decides, so event handlers
    /// run in order with the rest). Null: the driver runs its own loop.
    /// </summary>
    public ConnectionLoop? Loop { get; init; }

    /// <summary>
    /// Keeps a socket outside a VPN tunnel (<see cref="SocketProtector.Protect"/>): applied to the sockets the driver
    /// creates and to the probe that learns the source address in <see cref="IkeUdpDriver.Connect"/>, so a second IKE SA
    /// (reauthentication) negotiated while a full tunnel is up does not route itself into that tunnel. Null: none.
    /// </summary>
    public Func<System.Net.Sockets.Socket, bool>? ProtectSocket { get; init; }

    /// <summary>
    /// Interval of NAT keepalives (RFC 3948 §2.3, one 0xFF octet) on the driver's own NAT-T socket while UDP encapsulation
    /// is used; null disables. (A shared NAT-T socket sends its own, <see cref="Platform.Userspace.NatTSocketOptions.KeepaliveInterval"/>.)
    /// </summary>
    public TimeSpan? NatKeepaliveInterval { get; init; } = TimeSpan.FromSeconds(20);
}
