using System.Net;
using System.Threading.Channels;

namespace Ikev2Client.Platform;

/// <summary>An IKE message received on a UDP encapsulation socket, without its non-ESP marker.</summary>
/// <param name="Message">The IKE message (header onwards).</param>
/// <param name="Remote">Sender address and port.</param>
public readonly record struct ReceivedIkeDatagram(byte[] Message, IPEndPoint Remote);

/// <summary>
/// A UDP socket carrying ESP-in-UDP and IKE (RFC 3948), Android's <c>IpSecManager.UdpEncapsulationSocket</c>.
/// Received IKE messages (non-ESP marker) come out of <see cref="IkeMessages"/>; ESP goes to the SA by SPI;
/// NAT-keepalives are counted and dropped.
/// </summary>
public abstract class UdpEncapsulationSocket : IDisposable
{
    /// <summary>The bound local port.</summary>
    public abstract int Port { get; }

    /// <summary>IKE messages received on this socket, marker already stripped.</summary>
    public abstract ChannelReader<ReceivedIkeDatagram> IkeMessages { get; }

    /// <summary>Sends an IKE message, prefixed with the 4-byte non-ESP marker.</summary>
    public abstract ValueTask SendIkeAsync(ReadOnlyMemory<byte> ikeMessage, IPEndPoint remote, CancellationToken cancellationToken = default);

    /// <summary>Sends a one-byte NAT-keepalive (0xFF).</summary>
    public abstract ValueTask SendKeepaliveAsync(IPEndPoint remote, CancellationToken cancellationToken = default);

    /// <summary>NAT-keepalives received so far.</summary>
    public abstract long KeepalivesReceived { get; }

    /// <summary>Closes the socket.</summary>
    public abstract void Dispose();
}
