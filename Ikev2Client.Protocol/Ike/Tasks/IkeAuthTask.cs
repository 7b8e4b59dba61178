using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Eap;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Ike.Tasks;

/// <summary>
/// IKE_AUTH identities and AUTH (RFC 7296 §1.2, §2.15) through the pluggable <see cref="IIkeAuthenticator"/>
/// (PSK, certificates with CERT/CERTREQ), INITIAL_CONTACT, the check of the peer's identity against the
/// configured one, and EAP rounds (RFC 7296 §2.16, RFC 5998: see IkeAuthTask.Eap.cs).
/// </summary>
internal sealed partial class IkeAuthTask : IkeTask
{
    private bool _failed;
    private IkeMessage? _peerInit;

    public IkeAuthTask(IkeSa sa) : base(sa) { }

    /// <summary>The peer's IKE_SA_INIT message (for its SIGNATURE_HASH_ALGORITHMS and CERTREQ payloads).</summary>
    private IkeMessage PeerInit => _peerInit ??=
        IkeMessageCodec.TryDecode(Sa.IsInitiator ? Sa.InitResponse : Sa.InitRequest, out var m, out _) && m != null
            ? m : new IkeMessage(Sa.SpiI, Sa.SpiR, ExchangeType.IkeSaInit, IkeHeaderFlags.None, 0);

    private IReadOnlyList<ushort>? PeerHashes => PeerInit.Notify(NotifyType.SignatureHashAlgorithms)?.GetHashAlgorithms();

    private IReadOnlyList<CertReqPayload> PeerCertReqs(IkeMessage? message) =>
        PeerInit.Payloads.OfType<CertReqPayload>().Concat(message?.Payloads.OfType<CertReqPayload>() ?? Enumerable.Empty<CertReqPayload>()).ToList();

    /// <summary>
    /// RealMessage | Nonce | prf(SK_p, RestOfIDPayload) [| IntAuth] for the side that sent <paramref name="id"/>; IntAuth
    /// (RFC 9242 §3.3.2) only after IKE_INTERMEDIATE exchanges, SK_p then being the key of the last update (RFC 9370).
    /// </summary>
    private byte[] SignedOctets(bool initiatorSide, IdPayload id)
    {
        var message = initiatorSide ? Sa.InitRequest : Sa.InitResponse;
        var nonce = initiatorSide ? Sa.NonceR : Sa.NonceI;
        var macedId = KeyDerivation.Prf(Sa.Prf, initiatorSide ? Sa.SkPi : Sa.SkPr, id.GetBody());
        var intAuth = Sa.IntAuth();
        var octets = new byte[message.Length + nonce.Length + macedId.Length + intAuth.Length];
        message.CopyTo(octets, 0);
        nonce.CopyTo(octets, message.Length);
        macedId.CopyTo(octets, message.Length + nonce.Length);
        intAuth.CopyTo(octets, message.Length + nonce.Length + macedId.Length);
        return octets;
    }

    private IkeAuthInput Input(bool initiatorSide, IdPayload id, IkeMessage? message, ReadOnlyMemory<byte> eapKey = default) => new()
    {
        Prf = Sa.Prf,
        SignedOctets = SignedOctets(initiatorSide, id),
        Identity = IkeIdentity.FromPayload(id),
        IsInitiatorAuth = initiatorSide,
        MessagePayloads = message?.Payloads ?? (IReadOnlyList<Payload>)Array.Empty<Payload>(),
        PeerHashAlgorithms = PeerHashes,
        EapKey = eapKey,
    };

    /// <summary>IDx, CERT, CERTREQ, INITIAL_CONTACT, IDr and (unless EAP follows) AUTH.</summary>
    private void AddOurAuth(IkeMessage message, bool initiator, IkeMessage? peerMessage, bool withAuth = true)
    {
        var id = Sa.Options.LocalIdentity.ToPayload(initiator);
        message.Payloads.Add(id);
        if (withAuth) message.Payloads.AddRange(Sa.Options.Authenticator.GetCredentialPayloads(initiator, PeerCertReqs(peerMessage)));
        if (initiator && Sa.Options.EffectivePeerAuthenticator.CertificateRequest is { } certReq) message.Payloads.Add(certReq);
        if (initiator && Sa.Options.InitialContact && !Sa.Options.IsReauthentication) message.Payloads.Add(new NotifyPayload(NotifyType.InitialContact));
        if (initiator && Sa.Options.SendRemoteIdentity && Sa.Options.RemoteIdentity is { } remote) message.Payloads.Add(remote.ToPayload(false));
        if (withAuth) message.Payloads.Add(Sa.Options.Authenticator.Sign(Input(initiator, id, null)));
    }

