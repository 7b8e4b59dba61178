using System.Buffers.Binary;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Ike.Tasks;

/// <summary>
/// Rekeys a CHILD SA with CREATE_CHILD_SA { N(REKEY_SA), SA, Ni, [KEi], TSi, TSr } (RFC 7296 §1.3.3, §2.8).
/// KEYMAT = prf+(SK_d, [g^ir |] Ni | Nr) with the nonces of this exchange, split with the exchange initiator's
/// direction first (§2.17). The new SA is reported with <see cref="IkeEvent.ChildSaRekeyed"/>; the old one is
/// deleted afterwards by whoever initiated the rekey (reported as <see cref="IkeEvent.ChildSaDeleted"/>).
/// </summary>
internal sealed class ChildRekeyTask : IkeTask
{
    private readonly ChildSaInfo? _old;
    private uint _spiIn;
    private byte[] _nonceI = Array.Empty<byte>();
    private byte[] _nonceR = Array.Empty<byte>();
    private IKeyExchange? _ke;
    private Proposal? _chosen;
    private NotifyType? _error;
    private IkeMessage? _request;
    private ChildSaInfo? _oldFound;

    /// <summary>Initiator: rekey <paramref name="old"/>. Responder: pass null.</summary>
    public ChildRekeyTask(IkeSa sa, ChildSaInfo? old) : base(sa) => _old = old;

    /// <summary>The SA whose DELETE we must send once the exchange completes (initiator only): the old one, or our own
    /// new one when it lost a simultaneous rekey.</summary>
    public ChildSaInfo? Replaced { get; private set; }

    /// <summary>Initiator: the SA being rekeyed.</summary>
    public ChildSaInfo? Old => _old;

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

    private KeGroup PfsGroup => Sa.Options.EspProposals.SelectMany(p => p.Groups).FirstOrDefault();

    public override void BuildRequest(IkeMessage request)
    {
        var old = _old!;
        _spiIn = Sa.Spis.AllocateChildSpi();
        _nonceI = Sa.NewNonce();
        request.Payloads.Add(new NotifyPayload(NotifyType.RekeySa, null, ProtocolId.Esp, SpiBytes(old.InboundSpi)));
        if (old.Mode == ChildSaMode.Transport) request.Payloads.Add(new NotifyPayload(NotifyType.UseTransportMode));
        var proposals = Sa.Options.EspProposals.Select((p, i) => p.ToWire((byte)(i + 1), ProtocolId.Esp, SpiBytes(_spiIn)));
        request.Payloads.Add(new SaPayload(proposals));
        request.Payloads.Add(new NoncePayload(_nonceI));
        if (PfsGroup != KeGroup.None)
        {
            _ke = CryptoRegistry.CreateKeyExchange(PfsGroup, Sa.Random);
            request.Payloads.Add(new KePayload(PfsGroup, _ke.PublicValue.ToArray()));
        }
        request.Payloads.Add(new TsPayload(true, old.LocalTrafficSelectors));
        request.Payloads.Add(new TsPayload(false, old.RemoteTrafficSelectors));
    }

