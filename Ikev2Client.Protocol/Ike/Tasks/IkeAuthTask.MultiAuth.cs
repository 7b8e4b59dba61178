using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Ike.Tasks;

/// <summary>
/// Multiple authentication rounds (RFC 4739 §3), certificate then EAP. Initiator: the first IKE_AUTH request
/// carries IDi, CERT, AUTH, N(ANOTHER_AUTH_FOLLOWS) and the CHILD SA's SA/TS/CP; the gateway answers with IDr,
/// CERT, AUTH only; once that verifies, the second round starts with a request carrying just IDi (the EAP
/// identity), continues with EAP rounds and ends with the MSK-based AUTH both ways; the last response carries
/// SA/TS/CP. Responder: the same with <see cref="CertificateThenEapServerAuthenticator"/>.
/// </summary>
internal sealed partial class IkeAuthTask
{
    // initiator
    private bool _secondRoundIdPending;
    private bool _secondRoundIdSent;

    // responder
    private bool _firstRoundAnswerDue;
    private bool _awaitSecondRound;
    private IkeIdentity? _firstRoundPeer;

    private CertificateThenEapAuthenticator? TwoRounds => Sa.Options.Authenticator as CertificateThenEapAuthenticator;

    /// <summary>IDi of the round that ends with our EAP AUTH: the second round's identity, or our only one.</summary>
    private IdPayload OurEapId => TwoRounds is { } t ? t.SecondRoundIdentity.ToPayload(true) : Sa.Options.LocalIdentity.ToPayload(true);

    /// <summary>Builds our AUTH after EAP and verifies the gateway's.</summary>
    private IIkeAuthenticator OurEapAuthenticator => (IIkeAuthenticator?)TwoRounds?.Eap ?? Sa.Options.Authenticator;

    /// <summary>Responder: verifies the initiator's AUTH after EAP.</summary>
    private IIkeAuthenticator PeerEapVerifier => Sa.Options.EffectivePeerAuthenticator is CertificateThenEapServerAuthenticator t
        ? t.SecondRound : Sa.Options.EffectivePeerAuthenticator;

    /// <summary>Advice for AUTHENTICATION_FAILED in the round we are in.</summary>
    private string MultiAuthAdvice => _secondRoundIdSent
        ? "The gateway accepted our certificate but rejected the second (EAP) round: check your username and password and that the gateway allows this EAP method."
        : "The gateway rejected our certificate in the first round: check that it trusts the CA that issued it and that the identity matches the certificate.";

    // ---------------- initiator ----------------

    /// <summary>The first request of two rounds: our certificate round announces the next one.</summary>
    private void AddAnotherAuthFollows(IkeMessage request)
    {
        if (TwoRounds != null) request.Payloads.Add(new NotifyPayload(NotifyType.AnotherAuthFollows));
    }

    /// <summary>The gateway's first-round AUTH verified: go on with the second round (true) or finish (false).</summary>
    private bool StartSecondRound(IdPayload idr)
    {
        if (TwoRounds == null) return false;
        _peerId = idr;
        _secondRoundIdPending = true;
        return true;
    }

    /// <summary>Builds the second round's first request (IDi only); false when it is not due.</summary>
    private bool BuildSecondRoundRequest(IkeMessage request)
    {
        if (!_secondRoundIdPending) return false;
        request.Payloads.Add(OurEapId);
        _secondRoundIdPending = false;
        _secondRoundIdSent = true;
        return true;
    }

    /// <summary>The answer to the second round's IDi: the gateway's first EAP request.</summary>
    private TaskResult ProcessSecondRoundStart(IkeMessage response)
    {
        var eap = response.Get<EapPayload>();
        if (eap == null)
        {
            if (response.ErrorNotify is { } error) return Fail(PeerError(error));
            return Fail(IkeErrorKind.AuthenticationFailed,
                "The gateway did not start EAP in the second authentication round (RFC 4739). Check that it is configured for certificate + EAP.");
        }
        _eap = TwoRounds!.Eap.CreatePeer();
        return EapStep(eap.Message);
    }

    // ---------------- responder ----------------

    /// <summary>After the initiator's first-round AUTH verified: Continue into the second round when one is required.</summary>
    private TaskResult? AfterFirstRound(IkeMessage request, IkeIdentity peer)
    {
        if (Sa.Options.EffectivePeerAuthenticator is not CertificateThenEapServerAuthenticator) return null;
        if (!request.HasNotify(NotifyType.AnotherAuthFollows))
            return Failed(IkeErrorKind.AuthenticationFailed,
                "The initiator authenticated with its certificate only, but a second (EAP) authentication round is required (RFC 4739).");
        FirstRequest = request;
        _peerRequest = request;
        _firstRoundPeer = peer;
        _firstRoundAnswerDue = true;
        _awaitSecondRound = true;
        return TaskResult.Continue;
    }

    /// <summary>The second round's first request: IDi (the EAP identity) and no AUTH; starts the EAP server.</summary>
    private TaskResult StartSecondRoundServer(IkeMessage request)
    {
        _awaitSecondRound = false;
        if (request.IdI is not { } idi) return Failed(IkeErrorKind.AuthenticationFailed, "The initiator's second authentication round carries no IDi payload.");
        if (request.Get<AuthPayload>() != null)
            return Failed(IkeErrorKind.AuthenticationFailed, "The initiator's second authentication round carries an AUTH payload, but EAP is required.");
        var server = ((CertificateThenEapServerAuthenticator)Sa.Options.EffectivePeerAuthenticator).SecondRound;
        _peerId = idi;
        _server = server.CreateServer();
        _eapRequest = _server.Start();
        _firstEapRound = false;
        return TaskResult.Continue;
    }

    /// <summary>Our first-round answer (IDr, CERT, AUTH; no SA/TS/CP yet); false when not due.</summary>
    private bool BuildFirstRoundResponse(IkeMessage response)
    {
        if (!_firstRoundAnswerDue) return false;
        _firstRoundAnswerDue = false;
        AddOurAuth(response, initiator: false, _peerRequest);
        return true;
    }
}
