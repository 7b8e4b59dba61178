using System.Net;
using Ikev2Client.Protocol.Esp;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Ike;

/// <summary>
/// A negotiated CHILD SA (ESP) as the data plane needs it. "Inbound" is traffic the peer protects with
/// <see cref="InboundSpi"/> (the SPI we chose); "outbound" uses the peer's <see cref="OutboundSpi"/>.
/// </summary>
public sealed record ChildSaInfo(
    uint InboundSpi,
    uint OutboundSpi,
    NegotiatedAlgorithms Algorithms,
    EspMode Mode,
    IReadOnlyList<TrafficSelector> LocalTrafficSelectors,
    IReadOnlyList<TrafficSelector> RemoteTrafficSelectors,
    bool UdpEncapsulation,
    IPEndPoint LocalEndPoint,
    IPEndPoint RemoteEndPoint,
    ChildSaKeyMaterial Keys)
{
    public override string ToString() =>
        $"ESP in 0x{InboundSpi:x8} out 0x{OutboundSpi:x8} {Algorithms} {Mode} " +
        $"{string.Join(",", LocalTrafficSelectors)} === {string.Join(",", RemoteTrafficSelectors)}{(UdpEncapsulation ? " UDP-encap" : "")}";
}

/// <summary>CHILD SA keys by direction of traffic (encryption keys include the AEAD salt). Never printed.</summary>
public sealed class ChildSaKeyMaterial
{
    public required byte[] OutboundEncryptionKey { get; init; }
    public required byte[] OutboundIntegrityKey { get; init; }
    public required byte[] InboundEncryptionKey { get; init; }
    public required byte[] InboundIntegrityKey { get; init; }

    public override string ToString() => "ChildSaKeyMaterial { <secret> }";
}
