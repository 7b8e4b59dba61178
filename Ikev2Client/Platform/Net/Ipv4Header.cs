using System.Buffers.Binary;

namespace Ikev2Client.Platform.Net;

/// <summary>
/// The one IPv4 header reader (RFC 791 §3.1), used by the traffic-selector check, TCP segmentation and coalescing, and
/// <c>ikev2 inspect</c>. It checks what every user needs — version 4, at least 20 bytes, a header length (IHL) of at least
/// 20 bytes that fits — and leaves the rest (total length, protocol, fragments) to the caller. No allocation.
/// </summary>
/// <param name="HeaderLength">IHL in bytes (20–60).</param>
/// <param name="TotalLength">The Total Length field (not checked against the buffer).</param>
/// <param name="Protocol">The next protocol (6 TCP, 17 UDP, ...).</param>
/// <param name="Fragment">Flags and fragment offset (the 16 bits at offset 6).</param>
/// <param name="Source">Source address, network order as a number.</param>
/// <param name="Destination">Destination address, network order as a number.</param>
internal readonly record struct Ipv4Header(int HeaderLength, int TotalLength, byte Protocol, ushort Fragment, uint Source, uint Destination)
{
    /// <summary>The smallest header.</summary>
    public const int MinLength = 20;

    /// <summary>True for the first (or only) fragment: the one that carries the upper-layer header.</summary>
    public bool IsFirstFragment => (Fragment & 0x1FFF) == 0;

    /// <summary>True for any fragment of a fragmented datagram (more fragments follow, or a non-zero offset).</summary>
    public bool IsFragment => (Fragment & 0x3FFF) != 0;

    /// <summary>Reads the header at the start of <paramref name="packet"/>; false when it is not a well-formed IPv4 header.</summary>
    public static bool TryRead(ReadOnlySpan<byte> packet, out Ipv4Header header)
    {
        header = default;
        if (packet.Length < MinLength || packet[0] >> 4 != 4) return false;
        int ihl = (packet[0] & 0x0F) * 4;
        if (ihl < MinLength || packet.Length < ihl) return false;
        header = new Ipv4Header(ihl, BinaryPrimitives.ReadUInt16BigEndian(packet[2..]), packet[9], BinaryPrimitives.ReadUInt16BigEndian(packet[6..]),
            BinaryPrimitives.ReadUInt32BigEndian(packet[12..]), BinaryPrimitives.ReadUInt32BigEndian(packet[16..]));
        return true;
    }
}
