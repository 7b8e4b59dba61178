namespace Ikev2Client.Platform;

/// <summary>A platform operation for the VPN interface failed (the system refused a setting or an I/O call).</summary>
public class VpnPlatformException : Exception
{
    /// <summary>The system error number (errno on Linux), or 0 when not from a system call.</summary>
    public int ErrorCode { get; }

    /// <summary>Creates the exception.</summary>
    public VpnPlatformException(string message, int errorCode = 0, Exception? inner = null) : base(message, inner)
        => ErrorCode = errorCode;
}

/// <summary>The VPN interface is closed: it was disposed or its device disappeared.</summary>
public sealed class VpnInterfaceClosedException : VpnPlatformException
{
    /// <summary>Creates the exception.</summary>
    public VpnInterfaceClosedException(string name) : base($"VPN interface {name} is closed") { }
}

/// <summary>A builder setting this platform cannot honour (for example per-application rules on Linux).</summary>
public sealed class VpnFeatureNotSupportedException : PlatformNotSupportedException
{
    /// <summary>The builder method that is not supported.</summary>
    public string Feature { get; }

    /// <summary>Creates the exception.</summary>
    public VpnFeatureNotSupportedException(string feature, string reason)
        : base($"{feature} is not supported on this platform: {reason}") => Feature = feature;
}
