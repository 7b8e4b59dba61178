using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using FluentAssertions;
using Ikev2Client.Platform;
using Ikev2Client.Platform.Linux;
using Ikev2Client.Platform.Net;
using Xunit;

namespace Ikev2Client.Tests.Platform;

/// <summary>recvmmsg/sendmmsg batching on loopback, both families, native path and portable fallback.</summary>
public sealed class BatchedUdpSocketTests
{
    private const int Count = 64;

    public static TheoryData<string, bool> Cases => new()
    {
        { "127.0.0.1", false }, { "::1", false }, { "127.0.0.1", true }, { "::1", true },
    };

    private static Socket Bound(string address)
    {
        var ip = IPAddress.Parse(address);
        var s = new Socket(ip.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(ip, 0));
        return s;
    }

    private static byte[] Datagram(int i) => Enumerable.Range(0, 60 + i * 11).Select(k => (byte)(k * 7 + i)).ToArray();

    [Theory]
    [MemberData(nameof(Cases))]
    public void SixtyFourDatagrams_round_trip_in_one_batch(string address, bool fallback)
    {
        using var rxSocket = Bound(address);
        using var txSocket = Bound(address);
        using var rx = new BatchedUdpSocket(rxSocket, Count, fallback);
        using var tx = new BatchedUdpSocket(txSocket, Count, fallback);
        rx.UsesMultiMessageCalls.Should().Be(!fallback && OperatingSystem.IsLinux());

        var outgoing = new ReadOnlyMemory<byte>[Count];
        for (var i = 0; i < Count; i++) outgoing[i] = Datagram(i);
        var destination = DatagramEndpoint.From((IPEndPoint)rxSocket.LocalEndPoint!);
        tx.SendBatch(outgoing, destination, CancellationToken.None).Should().Be(Count);

        const int offset = 16;
        var batch = new PacketBatch(Count, offset + 2048);
        var sources = new DatagramEndpoint[Count];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = new List<(byte[] Data, DatagramEndpoint From)>();
        var calls = 0;
        while (received.Count < Count)
        {
            var n = rx.ReceiveBatch(batch.Buffers, batch.Sizes, sources, offset, cts.Token);
            calls++;
            for (var i = 0; i < n; i++) received.Add((batch.Packet(i, offset).ToArray(), sources[i]));
        }
        if (!fallback) calls.Should().Be(1, "loopback queued all 64 before the single recvmmsg");

        var sender = DatagramEndpoint.From((IPEndPoint)txSocket.LocalEndPoint!);
        for (var i = 0; i < Count; i++)
        {
            received[i].Data.Should().Equal(Datagram(i), $"datagram {i} keeps its size and bytes");
            received[i].From.Should().Be(sender);
        }
    }

    [Fact]
    public void DualStackSocket_sends_to_IPv4_as_mapped_address()
    {
        using var rxSocket = Bound("127.0.0.1");
        using var txSocket = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true };
        txSocket.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
        using var rx = new BatchedUdpSocket(rxSocket);
        using var tx = new BatchedUdpSocket(txSocket);
        tx.SendBatch(new ReadOnlyMemory<byte>[] { new byte[] { 1, 2, 3 } }, DatagramEndpoint.From((IPEndPoint)rxSocket.LocalEndPoint!), default);

        var batch = new PacketBatch(4, 64);
        var sources = new DatagramEndpoint[4];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        rx.ReceiveBatch(batch.Buffers, batch.Sizes, sources, 0, cts.Token).Should().Be(1);
        batch.Packet(0, 0).ToArray().Should().Equal(1, 2, 3);
        sources[0].ToIPAddress().Should().Be(IPAddress.Loopback);
        sources[0].Port.Should().Be((ushort)((IPEndPoint)txSocket.LocalEndPoint!).Port);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Receive_is_cancellable(bool fallback)
    {
        using var socket = Bound("127.0.0.1");
        using var rx = new BatchedUdpSocket(socket, 8, fallback);
        var batch = new PacketBatch(8, 64);
        var sources = new DatagramEndpoint[8];
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var started = DateTime.UtcNow;
        var act = () => rx.ReceiveBatch(batch.Buffers, batch.Sizes, sources, 0, cts.Token);
        act.Should().Throw<OperationCanceledException>();
        (DateTime.UtcNow - started).Should().BeLessThan(TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task Dispose_wakes_a_blocked_receiver()
    {
        using var socket = Bound("127.0.0.1");
        var rx = new BatchedUdpSocket(socket, 8);
        var batch = new PacketBatch(8, 64);
        var receiver = Task.Run(() => rx.ReceiveBatch(batch.Buffers, batch.Sizes, new DatagramEndpoint[8], 0, CancellationToken.None));
        await Task.Delay(200);
        receiver.IsCompleted.Should().BeFalse();
        rx.Dispose();
        var act = async () => await receiver.WaitAsync(TimeSpan.FromSeconds(5));
        await act.Should().ThrowAsync<ObjectDisposedException>();
    }

    [Fact]
    public void NativeStructs_have_the_linux_lp64_layout()
    {
        Unsafe.SizeOf<Libc.IoVec>().Should().Be(16);
        Unsafe.SizeOf<Libc.MsgHdr>().Should().Be(56);
        Unsafe.SizeOf<Libc.MMsgHdr>().Should().Be(64);
        Unsafe.SizeOf<Libc.PollFd>().Should().Be(8);
    }

    [Fact]
    public void DatagramEndpoint_round_trips_through_sock_addr()
    {
        Span<byte> sa = stackalloc byte[32];
        var v4 = DatagramEndpoint.From(new IPEndPoint(IPAddress.Parse("192.0.2.7"), 4500));
        v4.WriteSockAddr(sa, asIPv6: false).Should().Be(16);
        sa[..4].ToArray().Should().Equal(2, 0, 0x11, 0x94);
        DatagramEndpoint.ReadSockAddr(sa).Should().Be(v4);

        var v6 = DatagramEndpoint.From(new IPEndPoint(IPAddress.Parse("2001:db8::1"), 500));
        v6.WriteSockAddr(sa, asIPv6: true).Should().Be(28);
        DatagramEndpoint.ReadSockAddr(sa).Should().Be(v6);
        v6.ToString().Should().Be("[2001:db8::1]:500");

        v4.WriteSockAddr(sa, asIPv6: true).Should().Be(28);
        DatagramEndpoint.ReadSockAddr(sa).ToIPAddress().Should().Be(IPAddress.Parse("::ffff:192.0.2.7"));
        default(DatagramEndpoint).AddressLength.Should().Be(0);
    }
}
