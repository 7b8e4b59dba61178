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
    /// <summary>SPIs, algorithms, mode and selectors (never keys).</summary>
    public override string ToString() =>
        $"ESP in 0x{InboundSpi:x8} out 0x{OutboundSpi:x8} {Algorithms} {Mode} " +
        $"{string.Join(",", LocalTrafficSelectors)} === {string.Join(",", RemoteTrafficSelectors)}{(UdpEncapsulation ? " UDP-encap" : "")}";
}

/// <summary>CHILD SA keys by direction of traffic (encryption keys include the AEAD salt). Never printed.</summary>
public sealed class ChildSaKeyMaterial
{
    /// <summary>Encryption key (with salt for AEAD/CTR) of the traffic we send.</summary>
    public required byte[] OutboundEncryptionKey { get; init; }
    /// <summary>Integrity key of the traffic we send (empty for AEAD).</summary>
    public required byte[] OutboundIntegrityKey { get; init; }
    /// <summary>Encryption key (with salt for AEAD/CTR) of the traffic we receive.</summary>
    public required byte[] InboundEncryptionKey { get; init; }
    /// <summary>Integrity key of the traffic we receive (empty for AEAD).</summary>
    public required byte[] InboundIntegrityKey { get; init; }

    /// <summary>A placeholder: keys are never printed.</summary>
    public override string ToString() => "ChildSaKeyMaterial { <secret> }";
}
