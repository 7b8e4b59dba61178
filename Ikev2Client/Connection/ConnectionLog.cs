using Microsoft.Extensions.Logging;

namespace Ikev2Client.Connection;

/// <summary>
/// The connection's log events (ids 1000–1199), source-generated. Arguments are strings and numbers only, never SA
/// or session objects: nothing that holds a key or a credential can reach a log, whatever formatter writes it.
/// </summary>
internal static partial class ConnectionLog
{
    // ---- the attempt (1000–1019) ----

    [LoggerMessage(1000, LogLevel.Information, "connecting to {Server} from {Local}")]
    public static partial void Connecting(ILogger logger, string server, string local);

    [LoggerMessage(1001, LogLevel.Information, "the gateway redirects us to {Target} ({Exchange})")]
    public static partial void RedirectReceived(ILogger logger, string target, string exchange);

    [LoggerMessage(1002, LogLevel.Information, "redirected to {Target}: connecting to {Server}")]
    public static partial void FollowingRedirect(ILogger logger, string target, string server);

    [LoggerMessage(1003, LogLevel.Information, "IKE SA established with {RemoteIdentity} ({Algorithms})")]
    public static partial void IkeSaEstablished(ILogger logger, string remoteIdentity, string algorithms);

    [LoggerMessage(1004, LogLevel.Information, "CHILD SA established: {ChildSa}")]
    public static partial void ChildSaEstablished(ILogger logger, string childSa);

    [LoggerMessage(1005, LogLevel.Debug, "{Message}")]
    public static partial void IkeMessage(ILogger logger, string message);

    // ---- the data path (1020–1059) ----

    [LoggerMessage(1020, LogLevel.Information, "interface {Name} up: {Addresses}; routes {Routes}{FullTunnel}")]
    public static partial void InterfaceUp(ILogger logger, string name, string addresses, string routes, string fullTunnel);

    [LoggerMessage(1021, LogLevel.Information, "{Note}")]
    public static partial void TunnelNote(ILogger logger, string note);

    [LoggerMessage(1022, LogLevel.Information, "transport mode: host-to-host selectors {Local} === {Remote}, ESP in UDP to {Peer}")]
    public static partial void TransportMode(ILogger logger, string local, string remote, string peer);

    [LoggerMessage(1023, LogLevel.Information,
        "CHILD SA rekeyed by the gateway: in 0x{OldIn:x8} → 0x{NewIn:x8}; sending on 0x{NewOut:x8} once 0x{OldOut:x8} is deleted")]
    public static partial void ChildSaRekeyedByPeer(ILogger logger, uint oldIn, uint newIn, uint newOut, uint oldOut);

    [LoggerMessage(1024, LogLevel.Information, "CHILD SA rekeyed: in 0x{OldIn:x8} → 0x{NewIn:x8}, out 0x{OldOut:x8} → 0x{NewOut:x8}")]
    public static partial void ChildSaRekeyed(ILogger logger, uint oldIn, uint newIn, uint oldOut, uint newOut);

    [LoggerMessage(1025, LogLevel.Information, "CHILD SA added: {ChildSa}")]
    public static partial void ChildSaAdded(ILogger logger, string childSa);

    [LoggerMessage(1026, LogLevel.Information, "ESP SA 0x{Spi:x8}: {Why}; rekeying CHILD SA 0x{Child:x8}")]
    public static partial void SaLimitRekey(ILogger logger, uint spi, string why, uint child);

    [LoggerMessage(1027, LogLevel.Warning, "ESP SA 0x{Spi:x8} expired: {Why}; deleting CHILD SA 0x{Child:x8}")]
    public static partial void SaExpired(ILogger logger, uint spi, string why, uint child);

    [LoggerMessage(1028, LogLevel.Warning, "the gateway assigned {Assigned} on reauthentication instead of {Kept}; the interface keeps its address")]
    public static partial void ReauthAddressDiffers(ILogger logger, string assigned, string kept);

    // ---- mobility and liveness (1060–1079) ----

    [LoggerMessage(1060, LogLevel.Information, "MOBIKE: IKE SA and CHILD SAs moved to {Local} <-> {Remote}")]
    public static partial void Moved(ILogger logger, string local, string remote);

    [LoggerMessage(1061, LogLevel.Information, "local address {Change}: updating the IKE SA")]
    public static partial void AddressChanged(ILogger logger, string change);

    [LoggerMessage(1062, LogLevel.Warning, "{Reason}")]
    public static partial void Degraded(ILogger logger, string reason);

    [LoggerMessage(1063, LogLevel.Information, "the tunnel carries traffic again")]
    public static partial void Restored(ILogger logger);

    // ---- reauthentication (1080–1099) ----

