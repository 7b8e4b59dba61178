using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Ike.Tasks;

/// <summary>
/// IKE_SA_INIT (RFC 7296 §1.2): SA, KE, Nonce, the COOKIE and INVALID_KE_PAYLOAD retries (§2.6, §1.3), and the
/// IKEV2_FRAGMENTATION_SUPPORTED / SIGNATURE_HASH_ALGORITHMS notifies. NAT detection is a separate task.
/// </summary>
internal sealed class IkeInitTask : IkeTask
{
    private const int MaxRetries = 4;
    // SHA2-256, SHA2-384, SHA2-512 (RFC 7427) and Identity (RFC 8420, for Ed25519)
    private static readonly IReadOnlyList<ushort> SignatureHashes = Auth.SignatureSchemes.AdvertisedHashes;
    private KeGroup _group;
    private IKeyExchange? _ke;
    private byte[]? _cookie;
    private int _retries;
    private Proposal? _chosen;
    private NotifyPayload? _errorResponse;

    public IkeInitTask(IkeSa sa) : base(sa)
    {
        _group = sa.Options.IkeProposals.SelectMany(p => p.KeGroups).FirstOrDefault();
    }

    /// <summary>The group of our KE payload (changes after INVALID_KE_PAYLOAD).</summary>
    public KeGroup Group => _group;

    // ---------------- initiator ----------------

    public override void BuildRequest(IkeMessage request)
    {
        if (Sa.NonceI.Length == 0) Sa.NonceI = Sa.NewNonce();
        _ke ??= CryptoRegistry.CreateKeyExchange(_group, Sa.Random);
        if (_cookie != null) request.Payloads.Add(new NotifyPayload(NotifyType.Cookie, _cookie));
        var proposals = Sa.Options.IkeProposals.Select((p, i) => p.ToWire((byte)(i + 1), ProtocolId.Ike, Array.Empty<byte>()));
        request.Payloads.Add(new SaPayload(proposals));
        request.Payloads.Add(new KePayload(_group, _ke.PublicValue.ToArray()));
        request.Payloads.Add(new NoncePayload(Sa.NonceI));
        AddCapabilities(request);
    }

