using System.Buffers.Binary;

namespace Ikev2Client.Tests.Platform;

/// <summary>Builds IPv4/IPv6 TCP packets for the offload tests and checks checksums with a naive RFC 1071 sum.</summary>
internal static class OffloadPacketFactory
{
    public const byte Ack = 0x10, Psh = 0x08, Fin = 0x01, Cwr = 0x80, Syn = 0x02;

    /// <summary>A TCP packet with a 12-byte timestamp option and a correct checksum.</summary>
    public static byte[] Tcp(bool v6, int payloadLength, uint seq, byte flags = Ack, ushort sourcePort = 40000, int seed = 1)
    {
        int iph = v6 ? 40 : 20, tcph = 32;
        var p = new byte[iph + tcph + payloadLength];
        if (v6)
        {
            p[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), (ushort)(tcph + payloadLength));
            p[6] = 6;
            p[7] = 64;
            p[8] = 0xfd; p[23] = 2; // fd00::2
            p[24] = 0xfd; p[39] = 10; // fd00::a
        }
        else
        {
            p[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), 0x1234);
            p[6] = 0x40; // DF
            p[8] = 64;
            p[9] = 6;
            new byte[] { 10, 3, 0, 2, 10, 1, 0, 10 }.CopyTo(p, 12);
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(10), Complement(Sum(p.AsSpan(0, 20))));
        }
        var t = p.AsSpan(iph);
        BinaryPrimitives.WriteUInt16BigEndian(t, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(t[2..], 5201);
        BinaryPrimitives.WriteUInt32BigEndian(t[4..], seq);
        BinaryPrimitives.WriteUInt32BigEndian(t[8..], 0xabcdef01);
        t[12] = (byte)(tcph / 4 << 4);
        t[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(t[14..], 502);
        new byte[] { 1, 1, 8, 10, 0, 0, 0x10, 0, 0, 0, 0x20, 0 }.CopyTo(t[20..]);
        for (int i = 0; i < payloadLength; i++) t[tcph + i] = (byte)(i * 31 + seed);
        BinaryPrimitives.WriteUInt16BigEndian(t[16..], Complement(Pseudo(p, v6, t.Length) + Sum(t)));
        return p;
    }

    /// <summary>Naive one's complement sum of big-endian 16-bit words (odd tail padded with zero).</summary>
    public static uint Sum(ReadOnlySpan<byte> data)
    {
        uint s = 0;
        for (int i = 0; i < data.Length; i += 2)
        {
            s += (uint)(data[i] << 8 | (i + 1 < data.Length ? data[i + 1] : 0));
            s = (s & 0xffff) + (s >> 16);
        }
        return s;
    }

    public static uint Pseudo(ReadOnlySpan<byte> packet, bool v6, int tcpLength)
    {
        uint s = v6 ? Sum(packet.Slice(8, 32)) : Sum(packet.Slice(12, 8));
        s += 6 + (uint)tcpLength;
        while (s >> 16 != 0) s = (s & 0xffff) + (s >> 16);
        return s;
    }

    public static ushort Complement(uint sum)
    {
        while (sum >> 16 != 0) sum = (sum & 0xffff) + (sum >> 16);
        return (ushort)~sum;
    }

    public static bool TcpValid(ReadOnlySpan<byte> packet, bool v6)
    {
        int iph = v6 ? 40 : 20;
        uint s = Pseudo(packet, v6, packet.Length - iph) + Sum(packet[iph..]);
        while (s >> 16 != 0) s = (s & 0xffff) + (s >> 16);
        return s == 0xffff;
    }

    public static bool IPv4HeaderValid(ReadOnlySpan<byte> packet) => Sum(packet[..20]) == 0xffff;
}