    [LoggerMessage(1080, LogLevel.Information, "the gateway requires reauthentication within {Lifetime:0} s: reauthenticating in {Due:0.#} s")]
    public static partial void ReauthScheduled(ILogger logger, double lifetime, double due);

    [LoggerMessage(1081, LogLevel.Information, "reauthenticating: negotiating a new IKE SA before deleting the old one")]
    public static partial void Reauthenticating(ILogger logger);

    [LoggerMessage(1082, LogLevel.Warning, "reauthentication failed: {Reason}; keeping the old IKE SA")]
    public static partial void ReauthFailed(ILogger logger, string reason);

    [LoggerMessage(1083, LogLevel.Warning, "reauthentication abandoned: the connection is going down")]
    public static partial void ReauthAbandoned(ILogger logger);

    [LoggerMessage(1084, LogLevel.Information, "reauthenticated: IKE SA {SpiI:x16}_i {SpiR:x16}_r replaces {OldSpiI:x16}_i, CHILD SA in 0x{In:x8} out 0x{Out:x8}")]
    public static partial void Reauthenticated(ILogger logger, ulong spiI, ulong spiR, ulong oldSpiI, uint @in, uint @out);

    // ---- ends (1100–1119) ----

    [LoggerMessage(1100, LogLevel.Information, "deleting the IKE SA")]
    public static partial void Disconnecting(ILogger logger);

    [LoggerMessage(1101, LogLevel.Warning, "{Reason}")]
    public static partial void Ended(ILogger logger, string reason);

    [LoggerMessage(1102, LogLevel.Information, "interface {Name} removed")]
    public static partial void InterfaceRemoved(ILogger logger, string name);

    [LoggerMessage(1103, LogLevel.Information, "disconnected")]
    public static partial void Disconnected(ILogger logger);

    [LoggerMessage(1104, LogLevel.Error, "an input of the connection's loop failed ({Type}): {Message}")]
    public static partial void LoopFailed(ILogger logger, string type, string message);

    // ---- the test and benchmark responder (1150–1169) ----

    [LoggerMessage(1150, LogLevel.Information, "listening on {Listen} (NAT-T {NatTPort}); interface {Interface} {Address}, pool {Pool}")]
    public static partial void ResponderListening(ILogger logger, string listen, int natTPort, string @interface, string address, string pool);

    [LoggerMessage(1151, LogLevel.Information, "IKE SA established with {RemoteIdentity} at {Remote} ({Algorithms})")]
    public static partial void ResponderIkeSa(ILogger logger, string remoteIdentity, string remote, string algorithms);

    [LoggerMessage(1152, LogLevel.Information, "CHILD SA {ChildSa}")]
    public static partial void ResponderChildSa(ILogger logger, string childSa);

    [LoggerMessage(1153, LogLevel.Information, "MOBIKE: the initiator moved to {Remote}")]
    public static partial void ResponderPeerMoved(ILogger logger, string remote);

    [LoggerMessage(1154, LogLevel.Information, "IKE SA deleted ({Reason}); {Statistics}")]
    public static partial void ResponderIkeSaDeleted(ILogger logger, string reason, string statistics);

    [LoggerMessage(1155, LogLevel.Warning, "IKE SA failed: {Error}")]
    public static partial void ResponderIkeSaFailed(ILogger logger, string error);

    [LoggerMessage(1156, LogLevel.Information,
        "ESP SA 0x{Spi:x8} reached its {Limit} limit ({Packets} packets, {Bytes} bytes, sequence {Sequence}): {Action} CHILD SA 0x{Child:x8}")]
    public static partial void ResponderSaLimit(ILogger logger, uint spi, string limit, long packets, long bytes, ulong sequence, string action, uint child);
}

/// <summary>What a connection is doing, as a typed event for the service (shown as the profile's detail while connecting).</summary>
public enum ConnectionStep
{
    /// <summary>About to contact a gateway (the configured one, or a redirect target).</summary>
    Contacting,
    /// <summary>A request of the connecting exchanges was sent (detail: the exchange, e.g. IkeSaInit, IkeAuth).</summary>
    Exchanging,
    /// <summary>The gateway redirected us (RFC 5685).</summary>
    Redirected,
    /// <summary>IKE_SA_INIT and IKE_AUTH completed.</summary>
    IkeSaEstablished,
    /// <summary>The first CHILD SA is negotiated.</summary>
    ChildSaEstablished,
    /// <summary>The data path is installed (interface up, or transport mode).</summary>
    DataPathUp,
    /// <summary>The IKE SA is being deleted.</summary>
    Disconnecting,
}

/// <summary>A step of a connection with a line for people.</summary>
/// <param name="Step">The step.</param>
/// <param name="Detail">"IKE SA established with fqdn:gw.example.org (...)", "interface ikev2tun0 up: ...".</param>
public sealed record ConnectionProgress(ConnectionStep Step, string Detail);
