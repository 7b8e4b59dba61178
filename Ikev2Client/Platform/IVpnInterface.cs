using System.Net.Sockets;

namespace Ikev2Client.Platform;

/// <summary>
/// An established VPN interface (the TUN side of Android's <c>VpnService</c>), with batched packet I/O in the
/// spirit of wireguard-go's <c>tun.Device</c>: several packets per call, read at an offset so the caller can
/// build ESP/UDP headers in front of each packet in place. One reader thread and one writer thread may use
/// it concurrently. Dispose removes everything the interface installed.
/// </summary>
public interface IVpnInterface : IDisposable
{
    /// <summary>Interface name (e.g. <c>ikev2tun0</c>).</summary>
    string Name { get; }

    /// <summary>MTU in bytes: no packet read is longer, a caller's read buffers need <c>offset + Mtu</c> bytes.</summary>
    int Mtu { get; }

    /// <summary>Most packets one <see cref="ReadPackets"/> or <see cref="WritePackets"/> call handles well.</summary>
    int BatchSize { get; }

    /// <summary>The settings the interface was established with.</summary>
    VpnInterfaceConfiguration Configuration { get; }

    /// <summary>True once the interface is disposed (or its device vanished); reads and writes then throw.</summary>
    bool IsClosed { get; }

    /// <summary>Cancelled when the interface closes, for pumps that wait on other things too.</summary>
    CancellationToken Closed { get; }

    /// <summary>
    /// Reads up to <c>buffers.Length</c> (and at most <paramref name="sizes"/>.Length) packets. Packet i is written
    /// to <c>buffers[i].Span[offset..]</c> and its length to <c>sizes[i]</c>. Waits until at least one packet
    /// arrives (unless built with <c>SetBlocking(false)</c>, then returns 0 when none is queued), then takes every
    /// packet already queued up to the batch.
    /// </summary>
    /// <returns>The number of packets read.</returns>
    /// <exception cref="OperationCanceledException">the token was cancelled.</exception>
    /// <exception cref="VpnInterfaceClosedException">the interface is closed.</exception>
    int ReadPackets(ReadOnlySpan<Memory<byte>> buffers, Span<int> sizes, int offset, CancellationToken cancellationToken);

    /// <summary>
    /// Writes each element of <paramref name="packets"/> as one IP packet into the interface (towards the local stack).
    /// Packets the system rejects as malformed are dropped and counted, not thrown.
    /// </summary>
    /// <returns>The number of packets accepted.</returns>
    /// <exception cref="VpnInterfaceClosedException">the interface is closed.</exception>
    int WritePackets(ReadOnlySpan<ReadOnlyMemory<byte>> packets);

    /// <summary>Keeps the socket's traffic out of this tunnel (Android <c>VpnService.protect</c>).</summary>
    /// <returns>True when the socket is now protected.</returns>
    bool Protect(Socket socket);
}
