using System.Buffers.Binary;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Esp;
using Ikev2Client.Protocol.Traffic;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Ike.Tasks;

/// <summary>
/// A CREATE_CHILD_SA exchange about a CHILD SA, either role (RFC 7296 §1.3.1, §1.3.3, §2.8):
/// <list type="bullet">
/// <item>a rekey: <c>CREATE_CHILD_SA { N(REKEY_SA), SA, Ni, [KEi], TSi, TSr } --&gt;</c>; the new SA is reported with
/// <see cref="IkeEvent.ChildSaRekeyed"/> and the old one is deleted afterwards by whoever initiated the rekey;</item>
/// <item>a new CHILD SA: <c>CREATE_CHILD_SA { SA, Ni, [KEi], TSi, TSr } --&gt;</c>; reported with
/// <see cref="IkeEvent.ChildSaEstablished"/>. A gateway re-creates the CHILD SA this way after deleting an expired one,
/// and we do when the last one is gone (<see cref="IkeSessionOptions.ChildRecreateDelay"/>).</item>
/// </list>
/// KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr) with the nonces of this exchange, split with the exchange initiator's
/// direction first (§2.17). An INVALID_KE_PAYLOAD answer naming a group of our ESP proposals is retried with that
/// group (§1.3).
/// </summary>
internal sealed class CreateChildSaTask : IkeTask
{
    /// <summary>More CHILD SAs than this on one IKE SA are refused with NO_ADDITIONAL_SAS (a peer creating without end).</summary>
    public const int MaxChildSas = 16;

    private readonly ChildSaInfo? _old;
    private readonly ChildSaTemplate? _template;
    private uint _spiIn;
    private byte[] _nonceI = Array.Empty<byte>();
    private byte[] _nonceR = Array.Empty<byte>();
    private IKeyExchange? _ke;
    private KeGroup? _groupOverride;
    private Proposal? _chosen;
    private NotifyType? _error;
    private IkeMessage? _request;
    private ChildSaInfo? _oldFound;
    private List<TrafficSelector>? _tsi;
    private List<TrafficSelector>? _tsr;
    private EspMode _mode;
    private FollowupKeyExchanges? _followup;
    private IkeMessage? _firstResponse;
    private NegotiatedAlgorithms? _pendingAlgorithms;
    private uint _pendingSpiOut;
    private List<TrafficSelector>? _pendingTsi;
    private List<TrafficSelector>? _pendingTsr;

    /// <summary>Responder: additional key exchanges (IKE_FOLLOWUP_KE, RFC 9370) must follow before the CHILD SA exists.</summary>
    public bool AwaitingFollowup => _followup is { Pending: true, Error: null };

    private CreateChildSaTask(IkeSa sa, ChildSaInfo? old, ChildSaTemplate? template, KeGroup? group) : base(sa) =>
        (_old, _template, _groupOverride) = (old, template, group);

    /// <summary>Initiator: rekey <paramref name="old"/> (with <paramref name="group"/> for PFS instead of our first one).</summary>
    public static CreateChildSaTask Rekey(IkeSa sa, ChildSaInfo old, KeGroup? group = null) => new(sa, old, null, group);

    /// <summary>Initiator: a new CHILD SA for <paramref name="template"/>'s selectors and mode.</summary>
    public static CreateChildSaTask Create(IkeSa sa, ChildSaTemplate template, KeGroup? group = null) => new(sa, null, template, group);

    /// <summary>Initiator: the peer asked (INVALID_KE_PAYLOAD) for this PFS group of our proposals; the session repeats the
    /// exchange with it (a new exchange with the next message ID).</summary>
    public KeGroup? RetryGroup { get; private set; }

    /// <summary>Responder: whatever the peer asks (a rekey or a new CHILD SA).</summary>
    public static CreateChildSaTask Responder(IkeSa sa) => new(sa, null, null, null);

    /// <summary>Initiator of a new CHILD SA (not a rekey).</summary>
    public bool IsCreate => _template != null;

    /// <summary>Initiator: the SA whose DELETE we must send once the exchange completes: the old one, or our own new
    /// one when it lost a simultaneous rekey.</summary>
    public ChildSaInfo? Replaced { get; private set; }

    /// <summary>Initiator: the SA being rekeyed.</summary>
    public ChildSaInfo? Old => _old;

    /// <summary>Initiator of a new CHILD SA: the SA created, or null when the peer refused (<see cref="Refused"/>).</summary>
    public ChildSaInfo? Created { get; private set; }

