using System.Buffers.Binary;
using System.Net;

namespace Ikev2Client.Inspect;

public enum PacketKind { Ike, Esp, NatKeepalive, Other }

/// <summary>A UDP datagram on port 500 or 4500, classified.</summary>
public sealed record DecodedPacket(IPEndPoint Source, IPEndPoint Destination, PacketKind Kind, byte[] Payload)
{
    /// <summary>ESP SPI and sequence number (RFC 4303 header), when <see cref="Kind"/> is ESP.</summary>
    public (uint Spi, uint Sequence)? Esp => Kind == PacketKind.Esp && Payload.Length >= 8
        ? (BinaryPrimitives.ReadUInt32BigEndian(Payload), BinaryPrimitives.ReadUInt32BigEndian(Payload.AsSpan(4)))
        : null;
}

/// <summary>
/// Link layer (Ethernet with VLAN tags, Linux cooked SLL and SLL2, raw IP, BSD loopback) → IPv4/IPv6 → UDP
/// 500/4500. On 4500 the non-ESP marker (four zero bytes) separates IKE from ESP; a single 0xFF byte is a NAT
/// keepalive (RFC 3948).
/// </summary>
public static class PacketDecoder
{
    public static DecodedPacket? Decode(CapturedFrame frame)
    {
        var d = frame.Data.AsSpan();
        int etherType;
        switch (frame.LinkType)
        {
            case CaptureReader.LinkTypeEthernet:
                if (d.Length < 14) return null;
                etherType = BinaryPrimitives.ReadUInt16BigEndian(d.Slice(12));
                d = d.Slice(14);
                while (etherType is 0x8100 or 0x88a8 && d.Length >= 4)
                {
                    etherType = BinaryPrimitives.ReadUInt16BigEndian(d.Slice(2));
                    d = d.Slice(4);
                }
                break;
            case CaptureReader.LinkTypeLinuxSll:
                if (d.Length < 16) return null;
                etherType = BinaryPrimitives.ReadUInt16BigEndian(d.Slice(14));
                d = d.Slice(16);
                break;
            case CaptureReader.LinkTypeLinuxSll2:
                if (d.Length < 20) return null;
                etherType = BinaryPrimitives.ReadUInt16BigEndian(d);
                d = d.Slice(20);
                break;
            case CaptureReader.LinkTypeNull:
                if (d.Length < 4) return null;
                d = d.Slice(4);
                etherType = d.Length > 0 && d[0] >> 4 == 6 ? 0x86dd : 0x0800;
                break;
            case CaptureReader.LinkTypeRaw or 12 or 14 or CaptureReader.LinkTypeIpv4 or CaptureReader.LinkTypeIpv6:
                if (d.Length < 1) return null;
                etherType = d[0] >> 4 == 6 ? 0x86dd : 0x0800;
                break;
            default:
                return null;
        }
        return etherType switch
        {
            0x0800 => DecodeIpv4(d),
            0x86dd => DecodeIpv6(d),
            _ => null,
        };
    }

    private static DecodedPacket? DecodeIpv4(ReadOnlySpan<byte> d)
    {
        if (!Platform.Net.Ipv4Header.TryRead(d, out var ip) || ip.Protocol != 17) return null;
        int ihl = ip.HeaderLength, total = ip.TotalLength;
        if (ip.IsFragment) return null; // IP fragments are not reassembled
        if (total >= ihl && total < d.Length) d = d.Slice(0, total);
        var src = new IPAddress(d.Slice(12, 4));
        var dst = new IPAddress(d.Slice(16, 4));
        return DecodeUdp(src, dst, d.Slice(ihl));
    }

    private static DecodedPacket? DecodeIpv6(ReadOnlySpan<byte> d)
    {
        if (d.Length < 40 || d[0] >> 4 != 6) return null;
        var src = new IPAddress(d.Slice(8, 16));
        var dst = new IPAddress(d.Slice(24, 16));
        int next = d[6];
        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(d.Slice(4));
        var p = d.Slice(40);
        if (payloadLength < p.Length) p = p.Slice(0, payloadLength);
        for (int hops = 0; hops < 8 && next is 0 or 43 or 60; hops++)
        {
            if (p.Length < 8) return null;
            int len = (p[1] + 1) * 8;
            if (p.Length < len) return null;
            next = p[0];
            p = p.Slice(len);
        }
        return next == 17 ? DecodeUdp(src, dst, p) : null;
    }

    private static DecodedPacket? DecodeUdp(IPAddress src, IPAddress dst, ReadOnlySpan<byte> u)
    {
        if (u.Length < 8) return null;
        int sport = BinaryPrimitives.ReadUInt16BigEndian(u);
        int dport = BinaryPrimitives.ReadUInt16BigEndian(u.Slice(2));
        int length = BinaryPrimitives.ReadUInt16BigEndian(u.Slice(4));
        var payload = u.Slice(8, Math.Clamp(length - 8, 0, u.Length - 8));
        var from = new IPEndPoint(src, sport);
        var to = new IPEndPoint(dst, dport);
        if (sport == 500 || dport == 500)
            return new DecodedPacket(from, to, PacketKind.Ike, payload.ToArray());
        if (sport == 4500 || dport == 4500)
        {
            if (payload.Length == 1 && payload[0] == 0xff) return new DecodedPacket(from, to, PacketKind.NatKeepalive, payload.ToArray());
            if (payload.Length >= 4 && BinaryPrimitives.ReadUInt32BigEndian(payload) == 0)
                return new DecodedPacket(from, to, PacketKind.Ike, payload.Slice(4).ToArray());
            return new DecodedPacket(from, to, PacketKind.Esp, payload.ToArray());
        }
        return null;
    }
}
