namespace Ikev2Client.Service;

/// <summary>
/// A failure as the service reports it: category, Android-style class and code (with their names), a
/// message a person can read and advice on what to check. Never contains secrets.
/// </summary>
/// <param name="Category">IKE, network, profile or internal.</param>
/// <param name="ErrorClass"><see cref="VpnErrorCodes.ErrorClassRecoverable"/> or <see cref="VpnErrorCodes.ErrorClassNotRecoverable"/>.</param>
/// <param name="ErrorCode">IKE: the notify type number; network: ERROR_CODE_NETWORK_*; otherwise 0.</param>
/// <param name="CodeName">ERROR_CODE_IKE_AUTHENTICATION_FAILED, ERROR_CODE_NETWORK_PROTOCOL_TIMEOUT, ...</param>
/// <param name="Message">What happened.</param>
/// <param name="Advice">What to check, or null.</param>
public sealed record VpnError(VpnErrorCategory Category, int ErrorClass, int ErrorCode, string CodeName, string Message, string? Advice = null)
{
    /// <summary>True for <see cref="VpnErrorCodes.ErrorClassRecoverable"/>.</summary>
    public bool IsRecoverable => ErrorClass == VpnErrorCodes.ErrorClassRecoverable;

    /// <summary>The Android name of <see cref="ErrorClass"/>.</summary>
    public string ClassName => VpnErrorCodes.ClassName(ErrorClass);

    /// <summary>A network error with its Android code name.</summary>
    public static VpnError Network(int code, string message, string? advice = null) =>
        new(VpnErrorCategory.Network, VpnErrorCodes.ErrorClassRecoverable, code, VpnErrorCodes.NetworkCodeName(code), message, advice);

    /// <summary>A profile problem (never recoverable).</summary>
    public static VpnError Profile(string message, string? advice = null) =>
        new(VpnErrorCategory.Profile, VpnErrorCodes.ErrorClassNotRecoverable, 0, "ERROR_CODE_PROFILE_INVALID", message, advice);

    /// <summary>A local failure (not recoverable).</summary>
    public static VpnError Internal(string message, string? advice = null) =>
        new(VpnErrorCategory.Internal, VpnErrorCodes.ErrorClassNotRecoverable, 0, "ERROR_CODE_INTERNAL", message, advice);

    /// <summary>One line: message and advice.</summary>
    public override string ToString() => Advice is null ? $"{CodeName}: {Message}" : $"{CodeName}: {Message} {Advice}";
}

/// <summary>Thrown by an <see cref="IVpnConnection"/> when an attempt fails; carries the mapped error.</summary>
public sealed class VpnErrorException(VpnError error) : Exception(error.Message)
{
    /// <summary>The failure.</summary>
    public VpnError Error { get; } = error;
}
