using System.Net;
using System.Security.Cryptography;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Ike.Tasks;

/// <summary>
/// MOBIKE address update (RFC 4555 §3.5), initiator of the IKE SA: INFORMATIONAL { N(UPDATE_SA_ADDRESSES),
/// N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP), N(COOKIE2) } sent from the new address; the
/// gateway moves the IKE SA and its CHILD SAs there and answers with its NAT detection notifies and our COOKIE2.
/// </summary>
internal sealed class MobikeUpdateTask(IkeSa sa) : IkeTask(sa)
{
    private readonly byte[] _cookie2 = NewCookie2(sa);

    private static byte[] NewCookie2(IkeSa sa)
    {
        var c = new byte[16];
        sa.Random.Fill(c);
        return c;
    }

    public override void BuildRequest(IkeMessage request)
    {
        request.Payloads.Add(new NotifyPayload(NotifyType.UpdateSaAddresses));
        MobikeNat.AddNotifies(Sa, request);
        request.Payloads.Add(new NotifyPayload(NotifyType.Cookie2, _cookie2));
    }

    public override TaskResult ProcessResponse(IkeMessage response)
    {
        if (response.ErrorNotify is { } error)
            return Fail(new IkeError(IkeErrorKind.PeerNotify,
                $"The gateway refused our new address {Sa.LocalEndPoint.Address} ({IkeError.Name(error.NotifyType)}); reconnect from it.",
                error.NotifyType, Recoverable: true));
        if (response.Notify(NotifyType.Cookie2) is not { } echo || !CryptographicOperations.FixedTimeEquals(echo.Data, _cookie2))
            return Fail(IkeErrorKind.InvalidMessage, "The gateway's answer to our UPDATE_SA_ADDRESSES did not echo our COOKIE2 (RFC 4555 §3.5).");
        MobikeNat.Evaluate(Sa, response);
        Sa.Emit(new IkeEvent.AddressesUpdated(Sa.LocalEndPoint, Sa.RemoteEndPoint, Sa.LocalBehindNat, Sa.RemoteBehindNat));
        return TaskResult.Done;
    }
}

/// <summary>
/// Our side of the peer's MOBIKE messages in an INFORMATIONAL: echo COOKIE2 (return routability checks, RFC 4555
/// §3.5) and, as responder of the IKE SA, accept UPDATE_SA_ADDRESSES (the request's source is already the new peer
/// address) and answer with NAT detection notifies.
/// </summary>
internal sealed class MobikeResponderTask(IkeSa sa) : IkeTask(sa)
{
    private byte[]? _cookie2;
    private bool _update;

    public override TaskResult ProcessRequest(IkeMessage request)
    {
        _cookie2 = request.Notify(NotifyType.Cookie2)?.Data;
        _update = !Sa.IsInitiator && Sa.PeerSupportsMobike && Sa.Options.AdvertiseMobike && request.HasNotify(NotifyType.UpdateSaAddresses);
        if (_update)
        {
            MobikeNat.Evaluate(Sa, request);
            Sa.Emit(new IkeEvent.AddressesUpdated(Sa.LocalEndPoint, Sa.RemoteEndPoint, Sa.LocalBehindNat, Sa.RemoteBehindNat));
        }
        return TaskResult.Done;
    }

    public override void BuildResponse(IkeMessage response)
    {
        if (_update) MobikeNat.AddNotifies(Sa, response);
        if (_cookie2 != null) response.Payloads.Add(new NotifyPayload(NotifyType.Cookie2, _cookie2));
    }
}

/// <summary>NAT detection notifies on an established IKE SA (MOBIKE updates): the same hashes as in IKE_SA_INIT.</summary>
internal static class MobikeNat
{
    public static void AddNotifies(IkeSa sa, IkeMessage message)
    {
        byte[] source;
        if (sa.IsInitiator && sa.ForcedEncapsulation)
        {
            source = new byte[20];
            sa.Random.Fill(source);
        }
        else source = NatDetectionTask.Hash(sa.SpiI, sa.SpiR, sa.LocalEndPoint);
        message.Payloads.Add(new NotifyPayload(NotifyType.NatDetectionSourceIp, source));
        message.Payloads.Add(new NotifyPayload(NotifyType.NatDetectionDestinationIp, NatDetectionTask.Hash(sa.SpiI, sa.SpiR, sa.RemoteEndPoint)));
    }

    public static void Evaluate(IkeSa sa, IkeMessage message)
    {
        var sources = message.All<NotifyPayload>().Where(n => n.NotifyType == NotifyType.NatDetectionSourceIp).ToList();
        var destination = message.Notify(NotifyType.NatDetectionDestinationIp);
        if (sources.Count == 0 || destination == null) return;
        var expected = NatDetectionTask.Hash(sa.SpiI, sa.SpiR, sa.RemoteEndPoint);
        sa.RemoteBehindNat = !sources.Any(s => s.Data.AsSpan().SequenceEqual(expected));
        sa.LocalBehindNat = !destination.Data.AsSpan().SequenceEqual(NatDetectionTask.Hash(sa.SpiI, sa.SpiR, sa.LocalEndPoint));
        if (sa.UdpEncapsulation && !sa.UseNatT)
        {
            sa.UseNatT = true;
            if (sa.RemoteEndPoint.Port != sa.Options.RemoteNatTPort)
                sa.RemoteEndPoint = new IPEndPoint(sa.RemoteEndPoint.Address, sa.Options.RemoteNatTPort);
        }
    }
}
