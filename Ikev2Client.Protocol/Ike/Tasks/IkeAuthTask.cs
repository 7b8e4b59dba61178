using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Ike.Tasks;

/// <summary>
/// IKE_AUTH identities and AUTH (RFC 7296 §1.2, §2.15) through the pluggable <see cref="IIkeAuthenticator"/>,
/// INITIAL_CONTACT, MOBIKE_SUPPORTED, and the check of the peer's identity against the configured one.
/// </summary>
internal sealed class IkeAuthTask : IkeTask
{
    private bool _failed;

    public IkeAuthTask(IkeSa sa) : base(sa) { }

    /// <summary>RealMessage | Nonce | prf(SK_p, RestOfIDPayload) for the side that sent <paramref name="id"/>.</summary>
    private byte[] SignedOctets(bool initiatorSide, IdPayload id)
    {
        var message = initiatorSide ? Sa.InitRequest : Sa.InitResponse;
        var nonce = initiatorSide ? Sa.NonceR : Sa.NonceI;
        var macedId = KeyDerivation.Prf(Sa.Prf, initiatorSide ? Sa.SkPi : Sa.SkPr, id.GetBody());
        var octets = new byte[message.Length + nonce.Length + macedId.Length];
        message.CopyTo(octets, 0);
        nonce.CopyTo(octets, message.Length);
        macedId.CopyTo(octets, message.Length + nonce.Length);
        return octets;
    }

    private IkeAuthInput Input(bool initiatorSide, IdPayload id, IkeMessage? message) => new()
    {
        Prf = Sa.Prf,
        SignedOctets = SignedOctets(initiatorSide, id),
        Identity = IkeIdentity.FromPayload(id),
        IsInitiatorAuth = initiatorSide,
        MessagePayloads = message?.Payloads ?? (IReadOnlyList<Payload>)Array.Empty<Payload>(),
    };

    private void AddOurAuth(IkeMessage message, bool initiator)
    {
        var id = Sa.Options.LocalIdentity.ToPayload(initiator);
        message.Payloads.Add(id);
        message.Payloads.AddRange(Sa.Options.Authenticator.GetCredentialPayloads(initiator));
        if (initiator && Sa.Options.InitialContact) message.Payloads.Add(new NotifyPayload(NotifyType.InitialContact));
        if (initiator && Sa.Options.SendRemoteIdentity && Sa.Options.RemoteIdentity is { } remote) message.Payloads.Add(remote.ToPayload(false));
        message.Payloads.Add(Sa.Options.Authenticator.Sign(Input(initiator, id, null)));
    }

    // ---------------- initiator ----------------

    public override void BuildRequest(IkeMessage request) => AddOurAuth(request, initiator: true);

    public override TaskResult ProcessResponse(IkeMessage response)
    {
        var auth = response.Get<AuthPayload>();
        if (auth == null)
        {
            if (response.ErrorNotify is { } error) return Fail(IkeError.FromPeerNotify(error.NotifyType, "IKE_AUTH"));
            return Fail(IkeErrorKind.InvalidMessage, "The gateway's IKE_AUTH response carries no AUTH payload (EAP is not configured).");
        }
        var idr = response.IdR;
        if (idr == null) return Fail(IkeErrorKind.InvalidMessage, "The gateway's IKE_AUTH response carries no IDr payload.");
        var peer = IkeIdentity.FromPayload(idr);
        if (Sa.Options.RemoteIdentity is { } expected && !expected.Equals(peer))
            return Fail(IkeErrorKind.IdentityMismatch,
                $"The gateway identified itself as {peer}, but the profile expects {expected}. Check the profile's remote identity.");
        if (!Sa.Options.EffectivePeerAuthenticator.Verify(Input(false, idr, response), auth, out var reason))
            return Fail(IkeErrorKind.AuthenticationFailed, $"The gateway's authentication of {peer} did not verify: {reason}.");
        Sa.PeerIdentity = peer;
        Sa.PeerSupportsMobike = response.HasNotify(NotifyType.MobikeSupported);
        Sa.Emit(new IkeEvent.IkeSaEstablished(Sa.Describe()));
        return TaskResult.Done;
    }

    // ---------------- responder ----------------

    public override TaskResult ProcessRequest(IkeMessage request)
    {
        var idi = request.IdI;
        var auth = request.Get<AuthPayload>();
        if (idi == null || auth == null)
            return Failed(IkeErrorKind.AuthenticationFailed, "The initiator sent no IDi or AUTH payload (EAP is not supported by this responder).");
        var peer = IkeIdentity.FromPayload(idi);
        if (request.IdR is { } idr && !IkeIdentity.FromPayload(idr).Equals(Sa.Options.LocalIdentity))
            return Failed(IkeErrorKind.IdentityMismatch, $"The initiator asked for identity {IkeIdentity.FromPayload(idr)}, but we are {Sa.Options.LocalIdentity}.");
        if (Sa.Options.RemoteIdentity is { } expected && !expected.Equals(peer))
            return Failed(IkeErrorKind.IdentityMismatch, $"The initiator identified itself as {peer}, but {expected} is expected.");
        if (!Sa.Options.EffectivePeerAuthenticator.Verify(Input(true, idi, request), auth, out var reason))
            return Failed(IkeErrorKind.AuthenticationFailed, $"The initiator's authentication as {peer} did not verify: {reason}.");
        Sa.PeerIdentity = peer;
        Sa.PeerSupportsMobike = request.HasNotify(NotifyType.MobikeSupported);
        return TaskResult.Done;
    }

    private TaskResult Failed(IkeErrorKind kind, string message)
    {
        _failed = true;
        return Fail(kind, message, NotifyType.AuthenticationFailed);
    }

    public override void BuildResponse(IkeMessage response)
    {
        if (_failed)
        {
            response.Payloads.Add(new NotifyPayload(NotifyType.AuthenticationFailed));
            return;
        }
        if (Sa.Failure != null) return;
        AddOurAuth(response, initiator: false);
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
