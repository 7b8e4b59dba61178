using System.Net;
using Ikev2Client.Platform;
using Ikev2Client.Protocol.Ike;

namespace Ikev2Client.Connection;

/// <summary>
/// Whether a connected tunnel is known to carry traffic now. Anything but <see cref="Up"/> is shown as CONNECTING
/// (never CONNECTED): the gateway is being checked, or the IKE SA has no CHILD SA.
/// </summary>
public enum ConnectionHealth
{
    /// <summary>The gateway answers and a CHILD SA is installed.</summary>
    Up,
    /// <summary>A liveness check has gone unanswered (the gateway may have crashed); the session fails if it stays so.</summary>
    Unresponsive,
    /// <summary>The IKE SA has no CHILD SA (deleted or expired); a new one is being created.</summary>
    NoChildSa,
}

/// <summary>What the connection negotiated and installed (for status displays).</summary>
public sealed record TunnelInfo(
    DataPath DataPath,
    string? InterfaceName,
    IReadOnlyList<IPNetwork> VirtualAddresses,
    IReadOnlyList<IPAddress> DnsServers,
    IReadOnlyList<IpPrefix> Routes,
    bool FullTunnel,
    ChildSaInfo ChildSa,
    IPEndPoint LocalEndPoint,
    IPEndPoint RemoteEndPoint)
{
    /// <summary>Address families blocked while connected (full tunnel, or the profile's block flags, without an address of the family).</summary>
    public IReadOnlyList<System.Net.Sockets.AddressFamily> BlockedFamilies { get; init; } = [];
}

/// <summary>A connection attempt or a connection failed; the message is one line meant for people.</summary>
public sealed class VpnConnectionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public VpnConnectionException(string message, IkeError? error = null, Exception? inner = null) : base(message, inner) => IkeError = error;

    /// <summary>The IKE error behind the failure, when there is one.</summary>
    public IkeError? IkeError { get; }
}
