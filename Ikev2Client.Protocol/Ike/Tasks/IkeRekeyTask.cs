using System.Buffers.Binary;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Ike.Tasks;

/// <summary>
/// Rekeys the IKE SA with CREATE_CHILD_SA { SA(IKE, new SPI), Ni, KEi } (RFC 7296 §1.3.2, §2.18). The result is an
/// <see cref="IkeSaKeyState"/> the session swaps in (new SPIs, message IDs from zero, CHILD SAs kept); the old IKE SA
/// is then deleted by the rekey initiator. Refusals (TEMPORARY_FAILURE, NO_PROPOSAL_CHOSEN, INVALID_KE_PAYLOAD) are
/// not fatal: the old SA stays and the rekey is retried later.
/// </summary>
internal sealed class IkeRekeyTask : IkeTask
{
    private ulong _ourSpi;
    private byte[] _nonceI = Array.Empty<byte>();
    private byte[] _nonceR = Array.Empty<byte>();
    private IKeyExchange? _ke;
    private KeGroup _group;
    private Proposal? _chosen;
    private ulong _peerSpi;
    private NotifyType? _error;
    private byte[]? _peerKe;
    private FollowupKeyExchanges? _followup;
    private NegotiatedAlgorithms? _pendingAlgorithms;
    private ulong _pendingSpiR;

    /// <summary>Responder: additional key exchanges (IKE_FOLLOWUP_KE, RFC 9370 §2.2.4) must follow before the new IKE SA exists.</summary>
    public bool AwaitingFollowup => _followup is { Pending: true, Error: null };

    /// <summary>Initiator: rekey with <paramref name="group"/>. Responder: pass <see cref="KeGroup.None"/>.</summary>
    public IkeRekeyTask(IkeSa sa, KeGroup group) : base(sa) => _group = group;

    /// <summary>The new IKE SA once the exchange succeeded.</summary>
    public IkeSaKeyState? Result { get; private set; }

    /// <summary>Initiator: the group the peer asked for with INVALID_KE_PAYLOAD (retry with it).</summary>
    public KeGroup? RequestedGroup { get; private set; }

    /// <summary>Initiator: the peer refused (the old SA stays; retry later).</summary>
    public NotifyType? Refused { get; private set; }

    /// <summary>Responder: answer with this error notify instead (set by the session, e.g. TEMPORARY_FAILURE during another exchange).</summary>
    public NotifyType? ForcedError { get; set; }

    /// <summary>True when the message is an IKE SA rekey request: its SA payload proposes protocol IKE.</summary>
    public static bool IsIkeRekey(IkeMessage request) =>
        request.Get<SaPayload>() is { } sa && sa.Proposals.Count > 0 && sa.Proposals[0].ProtocolId == ProtocolId.Ike;

