using System.Net;
using System.Net.Sockets;
using FluentAssertions;
using Ikev2Client.Platform;
using Ikev2Client.Platform.Net;
using Xunit;

namespace Ikev2Client.Tests.Platform;

/// <summary>UDP GSO on send (UDP_SEGMENT) and GRO on receive (UDP_GRO) over loopback: content, order, boundaries.</summary>
public sealed class BatchedUdpSocketOffloadTests
{
    private static Socket Bound(string address)
    {
        var ip = IPAddress.Parse(address);
        var s = new Socket(ip.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(ip, 0));
        return s;
    }

    /// <summary>40 datagrams of 1200 bytes, then 300, 1200 (a new run), 1200 and 7 bytes.</summary>
    private static ReadOnlyMemory<byte>[] Datagrams()
    {
        var sizes = Enumerable.Repeat(1200, 40).Concat([300, 1200, 1200, 7]).ToArray();
        return sizes.Select((n, i) => (ReadOnlyMemory<byte>)Enumerable.Range(0, n).Select(k => (byte)(k * 13 + i * 7)).ToArray()).ToArray();
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("::1", true)]
    [InlineData("127.0.0.1", false)]
    [InlineData("::1", false)]
    public void SegmentedSend_arrives_as_the_same_datagrams(string address, bool receiveOffload)
    {
        Assert.True(OperatingSystem.IsLinux(), "UDP GSO/GRO needs Linux");
        using var rxSocket = Bound(address);
        using var txSocket = Bound(address);
        using var rx = new BatchedUdpSocket(rxSocket, 64);
        using var tx = new BatchedUdpSocket(txSocket, 64);
        tx.UsesSegmentationOffload.Should().BeTrue("Linux 4.18+ has UDP_SEGMENT");
        if (receiveOffload) rx.EnableReceiveOffload().Should().BeTrue("Linux 5.0+ has UDP_GRO");

        var outgoing = Datagrams();
        tx.SendBatch(outgoing, DatagramEndpoint.From((IPEndPoint)rxSocket.LocalEndPoint!), CancellationToken.None)
            .Should().Be(outgoing.Length);

        var batch = new PacketBatch(64, 65536);
        var segments = new int[64];
        var sources = new DatagramEndpoint[64];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = new List<byte[]>();
        var coalesced = 0;
        while (received.Count < outgoing.Length)
        {
            int n = rx.ReceiveBatch(batch.Buffers, batch.Sizes, segments, sources, 0, cts.Token);
            for (int i = 0; i < n; i++)
            {
                sources[i].ToIPEndPoint().Should().Be((IPEndPoint)txSocket.LocalEndPoint!);
                int size = batch.Sizes[i], step = segments[i];
                step.Should().BeGreaterThan(0);
                if (step < size) coalesced++;
                for (int at = 0; at < size; at += step) received.Add(batch.Buffers[i].Span.Slice(at, Math.Min(step, size - at)).ToArray());
            }
        }
        received.Should().HaveCount(outgoing.Length);
        for (int i = 0; i < outgoing.Length; i++) received[i].Should().Equal(outgoing[i].ToArray(), $"datagram {i}");
        if (receiveOffload) coalesced.Should().BeGreaterThan(0, "a GSO send reaches a UDP_GRO socket as one buffer");
        else coalesced.Should().Be(0);
    }

    [Fact]
    public void WithoutOffload_the_old_overload_still_works_and_is_refused_once_gro_is_on()
    {
        using var rxSocket = Bound("127.0.0.1");
        using var rx = new BatchedUdpSocket(rxSocket, 8);
        rx.EnableReceiveOffload().Should().BeTrue();
        var batch = new PacketBatch(8, 65536);
        var act = () => rx.ReceiveBatch(batch.Buffers, batch.Sizes, new DatagramEndpoint[8], 0, CancellationToken.None);
        act.Should().Throw<InvalidOperationException>();
    }
}
