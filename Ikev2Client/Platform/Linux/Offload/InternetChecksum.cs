using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Ikev2Client.Platform.Linux.Offload;

/// <summary>
/// The Internet checksum (RFC 1071): 16-bit one's complement sums. Values are kept in big-endian ("network")
/// convention, so partial sums of headers, pseudo-headers and payloads can simply be added and folded.
/// </summary>
internal static class InternetChecksum
{
    /// <summary>One's complement sum of <paramref name="data"/> (odd tail padded with zero), folded to 16 bits.</summary>
    public static uint Sum(ReadOnlySpan<byte> data)
    {
        // RFC 1071 §2(B): the sum is byte-order independent, so add native words and swap once at the end.
        ulong acc = 0;
        ref byte r = ref MemoryMarshal.GetReference(data);
        int len = data.Length, i = 0;
        for (; i + 32 <= len; i += 32)
        {
            ulong a = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref r, i));
            ulong b = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref r, i + 8));
            ulong c = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref r, i + 16));
            ulong d = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref r, i + 24));
            acc += (a & 0xffffffff) + (a >> 32) + (b & 0xffffffff) + (b >> 32) + (c & 0xffffffff) + (c >> 32) + (d & 0xffffffff) + (d >> 32);
        }
        for (; i + 4 <= len; i += 4) acc += Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref r, i));
        if (i + 2 <= len)
        {
            acc += Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref r, i));
            i += 2;
        }
        if (i < len) acc += BitConverter.IsLittleEndian ? data[i] : (ulong)data[i] << 8;
        uint folded = Fold(acc);
        return BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness((ushort)folded) : folded;
    }

    /// <summary>Folds a wide sum into 16 bits with end-around carry.</summary>
    public static uint Fold(ulong sum)
    {
        while (sum >> 16 != 0) sum = (sum & 0xffff) + (sum >> 16);
        return (uint)sum;
    }

    /// <summary>The final checksum field value: the complement of the folded sum.</summary>
    public static ushort Complement(ulong sum) => (ushort)~Fold(sum);

    /// <summary>
    /// Sum of the TCP/UDP pseudo-header (RFC 793 §3.1, RFC 8200 §8.1) of an IPv4 or IPv6 <paramref name="ipPacket"/>
    /// for an upper-layer length of <paramref name="upperLength"/>.
    /// </summary>
    public static uint PseudoHeader(ReadOnlySpan<byte> ipPacket, bool v6, byte protocol, int upperLength)
    {
        ulong sum = v6 ? Sum(ipPacket.Slice(8, 32)) : Sum(ipPacket.Slice(12, 8));
        sum += protocol;
        sum += (uint)upperLength;
        return Fold(sum);
    }

    /// <summary>Recomputes the IPv4 header checksum of the first <paramref name="headerLength"/> bytes.</summary>
    public static void SetIPv4HeaderChecksum(Span<byte> packet, int headerLength)
    {
        packet[10] = 0;
        packet[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(packet[10..], Complement(Sum(packet[..headerLength])));
    }

    /// <summary>Writes the full TCP checksum of the segment starting at <paramref name="tcpOffset"/> (to the packet's end).</summary>
    public static void SetTcpChecksum(Span<byte> packet, bool v6, int tcpOffset)
    {
        int tcpLength = packet.Length - tcpOffset;
        packet[tcpOffset + 16] = 0;
        packet[tcpOffset + 17] = 0;
        ulong sum = PseudoHeader(packet, v6, 6, tcpLength) + (ulong)Sum(packet[tcpOffset..]);
        BinaryPrimitives.WriteUInt16BigEndian(packet[(tcpOffset + 16)..], Complement(sum));
    }

    /// <summary>True when the TCP checksum of the segment starting at <paramref name="tcpOffset"/> verifies.</summary>
    public static bool TcpChecksumValid(ReadOnlySpan<byte> packet, bool v6, int tcpOffset)
    {
        ulong sum = PseudoHeader(packet, v6, 6, packet.Length - tcpOffset) + (ulong)Sum(packet[tcpOffset..]);
        return Fold(sum) == 0xffff;
    }
}
