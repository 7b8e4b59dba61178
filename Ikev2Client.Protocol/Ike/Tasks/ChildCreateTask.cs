using System.Buffers.Binary;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Esp;
using Ikev2Client.Protocol.Traffic;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Ike.Tasks;

/// <summary>
/// Creates the first CHILD SA inside IKE_AUTH (RFC 7296 §1.2, §2.9, §2.17): ESP proposals with our SPI,
/// traffic selectors (the responder may narrow them), USE_TRANSPORT_MODE, and KEYMAT from SK_d.
/// </summary>
internal sealed class ChildCreateTask : IkeTask
{
    private uint _spiIn;
    private Proposal? _chosen;
    private List<TrafficSelector>? _tsi;
    private List<TrafficSelector>? _tsr;
    private bool _transport;
    private NotifyType? _error;

    public ChildCreateTask(IkeSa sa) : base(sa) { }

    private static byte[] SpiBytes(uint spi)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, spi);
        return b;
    }

    // ---------------- initiator ----------------

    public override void BuildRequest(IkeMessage request)
    {
        if (_spiIn == 0) _spiIn = Sa.Spis.AllocateChildSpi();
        var proposals = Sa.Options.EspProposals.Select((p, i) => p.ToWire((byte)(i + 1), ProtocolId.Esp, SpiBytes(_spiIn)));
        request.Payloads.Add(new SaPayload(proposals));
        request.Payloads.Add(new TsPayload(true, Sa.Options.LocalTrafficSelectors));
        request.Payloads.Add(new TsPayload(false, Sa.Options.RemoteTrafficSelectors));
        if (Sa.Options.Mode == EspMode.Transport) request.Payloads.Add(new NotifyPayload(NotifyType.UseTransportMode));
    }

    public override TaskResult ProcessResponse(IkeMessage response)
    {
        if (Sa.Failure != null) return TaskResult.Failed;
        var sa = response.Get<SaPayload>();
        if (sa == null)
        {
            if (response.ErrorNotify is { } error) return Fail(IkeError.FromPeerNotify(error.NotifyType, "CHILD SA (ESP)"));
            return Fail(IkeErrorKind.InvalidMessage, "The gateway created no CHILD SA (no SA payload in the IKE_AUTH response).");
        }
        if (!ProposalNegotiation.Validate(sa, Sa.Options.EspProposals, ProtocolId.Esp, out var why, ikeAuth: true)
            || !ProposalNegotiation.TryResolve(sa.Proposals[0], out var algorithms, out why))
            return Fail(IkeErrorKind.InvalidMessage, $"Invalid ESP proposal in the IKE_AUTH response: {why}.");
        if (sa.Proposals[0].Spi.Length != 4) return Fail(IkeErrorKind.InvalidMessage, "The gateway's ESP SPI is not 4 bytes.");
        var tsi = response.TsI?.Selectors;
        var tsr = response.TsR?.Selectors;
        if (tsi == null || tsr == null) return Fail(IkeErrorKind.InvalidMessage, "The gateway's IKE_AUTH response lacks TSi or TSr.");
        if (!Narrowed(tsi, Sa.Options.LocalTrafficSelectors) || !Narrowed(tsr, Sa.Options.RemoteTrafficSelectors))
            return Fail(IkeErrorKind.TrafficSelectorsUnacceptable, "The gateway answered with traffic selectors wider than the ones we proposed.");
        bool transport = Sa.Options.Mode == EspMode.Transport && response.HasNotify(NotifyType.UseTransportMode);
        uint spiOut = BinaryPrimitives.ReadUInt32BigEndian(sa.Proposals[0].Spi);
        Install(algorithms!, spiOut, tsi, tsr, transport);
        return TaskResult.Done;
    }

    private static bool Narrowed(List<TrafficSelector> answer, IReadOnlyList<TrafficSelector> proposed) =>
        answer.All(a => proposed.Any(p => TrafficSelectorMath.IsSubsetOf(a, p)));

    // ---------------- responder ----------------

    public override TaskResult ProcessRequest(IkeMessage request)
    {
        if (Sa.Failure != null) return TaskResult.Done;
        var sa = request.Get<SaPayload>();
        if (sa == null) return TaskResult.Done; // childless
        _chosen = ProposalNegotiation.Select(sa.Proposals, Sa.Options.EspProposals, ProtocolId.Esp, ikeAuth: true);
        if (_chosen == null || sa.Proposals.First(p => p.Number == _chosen.Number && p.ProtocolId == ProtocolId.Esp).Spi.Length != 4)
        {
            _error = NotifyType.NoProposalChosen;
            return TaskResult.Done;
        }
        _chosen.Spi = sa.Proposals.First(p => p.Number == _chosen.Number && p.ProtocolId == ProtocolId.Esp).Spi;
        var allowedI = Sa.AssignedAddresses.Count > 0
            ? Sa.AssignedAddresses.Select(TrafficSelector.FromNetwork).ToList()
            : Sa.Options.RemoteTrafficSelectors.ToList();
        _tsi = TrafficSelectorMath.Narrow(request.TsI?.Selectors ?? new(), allowedI);
        _tsr = TrafficSelectorMath.Narrow(request.TsR?.Selectors ?? new(), Sa.Options.LocalTrafficSelectors);
        if (_tsi.Count == 0 || _tsr.Count == 0)
        {
            _error = NotifyType.TsUnacceptable;
            return TaskResult.Done;
        }
        _transport = request.HasNotify(NotifyType.UseTransportMode) && Sa.Options.Responder.AllowTransportMode;
        return TaskResult.Done;
    }

    public override void BuildResponse(IkeMessage response)
    {
        if (Sa.Failure != null || (_chosen == null && _error == null)) return;
        if (_error is { } error)
        {
            response.Payloads.Add(new NotifyPayload(error));
            return;
        }
        if (!ProposalNegotiation.TryResolve(_chosen!, out var algorithms, out _))
        {
            response.Payloads.Add(new NotifyPayload(NotifyType.NoProposalChosen));
            return;
        }
        uint spiOut = BinaryPrimitives.ReadUInt32BigEndian(_chosen!.Spi);
        _spiIn = Sa.Spis.AllocateChildSpi();
        var answer = new Proposal(_chosen.Number, ProtocolId.Esp, SpiBytes(_spiIn), _chosen.Transforms);
        response.Payloads.Add(new SaPayload(new[] { answer }));
        response.Payloads.Add(new TsPayload(true, _tsi!));
        response.Payloads.Add(new TsPayload(false, _tsr!));
        if (_transport) response.Payloads.Add(new NotifyPayload(NotifyType.UseTransportMode));
        // Responder's local side is TSr, the peer's is TSi.
        Install(algorithms!, spiOut, _tsi!, _tsr!, _transport);
    }

    private void Install(NegotiatedAlgorithms algorithms, uint spiOut, List<TrafficSelector> tsi, List<TrafficSelector> tsr, bool transport)
    {
        var keys = KeyDerivation.DeriveChildSaKeys(Sa.Prf, Sa.SkD, ReadOnlySpan<byte>.Empty, Sa.NonceI, Sa.NonceR,
            algorithms.EncryptionKeyLength, algorithms.IntegrityKeyLength);
        bool i = Sa.IsInitiator;
        var material = new ChildSaKeyMaterial
        {
            OutboundEncryptionKey = i ? keys.EncrKeyI : keys.EncrKeyR,
            OutboundIntegrityKey = i ? keys.IntegKeyI : keys.IntegKeyR,
            InboundEncryptionKey = i ? keys.EncrKeyR : keys.EncrKeyI,
            InboundIntegrityKey = i ? keys.IntegKeyR : keys.IntegKeyI,
        };
        var child = new ChildSaInfo(_spiIn, spiOut, algorithms, transport ? EspMode.Transport : EspMode.Tunnel,
            i ? tsi : tsr, i ? tsr : tsi, Sa.UdpEncapsulation, Sa.LocalEndPoint, Sa.RemoteEndPoint, material);
        Sa.ChildSas.Add(child);
        Sa.Emit(new IkeEvent.ChildSaEstablished(child));
    }
}