    public override TaskResult ProcessResponse(IkeMessage response)
    {
        var old = _old!;
        if (response.ErrorNotify is { } error)
        {
            // TEMPORARY_FAILURE, CHILD_SA_NOT_FOUND, NO_PROPOSAL_CHOSEN...: the old SA stays (RFC 7296 §2.25).
            _ke?.Dispose();
            return error.NotifyType is NotifyType.TemporaryFailure or NotifyType.ChildSaNotFound or NotifyType.NoProposalChosen
                or NotifyType.InvalidKePayload or NotifyType.TsUnacceptable or NotifyType.NoAdditionalSas
                ? TaskResult.Done
                : Fail(IkeError.FromPeerNotify(error.NotifyType, "CHILD SA rekey"));
        }
        var sa = response.Get<SaPayload>()!;
        if (!ProposalNegotiation.Validate(sa, Sa.Options.EspProposals, ProtocolId.Esp, out var why)
            || !ProposalNegotiation.TryResolve(sa.Proposals[0], out var algorithms, out why) || sa.Proposals[0].Spi.Length != 4)
            return Fail(IkeErrorKind.InvalidMessage, $"Invalid CREATE_CHILD_SA response: {why ?? "bad SPI"}.");
        _nonceR = response.Get<NoncePayload>()!.Data;
        byte[] shared = Array.Empty<byte>();
        if (_ke != null)
        {
            var ke = response.Get<KePayload>();
            if (ke == null || ke.Group != _ke.Group || !_ke.TryDeriveSharedSecret(ke.Data, out shared, out _))
                return Fail(IkeErrorKind.InvalidMessage, "The peer's CREATE_CHILD_SA response lacks a valid KE payload for PFS.");
            _ke.Dispose();
        }
        var tsi = response.TsI?.Selectors ?? old.LocalTrafficSelectors.ToList();
        var tsr = response.TsR?.Selectors ?? old.RemoteTrafficSelectors.ToList();
        var fresh = Derive(algorithms!, BinaryPrimitives.ReadUInt32BigEndian(sa.Proposals[0].Spi), shared, exchangeInitiator: true, tsi, tsr, old.Mode);
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

    public override TaskResult ProcessRequest(IkeMessage request)
    {
        _request = request;
        var rekey = request.All<NotifyPayload>().FirstOrDefault(n => n.NotifyType == NotifyType.RekeySa && n.ProtocolId == ProtocolId.Esp);
        if (ForceTemporaryFailure) { _error = NotifyType.TemporaryFailure; return TaskResult.Done; }
        _oldFound = rekey == null ? null : Sa.ChildSas.FirstOrDefault(c => c.OutboundSpi == rekey.SpiValue);
        if (_oldFound == null) { _error = rekey == null ? NotifyType.NoAdditionalSas : NotifyType.ChildSaNotFound; return TaskResult.Done; }
        var sa = request.Get<SaPayload>()!;
        _chosen = ProposalNegotiation.Select(sa.Proposals, Sa.Options.EspProposals, ProtocolId.Esp);
        if (_chosen == null) { _error = NotifyType.NoProposalChosen; return TaskResult.Done; }
        _chosen.Spi = sa.Proposals.First(p => p.Number == _chosen.Number && p.ProtocolId == ProtocolId.Esp).Spi;
        if (_chosen.Spi.Length != 4) { _error = NotifyType.NoProposalChosen; return TaskResult.Done; }
        _nonceI = request.Get<NoncePayload>()!.Data;
        _nonceR = Sa.NewNonce();
        return TaskResult.Done;
    }

    public override void BuildResponse(IkeMessage response)
    {
        if (_error == null && !ProposalNegotiation.TryResolve(_chosen!, out _, out _)) _error = NotifyType.NoProposalChosen;
        byte[] shared = Array.Empty<byte>();
        var group = (KeGroup)(_chosen?.OfType(TransformType.KeyExchange).FirstOrDefault()?.Id ?? 0);
        byte[]? ourKe = null;
        if (_error == null && group != KeGroup.None)
        {
            var ke = _request!.Get<KePayload>();
            using var mine = CryptoRegistry.CreateKeyExchange(group, Sa.Random);
            if (ke == null || ke.Group != group) _error = NotifyType.InvalidKePayload;
            else if (!mine.TryDeriveSharedSecret(ke.Data, out shared, out _)) _error = NotifyType.InvalidSyntax;
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
        var tsi = _request!.TsI?.Selectors ?? _oldFound!.RemoteTrafficSelectors.ToList();
        var tsr = _request.TsR?.Selectors ?? _oldFound!.LocalTrafficSelectors.ToList();
        response.Payloads.Add(new TsPayload(true, tsi));
        response.Payloads.Add(new TsPayload(false, tsr));
        if (_oldFound!.Mode == ChildSaMode.Transport) response.Payloads.Add(new NotifyPayload(NotifyType.UseTransportMode));
        var fresh = Derive(algorithms!, BinaryPrimitives.ReadUInt32BigEndian(_chosen.Spi), shared, exchangeInitiator: false, tsi, tsr, _oldFound.Mode);
        Sa.ChildSas.Add(fresh);
        Sa.Emit(new IkeEvent.ChildSaRekeyed(_oldFound, fresh, ByPeer: true));
        RekeyedByPeer = _oldFound;
    }

    private ChildSaInfo Derive(NegotiatedAlgorithms algorithms, uint spiOut, byte[] shared, bool exchangeInitiator,
        List<TrafficSelector> tsi, List<TrafficSelector> tsr, ChildSaMode mode)
    {
        var keys = KeyDerivation.DeriveChildSaKeys(Sa.Prf, Sa.SkD, shared, _nonceI, _nonceR,
            algorithms.Encryption.KeyMaterialLength, algorithms.Integrity?.KeyLength ?? 0);
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