    public override TaskResult ProcessResponse(IkeMessage response)
    {
        if (response.Notify(NotifyType.Cookie) is { } cookie)
        {
            if (++_retries > MaxRetries) return Fail(IkeErrorKind.InvalidMessage, "the gateway keeps asking for a new COOKIE");
            _cookie = cookie.Data;
            return TaskResult.NeedMore;
        }
        if (response.Notify(NotifyType.InvalidKePayload) is { } invalidKe)
        {
            if (!invalidKe.TryGetAcceptedGroup(out var wanted))
                return Fail(IkeErrorKind.InvalidMessage, "INVALID_KE_PAYLOAD without a group", NotifyType.InvalidKePayload);
            bool offered = Sa.Options.IkeProposals.Any(p => p.KeGroups.Contains(wanted));
            if (!offered || wanted == _group || ++_retries > MaxRetries)
                return Fail(IkeErrorKind.InvalidKeGroup,
                    $"The gateway requires key exchange group {CryptoRegistry.NameOf(TransformType.KeyExchange, (ushort)wanted)}, which we did not offer. Add it to the profile's IKE proposals.",
                    NotifyType.InvalidKePayload);
            _group = wanted;
            _ke?.Dispose();
            _ke = null;
            return TaskResult.NeedMore;
        }
        if (response.ErrorNotify is { } error)
            return Fail(error.NotifyType == NotifyType.NoProposalChosen && RequiresPostQuantum ? PostQuantumRefused() : IkeError.FromPeerNotify(error.NotifyType, "IKE"));
        if (Sa.Options.FollowRedirects && response.HasNotify(NotifyType.Redirect)) return TaskResult.Done; // RedirectTask takes it
        if (WantsMultipleAuth && !response.HasNotify(NotifyType.MultipleAuthSupported))
            return Fail(IkeErrorKind.AuthenticationFailed,
                "The profile authenticates with a certificate and then EAP (two rounds, RFC 4739), but the gateway does not support multiple authentication rounds (no MULTIPLE_AUTH_SUPPORTED). Use a single method or enable multiple authentication on the gateway.");

        var sa = response.Get<SaPayload>()!;
        // A gateway without RFC 9370 that ignores the unknown ADDKE transform types picks the classical part of a hybrid proposal.
        if (RequiresPostQuantum && sa.Proposals.Count == 1 && !sa.Proposals[0].Transforms.Any(t => ProposalNegotiation.IsAdditional(t.Type)))
            return Fail(PostQuantumRefused());
        if (!ProposalNegotiation.Validate(sa, Sa.Options.IkeProposals, ProtocolId.Ike, out var why))
            return Fail(IkeErrorKind.InvalidMessage, $"Invalid IKE_SA_INIT response: {why}.");
        if (!ProposalNegotiation.TryResolve(sa.Proposals[0], out var algorithms, out why))
            return Fail(IkeErrorKind.InvalidMessage, $"Invalid IKE_SA_INIT response: {why}.");
        var ke = response.Get<KePayload>()!;
        if (algorithms!.Group != _group || ke.Group != _group)
            return Fail(IkeErrorKind.InvalidMessage, "The gateway chose a key exchange group different from our KE payload's.");
        if (response.SpiR == 0) return Fail(IkeErrorKind.InvalidMessage, "The gateway's IKE_SA_INIT response has a zero responder SPI.");
        if (!_ke!.TryDeriveSharedSecret(ke.Data, out var shared, out var keError))
            return Fail(IkeErrorKind.InvalidMessage, $"The gateway's key exchange value is invalid: {keError}.");
        Sa.IntermediateSupported = WantsIntermediate && response.HasNotify(NotifyType.IntermediateExchangeSupported);
        if (algorithms.AdditionalKeyExchanges.Count > 0 && !Sa.IntermediateSupported)
            return Fail(IkeErrorKind.InvalidMessage,
                "The gateway chose additional key exchanges (RFC 9370) but did not announce IKE_INTERMEDIATE support (INTERMEDIATE_EXCHANGE_SUPPORTED, RFC 9242).");
        Sa.SpiR = response.SpiR;
        Sa.NonceR = response.Get<NoncePayload>()!.Data;
        Sa.Algorithms = algorithms;
        Sa.FragmentationNegotiated = Sa.Options.Fragmentation && response.HasNotify(NotifyType.Ikev2FragmentationSupported);
        Sa.DeriveKeys(shared);
        _ke.Dispose();
        return TaskResult.Done;
    }

    // ---------------- responder ----------------

    public override TaskResult ProcessRequest(IkeMessage request)
    {
        Sa.SpiI = request.SpiI;
        // Additional key exchanges run in IKE_INTERMEDIATE, so only with an initiator that announced it (RFC 9370 §2.2.1).
        _peerIntermediate = request.HasNotify(NotifyType.IntermediateExchangeSupported);
        var offered = request.Get<SaPayload>()!.Proposals;
        if (!_peerIntermediate) offered = offered.Where(p => !ProposalNegotiation.RequiresAdditional(p)).ToList();
        var chosen = ProposalNegotiation.Select(offered, Sa.Options.IkeProposals, ProtocolId.Ike);
        if (chosen == null || !ProposalNegotiation.TryResolve(chosen, out var algorithms, out _))
        {
            _errorResponse = new NotifyPayload(NotifyType.NoProposalChosen);
            return Fail(IkeErrorKind.NoProposalChosen, "The initiator offered no IKE proposal we accept (we answered NO_PROPOSAL_CHOSEN).", NotifyType.NoProposalChosen);
        }
        var ke = request.Get<KePayload>()!;
        if (ke.Group != algorithms!.Group)
        {
            var data = new byte[2];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(data, (ushort)algorithms.Group);
            _errorResponse = new NotifyPayload(NotifyType.InvalidKePayload, data);
            return TaskResult.NeedMore;
        }
        using var ours = CryptoRegistry.CreateKeyExchange(algorithms.Group, Sa.Random, responder: true);
        if (!ours.TryDeriveSharedSecret(ke.Data, out var shared, out var keError))
        {
            _errorResponse = new NotifyPayload(NotifyType.InvalidSyntax);
            return Fail(IkeErrorKind.InvalidMessage, $"The initiator's key exchange value is invalid: {keError}.", NotifyType.InvalidSyntax);
        }
        _ke = null;
        _chosen = chosen;
        _responderPublic = ours.PublicValue.ToArray();
        Sa.NonceI = request.Get<NoncePayload>()!.Data;
        Sa.NonceR = Sa.NewNonce();
        Sa.SpiR = Sa.Spis.AllocateIkeSpi();
        Sa.Algorithms = algorithms;
        Sa.FragmentationNegotiated = Sa.Options.Fragmentation && request.HasNotify(NotifyType.Ikev2FragmentationSupported);
        Sa.IntermediateSupported = _peerIntermediate && WillDoIntermediate;
        _peerMultipleAuth = request.HasNotify(NotifyType.MultipleAuthSupported);
        Sa.DeriveKeys(shared);
        return TaskResult.Done;
    }

