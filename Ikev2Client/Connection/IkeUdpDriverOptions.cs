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
    /// An externally owned, bound UDP socket to use as the NAT-T socket (the data plane's, shared by IKE and ESP).
    /// The driver sends from it but neither receives on it nor disposes it: the owner hands it the IKE messages
    /// it receives there (non-ESP marker stripped) through <see cref="IkeUdpDriver.ReceiveNatT"/>.
    /// </summary>
    public System.Net.Sockets.Socket? NatTSocket { get; init; }

    /// <summary>
    /// Keeps a socket outside a VPN tunnel (<see cref="SocketProtector.Protect"/>): applied to the sockets the driver
    /// creates and to the probe that learns the source address in <see cref="IkeUdpDriver.Connect"/>, so a second IKE SA
    /// (reauthentication) negotiated while a full tunnel is up does not route itself into that tunnel. Null: none.
    /// </summary>
    public Func<System.Net.Sockets.Socket, bool>? ProtectSocket { get; init; }

    /// <summary>Interval of NAT keepalives (RFC 3948 §2.3, one 0xFF octet) while UDP encapsulation is used; null disables.</summary>
    public TimeSpan? NatKeepaliveInterval { get; init; } = TimeSpan.FromSeconds(20);
}
