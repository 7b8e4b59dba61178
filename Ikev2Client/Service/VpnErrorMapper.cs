using System.Net.Sockets;
using Ikev2Client.Profiles;
using Ikev2Client.Protocol.Ike;
using Ikev2Client.Protocol.Wire;

namespace Ikev2Client.Service;

/// <summary>
/// Maps IKE failures and exceptions to <see cref="VpnError"/> the way Android's VPN stack classifies them:
/// timeouts and network trouble are recoverable; authentication, proposal, syntax and selector failures are not;
/// other notifies from the peer are recoverable unless the session said otherwise.
/// </summary>
public static class VpnErrorMapper
{
    /// <summary>Notify types after which retrying cannot help (a configuration must change first).</summary>
    private static readonly HashSet<NotifyType> Fatal =
    [
        NotifyType.UnsupportedCriticalPayload, NotifyType.InvalidMajorVersion, NotifyType.InvalidSyntax,
        NotifyType.NoProposalChosen, NotifyType.InvalidKePayload, NotifyType.AuthenticationFailed,
        NotifyType.TsUnacceptable, NotifyType.AuthorizationFailed,
    ];

    /// <summary>The error for an <see cref="IkeError"/> from the session.</summary>
    public static VpnError FromIkeError(IkeError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (error.Kind == IkeErrorKind.ProtocolTimeout)
            return VpnError.Network(VpnErrorCodes.ErrorCodeNetworkProtocolTimeout, error.Message,
                "Check that the gateway is reachable (UDP 500 and 4500) and that its address is right.");
        if (error.Kind == IkeErrorKind.Internal)
            return VpnError.Internal(error.Message);

        var notify = error.NotifyType ?? DefaultNotify(error.Kind);
        bool recoverable = error.Recoverable || (notify is { } n ? !Fatal.Contains(n) : error.Kind == IkeErrorKind.ConfigurationFailed);
        if (error.Kind is IkeErrorKind.AuthenticationFailed or IkeErrorKind.IdentityMismatch or IkeErrorKind.NoProposalChosen
            or IkeErrorKind.InvalidKeGroup or IkeErrorKind.TrafficSelectorsUnacceptable or IkeErrorKind.InvalidMessage)
            recoverable = error.Recoverable;
        int code = notify is { } t ? (ushort)t : 0;
        string name = notify is { } t2 ? "ERROR_CODE_IKE_" + IkeError.Name(t2) : "ERROR_CODE_IKE_" + error.Kind;
        return new VpnError(VpnErrorCategory.Ike,
            recoverable ? VpnErrorCodes.ErrorClassRecoverable : VpnErrorCodes.ErrorClassNotRecoverable,
            code, name, error.Message, Advice(error.Kind));
    }

    /// <summary>The error for an exception thrown while connecting (DNS, sockets, profile problems).</summary>
    public static VpnError FromException(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        switch (exception)
        {
            case VpnErrorException v:
                return v.Error;
            case Platform.VpnPlatformException p:
                return FromPlatform(p.Message, p);
            case SocketException s when s.SocketErrorCode is SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData:
                return VpnError.Network(VpnErrorCodes.ErrorCodeNetworkUnknownHost, "The gateway's host name could not be resolved.",
                    "Check the server address in the profile and this host's DNS.");
            case SocketException s when s.SocketErrorCode is SocketError.NetworkDown or SocketError.NetworkUnreachable
                or SocketError.HostUnreachable or SocketError.NetworkReset or SocketError.AddressNotAvailable:
                return VpnError.Network(VpnErrorCodes.ErrorCodeNetworkLost, $"The network is not available ({s.SocketErrorCode}).",
                    "Check this host's network connection.");
            case SocketException s:
                return VpnError.Network(VpnErrorCodes.ErrorCodeNetworkIo, $"A socket operation failed ({s.SocketErrorCode}).");
            case IOException:
                return VpnError.Network(VpnErrorCodes.ErrorCodeNetworkIo, $"An I/O operation failed ({exception.GetType().Name}).");
            case TimeoutException:
                return VpnError.Network(VpnErrorCodes.ErrorCodeNetworkProtocolTimeout, "The gateway did not answer in time.",
                    "Check that the gateway is reachable (UDP 500 and 4500).");
            case ProfileValidationException or ProfileStoreException or ProfileImportException:
                return VpnError.Profile(exception.Message.ReplaceLineEndings(" "), "Fix the profile and import it again.");
            case UnauthorizedAccessException:
                return VpnError.Internal("Permission denied while setting up the tunnel.",
                    "Creating a TUN interface and routes needs root or CAP_NET_ADMIN.");
            default:
                return VpnError.Internal($"Unexpected failure ({exception.GetType().Name}).");
        }
    }

