namespace Ikev2Client.Protocol.Eap;

/// <summary>Why EAP authentication failed.</summary>
public enum EapErrorKind
{
    /// <summary>The server rejected the user name or password (MS-CHAPv2 E=691, or EAP-Failure after EAP-MD5).</summary>
    WrongCredentials,
    /// <summary>The account may not log in now (MS-CHAPv2 E=646 restricted hours, 647 disabled, 649 no dial-in permission).</summary>
    AccountRestricted,
    /// <summary>The password expired (MS-CHAPv2 E=648).</summary>
    PasswordExpired,
    /// <summary>The server insists on an EAP method we do not support or have not been configured for.</summary>
    MethodNotSupported,
    /// <summary>The server failed to prove itself (wrong MS-CHAPv2 authenticator response, EAP-Success too early, bad TLS server certificate).</summary>
    ServerAuthenticationFailed,
    /// <summary>The TLS handshake of EAP-TLS failed.</summary>
    TlsFailed,
    /// <summary>The server sent EAP-Failure without saying why.</summary>
    Rejected,
    /// <summary>A malformed EAP message.</summary>
    Malformed,
}

/// <summary>An EAP failure with advice; never contains the password or key material.</summary>
internal sealed record EapError(EapErrorKind Kind, string Message)
{
    public override string ToString() => $"{Kind}: {Message}";

    internal static EapError WrongPassword(string method) =>
        new(EapErrorKind.WrongCredentials, $"The server rejected the user name or password ({method}); check your username and password.");
}