    private byte[] _responderPublic = Array.Empty<byte>();

    public override void BuildResponse(IkeMessage response)
    {
        if (_errorResponse != null)
        {
            response.Payloads.Add(_errorResponse);
            return;
        }
        response.Payloads.Add(new SaPayload(new[] { _chosen! }));
        response.Payloads.Add(new KePayload(Sa.Algorithms!.Group, _responderPublic));
        response.Payloads.Add(new NoncePayload(Sa.NonceR));
        AddCapabilities(response);
    }

    /// <summary>True when the response is a stateless error answer (INVALID_KE_PAYLOAD, NO_PROPOSAL_CHOSEN...).</summary>
    public bool AnsweredWithError => _errorResponse != null;

    private void AddCapabilities(IkeMessage message)
    {
        if (Sa.Options.Fragmentation && (Sa.IsInitiator || Sa.FragmentationNegotiated))
            message.Payloads.Add(new NotifyPayload(NotifyType.Ikev2FragmentationSupported));
        message.Payloads.Add(NotifyPayload.SignatureHashAlgorithms(SignatureHashes));
        if (Sa.IsInitiator ? WantsIntermediate : Sa.IntermediateSupported)
            message.Payloads.Add(new NotifyPayload(NotifyType.IntermediateExchangeSupported));
        // RFC 4739 §3: both sides announce multiple authentication rounds in IKE_SA_INIT.
        if (Sa.IsInitiator ? WantsMultipleAuth : _peerMultipleAuth && Sa.Options.EffectivePeerAuthenticator is CertificateThenEapServerAuthenticator)
            message.Payloads.Add(new NotifyPayload(NotifyType.MultipleAuthSupported));
    }

    private bool _peerMultipleAuth;
    private bool _peerIntermediate;

    /// <summary>Initiator: some IKE proposal has additional key exchanges, which need IKE_INTERMEDIATE (RFC 9242).</summary>
    private bool WantsIntermediate => Sa.IsInitiator && Sa.Options.IkeProposals.Any(p => p.AdditionalKeyExchanges.Count > 0);

    /// <summary>Responder: we offer additional key exchanges ourselves.</summary>
    private bool WillDoIntermediate => Sa.Options.IkeProposals.Any(p => p.AdditionalKeyExchanges.Count > 0);

    /// <summary>Every IKE proposal of ours needs an additional key exchange: the profile insists on post-quantum key exchange.</summary>
    private bool RequiresPostQuantum => Sa.Options.IkeProposals.All(p => p.RequiresAdditionalKeyExchange);

    private IkeError PostQuantumRefused()
    {
        var methods = string.Join(", ", Sa.Options.IkeProposals.SelectMany(p => p.AdditionalKeyExchanges.SelectMany(l => l))
            .Where(g => g != KeGroup.None).Distinct().Select(g => CryptoRegistry.NameOf(TransformType.KeyExchange, (ushort)g)));
        return new IkeError(IkeErrorKind.NoProposalChosen,
            $"The gateway does not accept post-quantum key exchange: every IKE proposal of the profile requires an additional key exchange ({methods}; RFC 9370), " +
            "and the gateway chose none (it may not support RFC 9370 or ML-KEM). Enable ML-KEM on the gateway, or add a classical IKE proposal after the hybrid one to allow a fallback.",
            NotifyType.NoProposalChosen);
    }

    /// <summary>Initiator: our authentication takes two rounds (certificate then EAP).</summary>
    private bool WantsMultipleAuth => Sa.IsInitiator && Sa.Options.Authenticator is CertificateThenEapAuthenticator;
}