    private static byte[] SpiBytes(ulong spi)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, spi);
        return b;
    }

    // ---------------- initiator ----------------

    public override void BuildRequest(IkeMessage request)
    {
        if (_followup is { Pending: true } followup)
        {
            followup.BuildRequest(request);
            return;
        }
        _ourSpi = Sa.Spis.AllocateIkeSpi();
        _nonceI = Sa.NewNonce();
        _ke = CryptoRegistry.CreateKeyExchange(_group, Sa.Random);
        var proposals = Sa.Options.IkeProposals.Select((p, i) => p.ToWire((byte)(i + 1), ProtocolId.Ike, SpiBytes(_ourSpi)));
        request.Payloads.Add(new SaPayload(proposals));
        request.Payloads.Add(new NoncePayload(_nonceI));
        request.Payloads.Add(new KePayload(_group, _ke.PublicValue.ToArray()));
    }

    public override TaskResult ProcessResponse(IkeMessage response)
    {
        if (_followup is { } followup)
        {
            if (followup.ProcessResponse(response, out var refused) is { } failure)
            {
                followup.Abandon();
                if (refused is { } notify && notify != NotifyType.InvalidSyntax) { Refused = notify; return TaskResult.Done; }
                return Fail(IkeErrorKind.InvalidMessage, $"Additional key exchange of the IKE SA rekey failed: {failure}.");
            }
            if (followup.Pending) return TaskResult.Continue;
            Result = IkeSaKeyState.DeriveRekeyed(Sa.Prf, Sa.SkD, _pendingAlgorithms!, followup.CombinedSecret(), _nonceI, _nonceR, _ourSpi, _pendingSpiR, weInitiated: true);
            return TaskResult.Done;
        }
        using var ke = _ke!;
        if (response.ErrorNotify is { } error)
        {
            if (error.NotifyType == NotifyType.InvalidKePayload && error.TryGetAcceptedGroup(out var wanted)
                && Sa.Options.IkeProposals.Any(p => p.KeGroups.Contains(wanted)))
                RequestedGroup = wanted;
            Refused = error.NotifyType;
            return TaskResult.Done;
        }
        var sa = response.Get<SaPayload>();
        string? why = "no SA payload";
        NegotiatedAlgorithms? algorithms = null;
        if (sa == null || !ProposalNegotiation.Validate(sa, Sa.Options.IkeProposals, ProtocolId.Ike, out why)
            || !ProposalNegotiation.TryResolve(sa.Proposals[0], out algorithms, out why) || sa.Proposals[0].Spi.Length != 8)
            return Fail(IkeErrorKind.InvalidMessage, $"Invalid IKE SA rekey response: {why ?? "the new SPI is not 8 octets"}.");
        var peerKe = response.Get<KePayload>();
        if (peerKe == null || peerKe.Group != _group || algorithms!.Group != _group)
            return Fail(IkeErrorKind.InvalidMessage, "The peer's IKE SA rekey response lacks a KE payload of our group.");
        if (!ke.TryDeriveSharedSecret(peerKe.Data, out var shared, out var keError))
            return Fail(IkeErrorKind.InvalidMessage, $"The peer's IKE SA rekey key exchange value is invalid: {keError}.");
        _nonceR = response.Get<NoncePayload>()!.Data;
        ulong spiR = BinaryPrimitives.ReadUInt64BigEndian(sa.Proposals[0].Spi);
        if (spiR == 0) return Fail(IkeErrorKind.InvalidMessage, "The peer's new IKE SPI is zero.");
        if (algorithms.AdditionalKeyExchanges.Count > 0)
        {
            _followup = new FollowupKeyExchanges(Sa, algorithms.AdditionalKeyExchanges, shared);
            if (_followup.AcceptLink(response) is { } missing) return Fail(IkeErrorKind.InvalidMessage, $"Invalid IKE SA rekey response: {missing}.");
            (_pendingAlgorithms, _pendingSpiR) = (algorithms, spiR);
            return TaskResult.Continue;
        }
        Result = IkeSaKeyState.DeriveRekeyed(Sa.Prf, Sa.SkD, algorithms, shared, _nonceI, _nonceR, _ourSpi, spiR, weInitiated: true);
        return TaskResult.Done;
    }

    // ---------------- responder ----------------

    public override TaskResult ProcessRequest(IkeMessage request)
    {
        if (_followup != null)
        {
            _followup.ProcessRequest(request);
            return TaskResult.Done;
        }
        if (ForcedError != null) { _error = ForcedError; return TaskResult.Done; }
        var sa = request.Get<SaPayload>()!;
        _chosen = ProposalNegotiation.Select(sa.Proposals, Sa.Options.IkeProposals, ProtocolId.Ike);
        if (_chosen == null || !ProposalNegotiation.TryResolve(_chosen, out var algorithms, out _)) { _error = NotifyType.NoProposalChosen; return TaskResult.Done; }
        var offered = sa.Proposals.First(p => p.Number == _chosen.Number && p.ProtocolId == ProtocolId.Ike);
        if (offered.Spi.Length != 8 || BinaryPrimitives.ReadUInt64BigEndian(offered.Spi) == 0) { _error = NotifyType.InvalidSyntax; return TaskResult.Done; }
        _peerSpi = BinaryPrimitives.ReadUInt64BigEndian(offered.Spi);
        var ke = request.Get<KePayload>();
        if (ke == null || ke.Group != algorithms!.Group) { _group = algorithms!.Group; _error = NotifyType.InvalidKePayload; return TaskResult.Done; }
        _group = ke.Group;
        _peerKe = ke.Data;
        _nonceI = request.Get<NoncePayload>()!.Data;
        return TaskResult.Done;
    }

    public override void BuildResponse(IkeMessage response)
    {
        if (_followup != null)
        {
            _followup.BuildResponse(response);
            if (_followup.Error == null && !_followup.Pending)
            {
                ProposalNegotiation.TryResolve(_chosen!, out var final, out _);
                Result = IkeSaKeyState.DeriveRekeyed(Sa.Prf, Sa.SkD, final!, _followup.CombinedSecret(), _nonceI, _nonceR, _peerSpi, _ourSpi, weInitiated: false);
            }
            return;
        }
        if (_error == null)
        {
            using var mine = CryptoRegistry.CreateKeyExchange(_group, Sa.Random, responder: true);
            if (!mine.TryDeriveSharedSecret(_peerKe!, out var shared, out _)) _error = NotifyType.InvalidSyntax;
            else
            {
                ProposalNegotiation.TryResolve(_chosen!, out var algorithms, out _);
                _ourSpi = Sa.Spis.AllocateIkeSpi();
                _nonceR = Sa.NewNonce();
                response.Payloads.Add(new SaPayload(new[] { new Proposal(_chosen!.Number, ProtocolId.Ike, SpiBytes(_ourSpi), _chosen.Transforms) }));
                response.Payloads.Add(new NoncePayload(_nonceR));
                response.Payloads.Add(new KePayload(_group, mine.PublicValue.ToArray()));
                if (algorithms!.AdditionalKeyExchanges.Count > 0)
                {
                    _followup = new FollowupKeyExchanges(Sa, algorithms.AdditionalKeyExchanges, shared);
                    _followup.AnnounceLink(response);
                    return;
                }
                Result = IkeSaKeyState.DeriveRekeyed(Sa.Prf, Sa.SkD, algorithms!, shared, _nonceI, _nonceR, _peerSpi, _ourSpi, weInitiated: false);
                return;
            }
        }
        if (_error == NotifyType.InvalidKePayload)
        {
            var data = new byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(data, (ushort)_group);
            response.Payloads.Add(new NotifyPayload(NotifyType.InvalidKePayload, data));
        }
        else response.Payloads.Add(new NotifyPayload(_error!.Value));
    }
}
