using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Eap;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Ike.Tasks;

/// <summary>
/// EAP inside IKE_AUTH (RFC 7296 §2.16). Initiator: the first request has no AUTH; the gateway's first response
/// carries IDr, its CERT and AUTH (verified before any EAP credential leaves) and an EAP request; each EAP response
/// is a new IKE_AUTH request; after EAP-Success we send AUTH from the MSK (SK_pi without one) and check the
/// gateway's final AUTH (MSK or SK_pr). EAP-only (RFC 5998): with EAP_ONLY_AUTHENTICATION the gateway may omit its
/// first AUTH, which we accept only when the profile allows it and the method is mutual.
/// Responder: the same with an <see cref="EapServer"/>.
/// </summary>
internal sealed partial class IkeAuthTask
{
    private int _round;

    // initiator
    private EapPeer? _eap;
    private byte[]? _eapResponse;
    private bool _sendFinalAuth;
    private bool _eapOnly;
    private IdPayload? _peerId;

    // responder
    private EapServer? _server;
    private byte[]? _eapRequest;
    private bool _firstEapRound;
    private bool _eapDone;

    // ---------------- initiator ----------------

    private TaskResult StartEap(IkeMessage response, EapAuthenticator eapAuthenticator)
    {
        var eap = response.Get<EapPayload>();
        if (eap == null)
        {
            if (response.ErrorNotify is { } error) return Fail(PeerError(error));
            return Fail(IkeErrorKind.AuthenticationFailed,
                "The gateway did not start EAP authentication; it expects another method (certificate or pre-shared key). Check the profile's authentication method.");
        }
        var idr = response.IdR;
        if (idr == null) return Fail(IkeErrorKind.InvalidMessage, "The gateway's IKE_AUTH response carries no IDr payload.");
        var peer = IkeIdentity.FromPayload(idr);
        if (!CheckRemoteIdentity(peer)) return TaskResult.Failed;
        if (response.Get<AuthPayload>() is { } auth)
        {
            // The gateway proves itself before we hand any credential to EAP.
            var verifier = Sa.Options.PeerAuthenticator;
            if (verifier == null || verifier is EapAuthenticator)
                return Fail(new IkeError(IkeErrorKind.CertificateInvalid,
                    "The gateway authenticates with a certificate, but the profile has no CA certificate to check it against. Add the gateway's CA certificate to the profile.")
                    { CertificateProblem = Auth.CertificateValidationErrorKind.UntrustedRoot });
            if (!verifier.Verify(Input(false, idr, response), auth, out var reason)) return Fail(VerifyError(verifier, "gateway", peer, reason));
        }
        else
        {
            if (!eapAuthenticator.EapOnly)
                return Fail(IkeErrorKind.AuthenticationFailed,
                    "The gateway did not authenticate itself with a certificate (it wants EAP-only authentication, RFC 5998), which the profile does not allow.");
            _eapOnly = true;
        }
        _peerId = idr;
        _eap = eapAuthenticator.CreatePeer();
        return EapStep(eap.Message);
    }

    private TaskResult EapStep(byte[] message)
    {
        var step = _eap!.Process(message);
        switch (step.State)
        {
            case EapState.Failed:
                var e = step.Error ?? _eap.Error ?? new EapError(EapErrorKind.Rejected, "The gateway refused EAP authentication; check your username and password.");
                return Fail(new IkeError(IkeErrorKind.AuthenticationFailed, e.Message) { EapProblem = e.Kind });
            case EapState.Succeeded:
                if (_eapOnly && !EapAuthenticator.IsMutual(_eap.Method))
                    return Fail(IkeErrorKind.AuthenticationFailed,
                        $"The gateway used EAP-only authentication with EAP {_eap.Method}, which does not authenticate the gateway; the connection was refused. Use EAP-MSCHAPv2 or EAP-TLS, or a gateway certificate.");
                _sendFinalAuth = true;
                return TaskResult.Continue;
            default:
                if (step.Response == null) return Fail(IkeErrorKind.InvalidMessage, "The gateway's EAP message needs no answer, but EAP is not finished.");
                _eapResponse = step.Response;
                return TaskResult.Continue;
        }
    }