    /// <summary>
    /// A local platform failure (TUN, routes, rules, DNS, lockdown firewall) with advice that matches its cause: the
    /// errno decides (EPERM/EACCES is a permission problem; EEXIST a conflicting route or rule; ENOENT/ENODEV a missing
    /// TUN driver), and DNS and firewall failures say what to check for those.
    /// </summary>
    public static VpnError FromPlatform(string message, Platform.VpnPlatformException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return VpnError.Internal(message, PlatformAdvice(exception));
    }

    /// <summary>The advice for a platform failure (see <see cref="FromPlatform"/>); null when there is nothing useful to say.</summary>
    public static string? PlatformAdvice(Platform.VpnPlatformException exception) => exception switch
    {
        Platform.LockdownFirewallException { ToolMissing: true } =>
            "Lockdown is enforced with nftables: install it (Debian/Ubuntu: apt install nftables), or turn lockdown off in the profile.",
        Platform.LockdownFirewallException =>
            "nftables refused the lockdown rules: check that the kernel has nf_tables (modprobe nf_tables) and that the service runs as root.",
        Platform.DnsConfigurationException =>
            "Check that /etc/resolv.conf is writable, or that systemd-resolved answers on the system bus; 'connect --no-dns' connects without applying DNS.",
        _ => exception.ErrorCode switch
        {
            1 or 13 => "Creating the tunnel interface, routes and rules needs root or CAP_NET_ADMIN.", // EPERM, EACCES
            17 => "A route or policy rule the tunnel needs already exists (another VPN, or an ikev2 connection that is still up): " +
                  "disconnect it, or look at 'ip rule show' and 'ip route show table 2300'.", // EEXIST
            2 or 6 or 19 => "The TUN driver is not available: load it with 'modprobe tun' (in a container, pass /dev/net/tun through).", // ENOENT, ENXIO, ENODEV
            16 => "The tunnel interface name is in use by another device.", // EBUSY
            97 => "The address family is disabled on this host (IPv6 turned off?).", // EAFNOSUPPORT
            24 or 23 => "The process has too many open files; raise its limit (ulimit -n).", // EMFILE, ENFILE
            0 => null,
            var errno => $"The system refused a network setting (errno {errno}).",
        },
    };

    /// <summary>The error reported when the gateway deleted an established IKE SA (recoverable: it may come back).</summary>
    public static VpnError DeletedByPeer(string reason) =>
        VpnError.Network(VpnErrorCodes.ErrorCodeNetworkLost, $"The gateway closed the connection ({reason}).",
            "The gateway may have restarted or dropped this client.");

    private static NotifyType? DefaultNotify(IkeErrorKind kind) => kind switch
    {
        IkeErrorKind.AuthenticationFailed or IkeErrorKind.IdentityMismatch => NotifyType.AuthenticationFailed,
        IkeErrorKind.NoProposalChosen => NotifyType.NoProposalChosen,
        IkeErrorKind.InvalidKeGroup => NotifyType.InvalidKePayload,
        IkeErrorKind.TrafficSelectorsUnacceptable => NotifyType.TsUnacceptable,
        IkeErrorKind.ConfigurationFailed => NotifyType.InternalAddressFailure,
        IkeErrorKind.InvalidMessage => NotifyType.InvalidSyntax,
        _ => null,
    };

    private static string? Advice(IkeErrorKind kind) => kind switch
    {
        IkeErrorKind.AuthenticationFailed => "Check the pre-shared key or credentials and the local identity (userIdentity).",
        IkeErrorKind.IdentityMismatch => "Check remoteIdentity in the profile against the gateway's certificate or ID.",
        IkeErrorKind.NoProposalChosen or IkeErrorKind.InvalidKeGroup => "Check ikeProposal / espProposal against the gateway's configuration.",
        IkeErrorKind.TrafficSelectorsUnacceptable => "Check the profile's split-tunnel routes against what the gateway allows.",
        IkeErrorKind.ConfigurationFailed => "The gateway's address pool may be exhausted or missing; try again later or ask its administrator.",
        IkeErrorKind.InvalidMessage => "The gateway and this client disagree on the protocol; report this with a capture (ikev2 inspect).",
        _ => null,
    };
}
