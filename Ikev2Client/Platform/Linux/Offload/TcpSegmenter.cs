using System.Buffers.Binary;

namespace Ikev2Client.Platform.Linux.Offload;

/// <summary>
/// Userspace GSO for packets read from a TUN with TSO enabled: a TCP "super-segment" (up to 64 KB of payload behind
/// one IP + TCP header, with a virtio-net header giving the MSS) is cut into MSS-sized IP packets — each with its own
/// IP length (and IPv4 identification + header checksum), sequence number, flags (FIN/PSH only on the last, CWR only
/// on the first, as the kernel's tcp_gso_segment does) and a full TCP checksum. Packets without GSO only get their
/// pending checksum (CHECKSUM_PARTIAL) completed.
/// </summary>
internal static class TcpSegmenter
{
    private const byte Fin = 0x01, Psh = 0x08, Cwr = 0x80;

    /// <summary>What a read packet turns into.</summary>
    internal readonly record struct Plan(bool V6, int IpHeaderLength, int HeaderLength, int GsoSize, int PayloadLength, int Count);

    /// <summary>
    /// Validates a TSO packet and plans its segments. False for anything that is not a well-formed IPv4/IPv6 TCP
    /// super-segment matching its header (the caller drops it).
    /// </summary>
    public static bool TryPlan(ReadOnlySpan<byte> packet, in VirtioNetHeader header, out Plan plan)
    {
        plan = default;
        int type = header.GsoType & ~VirtioNetHeader.GsoEcn;
        if (type != VirtioNetHeader.GsoTcpV4 && type != VirtioNetHeader.GsoTcpV6) return false;
        bool v6 = type == VirtioNetHeader.GsoTcpV6;
        if (packet.Length < (v6 ? 60 : 40)) return false;
        var ip = default(Net.Ipv4Header);
        if (v6 ? packet[0] >> 4 != 6 : !Net.Ipv4Header.TryRead(packet, out ip)) return false;
        // csum_start marks the TCP header when the checksum is pending; otherwise derive it from the IP header.
        int iph = (header.Flags & VirtioNetHeader.FlagNeedsCsum) != 0 ? header.CsumStart
            : v6 ? (packet[6] == 6 ? 40 : 0) : ip.HeaderLength;
        if (v6 ? iph < 40 : iph != ip.HeaderLength) return false;
        if (!v6 && ip.Protocol != 6) return false;
        if (iph + 20 > packet.Length) return false;
        int tcph = (packet[iph + 12] >> 4) * 4;
        int hdr = iph + tcph;
        if (tcph < 20 || hdr > packet.Length || header.GsoSize == 0) return false;
        int payload = packet.Length - hdr;
        int count = payload == 0 ? 1 : (payload + header.GsoSize - 1) / header.GsoSize;
        plan = new Plan(v6, iph, hdr, header.GsoSize, payload, count);
        return true;
    }

    /// <summary>Writes segment <paramref name="index"/> of <paramref name="packet"/> into <paramref name="destination"/>; returns its length, or -1 if it does not fit.</summary>
    public static int WriteSegment(ReadOnlySpan<byte> packet, in Plan plan, int index, Span<byte> destination)
    {
        int start = plan.HeaderLength + index * plan.GsoSize;
        int chunk = Math.Min(plan.GsoSize, plan.PayloadLength - index * plan.GsoSize);
        if (chunk < 0) chunk = 0;
        int length = plan.HeaderLength + chunk;
        if (length > destination.Length) return -1;
        var seg = destination[..length];
        packet[..plan.HeaderLength].CopyTo(seg);
        packet.Slice(start, chunk).CopyTo(seg[plan.HeaderLength..]);
        int iph = plan.IpHeaderLength;
        if (plan.V6)
        {
            BinaryPrimitives.WriteUInt16BigEndian(seg[4..], (ushort)(length - 40));
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(seg[2..], (ushort)length);
            ushort id = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
            BinaryPrimitives.WriteUInt16BigEndian(seg[4..], (ushort)(id + index));
            InternetChecksum.SetIPv4HeaderChecksum(seg, iph);
        }
        uint seq = BinaryPrimitives.ReadUInt32BigEndian(packet[(iph + 4)..]);
        BinaryPrimitives.WriteUInt32BigEndian(seg[(iph + 4)..], seq + (uint)(index * plan.GsoSize));
        byte flags = seg[iph + 13];
        if (index != plan.Count - 1) flags &= unchecked((byte)~(Fin | Psh));
        if (index != 0) flags &= unchecked((byte)~Cwr);
        seg[iph + 13] = flags;
        InternetChecksum.SetTcpChecksum(seg, plan.V6, iph);
        return length;
    }

    /// <summary>
    /// Completes a CHECKSUM_PARTIAL packet in place: the field at CsumStart + CsumOffset holds the pseudo-header sum;
    /// the one's complement of the sum from CsumStart to the end goes there. False when the offsets are out of range.
    /// </summary>
    public static bool CompleteChecksum(Span<byte> packet, in VirtioNetHeader header)
    {
        if ((header.Flags & VirtioNetHeader.FlagNeedsCsum) == 0) return true;
        int start = header.CsumStart, at = header.CsumStart + header.CsumOffset;
        if (at + 2 > packet.Length) return false;
        // The field already contains the (non-complemented) pseudo-header sum and is part of the summed range.
        ushort result = InternetChecksum.Complement(InternetChecksum.Sum(packet[start..]));
        if (result == 0 && header.CsumOffset == 6) result = 0xffff; // UDP sends a computed zero as all ones (RFC 768)
        BinaryPrimitives.WriteUInt16BigEndian(packet[at..], result);
        return true;
    }
}