    /// <summary>The peer's AUTH did not verify: the authenticator's typed error (certificate problems) or AuthenticationFailed.</summary>
    private IkeError VerifyError(IIkeAuthenticator verifier, string who, IkeIdentity peer, string? reason) =>
        verifier.LastVerificationError ?? new IkeError(IkeErrorKind.AuthenticationFailed, $"The {who}'s authentication of {peer} did not verify: {reason}.");

    /// <summary>An error notify from the gateway, with advice that fits how we authenticate.</summary>
    private IkeError PeerError(NotifyPayload error)
    {
        if (error.NotifyType != NotifyType.AuthenticationFailed) return IkeError.FromPeerNotify(error.NotifyType, "IKE_AUTH");
        string advice = Sa.Options.Authenticator switch
        {
            CertificateThenEapAuthenticator => MultiAuthAdvice,
            EapAuthenticator => "Check your username and password (or EAP certificate) and that the gateway allows this EAP method.",
            CertificateAuthenticator => "Check that the gateway trusts the CA that issued your certificate and that your identity matches the certificate.",
            _ => "Check the pre-shared key and the local identity.",
        };
        return new IkeError(IkeErrorKind.AuthenticationFailed, $"The gateway rejected our authentication (AUTHENTICATION_FAILED). {advice}", NotifyType.AuthenticationFailed);
    }

    private TaskResult Established(IkeIdentity peer, IkeMessage message)
    {
        Sa.PeerIdentity = peer;
        Sa.PeerSupportsMobike = message.HasNotify(NotifyType.MobikeSupported);
        if (Sa.IsInitiator && message.Notify(NotifyType.AuthLifetime) is { } lifetime && lifetime.TryGetAuthLifetime(out var seconds))
            Sa.AuthLifetime = TimeSpan.FromSeconds(seconds);
        if (Sa.IsInitiator) Sa.Emit(new IkeEvent.IkeSaEstablished(Sa.Describe()));
        return TaskResult.Done;
    }

    // ---------------- initiator ----------------

    public override void BuildRequest(IkeMessage request)
    {
        if (_round++ > 0) { BuildEapRequest(request); return; }
        Sa.IkeAuthMessageId ??= request.MessageId;
        bool eap = Sa.Options.Authenticator is EapAuthenticator;
        AddOurAuth(request, initiator: true, peerMessage: null, withAuth: !eap);
        AddAnotherAuthFollows(request);
        if (Sa.Options.Authenticator is EapAuthenticator { EapOnly: true }) request.Payloads.Add(new NotifyPayload(NotifyType.EapOnlyAuthentication));
    }

    public override TaskResult ProcessResponse(IkeMessage response)
    {
        if (_eap != null) return ProcessEapResponse(response);
        if (_secondRoundIdSent) return ProcessSecondRoundStart(response);
        if (Sa.Options.Authenticator is EapAuthenticator eapAuthenticator) return StartEap(response, eapAuthenticator);
        var auth = response.Get<AuthPayload>();
        if (auth == null)
        {
            if (response.ErrorNotify is { } error) return Fail(PeerError(error));
            return Fail(IkeErrorKind.InvalidMessage,
                response.Get<EapPayload>() != null ? "The gateway wants EAP authentication, but the profile does not use EAP. Check the profile's authentication method."
                    : "The gateway's IKE_AUTH response carries no AUTH payload.");
        }
        var idr = response.IdR;
        if (idr == null) return Fail(IkeErrorKind.InvalidMessage, "The gateway's IKE_AUTH response carries no IDr payload.");
        var peer = IkeIdentity.FromPayload(idr);
        if (!CheckRemoteIdentity(peer)) return TaskResult.Failed;
        var verifier = Sa.Options.EffectivePeerAuthenticator;
        if (!verifier.Verify(Input(false, idr, response), auth, out var reason)) return Fail(VerifyError(verifier, "gateway", peer, reason));
        if (StartSecondRound(idr)) return TaskResult.Continue;
        return Established(peer, response);
    }

