using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Ikev2Client.Connection;
using Ikev2Client.Platform;
using Ikev2Client.Platform.InMemory;
using Ikev2Client.Platform.Userspace;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Esp;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

using FluentAssertions;

namespace Ikev2Client.Tests.DataPlane;

/// <summary>Helpers: IPv4 packets, loopback sockets, keyed transforms and polling.</summary>
internal static class PumpTestSupport
{
    public static readonly byte[] GcmKey = Enumerable.Range(1, 36).Select(i => (byte)i).ToArray();

    /// <summary>NAT-T socket settings for tests that count every datagram: no keepalives.</summary>
    public static readonly NatTSocketOptions NoKeepalives = new() { KeepaliveInterval = null };

    public static Socket LoopbackSocket()
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return s;
    }

    public static IPEndPoint EndPoint(Socket s) => (IPEndPoint)s.LocalEndPoint!;

    /// <summary>A tunnel-mode AES-GCM-256 transform for <paramref name="spi"/>.</summary>
    public static IpSecTransform Transform(UserspaceIpSecManager? manager, uint spi, byte[]? key = null)
    {
        manager = new UserspaceIpSecManager(); // one per transform: both "hosts" of a test use the same SPI values
        var reservation = manager.AllocateSecurityParameterIndex(IPAddress.Loopback, unchecked((int)spi));
        return new IpSecTransform.Builder()
            .SetAuthenticatedEncryption(new IpSecAlgorithm(IpSecAlgorithm.AuthCryptAesGcm, key ?? GcmKey, 128))
            .BuildTunnelModeTransform(IPAddress.Loopback, reservation);
    }

    /// <summary>An independent sealer with the same key and SPI (plays an on-path attacker's or a replayer's copy).</summary>
    public static EspSa Sealer(uint spi, byte[]? key = null) =>
        new(spi, EncrId.AesGcm16, 256, IntegId.None, key ?? GcmKey, [], false, EspMode.Tunnel);

    public static TrafficSelectorSet Set(string cidr) => TrafficSelectorSet.From([TrafficSelector.FromNetwork(IPNetwork.Parse(cidr))]);

    /// <summary>A minimal IPv4/UDP packet with a recognisable payload.</summary>
    public static byte[] Ipv4Udp(string source, string destination, int payloadLength = 64, byte fill = 0xAB)
    {
        var p = new byte[28 + payloadLength];
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
        p[8] = 64;
        p[9] = 17;
        IPAddress.Parse(source).TryWriteBytes(p.AsSpan(12), out _);
        IPAddress.Parse(destination).TryWriteBytes(p.AsSpan(16), out _);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(20), 1234);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(22), 5678);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(24), (ushort)(8 + payloadLength));
        p.AsSpan(28).Fill(fill);
        return p;
    }

    /// <summary>Seals <paramref name="packet"/> with <paramref name="sa"/> into a new ESP datagram.</summary>
    public static byte[] Seal(EspSa sa, byte[] packet)
    {
        var buffer = new byte[64 + packet.Length + EspSa.MaxOverhead];
        packet.CopyTo(buffer, 32);
        sa.Seal(buffer, 32, packet.Length, out int offset, out int length).Should().Be(EspSealResult.Ok);
        return buffer.AsSpan(offset, length).ToArray();
    }

    public static InMemoryVpnInterface Tun(string address)
    {
        var builder = new InMemoryVpnInterfaceBuilder();
        builder.AddAddress(IPAddress.Parse(address), 32);
        builder.Establish();
        return builder.Established!;
    }

    public static bool WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var end = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < end)
        {
            if (condition()) return true;
            Thread.Sleep(5);
        }
        return condition();
    }

    public static byte[]? TakeWritten(InMemoryVpnInterface tun, TimeSpan timeout)
    {
        byte[]? p = null;
        WaitUntil(() => (p = tun.TakeWritten()) != null, timeout);
        return p;
    }
}
