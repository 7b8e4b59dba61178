using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Ike.Tasks;

/// <summary>
/// NAT detection (RFC 7296 §2.23): NAT_DETECTION_SOURCE_IP / _DESTINATION_IP carry
/// SHA-1(SPIi | SPIr | IP | port). With forced encapsulation our source hash is random, so the peer always
/// sees a NAT in front of us and both sides use UDP-encapsulated ESP on the NAT-T port.
/// </summary>
internal sealed class NatDetectionTask : IkeTask
{
    private bool _peerSupportsNatT;

    public NatDetectionTask(IkeSa sa) : base(sa) { }

    public static byte[] Hash(ulong spiI, ulong spiR, IPEndPoint endPoint)
    {
        var address = endPoint.Address.IsIPv4MappedToIPv6 ? endPoint.Address.MapToIPv4() : endPoint.Address;
        var ip = address.GetAddressBytes();
        var data = new byte[16 + ip.Length + 2];
        BinaryPrimitives.WriteUInt64BigEndian(data, spiI);
        BinaryPrimitives.WriteUInt64BigEndian(data.AsSpan(8), spiR);
        ip.CopyTo(data, 16);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(16 + ip.Length), (ushort)endPoint.Port);
        return SHA1.HashData(data);
    }

    public override void BuildRequest(IkeMessage request) => AddNotifies(request, 0);

    public override TaskResult ProcessResponse(IkeMessage response)
    {
        Evaluate(response, Sa.SpiR);
        Sa.UseNatT = Sa.UdpEncapsulation || Sa.ForcedEncapsulation;
        if (Sa.UseNatT && Sa.RemoteEndPoint.Port != Sa.Options.RemoteNatTPort)
            Sa.RemoteEndPoint = new IPEndPoint(Sa.RemoteEndPoint.Address, Sa.Options.RemoteNatTPort);
        return TaskResult.Done;
    }

    public override TaskResult ProcessRequest(IkeMessage request)
    {
        Evaluate(request, 0);
        return TaskResult.Done;
    }

    public override void BuildResponse(IkeMessage response)
    {
        if (_peerSupportsNatT) AddNotifies(response, Sa.SpiR);
    }

    private void AddNotifies(IkeMessage message, ulong spiR)
    {
        byte[] source;
        if (Sa.IsInitiator && Sa.Options.ForceEncapsulation)
        {
            source = new byte[20];
            Sa.Random.Fill(source);
            Sa.ForcedEncapsulation = true;
        }
        else source = Hash(Sa.SpiI, spiR, Sa.LocalEndPoint);
        message.Payloads.Add(new NotifyPayload(NotifyType.NatDetectionSourceIp, source));
        message.Payloads.Add(new NotifyPayload(NotifyType.NatDetectionDestinationIp, Hash(Sa.SpiI, spiR, Sa.RemoteEndPoint)));
    }

    private void Evaluate(IkeMessage message, ulong spiR)
    {
        var sources = message.All<NotifyPayload>().Where(n => n.NotifyType == NotifyType.NatDetectionSourceIp).ToList();
        var destination = message.Notify(NotifyType.NatDetectionDestinationIp);
        _peerSupportsNatT = sources.Count > 0 && destination != null;
        if (!_peerSupportsNatT)
        {
            Sa.ForcedEncapsulation = false; // the peer can't do NAT-T: nothing to force
            return;
        }
        var expectedSource = Hash(Sa.SpiI, spiR, Sa.RemoteEndPoint);
        Sa.RemoteBehindNat = !sources.Any(s => s.Data.AsSpan().SequenceEqual(expectedSource));
        Sa.LocalBehindNat = !destination!.Data.AsSpan().SequenceEqual(Hash(Sa.SpiI, spiR, Sa.LocalEndPoint));
    }
}
