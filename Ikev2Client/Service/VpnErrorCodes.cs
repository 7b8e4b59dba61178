namespace Ikev2Client.Service;

/// <summary>
/// Error classes and network error codes with the names and values of Android's <c>VpnManager</c>
/// (<c>EXTRA_ERROR_CLASS</c>, <c>EXTRA_ERROR_CODE</c>). IKE errors carry the notify type the peer sent
/// (or that ended the exchange) as their code, like <c>IkeProtocolException.getErrorType()</c>.
/// </summary>
public static class VpnErrorCodes
{
    /// <summary>Fatal (configuration, authentication); the service does not retry.</summary>
    public const int ErrorClassNotRecoverable = 1;
    /// <summary>The stack will retry with exponential back-off (e.g. a network timeout) when always-on is set.</summary>
    public const int ErrorClassRecoverable = 2;

    /// <summary>The gateway's host name did not resolve.</summary>
    public const int ErrorCodeNetworkUnknownHost = 0;
    /// <summary>No answer after all retransmissions (or liveness checks).</summary>
    public const int ErrorCodeNetworkProtocolTimeout = 1;
    /// <summary>The underlying network went away.</summary>
    public const int ErrorCodeNetworkLost = 2;
    /// <summary>Any other I/O failure on the sockets.</summary>
    public const int ErrorCodeNetworkIo = 3;

    /// <summary>The Android-style name of an error class.</summary>
    public static string ClassName(int errorClass) => errorClass switch
    {
        ErrorClassNotRecoverable => "ERROR_CLASS_NOT_RECOVERABLE",
        ErrorClassRecoverable => "ERROR_CLASS_RECOVERABLE",
        _ => $"ERROR_CLASS_{errorClass}",
    };

    /// <summary>The Android-style name of a network error code.</summary>
    public static string NetworkCodeName(int code) => code switch
    {
        ErrorCodeNetworkUnknownHost => "ERROR_CODE_NETWORK_UNKNOWN_HOST",
        ErrorCodeNetworkProtocolTimeout => "ERROR_CODE_NETWORK_PROTOCOL_TIMEOUT",
        ErrorCodeNetworkLost => "ERROR_CODE_NETWORK_LOST",
        ErrorCodeNetworkIo => "ERROR_CODE_NETWORK_IO",
        _ => $"ERROR_CODE_NETWORK_{code}",
    };
}

/// <summary>What kind of failure a <see cref="VpnError"/> is (Android's <c>CATEGORY_EVENT_*_ERROR</c>, plus two of ours).</summary>
public enum VpnErrorCategory
{
    /// <summary>IKE failed; the code is the notify type (CATEGORY_EVENT_IKE_ERROR).</summary>
    Ike,
    /// <summary>The network failed; the code is an ERROR_CODE_NETWORK_* value (CATEGORY_EVENT_NETWORK_ERROR).</summary>
    Network,
    /// <summary>The profile cannot be used (missing credentials, bad settings). Never recoverable.</summary>
    Profile,
    /// <summary>A local failure (platform, permissions, a bug). Not recoverable.</summary>
    Internal,
}