    /// <summary>Initiator: the error notify the peer answered with (the old SA, if any, stays; RFC 7296 §2.25).</summary>
    public NotifyType? Refused { get; private set; }

    /// <summary>Initiator: the peer rekeyed the same SA meanwhile (its exchange's nonces), set by the session.</summary>
    public (byte[] NonceI, byte[] NonceR)? PeerCollision { get; set; }

    /// <summary>Initiator: our new SA was the redundant one of a simultaneous rekey.</summary>
    public bool LostCollision { get; private set; }

    /// <summary>Responder: the SA the peer rekeyed, and this exchange's nonces, once a new SA was created.</summary>
    public ChildSaInfo? RekeyedByPeer { get; private set; }
    public (byte[] NonceI, byte[] NonceR) Nonces => (_nonceI, _nonceR);

    /// <summary>Responder: answer TEMPORARY_FAILURE (e.g. while we rekey the IKE SA, RFC 7296 §2.25).</summary>
    public bool ForceTemporaryFailure { get; set; }

    private static byte[] SpiBytes(uint spi)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, spi);
        return b;
    }

    private KeGroup PfsGroup => _groupOverride ?? Sa.Options.EspProposals.SelectMany(p => p.KeGroups).FirstOrDefault();

    // ---------------- initiator ----------------

    public override void BuildRequest(IkeMessage request)
    {
        if (_followup is { Pending: true } followup)
        {
            followup.BuildRequest(request); // an IKE_FOLLOWUP_KE (RFC 9370 §2.2.4)
            return;
        }
        if (_spiIn == 0) _spiIn = Sa.Spis.AllocateChildSpi();
        _nonceI = Sa.NewNonce();
        var (local, remote, mode) = _old is { } old
            ? (old.LocalTrafficSelectors, old.RemoteTrafficSelectors, old.Mode)
            : (_template!.Local, _template.Remote, _template.Mode);
        if (_old != null) request.Payloads.Add(new NotifyPayload(NotifyType.RekeySa, null, ProtocolId.Esp, SpiBytes(_old.InboundSpi)));
        if (mode == EspMode.Transport) request.Payloads.Add(new NotifyPayload(NotifyType.UseTransportMode));
        var proposals = Sa.Options.EspProposals.Select((p, i) => p.ToWire((byte)(i + 1), ProtocolId.Esp, SpiBytes(_spiIn)));
        request.Payloads.Add(new SaPayload(proposals));
        request.Payloads.Add(new NoncePayload(_nonceI));
        _ke?.Dispose();
        _ke = null;
        if (PfsGroup != KeGroup.None)
        {
            _ke = CryptoRegistry.CreateKeyExchange(PfsGroup, Sa.Random);
            request.Payloads.Add(new KePayload(PfsGroup, _ke.PublicValue.ToArray()));
        }
        request.Payloads.Add(new TsPayload(true, local));
        request.Payloads.Add(new TsPayload(false, remote));
    }

    public override TaskResult ProcessResponse(IkeMessage response)
    {
        if (_followup != null) return ProcessFollowupResponse(response);
        if (response.ErrorNotify is { } error)
        {
            if (error.NotifyType == NotifyType.InvalidKePayload && error.TryGetAcceptedGroup(out var wanted) && _groupOverride == null
                && wanted != PfsGroup && Sa.Options.EspProposals.Any(p => p.KeGroups.Contains(wanted)))
                RetryGroup = wanted; // RFC 7296 §1.3: repeated with the group the responder selected
            // TEMPORARY_FAILURE, CHILD_SA_NOT_FOUND, NO_PROPOSAL_CHOSEN...: the old SA stays (RFC 7296 §2.25); the
            // session decides what a refused new CHILD SA means.
            _ke?.Dispose();
            Refused = error.NotifyType;
            return error.NotifyType is NotifyType.TemporaryFailure or NotifyType.ChildSaNotFound or NotifyType.NoProposalChosen
                or NotifyType.InvalidKePayload or NotifyType.TsUnacceptable or NotifyType.NoAdditionalSas or NotifyType.SinglePairRequired
                or NotifyType.InternalAddressFailure or NotifyType.FailedCpRequired
                ? TaskResult.Done
                : Fail(IkeError.FromPeerNotify(error.NotifyType, IsCreate ? "CHILD SA creation" : "CHILD SA rekey"));
        }
        var what = IsCreate ? "CREATE_CHILD_SA" : "CHILD SA rekey";
        var sa = response.Get<SaPayload>();
        if (sa == null) return Fail(IkeErrorKind.InvalidMessage, $"The peer's {what} response has no SA payload.");
        if (!ProposalNegotiation.Validate(sa, Sa.Options.EspProposals, ProtocolId.Esp, out var why)
            || !ProposalNegotiation.TryResolve(sa.Proposals[0], out var algorithms, out why) || sa.Proposals[0].Spi.Length != 4)
            return Fail(IkeErrorKind.InvalidMessage, $"Invalid {what} response: {why ?? "bad SPI"}.");
        _nonceR = response.Get<NoncePayload>()!.Data;
        byte[] shared = Array.Empty<byte>();
        if (_ke != null)
        {
            var ke = response.Get<KePayload>();
            if (ke == null || ke.Group != _ke.Group || !_ke.TryDeriveSharedSecret(ke.Data, out shared, out _))
                return Fail(IkeErrorKind.InvalidMessage, $"The peer's {what} response lacks a valid KE payload for PFS.");
            _ke.Dispose();
        }
        uint spiOut = BinaryPrimitives.ReadUInt32BigEndian(sa.Proposals[0].Spi);
        if (algorithms!.AdditionalKeyExchanges.Count > 0)
        {
            _followup = new FollowupKeyExchanges(Sa, algorithms.AdditionalKeyExchanges, shared);
            if (_followup.AcceptLink(response) is { } missing) return Fail(IkeErrorKind.InvalidMessage, $"Invalid {what} response: {missing}.");
            (_firstResponse, _pendingAlgorithms, _pendingSpiOut) = (response, algorithms, spiOut);
            return TaskResult.Continue;
        }
        return Complete(algorithms, spiOut, shared, response);
    }

    /// <summary>Initiator: an IKE_FOLLOWUP_KE response; the CHILD SA is made after the last one.</summary>
    private TaskResult ProcessFollowupResponse(IkeMessage response)
    {
        var followup = _followup!;
        if (followup.ProcessResponse(response, out var refused) is { } why)
        {
            followup.Abandon();
            if (refused is { } notify && notify != NotifyType.InvalidSyntax)
            {
                Refused = notify; // the old SA stays, as after a refused CREATE_CHILD_SA (RFC 7296 §2.25)
                return TaskResult.Done;
            }
            return Fail(IkeErrorKind.InvalidMessage, $"Additional key exchange of the CHILD SA failed: {why}.");
        }
        if (followup.Pending) return TaskResult.Continue;
        return Complete(_pendingAlgorithms!, _pendingSpiOut, followup.CombinedSecret(), _firstResponse!);
    }

    private TaskResult Complete(NegotiatedAlgorithms algorithms, uint spiOut, byte[] shared, IkeMessage response)
    {
        if (_old is not { } old)
        {
            var template = _template!;
            var tsi = response.TsI?.Selectors;
            var tsr = response.TsR?.Selectors;
            if (tsi == null || tsr == null) return Fail(IkeErrorKind.InvalidMessage, "The peer's CREATE_CHILD_SA response lacks TSi or TSr.");
            if (!Narrowed(tsi, template.Local) || !Narrowed(tsr, template.Remote))
                return Fail(IkeErrorKind.TrafficSelectorsUnacceptable, "The peer answered CREATE_CHILD_SA with traffic selectors wider than the ones we proposed.");
            var mode = template.Mode == EspMode.Transport && response.HasNotify(NotifyType.UseTransportMode) ? EspMode.Transport : EspMode.Tunnel;
            var created = Derive(algorithms!, spiOut, shared, exchangeInitiator: true, tsi, tsr, mode);
            Sa.ChildSas.Add(created);
            Sa.Emit(new IkeEvent.ChildSaEstablished(created));
            Created = created;
            return TaskResult.Done;
        }
        var rtsi = response.TsI?.Selectors ?? old.LocalTrafficSelectors.ToList();
        var rtsr = response.TsR?.Selectors ?? old.RemoteTrafficSelectors.ToList();
        var fresh = Derive(algorithms!, spiOut, shared, exchangeInitiator: true, rtsi, rtsr, old.Mode);
        Sa.ChildSas.Add(fresh);
        if (PeerCollision is { } peer && NonceOrder.Compare(NonceOrder.Lowest(_nonceI, _nonceR), NonceOrder.Lowest(peer.NonceI, peer.NonceR)) < 0)
        {
            // Simultaneous rekey (RFC 7296 §2.8.1): our exchange holds the lowest nonce, so our new SA is the redundant
            // one and we delete it; the peer, whose SA survives, deletes the old one.
            Replaced = fresh;
            LostCollision = true;
            return TaskResult.Done;
        }
        Sa.Emit(new IkeEvent.ChildSaRekeyed(old, fresh));
        Replaced = old;
        return TaskResult.Done;
    }

    private static bool Narrowed(List<TrafficSelector> answer, IReadOnlyList<TrafficSelector> proposed) =>
        answer.Count > 0 && answer.All(a => proposed.Any(p => TrafficSelectorMath.IsSubsetOf(a, p)));

    // ---------------- responder ----------------

    public override TaskResult ProcessRequest(IkeMessage request)
    {
        if (_followup != null)
        {
            _followup.ProcessRequest(request); // an IKE_FOLLOWUP_KE; an unfit one is answered with the error
            return TaskResult.Done;
        }
        _request = request;
        var rekey = request.All<NotifyPayload>().FirstOrDefault(n => n.NotifyType == NotifyType.RekeySa && n.ProtocolId == ProtocolId.Esp);
        if (ForceTemporaryFailure) { _error = NotifyType.TemporaryFailure; return TaskResult.Done; }
        if (rekey != null)
        {
            _oldFound = Sa.ChildSas.FirstOrDefault(c => c.OutboundSpi == rekey.SpiValue);
            if (_oldFound == null) { _error = NotifyType.ChildSaNotFound; return TaskResult.Done; }
            _mode = _oldFound.Mode;
        }
        else if (!AcceptNewChild(request)) return TaskResult.Done;
        var sa = request.Get<SaPayload>()!;
        _chosen = ProposalNegotiation.Select(sa.Proposals, Sa.Options.EspProposals, ProtocolId.Esp);
        if (_chosen == null) { _error = NotifyType.NoProposalChosen; return TaskResult.Done; }
        _chosen.Spi = sa.Proposals.First(p => p.Number == _chosen.Number && p.ProtocolId == ProtocolId.Esp).Spi;
        if (_chosen.Spi.Length != 4) { _error = NotifyType.NoProposalChosen; return TaskResult.Done; }
        _nonceI = request.Get<NoncePayload>()!.Data;
        _nonceR = Sa.NewNonce();
        return TaskResult.Done;
    }

    /// <summary>
    /// A new CHILD SA from the peer: its TSi (its side) is narrowed to what we accept for the peer, its TSr (our side)
    /// to ours — for a client, our virtual IP(s) and the selectors the profile asked for; for a responder, the address it
    /// assigned and its own subnets. Transport mode only if the IKE SA's CHILD SAs use it.
    /// </summary>
    private bool AcceptNewChild(IkeMessage request)
    {
        if (Sa.ChildSas.Count >= MaxChildSas || !Sa.Options.AcceptPeerChildSas) { _error = NotifyType.NoAdditionalSas; return false; }
        var (local, remote) = Sa.ChildSelectorLimits();
        _tsi = TrafficSelectorMath.Narrow(request.TsI?.Selectors ?? new(), remote);
        _tsr = TrafficSelectorMath.Narrow(request.TsR?.Selectors ?? new(), local);
        if (_tsi.Count == 0 || _tsr.Count == 0) { _error = NotifyType.TsUnacceptable; return false; }
        bool transportWanted = request.HasNotify(NotifyType.UseTransportMode);
        bool transportUsed = Sa.ChildTemplate?.Mode == EspMode.Transport
            || (!Sa.IsInitiator && Sa.Options.Responder.AllowTransportMode);
        _mode = transportWanted && transportUsed ? EspMode.Transport : EspMode.Tunnel;
        return true;
    }

    public override void BuildResponse(IkeMessage response)
    {
        if (_followup != null)
        {
            _followup.BuildResponse(response);
            if (_followup.Error == null && !_followup.Pending)
            {
                ProposalNegotiation.TryResolve(_chosen!, out var final, out _);
                FinishResponder(final!, _followup.CombinedSecret(), _pendingTsi!, _pendingTsr!);
            }
            return;
        }
        if (_error == null && !ProposalNegotiation.TryResolve(_chosen!, out _, out _)) _error = NotifyType.NoProposalChosen;
        byte[] shared = Array.Empty<byte>();
        var group = (KeGroup)(_chosen?.OfType(TransformType.KeyExchange).FirstOrDefault()?.Id ?? 0);
        byte[]? ourKe = null;
        if (_error == null && group != KeGroup.None)
        {
            var ke = _request!.Get<KePayload>();
            using var mine = CryptoRegistry.CreateKeyExchange(group, Sa.Random, responder: true);
            if (ke == null || ke.Group != group)
            {
                _error = NotifyType.InvalidKePayload;
                response.Payloads.Add(new NotifyPayload(NotifyType.InvalidKePayload, AcceptedGroupData(group)));
                return;
            }
            if (!mine.TryDeriveSharedSecret(ke.Data, out shared, out _)) _error = NotifyType.InvalidSyntax;
            else ourKe = mine.PublicValue.ToArray();
        }
        if (_error is { } error)
        {
            response.Payloads.Add(new NotifyPayload(error));
            return;
        }
        ProposalNegotiation.TryResolve(_chosen!, out var algorithms, out _);
        _spiIn = Sa.Spis.AllocateChildSpi();
        response.Payloads.Add(new SaPayload(new[] { new Proposal(_chosen!.Number, ProtocolId.Esp, SpiBytes(_spiIn), _chosen.Transforms) }));
        response.Payloads.Add(new NoncePayload(_nonceR));
        if (ourKe != null) response.Payloads.Add(new KePayload(group, ourKe));
        var tsi = _tsi ?? _request!.TsI?.Selectors ?? _oldFound!.RemoteTrafficSelectors.ToList();
        var tsr = _tsr ?? _request!.TsR?.Selectors ?? _oldFound!.LocalTrafficSelectors.ToList();
        response.Payloads.Add(new TsPayload(true, tsi));
        response.Payloads.Add(new TsPayload(false, tsr));
        if (_mode == EspMode.Transport) response.Payloads.Add(new NotifyPayload(NotifyType.UseTransportMode));
        if (algorithms!.AdditionalKeyExchanges.Count > 0)
        {
            _followup = new FollowupKeyExchanges(Sa, algorithms.AdditionalKeyExchanges, shared);
            _followup.AnnounceLink(response);
            (_pendingTsi, _pendingTsr) = (tsi, tsr);
            return;
        }
        FinishResponder(algorithms, shared, tsi, tsr);
    }

    private void FinishResponder(NegotiatedAlgorithms algorithms, byte[] shared, List<TrafficSelector> tsi, List<TrafficSelector> tsr)
    {
        var fresh = Derive(algorithms, BinaryPrimitives.ReadUInt32BigEndian(_chosen!.Spi), shared, exchangeInitiator: false, tsi, tsr, _mode);
        Sa.ChildSas.Add(fresh);
        if (_oldFound is { } old)
        {
            Sa.Emit(new IkeEvent.ChildSaRekeyed(old, fresh, ByPeer: true));
            RekeyedByPeer = old;
        }
        else Sa.Emit(new IkeEvent.ChildSaEstablished(fresh));
    }

    private static byte[] AcceptedGroupData(KeGroup group)
    {
        var b = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(b, (ushort)group);
        return b;
    }

    private ChildSaInfo Derive(NegotiatedAlgorithms algorithms, uint spiOut, byte[] shared, bool exchangeInitiator,
        List<TrafficSelector> tsi, List<TrafficSelector> tsr, EspMode mode)
    {
        var keys = KeyDerivation.DeriveChildSaKeys(Sa.Prf, Sa.SkD, shared, _nonceI, _nonceR,
            algorithms.EncryptionKeyLength, algorithms.IntegrityKeyLength);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(shared);
        bool i = exchangeInitiator;
        var material = new ChildSaKeyMaterial
        {
            OutboundEncryptionKey = i ? keys.EncrKeyI : keys.EncrKeyR,
            OutboundIntegrityKey = i ? keys.IntegKeyI : keys.IntegKeyR,
            InboundEncryptionKey = i ? keys.EncrKeyR : keys.EncrKeyI,
            InboundIntegrityKey = i ? keys.IntegKeyR : keys.IntegKeyI,
        };
        return new ChildSaInfo(_spiIn, spiOut, algorithms, mode, i ? tsi : tsr, i ? tsr : tsi,
            Sa.UdpEncapsulation, Sa.LocalEndPoint, Sa.RemoteEndPoint, material);
    }
}
