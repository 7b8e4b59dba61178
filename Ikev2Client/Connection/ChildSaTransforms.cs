using System.Net;
using Ikev2Client.Platform;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Esp;
using Ikev2Client.Protocol.Ike;

namespace Ikev2Client.Connection;

/// <summary>
/// Both directions of one negotiated CHILD SA as <see cref="IpSecTransform"/>s built through the IpSecManager contract
/// (SPI reservations included), plus its traffic selectors in packet-checkable form. The negotiated transforms map to
/// <see cref="IpSecAlgorithm"/>s with <see cref="IpSecAlgorithm.TryMapEncryption"/> and <see cref="IpSecAlgorithm.TryMapIntegrity"/>. The two directions are disposed
/// separately so a rekey can retire the outbound SA at once and the inbound one later.
/// </summary>
public sealed class ChildSaTransforms : IDisposable
{
    private ChildSaTransforms(ChildSaInfo child, IpSecTransform inbound, IpSecTransform outbound)
    {
        Child = child;
        Inbound = inbound;
        Outbound = outbound;
        Local = TrafficSelectorSet.From(child.LocalTrafficSelectors);
        Remote = TrafficSelectorSet.From(child.RemoteTrafficSelectors);
    }

    /// <summary>The negotiated CHILD SA.</summary>
    public ChildSaInfo Child { get; }
    /// <summary>Decrypts what the peer sends (our SPI).</summary>
    public IpSecTransform Inbound { get; }
    /// <summary>Encrypts what we send (the peer's SPI).</summary>
    public IpSecTransform Outbound { get; }
    /// <summary>Our traffic selectors.</summary>
    public TrafficSelectorSet Local { get; }
    /// <summary>The peer's traffic selectors.</summary>
    public TrafficSelectorSet Remote { get; }

    /// <summary>
    /// Builds the transforms in <paramref name="mode"/>. The inbound SPI reservation comes from
    /// <paramref name="spis"/> when the session allocated it there; the outbound one is reserved for the peer.
    /// With <paramref name="encapsulation"/> both carry ESP in UDP from that socket to the peer's NAT-T port
    /// (<see cref="ChildSaInfo.RemoteEndPoint"/>), as transport-mode transforms applied to sockets need.
    /// </summary>
    /// <param name="lifetime">Soft and hard byte/packet limits for both directions (none when null).</param>
    public static ChildSaTransforms Create(ChildSaInfo child, IIpSecManager manager, IpSecSpiAllocator? spis, EspMode mode,
        UdpEncapsulationSocket? encapsulation = null, EspLifetime? lifetime = null)
    {
        ArgumentNullException.ThrowIfNull(child);
        ArgumentNullException.ThrowIfNull(manager);
        var localAddress = child.LocalEndPoint.Address;
        var remoteAddress = child.RemoteEndPoint.Address;
        var inSpi = spis?.Take(child.InboundSpi) ?? manager.AllocateSecurityParameterIndex(localAddress, unchecked((int)child.InboundSpi));
        SecurityParameterIndex? outSpi = null;
        IpSecTransform? inbound = null;
        try
        {
            outSpi = manager.AllocateSecurityParameterIndex(remoteAddress, unchecked((int)child.OutboundSpi));
            inbound = Build(child, inbound: true, encapsulation, lifetime).Build(mode, remoteAddress, inSpi);
            var outbound = Build(child, inbound: false, encapsulation, lifetime).Build(mode, localAddress, outSpi);
            return new ChildSaTransforms(child, inbound, outbound);
        }
        catch
        {
            inbound?.Dispose();
            inSpi.Dispose();
            outSpi?.Dispose();
            throw;
        }
    }

    private static IpSecTransform.Builder Build(ChildSaInfo child, bool inbound, UdpEncapsulationSocket? encapsulation, EspLifetime? lifetime)
    {
        var a = child.Algorithms;
        var k = child.Keys;
        var encKey = inbound ? k.InboundEncryptionKey : k.OutboundEncryptionKey;
        var intKey = inbound ? k.InboundIntegrityKey : k.OutboundIntegrityKey;
        var builder = new IpSecTransform.Builder().SetExtendedSequenceNumbers(a.Esn == EsnId.Esn);
        if (lifetime != null) builder.SetLifetime(lifetime);
        if (encapsulation != null) builder.SetIpv4Encapsulation(encapsulation, child.RemoteEndPoint.Port);
        if (!IpSecAlgorithm.TryMapEncryption(a.Encryption.Id, a.Encryption.KeyBits, out var cipher, out var icvBits))
            throw new NotSupportedException($"ESP encryption {a.Encryption} is not supported by the data plane");
        if (a.Encryption.IsAead)
            return builder.SetAuthenticatedEncryption(new IpSecAlgorithm(cipher, encKey, icvBits));
        if (a.Integrity == IntegId.None || !IpSecAlgorithm.TryMapIntegrity(a.Integrity, out var auth, out var truncation))
            throw new NotSupportedException($"ESP integrity {a.Integrity} is not supported by the data plane");
        return builder.SetEncryption(new IpSecAlgorithm(cipher, encKey))
            .SetAuthentication(new IpSecAlgorithm(auth, intKey, truncation));
    }

    /// <summary>Disposes the outbound transform and its SPI reservation.</summary>
    public void DisposeOutbound()
    {
        Outbound.Dispose();
        Outbound.SecurityParameterIndex.Dispose();
    }

    /// <summary>Disposes the inbound transform and its SPI reservation.</summary>
    public void DisposeInbound()
    {
        Inbound.Dispose();
        Inbound.SecurityParameterIndex.Dispose();
    }

    /// <summary>Disposes both directions (idempotent).</summary>
    public void Dispose()
    {
        DisposeOutbound();
        DisposeInbound();
    }

    /// <inheritdoc />
    public override string ToString() => Child.ToString();
}

internal static class IpSecTransformBuilderExtensions
{
    public static IpSecTransform Build(this IpSecTransform.Builder builder, EspMode mode, IPAddress source, SecurityParameterIndex spi) =>
        mode == EspMode.Transport ? builder.BuildTransportModeTransform(source, spi) : builder.BuildTunnelModeTransform(source, spi);
}
