using System.Buffers.Binary;
using System.Net;

namespace Ikev2Client.Tests.Inspect;

/// <summary>Writes pcap and pcapng files with chosen link types, for inspect tests.</summary>
internal static class CaptureWriter
{
    public static byte[] Udp(IPEndPoint src, IPEndPoint dst, byte[] payload)
    {
        var udp = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(udp, (ushort)src.Port);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), (ushort)dst.Port);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udp.Length);
        payload.CopyTo(udp, 8);
        if (src.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            var ip = new byte[20 + udp.Length];
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(2), (ushort)ip.Length);
            ip[8] = 64;
            ip[9] = 17;
            src.Address.GetAddressBytes().CopyTo(ip, 12);
            dst.Address.GetAddressBytes().CopyTo(ip, 16);
            udp.CopyTo(ip, 20);
            return ip;
        }
        var ip6 = new byte[40 + udp.Length];
        ip6[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(ip6.AsSpan(4), (ushort)udp.Length);
        ip6[6] = 17;
        ip6[7] = 64;
        src.Address.GetAddressBytes().CopyTo(ip6, 8);
        dst.Address.GetAddressBytes().CopyTo(ip6, 24);
        udp.CopyTo(ip6, 40);
        return ip6;
    }

    public static byte[] Frame(int linkType, byte[] ipPacket)
    {
        bool v6 = ipPacket[0] >> 4 == 6;
        ushort ethertype = v6 ? (ushort)0x86dd : (ushort)0x0800;
        byte[] header;
        switch (linkType)
        {
            case 1:
                header = new byte[14];
                BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(12), ethertype);
                break;
            case 113:
                header = new byte[16];
                BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), ethertype);
                break;
            case 276:
                header = new byte[20];
                BinaryPrimitives.WriteUInt16BigEndian(header, ethertype);
                break;
            default:
                header = Array.Empty<byte>();
                break;
        }
        return header.Concat(ipPacket).ToArray();
    }

    public static byte[] Pcap(int linkType, IEnumerable<byte[]> frames)
    {
        var ms = new MemoryStream();
        var w = new BinaryWriter(ms);
        w.Write(0xa1b2c3d4u); w.Write((ushort)2); w.Write((ushort)4); w.Write(0); w.Write(0u); w.Write(65535u); w.Write((uint)linkType);
        uint t = 1_700_000_000;
        foreach (var f in frames)
        {
            w.Write(t++); w.Write(0u); w.Write((uint)f.Length); w.Write((uint)f.Length); w.Write(f);
        }
        return ms.ToArray();
    }

    /// <summary>Big-endian pcapng, to exercise the byte-order handling.</summary>
    public static byte[] PcapngBigEndian(int linkType, IEnumerable<byte[]> frames)
    {
        var ms = new MemoryStream();
        void U32(uint v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32BigEndian(b, v); ms.Write(b); }
        void U16(ushort v) { Span<byte> b = stackalloc byte[2]; BinaryPrimitives.WriteUInt16BigEndian(b, v); ms.Write(b); }
        // SHB
        U32(0x0a0d0d0a); U32(28); U32(0x1a2b3c4d); U16(1); U16(0); U32(0xffffffff); U32(0xffffffff); U32(28);
        // IDB with if_tsresol = 9 (nanoseconds)
        U32(1); U32(32); U16((ushort)linkType); U16(0); U32(65535); U16(9); U16(1); ms.WriteByte(9); ms.Write(new byte[3]); U16(0); U16(0); U32(32);
        ulong ts = 1_700_000_000UL * 1_000_000_000UL;
        foreach (var f in frames)
        {
            int padded = (f.Length + 3) & ~3;
            uint len = (uint)(32 + padded);
            U32(6); U32(len); U32(0); U32((uint)(ts >> 32)); U32((uint)ts); U32((uint)f.Length); U32((uint)f.Length);
            ms.Write(f); ms.Write(new byte[padded - f.Length]); U32(len);
            ts += 1_000_000;
        }
        return ms.ToArray();
    }
}
