using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Eap;

/// <summary>Where an EAP conversation stands.</summary>
internal enum EapState
{
    InProgress,
    Succeeded,
    Failed,
}

/// <summary>The peer's answer to one EAP message: a response to send (may be null) and the state afterwards.</summary>
internal sealed record EapPeerStep(byte[]? Response, EapState State, EapError? Error);

/// <summary>
/// The EAP peer (RFC 3748), sans-I/O: feed it each EAP message from the gateway's EAP payloads, send back
/// <see cref="EapPeerStep.Response"/> in an EAP payload. Handles Identity, Notification, Nak, MD5-Challenge,
/// MS-CHAPv2 and TLS. After <see cref="EapState.Succeeded"/>, <see cref="Msk"/> is the key for the final
/// IKE AUTH (RFC 7296 §2.16), or null for methods without one (EAP-MD5: use SK_pi/SK_pr instead).
/// </summary>
internal sealed class EapPeer : IDisposable
{
    private readonly EapPeerOptions _options;
    private IEapPeerMethod? _method;

    public EapPeer(EapPeerOptions options) => _options = options ?? throw new ArgumentNullException(nameof(options));

    public EapState State { get; private set; } = EapState.InProgress;
    public EapError? Error { get; private set; }
    public EapMethodType? Method => _method?.Type;

    /// <summary>The Master Session Key after success (64 bytes for MS-CHAPv2 and TLS), null for EAP-MD5.</summary>
    public byte[]? Msk { get; private set; }

    /// <summary>Processes one EAP message (the EAP payload's content). Never throws for bad input.</summary>
    public EapPeerStep Process(ReadOnlySpan<byte> message)
    {
        if (State != EapState.InProgress) return new(null, State, Error);
        if (!EapPacket.TryParse(message, out var packet, out var parseError))
            return Fail(new EapError(EapErrorKind.Malformed, $"The gateway sent a malformed EAP message ({parseError})."));
        switch (packet!.Code)
        {
            case EapCode.Success:
                if (_method == null || !_method.IsComplete)
                    return Fail(new EapError(EapErrorKind.ServerAuthenticationFailed,
                        "The gateway reported EAP success before the EAP method finished (it did not prove its identity); the connection was refused."));
                Msk = _method.Msk;
                State = EapState.Succeeded;
                return new(null, State, null);
            case EapCode.Failure:
                return Fail(_method?.FailureReason ?? new EapError(EapErrorKind.Rejected, "The gateway refused EAP authentication; check your username and password."));
            case EapCode.Response:
                return Fail(new EapError(EapErrorKind.Malformed, "The gateway sent an EAP response where a request was expected."));
        }
        switch (packet.Type)
        {
            case EapMethodType.Identity:
                return new(EapPacket.Response(packet.Identifier, EapMethodType.Identity, System.Text.Encoding.UTF8.GetBytes(_options.Identity)), State, null);
            case EapMethodType.Notification:
                return new(EapPacket.Response(packet.Identifier, EapMethodType.Notification, ReadOnlySpan<byte>.Empty), State, null);
            case EapMethodType.Nak:
                return Fail(new EapError(EapErrorKind.Malformed, "The gateway sent a Nak request."));
        }

        if (_method == null || _method.Type != packet.Type)
        {
            if (_method != null)
                return Fail(new EapError(EapErrorKind.Malformed, $"The gateway switched from EAP-{_method.Type} to {Describe(packet.Type)} in the middle of authentication."));
            var created = Create(packet.Type!.Value);
            if (created == null)
            {
                var allowed = _options.AllowedMethods.Where(CanUse).Select(m => (byte)m).ToArray();
                if (allowed.Length == 0)
                    return Fail(new EapError(EapErrorKind.MethodNotSupported, "No EAP method is usable: the profile has neither a password nor a certificate for EAP."));
                return new(EapPacket.Response(packet.Identifier, EapMethodType.Nak, allowed), State, null);
            }
            _method = created;
        }

        var result = _method.Process(packet);
        if (result.Error != null)
        {
            State = EapState.Failed;
            Error = result.Error;
            return new(result.Response, State, Error);
        }
        return new(result.Response, State, null);
    }

    private bool CanUse(EapMethodType type) => type switch
    {
        EapMethodType.Md5Challenge or EapMethodType.MsChapV2 => _options.Password != null,
        EapMethodType.Tls => _options.TlsCredential != null,
        _ => false,
    };

    private IEapPeerMethod? Create(EapMethodType type)
    {
        if (!_options.AllowedMethods.Contains(type) || !CanUse(type)) return null;
        return type switch
        {
            EapMethodType.Md5Challenge => new EapMd5Peer(_options.Password!),
            EapMethodType.MsChapV2 => new EapMsChapV2Peer(_options),
            EapMethodType.Tls => new EapTlsPeer(_options),
            _ => null,
        };
    }

    private static string Describe(EapMethodType? type) => type is { } t && Enum.IsDefined(t) ? $"EAP-{t}" : $"EAP method {(byte?)type}";

    private EapPeerStep Fail(EapError error)
    {
        State = EapState.Failed;
        Error = error;
        return new(null, State, error);
    }

    public void Dispose()
    {
        (_method as IDisposable)?.Dispose();
        if (Msk != null) System.Security.Cryptography.CryptographicOperations.ZeroMemory(Msk);
    }

    public override string ToString() => $"EAP peer {_options.Identity}: {State}{(Method is { } m ? $" ({m})" : "")}";
}

/// <summary>The result of one method step: a response to send and, on failure, why.</summary>
internal readonly record struct EapMethodStep(byte[]? Response, EapError? Error);

/// <summary>One EAP method on the peer side.</summary>
internal interface IEapPeerMethod
{
    EapMethodType Type { get; }
    /// <summary>True once the method has done its part (and, for mutual methods, the server proved itself).</summary>
    bool IsComplete { get; }
    byte[]? Msk { get; }
    /// <summary>What an EAP-Failure at this point means (e.g. the MS-CHAPv2 failure code).</summary>
    EapError? FailureReason { get; }
    EapMethodStep Process(EapPacket request);
}
