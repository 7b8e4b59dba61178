using System.Net;
using Ikev2Client.Protocol.Ike.Tasks;
using Ikev2Client.Protocol.Wire;

namespace Ikev2Client.Protocol.Ike;

/// <summary>Address changes (MOBIKE, RFC 4555) and redirects (RFC 5685).</summary>
public sealed partial class IkeSession
{
    /// <summary>
    /// Initiator: our address changed to <paramref name="local"/> (the new source address; the port of the socket the
    /// IKE SA uses). With MOBIKE negotiated this sends INFORMATIONAL { UPDATE_SA_ADDRESSES, NAT_DETECTION_*, COOKIE2 }
    /// from the new address (RFC 4555 §3.5) and reports <see cref="IkeEvent.AddressesUpdated"/> when the gateway
    /// answers; the IKE SA and CHILD SAs keep their SPIs. Without MOBIKE it sends a liveness check, which lets a
    /// gateway that follows NAT mappings learn the new address. No effect unless established.
    /// </summary>
    public IkeOutput UpdateLocalAddress(IPEndPoint local)
    {
        ArgumentNullException.ThrowIfNull(local);
        var output = Begin();
        if (State != IkeSessionState.Established || Role != IkeRole.Initiator) return output;
        _sa.LocalEndPoint = local;
        if (_sa.Options.AdvertiseMobike && _sa.PeerSupportsMobike)
            Enqueue(ExchangeType.Informational, () => new IkeTask[] { new MobikeUpdateTask(_sa) });
        else Enqueue(ExchangeType.Informational, () => new IkeTask[] { new DpdTask(_sa) });
        return output;
    }

    /// <summary>
    /// Responder: redirects the established initiator to <paramref name="target"/> with INFORMATIONAL { N(REDIRECT) }
    /// (RFC 5685 §5); the initiator then deletes this IKE SA and connects to the target. Ignored when the initiator
    /// did not announce redirect support.
    /// </summary>
    public IkeOutput Redirect(GatewayIdentity target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var output = Begin();
        if (Role == IkeRole.Responder && State == IkeSessionState.Established && _sa.PeerSupportsRedirect)
            Enqueue(ExchangeType.Informational, () => new IkeTask[] { RedirectTask.Informational(_sa, target) });
        return output;
    }

    /// <summary>True when the initiator announced REDIRECT_SUPPORTED (responder) — <see cref="Redirect"/> works.</summary>
    public bool PeerSupportsRedirect => _sa.PeerSupportsRedirect;

    /// <summary>MOBIKE was negotiated (both sides sent MOBIKE_SUPPORTED).</summary>
    public bool MobikeNegotiated => _sa.Options.AdvertiseMobike && _sa.PeerSupportsMobike;

    /// <summary>Our current address as the session knows it.</summary>
    public IPEndPoint LocalEndPoint => _sa.LocalEndPoint;

    private IkeTask[] InformationalResponderTasks() => new IkeTask[]
    {
        new InformationalResponderTask(_sa), new RedirectTask(_sa, ExchangeType.Informational), new MobikeResponderTask(_sa),
    };

    /// <summary>After answering the peer's INFORMATIONAL: a REDIRECT makes us delete this IKE SA (the owner reconnects).</summary>
    private void AfterInformationalResponse(IkeTask[] tasks)
    {
        if (!_sa.IsInitiator || State != IkeSessionState.Established) return;
        if (tasks.OfType<RedirectTask>().FirstOrDefault() is not { Target: not null }) return;
        State = IkeSessionState.Deleting;
        _pending.Clear();
        Enqueue(ExchangeType.Informational, () => new IkeTask[] { new IkeDeleteTask(_sa) });
    }
}
