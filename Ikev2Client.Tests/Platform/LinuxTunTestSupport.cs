using System.Buffers.Binary;
using System.Net;
using Ikev2Client.Platform;
using Ikev2Client.Tests.Infrastructure;

namespace Ikev2Client.Tests.Platform;

/// <summary>Helpers for the root TUN tests: packet checks and reading with a deadline.</summary>
internal static class LinuxTunTestSupport
{
    public static void RequireRoot()
    {
        if (!Shell.IsRoot)
            throw new InvalidOperationException("Linux TUN tests need root (CI runs as root; run the tests with sudo)");
    }

    /// <summary>Reads batches until a packet matches, failing after <paramref name="timeout"/>.</summary>
    public static byte[] ReadUntil(IVpnInterface tun, Func<byte[], bool> match, TimeSpan timeout, int offset = 0)
    {
        var batch = new PacketBatch(tun.BatchSize, offset + tun.Mtu);
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            int n;
            try { n = tun.ReadPackets(batch.Buffers, batch.Sizes, offset, cts.Token); }
            catch (OperationCanceledException) { throw new TimeoutException($"no matching packet on {tun.Name} within {timeout}"); }
            for (var i = 0; i < n; i++)
            {
                var p = batch.Packet(i, offset).ToArray();
                if (match(p)) return p;
            }
        }
    }

    public static bool IsIPv4(byte[] p, byte protocol) => p.Length >= 20 && p[0] >> 4 == 4 && p[9] == protocol;

    public static IPAddress Source(byte[] p) => new(p.AsSpan(12, 4));

    public static IPAddress Destination(byte[] p) => new(p.AsSpan(16, 4));

    /// <summary>Internet checksum (RFC 1071) over <paramref name="data"/>.</summary>
    public static ushort Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (var i = 0; i + 1 < data.Length; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if ((data.Length & 1) != 0) sum += (uint)data[^1] << 8;
        while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }

    /// <summary>Turns an ICMP echo request into the matching echo reply (addresses swapped, checksums redone).</summary>
    public static byte[] EchoReplyFor(byte[] request)
    {
        var reply = (byte[])request.Clone();
        var ihl = (reply[0] & 0x0F) * 4;
        request.AsSpan(12, 4).CopyTo(reply.AsSpan(16, 4));
        request.AsSpan(16, 4).CopyTo(reply.AsSpan(12, 4));
        reply[ihl] = 0; // echo reply
        reply[ihl + 2] = reply[ihl + 3] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(ihl + 2), Checksum(reply.AsSpan(ihl)));
        reply[10] = reply[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(10), Checksum(reply.AsSpan(0, ihl)));
        return reply;
    }

    public static long Counter(NetworkNamespace ns, string device, string name) =>
        long.Parse(ns.Exec($"cat /sys/class/net/{device}/statistics/{name}").Trim());
}
