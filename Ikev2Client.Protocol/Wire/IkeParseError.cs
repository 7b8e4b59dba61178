namespace Ikev2Client.Protocol.Wire;

/// <summary>What went wrong while decoding an IKE message.</summary>
public enum IkeParseErrorCode
{
    /// <summary>The datagram is shorter than the IKE header or than a length field says.</summary>
    Truncated,
    /// <summary>A length field is inconsistent with the data (too small, or past the end of its container).</summary>
    InvalidLength,
    /// <summary>Major version other than 2 (answer INVALID_MAJOR_VERSION).</summary>
    InvalidMajorVersion,
    /// <summary>A payload's contents break RFC rules (answer INVALID_SYNTAX if the message was authenticated).</summary>
    InvalidSyntax,
    /// <summary>An unknown payload with the critical bit set (answer UNSUPPORTED_CRITICAL_PAYLOAD).</summary>
    UnsupportedCriticalPayload,
    /// <summary>The message's payloads don't satisfy the exchange's rules (missing, repeated or unencrypted).</summary>
    PayloadRuleViolation,
    /// <summary>Integrity check of an SK/SKF payload failed or its padding is invalid.</summary>
    IntegrityCheckFailed,
    /// <summary>A fragment (SKF) is inconsistent with the others or exceeds the reassembly limits.</summary>
    InvalidFragment,
}

/// <summary>A typed decoding error. Parsers return it; they never throw on bad input.</summary>
public sealed record IkeParseError(IkeParseErrorCode Code, string Message, PayloadType? Payload = null, byte UnsupportedPayloadType = 0)
{
    /// <summary>The notify type the RFC says to answer with (when the message was authenticated or is IKE_SA_INIT).</summary>
    public NotifyType? SuggestedNotify => Code switch
    {
        IkeParseErrorCode.InvalidMajorVersion => NotifyType.InvalidMajorVersion,
        IkeParseErrorCode.UnsupportedCriticalPayload => NotifyType.UnsupportedCriticalPayload,
        IkeParseErrorCode.IntegrityCheckFailed => null,
        _ => NotifyType.InvalidSyntax,
    };

    /// <summary>
    /// The exception a parser threw when the codec's defensive catch turned it into this error: always null
    /// unless a parser has a bug (bad input yields typed errors, never exceptions).
    /// </summary>
    public Exception? Fault { get; init; }

    /// <summary>The code, the payload type when known, and the message.</summary>
    public override string ToString() => Payload is { } p ? $"{Code} in {p}: {Message}" : $"{Code}: {Message}";
}