    private bool CheckRemoteIdentity(IkeIdentity peer)
    {
        if (Sa.Options.RemoteIdentity is not { } expected || expected.Equals(peer)) return true;
        Fail(IkeErrorKind.IdentityMismatch,
            $"The gateway identified itself as {peer}, but the profile expects {expected}. Check the profile's remote identity.");
        return false;
    }

    // ---------------- responder ----------------

    /// <summary>Responder: the first IKE_AUTH request when EAP rounds followed (its SA, TS and CP are answered at the end).</summary>
    public IkeMessage? FirstRequest { get; private set; }

    public override TaskResult ProcessRequest(IkeMessage request)
    {
        if (_server != null) return ProcessEapRequest(request);
        if (_awaitSecondRound) return StartSecondRoundServer(request);
        Sa.IkeAuthMessageId ??= request.MessageId;
        var idi = request.IdI;
        var auth = request.Get<AuthPayload>();
        if (idi == null) return Failed(IkeErrorKind.AuthenticationFailed, "The initiator sent no IDi payload.");
        var peer = IkeIdentity.FromPayload(idi);
        if (request.IdR is { } idr && !IkeIdentity.FromPayload(idr).Equals(Sa.Options.LocalIdentity))
            return Failed(IkeErrorKind.IdentityMismatch, $"The initiator asked for identity {IkeIdentity.FromPayload(idr)}, but we are {Sa.Options.LocalIdentity}.");
        if (auth == null && Sa.Options.EffectivePeerAuthenticator is EapServerAuthenticator eapServer) return StartEapServer(request, idi, eapServer);
        if (auth == null)
            return Failed(IkeErrorKind.AuthenticationFailed, "The initiator sent no AUTH payload (EAP is not configured on this responder).");
        if (Sa.Options.RemoteIdentity is { } expected && !expected.Equals(peer))
            return Failed(IkeErrorKind.IdentityMismatch, $"The initiator identified itself as {peer}, but {expected} is expected.");
        var verifier = Sa.Options.EffectivePeerAuthenticator;
        if (!verifier.Verify(Input(true, idi, request), auth, out var reason))
        {
            var e = VerifyError(verifier, "initiator", peer, reason);
            return Failed(e.Kind, e.Message);
        }
        if (AfterFirstRound(request, peer) is { } next) return next;
        _peerRequest = request;
        return Established(peer, request);
    }

    private IkeMessage? _peerRequest;

    private TaskResult Failed(IkeErrorKind kind, string message)
    {
        _failed = true;
        return Fail(kind, message, NotifyType.AuthenticationFailed);
    }

    public override void BuildResponse(IkeMessage response)
    {
        if (BuildFirstRoundResponse(response)) return;
        if (_server != null && BuildEapResponse(response)) return;
        if (_failed)
        {
            response.Payloads.Add(new NotifyPayload(NotifyType.AuthenticationFailed));
            return;
        }
        if (Sa.Failure != null) return;
        AddOurAuth(response, initiator: false, _peerRequest);
        if (Sa.Options.Responder.AuthLifetime is { } lifetime)
        {
            var seconds = (uint)Math.Clamp(Math.Ceiling(lifetime.TotalSeconds), 1, uint.MaxValue);
            var data = new byte[4];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(data, seconds);
            response.Payloads.Add(new NotifyPayload(NotifyType.AuthLifetime, data));
            Sa.AuthLifetime = TimeSpan.FromSeconds(seconds);
        }
        Sa.Emit(new IkeEvent.IkeSaEstablished(Sa.Describe()));
    }
}

/// <summary>MOBIKE_SUPPORTED (RFC 4555 §3.3) in IKE_AUTH; the last task so the notify follows the other payloads.</summary>
internal sealed class MobikeTask(IkeSa sa) : IkeTask(sa)
{
    public override void BuildRequest(IkeMessage request)
    {
        if (Sa.Options.AdvertiseMobike) request.Payloads.Add(new NotifyPayload(NotifyType.MobikeSupported));
    }

    public override void BuildResponse(IkeMessage response)
    {
        if (Sa.Failure == null && Sa.Options.AdvertiseMobike && Sa.PeerSupportsMobike)
            response.Payloads.Add(new NotifyPayload(NotifyType.MobikeSupported));
    }
}
