using System.Buffers.Binary;

namespace Ikev2Client.Platform.Linux.Offload;

/// <summary>
/// Userspace GRO for packets written to a TUN with offloads enabled: a run of consecutive, in-order TCP segments
/// of one flow (same addresses, ports, IP fields, ACK number, window and options; only ACK/PSH flags; every segment
/// but the last exactly the first one's payload size; valid checksums) becomes one IP packet of up to 64 KB with a
/// virtio-net header (GSO TCPv4/TCPv6, gso_size = that payload size, CHECKSUM_PARTIAL), so the kernel forwards or
/// delivers it as a single super-segment. PSH ends a run, as in the kernel's tcp_gro_receive.
/// </summary>
internal static class TcpCoalescer
{
    /// <summary>Largest IP packet the output may hold.</summary>
    public const int MaxPacket = 65535;

    private const byte Ack = 0x10, Psh = 0x08;

    /// <summary>Parsed view of a coalescing candidate.</summary>
    internal readonly record struct Segment(bool V6, int IpHeaderLength, int HeaderLength, int PayloadLength, uint Sequence, byte Flags);

    /// <summary>True when <paramref name="packet"/> is a TCP segment with payload, plain headers and only ACK/PSH set.</summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, out Segment segment)
    {
        segment = default;
        if (packet.Length < 40) return false;
        int version = packet[0] >> 4;
        int iph;
        bool v6;
        if (version == 4)
        {
            v6 = false;
            iph = 20;
            if (!Net.Ipv4Header.TryRead(packet, out var ip) || ip.HeaderLength != 20 || ip.Protocol != 6) return false;
            if (ip.TotalLength != packet.Length) return false;
            if (ip.IsFragment) return false; // MF or fragment offset
        }
        else if (version == 6)
        {
            v6 = true;
            iph = 40;
            if (packet.Length < 60 || packet[6] != 6) return false;
            if (BinaryPrimitives.ReadUInt16BigEndian(packet[4..]) + 40 != packet.Length) return false;
        }
        else return false;
        int tcph = (packet[iph + 12] >> 4) * 4;
        if (tcph < 20 || iph + tcph >= packet.Length) return false; // no payload: nothing to coalesce
        byte flags = packet[iph + 13];
        if ((flags & ~(Ack | Psh)) != 0 || (flags & Ack) == 0) return false;
        segment = new Segment(v6, iph, iph + tcph, packet.Length - iph - tcph, BinaryPrimitives.ReadUInt32BigEndian(packet[(iph + 4)..]), flags);
        return true;
    }

    /// <summary>
    /// Coalesces a run starting at <paramref name="start"/>. When at least two packets join, writes the virtio-net
    /// header and the merged packet to <paramref name="output"/> and returns the number of packets consumed, with the
    /// output length in <paramref name="written"/>; returns 1 (nothing written) when the first packet stays alone.
    /// </summary>
    public static int Coalesce(ReadOnlySpan<ReadOnlyMemory<byte>> packets, int start, Span<byte> output, out int written)
    {
        written = 0;
        var first = packets[start].Span;
        if (start + 1 >= packets.Length || !TryParse(first, out var head) || (head.Flags & Psh) != 0) return 1;
        int limit = Math.Min(MaxPacket + (head.V6 ? 40 : 0), output.Length - VirtioNetHeader.Size);
        int gso = head.PayloadLength;
        int total = first.Length;
        uint nextSeq = head.Sequence + (uint)gso;
        int end = start + 1;
        bool checkedFirst = false;
        byte lastFlags = head.Flags;
        while (end < packets.Length)
        {
            var p = packets[end].Span;
            if (!TryParse(p, out var s) || s.V6 != head.V6 || s.HeaderLength != head.HeaderLength || s.PayloadLength > gso
                || s.Sequence != nextSeq || total + s.PayloadLength > limit || !SameFlow(first, p, head)) break;
            if (!checkedFirst)
            {
                if (!InternetChecksum.TcpChecksumValid(first, head.V6, head.IpHeaderLength)) return 1;
                checkedFirst = true;
            }
            if (!InternetChecksum.TcpChecksumValid(p, head.V6, head.IpHeaderLength)) break;
            total += s.PayloadLength;
            nextSeq += (uint)s.PayloadLength;
            lastFlags = s.Flags;
            end++;
            if (s.PayloadLength < gso || (s.Flags & Psh) != 0) break;
        }
        int count = end - start;
        if (count < 2) return 1;

        var packet = output.Slice(VirtioNetHeader.Size, total);
        first.CopyTo(packet);
        int at = first.Length;
        for (int i = start + 1; i < end; i++)
        {
            var p = packets[i].Span[head.HeaderLength..];
            p.CopyTo(packet[at..]);
            at += p.Length;
        }
        int iph = head.IpHeaderLength;
        if (head.V6) BinaryPrimitives.WriteUInt16BigEndian(packet[4..], (ushort)(total - 40));
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(packet[2..], (ushort)total);
            InternetChecksum.SetIPv4HeaderChecksum(packet, iph);
        }
        packet[iph + 13] = (byte)(head.Flags | (lastFlags & Psh));
        // CHECKSUM_PARTIAL: the field holds the pseudo-header sum; the kernel (or the NIC) finishes each segment.
        BinaryPrimitives.WriteUInt16BigEndian(packet[(iph + 16)..], (ushort)InternetChecksum.PseudoHeader(packet, head.V6, 6, total - iph));
        new VirtioNetHeader(VirtioNetHeader.FlagNeedsCsum, head.V6 ? VirtioNetHeader.GsoTcpV6 : VirtioNetHeader.GsoTcpV4,
            (ushort)head.HeaderLength, (ushort)gso, (ushort)iph, 16).Write(output);
        written = VirtioNetHeader.Size + total;
        return count;
    }

    /// <summary>Same IP fields (except length, ID, checksum) and same TCP ports, ACK, header word (window) and options.</summary>
    private static bool SameFlow(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, in Segment h)
    {
        int iph = h.IpHeaderLength;
        if (h.V6)
        {
            if (!a[..4].SequenceEqual(b[..4]) || !a.Slice(6, 34).SequenceEqual(b.Slice(6, 34))) return false;
        }
        else
        {
            if (a[1] != b[1] || a[6] != b[6] || a[8] != b[8] || !a.Slice(12, 8).SequenceEqual(b.Slice(12, 8))) return false;
        }
        var ta = a[iph..h.HeaderLength];
        var tb = b[iph..h.HeaderLength];
        return ta[..4].SequenceEqual(tb[..4]) // ports
            && ta.Slice(8, 4).SequenceEqual(tb.Slice(8, 4)) // ACK number
            && ta[12] == tb[12] && ta.Slice(14, 2).SequenceEqual(tb.Slice(14, 2)) // data offset, window
            && ta[20..].SequenceEqual(tb[20..]); // options
    }
}
