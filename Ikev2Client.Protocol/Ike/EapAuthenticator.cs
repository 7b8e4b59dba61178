using Ikev2Client.Protocol.Eap;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Ike;

/// <summary>
/// We authenticate with EAP inside IKE_AUTH (RFC 7296 §2.16): the first IKE_AUTH request carries no AUTH, the
/// gateway's EAP requests are answered by an <see cref="EapPeer"/> in further IKE_AUTH requests, and the final
/// AUTH is computed from the MSK (SK_pi for methods without one, such as EAP-MD5). The gateway normally proves
/// itself with a certificate (the session's peer authenticator); with <see cref="EapOnly"/> (RFC 5998) we also
/// accept a gateway that authenticates only through a mutual EAP method (MS-CHAPv2, TLS) and the MSK-based AUTH.
/// </summary>
public sealed class EapAuthenticator : IIkeAuthenticator
{
    /// <param name="options">Identity, password or TLS credential, allowed methods.</param>
    /// <param name="eapOnly">Send EAP_ONLY_AUTHENTICATION and accept EAP-only gateway authentication with mutual methods.</param>
    public EapAuthenticator(EapPeerOptions options, bool eapOnly = false)
    {
        Options = options ?? throw new ArgumentNullException(nameof(options));
        EapOnly = eapOnly;
    }

    /// <summary>Identity, credentials and allowed methods.</summary>
    public EapPeerOptions Options { get; }

    /// <summary>RFC 5998 EAP-only authentication is requested and allowed.</summary>
    public bool EapOnly { get; }

    /// <summary>EAP methods that authenticate the server as well as the client (required for EAP-only).</summary>
    public static bool IsMutual(EapMethodType? method) => method is EapMethodType.MsChapV2 or EapMethodType.Tls;

    internal EapPeer CreatePeer() => new(Options);

    /// <summary>Our final AUTH after EAP: prf(prf(MSK or SK_pi, "Key Pad for IKEv2"), SignedOctets).</summary>
    public AuthPayload Sign(IkeAuthInput input) => EapAuth.Create(input.Prf, input.EapKey.Span, ReadOnlySpan<byte>.Empty, input.SignedOctets.Span);

    /// <summary>The gateway's final AUTH after EAP, with the MSK or SK_pr in <see cref="IkeAuthInput.EapKey"/>.</summary>
    public bool Verify(IkeAuthInput input, AuthPayload auth, out string? reason)
    {
        bool ok = !input.EapKey.IsEmpty && EapAuth.Verify(input.Prf, input.EapKey.Span, ReadOnlySpan<byte>.Empty, input.SignedOctets.Span, auth);
        reason = ok ? null : "the gateway's AUTH after EAP does not match the EAP session key";
        return ok;
    }

    /// <summary>The identity and methods, never the password.</summary>
    public override string ToString() => $"EAP authenticator ({Options}{(EapOnly ? ", EAP-only allowed" : "")})";
}

/// <summary>
/// Responder side of EAP in IKE_AUTH: the peer authenticator of a responder whose initiators authenticate with
/// EAP. Each session gets its own <see cref="EapServer"/>; the initiator's final AUTH is checked against the MSK
/// (or SK_pi). <see cref="AllowEapOnly"/> lets an initiator that sends EAP_ONLY_AUTHENTICATION skip our
/// certificate AUTH when the method is mutual.
/// </summary>
public sealed class EapServerAuthenticator : IIkeAuthenticator
{
    /// <summary>The responder side of EAP; <paramref name="allowEapOnly"/> accepts RFC 5998 EAP-only initiators with mutual methods.</summary>
    public EapServerAuthenticator(EapServerOptions options, bool allowEapOnly = false)
    {
        Options = options ?? throw new ArgumentNullException(nameof(options));
        AllowEapOnly = allowEapOnly;
    }

    /// <summary>The EAP server's method and credentials.</summary>
    public EapServerOptions Options { get; }
    /// <summary>Initiators may use EAP-only authentication (RFC 5998) with mutual methods.</summary>
    public bool AllowEapOnly { get; }

    internal EapServer CreateServer() => new(Options);

    /// <summary>Our (the responder's) AUTH after EAP, from the MSK or SK_pr in <see cref="IkeAuthInput.EapKey"/>.</summary>
    public AuthPayload Sign(IkeAuthInput input) => EapAuth.Create(input.Prf, input.EapKey.Span, ReadOnlySpan<byte>.Empty, input.SignedOctets.Span);

    /// <inheritdoc />
    public bool Verify(IkeAuthInput input, AuthPayload auth, out string? reason)
    {
        bool ok = !input.EapKey.IsEmpty && EapAuth.Verify(input.Prf, input.EapKey.Span, ReadOnlySpan<byte>.Empty, input.SignedOctets.Span, auth);
        reason = ok ? null : "the initiator's AUTH after EAP does not match the EAP session key";
        return ok;
    }

    /// <summary>The method, never credentials.</summary>
    public override string ToString() => $"EAP server authenticator ({Options.Method})";
}
