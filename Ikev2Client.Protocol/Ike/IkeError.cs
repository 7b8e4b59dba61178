using Ikev2Client.Protocol.Wire;

namespace Ikev2Client.Protocol.Ike;

/// <summary>The class of an IKE failure (compare Android's IkeException / VpnManager error classes).</summary>
public enum IkeErrorKind
{
    /// <summary>The peer did not answer after all retransmissions.</summary>
    ProtocolTimeout,
    /// <summary>The peer answered with an error notify not covered by a more specific kind.</summary>
    PeerNotify,
    /// <summary>Our AUTH was rejected, or the peer's AUTH did not verify.</summary>
    AuthenticationFailed,
    /// <summary>No common IKE or ESP proposal (ours or the peer's NO_PROPOSAL_CHOSEN).</summary>
    NoProposalChosen,
    /// <summary>The peer's identity is not the configured remote identity.</summary>
    IdentityMismatch,
    /// <summary>An authenticated message broke the protocol (bad syntax, wrong proposal, invalid KE data).</summary>
    InvalidMessage,
    /// <summary>The peer asked for a key exchange group we did not offer.</summary>
    InvalidKeGroup,
    /// <summary>Traffic selectors could not be agreed (TS_UNACCEPTABLE).</summary>
    TrafficSelectorsUnacceptable,
    /// <summary>The gateway could not assign an internal address (INTERNAL_ADDRESS_FAILURE, FAILED_CP_REQUIRED).</summary>
    ConfigurationFailed,
    /// <summary>A local problem (bad options, unsupported algorithm).</summary>
    Internal,
    /// <summary>The gateway's certificate was rejected; <see cref="IkeError.CertificateProblem"/> says why (untrusted, expired...).</summary>
    CertificateInvalid,
    /// <summary>The gateway redirected us to another gateway (RFC 5685); <see cref="IkeEvent.Redirected"/> names it.</summary>
    Redirected,
    /// <summary>Redirects went on longer than the limit (a redirect loop between gateways).</summary>
    TooManyRedirects,
}

/// <summary>
/// A typed IKE failure with a message a person can act on. Never contains key material or secrets.
/// </summary>
/// <param name="Kind">The failure class.</param>
/// <param name="Message">What happened and, where possible, what to check.</param>
/// <param name="NotifyType">The error notify the peer sent (or that we sent), if any.</param>
/// <param name="Recoverable">True when retrying later may succeed (timeouts, temporary failures).</param>
public sealed record IkeError(IkeErrorKind Kind, string Message, NotifyType? NotifyType = null, bool Recoverable = false)
{
    /// <summary>The kind, the peer's notify when there is one, and the message.</summary>
    public override string ToString() => NotifyType is { } n ? $"{Kind} ({n}): {Message}" : $"{Kind}: {Message}";

    /// <summary>For certificate failures (<see cref="IkeErrorKind.CertificateInvalid"/>, or IdentityMismatch found in the certificate): the reason.</summary>
    public Auth.CertificateValidationErrorKind? CertificateProblem { get; init; }

    /// <summary>For EAP failures: what the EAP method reported (wrong credentials, expired password...).</summary>
    public Eap.EapErrorKind? EapProblem { get; init; }

    /// <summary>Maps an error notify received from the peer to a typed error with advice.</summary>
    public static IkeError FromPeerNotify(NotifyType type, string context) => type switch
    {
        Wire.NotifyType.NoProposalChosen => new(IkeErrorKind.NoProposalChosen,
            $"The gateway accepted none of our {context} proposals (NO_PROPOSAL_CHOSEN). Check that the profile's algorithms match the gateway's configuration.", type),
        Wire.NotifyType.AuthenticationFailed => new(IkeErrorKind.AuthenticationFailed,
            "The gateway rejected our authentication (AUTHENTICATION_FAILED). Check the pre-shared key or credentials and the local identity.", type),
        Wire.NotifyType.TsUnacceptable => new(IkeErrorKind.TrafficSelectorsUnacceptable,
            "The gateway rejected the requested traffic selectors (TS_UNACCEPTABLE). Check the profile's routes / subnets.", type),
        Wire.NotifyType.InternalAddressFailure or Wire.NotifyType.FailedCpRequired => new(IkeErrorKind.ConfigurationFailed,
            $"The gateway could not assign an internal address ({Name(type)}). Its address pool may be exhausted or not configured.", type),
        Wire.NotifyType.TemporaryFailure => new(IkeErrorKind.PeerNotify, "The gateway reported a temporary failure; try again shortly.", type, Recoverable: true),
        Wire.NotifyType.InvalidSyntax => new(IkeErrorKind.InvalidMessage, $"The gateway found our {context} message malformed (INVALID_SYNTAX).", type),
        Wire.NotifyType.AuthorizationFailed => new(IkeErrorKind.AuthenticationFailed,
            "The gateway authenticated us but refused authorization (AUTHORIZATION_FAILED).", type),
        _ => new(IkeErrorKind.PeerNotify, $"The gateway answered the {context} request with the error notify {Name(type)} ({(ushort)type}).", type),
    };

    /// <summary>The IANA-style name of a notify type (NO_PROPOSAL_CHOSEN).</summary>
    public static string Name(NotifyType type)
    {
        if (!Enum.IsDefined(type)) return $"NOTIFY_{(ushort)type}";
        var s = type.ToString();
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < s.Length; i++)
        {
            if (i > 0 && char.IsUpper(s[i]) && !char.IsUpper(s[i - 1])) sb.Append('_');
            sb.Append(char.ToUpperInvariant(s[i]));
        }
        return sb.ToString();
    }
}
