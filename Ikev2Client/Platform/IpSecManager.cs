using System.Net;
using System.Net.Sockets;

namespace Ikev2Client.Platform;

/// <summary>
/// The shape of Android's <c>android.net.IpSecManager</c>: SPI reservation, UDP encapsulation sockets, and
/// transport-mode transforms applied to sockets. The IKE layer talks only to this contract; Linux runs the
/// userspace implementation, an Android app would forward to the real IpSecManager.
/// </summary>
/// <remarks>
/// Rekey overlap (as IpSecManager documents it): applying a new <see cref="PolicyDirection.Out"/> transform to a
/// socket switches its outbound traffic at once; an <see cref="PolicyDirection.In"/> transform keeps decrypting
/// until it is disposed, so old and new inbound SAs live side by side and are found by SPI.
/// </remarks>
public interface IIpSecManager
{
    /// <summary>
    /// Reserves an SPI for <paramref name="destinationAddress"/>. With <paramref name="requestedSpi"/> 0 a random
    /// unused SPI in 256..2^32-1 is chosen; otherwise that exact SPI (its 32 bits read as unsigned).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The requested SPI is 1..255 (reserved by IANA).</exception>
    /// <exception cref="SpiUnavailableException">The requested SPI is already reserved.</exception>
    /// <exception cref="ResourceUnavailableException">No more SPIs can be reserved.</exception>
    SecurityParameterIndex AllocateSecurityParameterIndex(IPAddress destinationAddress, int requestedSpi = 0);

    /// <summary>Opens a UDP socket for ESP-in-UDP and IKE (port 4500 style); port 0 picks a free port.</summary>
    /// <exception cref="ResourceUnavailableException">The port cannot be bound.</exception>
    UdpEncapsulationSocket OpenUdpEncapsulationSocket(int port = 0);

    /// <summary>Applies a transport-mode transform to a socket for one direction (see the rekey remarks).</summary>
    void ApplyTransportModeTransform(Socket socket, PolicyDirection direction, IpSecTransform transform);

    /// <summary>Removes every transform applied to the socket; its traffic is then unprotected (or refused).</summary>
    void RemoveTransportModeTransforms(Socket socket);
}
