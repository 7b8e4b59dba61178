using System.Security.Cryptography;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Ike.Tasks;

/// <summary>
/// IKEv2 redirect (RFC 5685). Initiator: REDIRECT_SUPPORTED (or REDIRECTED_FROM after a redirect) in IKE_SA_INIT;
/// a REDIRECT in the IKE_SA_INIT response (its nonce must be our Ni), in the IKE_AUTH response (after
/// <see cref="IkeAuthTask"/> authenticated the gateway) or in an INFORMATIONAL request names the gateway to use
/// instead (<see cref="IkeEvent.Redirected"/>). Responder: redirects an initiator that supports it, in IKE_SA_INIT
/// (stateless) or IKE_AUTH, as configured in <see cref="IkeResponderOptions.RedirectTo"/>.
/// </summary>
internal sealed class RedirectTask(IkeSa sa, ExchangeType exchange) : IkeTask(sa)
{
    /// <summary>The gateway named by an accepted REDIRECT (initiator), or the one we redirect to (responder).</summary>
    public GatewayIdentity? Target { get; private set; }

    // ---------------- initiator ----------------

    public override void BuildRequest(IkeMessage request)
    {
        if (!Sa.IsInitiator && Target != null)
        {
            request.Payloads.Add(new NotifyPayload(NotifyType.Redirect, Target.Encode())); // responder's INFORMATIONAL redirect
            return;
        }
        if (exchange != ExchangeType.IkeSaInit || !Sa.Options.FollowRedirects) return;
        if (Sa.Options.RedirectedFrom is { } from)
            request.Payloads.Add(new NotifyPayload(NotifyType.RedirectedFrom, GatewayIdentity.FromAddress(from).Encode()));
        else request.Payloads.Add(new NotifyPayload(NotifyType.RedirectSupported));
    }

    public override TaskResult ProcessResponse(IkeMessage response)
    {
        if (!Sa.IsInitiator || !Sa.Options.FollowRedirects || response.Notify(NotifyType.Redirect) is not { } notify) return TaskResult.Done;
        if (!TryParse(notify, exchange == ExchangeType.IkeSaInit, out var target, out var why))
            return Fail(IkeErrorKind.InvalidMessage, $"The gateway's REDIRECT in its {exchange} response is invalid: {why}.");
        return Redirected(target!);
    }

    /// <summary>
    /// Initiator, before any task sees an IKE_SA_INIT response: false (drop it, keep waiting) when it carries a REDIRECT
    /// whose nonce is not our Ni — an off-path attacker's forgery (RFC 5685 §4).
    /// </summary>
    public static bool AcceptableInitResponse(IkeSa sa, IkeMessage response)
    {
        if (!sa.IsInitiator || !sa.Options.FollowRedirects || response.Notify(NotifyType.Redirect) is not { } notify) return true;
        return GatewayIdentity.TryDecode(notify.Data, out _, out var nonce, out _) &&
               sa.NonceI.Length > 0 && CryptographicOperations.FixedTimeEquals(nonce, sa.NonceI);
    }

    private static bool TryParse(NotifyPayload notify, bool withNonce, out GatewayIdentity? target, out string? why)
    {
        if (!GatewayIdentity.TryDecode(notify.Data, out target, out var rest, out why)) return false;
        if (!withNonce && rest.Length != 0) { why = "unexpected data after the gateway identity"; return false; }
        return true;
    }

    private TaskResult Redirected(GatewayIdentity target)
    {
        Target = target;
        Sa.Emit(new IkeEvent.Redirected(target, exchange));
        return Fail(new IkeError(IkeErrorKind.Redirected,
            $"The gateway redirected us to {target} in its {exchange} message; connect there instead.",
            NotifyType.Redirect, Recoverable: true));
    }

    /// <summary>Initiator, INFORMATIONAL from an established gateway (RFC 5685 §5): REDIRECT without nonce.</summary>
    public override TaskResult ProcessRequest(IkeMessage request)
    {
        if (!Sa.IsInitiator || !Sa.Options.FollowRedirects || request.Notify(NotifyType.Redirect) is not { } notify) return TaskResult.Done;
        if (!TryParse(notify, withNonce: false, out var target, out _)) return TaskResult.Done; // answered empty, ignored
        Target = target;
        Sa.Emit(new IkeEvent.Redirected(target!, exchange));
        return TaskResult.Done;
    }

    // ---------------- responder ----------------

    /// <summary>Responder: notes whether the initiator supports redirects; returns a stateless REDIRECT answer when configured.</summary>
    public static IkeMessage? InitRedirect(IkeSa sa, IkeMessage request)
    {
        sa.PeerSupportsRedirect = request.HasNotify(NotifyType.RedirectSupported) || request.HasNotify(NotifyType.RedirectedFrom);
        var r = sa.Options.Responder;
        if (r.RedirectTo is not { } target || r.RedirectIn != ExchangeType.IkeSaInit || !sa.PeerSupportsRedirect) return null;
        var nonce = request.Get<NoncePayload>()!.Data;
        var identity = target.Encode();
        var data = new byte[identity.Length + nonce.Length];
        identity.CopyTo(data, 0);
        nonce.CopyTo(data, identity.Length);
        var response = new IkeMessage(request.SpiI, 0, ExchangeType.IkeSaInit, IkeHeaderFlags.Response, 0);
        response.Payloads.Add(new NotifyPayload(NotifyType.Redirect, data));
        return response;
    }

    /// <summary>Responder: the IKE_AUTH tasks when this initiator is to be redirected after authentication, else null.</summary>
    public static IkeTask[]? AuthRedirectTasks(IkeSa sa)
    {
        var r = sa.Options.Responder;
        if (r.RedirectTo == null || r.RedirectIn != ExchangeType.IkeAuth || !sa.PeerSupportsRedirect) return null;
        return new IkeTask[] { new IkeAuthTask(sa), new RedirectTask(sa, ExchangeType.IkeAuth) };
    }

    /// <summary>Responder: redirect an established initiator with INFORMATIONAL { N(REDIRECT) } (RFC 5685 §5).</summary>
    public static RedirectTask Informational(IkeSa sa, GatewayIdentity target) => new(sa, ExchangeType.Informational) { Target = target };

    public override void BuildResponse(IkeMessage response)
    {
        if (Sa.IsInitiator || exchange != ExchangeType.IkeAuth || Sa.Failure != null || Sa.Options.Responder.RedirectTo is not { } target) return;
        response.Payloads.Add(new NotifyPayload(NotifyType.Redirect, target.Encode()));
    }
}
