using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Ike.Tasks;

/// <summary>Deletes the IKE SA (and with it every CHILD SA): INFORMATIONAL { D(IKE) } (RFC 7296 §1.4.1).</summary>
internal sealed class IkeDeleteTask(IkeSa sa) : IkeTask(sa)
{
    public override void BuildRequest(IkeMessage request) => request.Payloads.Add(DeletePayload.ForIkeSa());
}

/// <summary>Deletes CHILD SAs by our inbound SPIs; the peer answers with its own SPIs of the pairs.</summary>
internal sealed class ChildDeleteTask(IkeSa sa, IReadOnlyList<uint> inboundSpis) : IkeTask(sa)
{
    public override void BuildRequest(IkeMessage request) =>
        request.Payloads.Add(DeletePayload.ForChildSas(ProtocolId.Esp, inboundSpis));

    public override TaskResult ProcessResponse(IkeMessage response)
    {
        foreach (var child in Sa.ChildSas.Where(c => inboundSpis.Contains(c.InboundSpi)).ToList())
        {
            Sa.ChildSas.Remove(child);
            Sa.Emit(new IkeEvent.ChildSaDeleted(child, ByPeer: false));
        }
        return TaskResult.Done;
    }
}

/// <summary>Liveness check (dead peer detection): an empty INFORMATIONAL request and its empty response.</summary>
internal sealed class DpdTask(IkeSa sa) : IkeTask(sa);

/// <summary>
/// Answers INFORMATIONAL requests from the peer: DELETE of the IKE SA or of CHILD SAs (answered with our SPIs
/// of the same pairs, RFC 7296 §1.4.1), liveness checks and status notifies (ignored).
/// </summary>
internal sealed class InformationalResponderTask(IkeSa sa) : IkeTask(sa)
{
    private readonly List<ChildSaInfo> _deletedChildren = new();

    /// <summary>The peer deleted the IKE SA; the session closes after answering.</summary>
    public bool DeleteIke { get; private set; }

    public override TaskResult ProcessRequest(IkeMessage request)
    {
        foreach (var d in request.All<DeletePayload>())
        {
            if (d.ProtocolId == ProtocolId.Ike) DeleteIke = true;
            else if (d.ProtocolId == ProtocolId.Esp)
                foreach (var spi in d.SpiValues)
                    if (Sa.ChildSas.FirstOrDefault(c => c.OutboundSpi == spi) is { } child && !_deletedChildren.Contains(child))
                        _deletedChildren.Add(child);
        }
        return TaskResult.Done;
    }

    public override void BuildResponse(IkeMessage response)
    {
        if (DeleteIke) return;
        if (_deletedChildren.Count > 0)
            response.Payloads.Add(DeletePayload.ForChildSas(ProtocolId.Esp, _deletedChildren.Select(c => c.InboundSpi)));
        foreach (var child in _deletedChildren)
        {
            Sa.ChildSas.Remove(child);
            Sa.Emit(new IkeEvent.ChildSaDeleted(child, ByPeer: true));
        }
    }
}