    private void BuildEapRequest(IkeMessage request)
    {
        if (BuildSecondRoundRequest(request)) return;
        if (_eapResponse != null)
        {
            request.Payloads.Add(new EapPayload(_eapResponse));
            _eapResponse = null;
        }
        else if (_sendFinalAuth)
        {
            request.Payloads.Add(OurEapAuthenticator.Sign(Input(true, OurEapId, null, _eap!.Msk ?? Sa.SkPi)));
        }
    }

    private TaskResult ProcessEapResponse(IkeMessage response)
    {
        if (!_sendFinalAuth)
        {
            var eap = response.Get<EapPayload>();
            if (eap != null) return EapStep(eap.Message);
            if (response.ErrorNotify is { } error) return Fail(PeerError(error));
            return Fail(IkeErrorKind.InvalidMessage, "The gateway's IKE_AUTH response during EAP carries no EAP payload.");
        }
        var auth = response.Get<AuthPayload>();
        if (auth == null)
        {
            if (response.ErrorNotify is { } error) return Fail(PeerError(error));
            return Fail(IkeErrorKind.InvalidMessage, "The gateway's last IKE_AUTH response carries no AUTH payload.");
        }
        var peer = IkeIdentity.FromPayload(_peerId!);
        if (!OurEapAuthenticator.Verify(Input(false, _peerId!, response, _eap!.Msk ?? Sa.SkPr), auth, out var reason))
            return Fail(IkeErrorKind.AuthenticationFailed, $"The gateway's AUTH after EAP did not verify ({reason}); it does not hold the same EAP session key.");
        return Established(peer, response);
    }

    // ---------------- responder ----------------

    private TaskResult StartEapServer(IkeMessage request, IdPayload idi, EapServerAuthenticator eapServer)
    {
        FirstRequest = request;
        _peerId = idi;
        _server = eapServer.CreateServer();
        _eapOnly = request.HasNotify(NotifyType.EapOnlyAuthentication) && eapServer.AllowEapOnly && EapAuthenticator.IsMutual(eapServer.Options.Method);
        _eapRequest = _server.Start();
        _firstEapRound = true;
        return TaskResult.Continue;
    }

    private TaskResult ProcessEapRequest(IkeMessage request)
    {
        _firstEapRound = false;
        if (_eapDone)
        {
            var auth = request.Get<AuthPayload>();
            if (auth == null) return Failed(IkeErrorKind.AuthenticationFailed, "The initiator sent no AUTH after EAP.");
            if (!PeerEapVerifier.Verify(Input(true, _peerId!, request, _server!.Msk ?? Sa.SkPi), auth, out var reason))
                return Failed(IkeErrorKind.AuthenticationFailed, $"The initiator's AUTH after EAP did not verify: {reason}.");
            return Established(_firstRoundPeer ?? IkeIdentity.FromPayload(_peerId!), FirstRequest!);
        }
        var eap = request.Get<EapPayload>();
        if (eap == null) return Failed(IkeErrorKind.AuthenticationFailed, "The initiator's IKE_AUTH request during EAP carries no EAP payload.");
        var step = _server!.Process(eap.Message);
        _eapRequest = step.Message;
        if (step.State == EapState.Succeeded) _eapDone = true;
        if (step.State == EapState.Failed)
            Sa.Failure ??= new IkeError(IkeErrorKind.AuthenticationFailed, $"EAP authentication of the initiator failed: {step.FailureReason}.");
        return TaskResult.Continue;
    }

    /// <summary>Builds an EAP-round response; false when the final response (AUTH after EAP, or a failure) is due.</summary>
    private bool BuildEapResponse(IkeMessage response)
    {
        if (_eapRequest != null)
        {
            if (_firstEapRound) AddOurAuth(response, initiator: false, FirstRequest, withAuth: !_eapOnly);
            response.Payloads.Add(new EapPayload(_eapRequest));
            _eapRequest = null;
            return true;
        }
        if (_failed || Sa.Failure != null) return false;
        var id = Sa.Options.LocalIdentity.ToPayload(false);
        response.Payloads.Add(Sa.Options.EffectivePeerAuthenticator.Sign(Input(false, id, null, _server!.Msk ?? Sa.SkPr)));
        Sa.Emit(new IkeEvent.IkeSaEstablished(Sa.Describe()));
        return true;
    }
}
