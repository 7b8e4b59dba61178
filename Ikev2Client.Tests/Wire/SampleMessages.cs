using System.Net;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Tests.Wire;

/// <summary>Messages with every payload type, built through the object model.</summary>
internal static class SampleMessages
{
    public static IkeMessage IkeSaInitRequest()
    {
        var proposal = new Proposal(1, ProtocolId.Ike, Array.Empty<byte>(), new[]
        {
            new Transform(TransformType.Encryption, (ushort)EncrId.AesGcm16, 256),
            new Transform(TransformType.Encryption, (ushort)EncrId.AesGcm16, 128),
            new Transform(TransformType.Prf, (ushort)PrfId.HmacSha2_256),
            new Transform(TransformType.KeyExchange, (ushort)KeGroup.Curve25519),
            new Transform(TransformType.KeyExchange, (ushort)KeGroup.Ecp256),
        });
        var proposal2 = new Proposal(2, ProtocolId.Ike, Array.Empty<byte>(), new[]
        {
            new Transform(TransformType.Encryption, (ushort)EncrId.AesCbc, 256),
            new Transform(TransformType.Prf, (ushort)PrfId.HmacSha2_256),
            new Transform(TransformType.Integrity, (ushort)IntegId.HmacSha2_256_128),
            new Transform(TransformType.KeyExchange, (ushort)KeGroup.Modp2048),
        });
        return new IkeMessage(0x1122334455667788, 0, ExchangeType.IkeSaInit, IkeHeaderFlags.Initiator, 0, new Payload[]
        {
            new SaPayload(new[] { proposal, proposal2 }),
            new KePayload(KeGroup.Curve25519, Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()),
            new NoncePayload(Enumerable.Range(0, 32).Select(i => (byte)(i * 3)).ToArray()),
            new NotifyPayload(NotifyType.NatDetectionSourceIp, new byte[20]),
            new NotifyPayload(NotifyType.NatDetectionDestinationIp, Enumerable.Repeat((byte)7, 20).ToArray()),
            new NotifyPayload(NotifyType.Ikev2FragmentationSupported),
            NotifyPayload.SignatureHashAlgorithms(new ushort[] { 2, 3, 4 }),
            new NotifyPayload(NotifyType.RedirectSupported),
            new VendorIdPayload(new byte[] { 0x88, 0x2f, 0xe5, 0x6d, 0x6f, 0xd2, 0x0d, 0xbc }),
        });
    }

    /// <summary>The inner payloads of an IKE_AUTH request: every payload type that can appear encrypted.</summary>
    public static IkeMessage IkeAuthRequest()
    {
        var esp = new Proposal(1, ProtocolId.Esp, new byte[] { 0xc1, 0x00, 0x00, 0x01 }, new[]
        {
            new Transform(TransformType.Encryption, (ushort)EncrId.AesGcm16, 256),
            new Transform(TransformType.ExtendedSequenceNumbers, (ushort)EsnId.NoEsn),
            new Transform(TransformType.ExtendedSequenceNumbers, (ushort)EsnId.Esn),
        });
        return new IkeMessage(0x1122334455667788, 0x99aabbccddeeff00, ExchangeType.IkeAuth, IkeHeaderFlags.Initiator, 1, new Payload[]
        {
            new IdPayload(true, IdType.Rfc822Addr, "carol@example.org"u8.ToArray()),
            new CertPayload(CertEncoding.X509Signature, new byte[] { 0x30, 0x82, 0x01, 0x00 }),
            new CertReqPayload(CertEncoding.X509Signature, Enumerable.Range(0, 40).Select(i => (byte)i).ToArray()),
            new NotifyPayload(NotifyType.InitialContact),
            new IdPayload(false, IdType.Fqdn, "vpn.example.org"u8.ToArray()),
            new AuthPayload(IkeAuthMethod.SharedKeyMessageIntegrityCode, Enumerable.Repeat((byte)0xAA, 32).ToArray()),
            new ConfigPayload(ConfigType.Request, new[]
            {
                ConfigAttribute.Request(ConfigAttributeType.InternalIp4Address),
                ConfigAttribute.Request(ConfigAttributeType.InternalIp4Dns),
                ConfigAttribute.Request(ConfigAttributeType.InternalIp6Address),
                ConfigAttribute.Request(ConfigAttributeType.InternalIp6Dns),
                ConfigAttribute.Address(ConfigAttributeType.InternalIp4Subnet, IPAddress.Parse("10.0.0.0")) with { Value = new byte[] { 10, 0, 0, 0, 255, 255, 0, 0 } },
            }),
            new NotifyPayload(NotifyType.MobikeSupported),
            new SaPayload(new[] { esp }),
            new TsPayload(true, new[] { TrafficSelector.Any(System.Net.Sockets.AddressFamily.InterNetwork), TrafficSelector.Any(System.Net.Sockets.AddressFamily.InterNetworkV6) }),
            new TsPayload(false, new[] { new TrafficSelector(TrafficSelectorType.Ipv4AddrRange, 6, 443, 443, IPAddress.Parse("10.1.0.0"), IPAddress.Parse("10.1.255.255")) }),
            new EapPayload(new byte[] { 2, 7, 0, 10, 1, (byte)'c', (byte)'a', (byte)'r', (byte)'o', (byte)'l' }),
            new NotifyPayload(NotifyType.RekeySa, null, ProtocolId.Esp, new byte[] { 1, 2, 3, 4 }),
        });
    }

    public static IkeMessage InformationalDelete() =>
        new(1, 2, ExchangeType.Informational, IkeHeaderFlags.Response, 5, new Payload[]
        {
            DeletePayload.ForChildSas(ProtocolId.Esp, new uint[] { 0xc1000001, 0xc1000002 }),
            DeletePayload.ForIkeSa(),
        });
}
