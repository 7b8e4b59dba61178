namespace Ikev2Client.Platform.Linux;

/// <summary>The kernel refused an rtnetlink request; <see cref="VpnPlatformException.ErrorCode"/> is the errno.</summary>
public sealed class NetlinkException : VpnPlatformException
{
    /// <summary>What was being done (e.g. <c>add route 10.98.0.0/16 table 2300</c>).</summary>
    public string Operation { get; }

    /// <summary>Creates the exception.</summary>
    public NetlinkException(string operation, int errno)
        : base($"netlink: {operation} failed: {Libc.Describe(errno)}", errno) => Operation = operation;
}
