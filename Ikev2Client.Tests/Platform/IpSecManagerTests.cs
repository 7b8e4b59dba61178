using System.Net;
using System.Net.Sockets;
using FluentAssertions;
using Ikev2Client.Platform;
using Ikev2Client.Platform.Userspace;
using Ikev2Client.Protocol;
using Xunit;

namespace Ikev2Client.Tests.Platform;

public sealed class IpSecManagerTests
{
    private static readonly IPAddress Loopback = IPAddress.Loopback;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public void RandomSpis_are_unique_and_outside_the_reserved_range()
    {
        using var manager = new UserspaceIpSecManager();
        var spis = Enumerable.Range(0, 3000).Select(_ => manager.AllocateSecurityParameterIndex(Loopback)).ToList();
        spis.Select(s => s.Value).Should().OnlyHaveUniqueItems().And.OnlyContain(v => v >= 256);
        manager.ReservedSpiCount.Should().Be(3000);
        spis.ForEach(s => s.Dispose());
        manager.ReservedSpiCount.Should().Be(0);
    }

    [Fact]
    public void RequestedSpi_is_exclusive_per_destination_and_released_on_dispose()
    {
        using var manager = new UserspaceIpSecManager();
        IPAddress other = IPAddress.Parse("192.0.2.7");
        SecurityParameterIndex first = manager.AllocateSecurityParameterIndex(Loopback, 0x1234);
        first.Spi.Should().Be(0x1234);
        first.DestinationAddress.Should().Be(Loopback);

        var again = () => manager.AllocateSecurityParameterIndex(Loopback, 0x1234);
        again.Should().Throw<SpiUnavailableException>().Which.Spi.Should().Be(0x1234);
        using (manager.AllocateSecurityParameterIndex(other, 0x1234))
        {
        }

        first.Dispose();
        first.IsReserved.Should().BeFalse();
        first.Dispose();
        using SecurityParameterIndex reused = manager.AllocateSecurityParameterIndex(Loopback, 0x1234);
        reused.Value.Should().Be(0x1234);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(255)]
    public void ReservedSpis_are_refused(int spi)
    {
        using var manager = new UserspaceIpSecManager();
        var act = () => manager.AllocateSecurityParameterIndex(Loopback, spi);
        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void SpisAbove2To31_are_carried_as_negative_ints()
    {
        using var manager = new UserspaceIpSecManager();
        using SecurityParameterIndex spi = manager.AllocateSecurityParameterIndex(Loopback, unchecked((int)0xF0000001));
        spi.Value.Should().Be(0xF0000001);
        spi.Spi.Should().Be(unchecked((int)0xF0000001));
    }

    [Fact]
    public void Exhaustion_throws_resource_unavailable()
    {
        using var manager = new UserspaceIpSecManager(maxSpis: 3);
        var held = Enumerable.Range(0, 3).Select(_ => manager.AllocateSecurityParameterIndex(Loopback)).ToList();
        var act = () => manager.AllocateSecurityParameterIndex(Loopback);
        act.Should().Throw<ResourceUnavailableException>();
        held[0].Dispose();
        using (manager.AllocateSecurityParameterIndex(Loopback))
        {
        }

        using var stuck = new UserspaceIpSecManager(new ZeroRandom());
        var never = () => stuck.AllocateSecurityParameterIndex(Loopback);
        never.Should().Throw<ResourceUnavailableException>("a random source that only yields reserved values finds no SPI");
    }

    [Fact]
    public void Algorithms_use_android_names_and_validate_keys()
    {
        new IpSecAlgorithm(IpSecAlgorithm.AuthCryptAesGcm, new byte[20], 128).IsAead.Should().BeTrue();
        new IpSecAlgorithm(IpSecAlgorithm.AuthCryptChaCha20Poly1305, new byte[36], 128).IsAead.Should().BeTrue();
        new IpSecAlgorithm(IpSecAlgorithm.CryptAesCbc, new byte[32]).IsEncryption.Should().BeTrue();
        new IpSecAlgorithm(IpSecAlgorithm.AuthHmacSha512, new byte[64], 256).IsAuthentication.Should().BeTrue();
        IpSecAlgorithm.AuthCryptAesGcm.Should().Be("rfc4106(gcm(aes))");
        IpSecAlgorithm.AuthCryptChaCha20Poly1305.Should().Be("rfc7539esp(chacha20,poly1305)");

        ((Action)(() => new IpSecAlgorithm("ecb(des)", new byte[8]))).Should().Throw<ArgumentException>();
        ((Action)(() => new IpSecAlgorithm(IpSecAlgorithm.AuthCryptAesGcm, new byte[16], 128))).Should().Throw<ArgumentException>();
        ((Action)(() => new IpSecAlgorithm(IpSecAlgorithm.AuthHmacSha256, new byte[32], 88))).Should().Throw<ArgumentException>();

        var secret = new IpSecAlgorithm(IpSecAlgorithm.AuthHmacSha256, Enumerable.Repeat((byte)0xC7, 32).ToArray(), 128);
        secret.ToString().Should().NotContainAny("C7", "c7", "199");
    }

    [Fact]
    public void Builder_rejects_inconsistent_algorithm_sets()
    {
        using var manager = new UserspaceIpSecManager();
        using SecurityParameterIndex spi = manager.AllocateSecurityParameterIndex(Loopback);
        var gcm = new IpSecAlgorithm(IpSecAlgorithm.AuthCryptAesGcm, new byte[36], 128);
        var cbc = new IpSecAlgorithm(IpSecAlgorithm.CryptAesCbc, new byte[16]);
        var both = () => new IpSecTransform.Builder().SetAuthenticatedEncryption(gcm).SetEncryption(cbc).BuildTransportModeTransform(Loopback, spi);
        both.Should().Throw<InvalidOperationException>();
        var missingAuth = () => new IpSecTransform.Builder().SetEncryption(cbc).BuildTransportModeTransform(Loopback, spi);
        missingAuth.Should().Throw<InvalidOperationException>();
        var wrongSlot = () => new IpSecTransform.Builder().SetEncryption(gcm);
        wrongSlot.Should().Throw<ArgumentException>();

        using var noEncap = new IpSecTransform.Builder().SetAuthenticatedEncryption(gcm).BuildTransportModeTransform(Loopback, spi);
        using var socket = BoundUdpSocket();
        var apply = () => manager.ApplyTransportModeTransform(socket, PolicyDirection.Out, noEncap);
        apply.Should().Throw<NotSupportedException>("userspace cannot send raw ESP");
    }

    [Fact]
    public async Task EncapsulationSocket_demultiplexes_ike_keepalives_and_unknown_esp()
    {
        using var a = new UserspaceIpSecManager();
        using var b = new UserspaceIpSecManager();
        UdpEncapsulationSocket encA = a.OpenUdpEncapsulationSocket();
        UdpEncapsulationSocket encB = b.OpenUdpEncapsulationSocket();
        var toB = new IPEndPoint(Loopback, encB.Port);

        byte[] ike = Enumerable.Range(0, 60).Select(i => (byte)i).ToArray();
        await encA.SendIkeAsync(ike, toB);
        using var cts = new CancellationTokenSource(Timeout);
        ReceivedIkeDatagram received = await encB.IkeMessages.ReadAsync(cts.Token);
        received.Message.Should().Equal(ike);
        received.Remote.Port.Should().Be(encA.Port);

        await encA.SendKeepaliveAsync(toB);
        await WaitUntil(() => encB.KeepalivesReceived == 1);

        using var raw = new UdpClient(new IPEndPoint(Loopback, 0));
        await raw.SendAsync(new byte[] { 0xAA, 0xBB, 0xCC, 0xDD, 0, 0, 0, 1, 5, 5, 5, 5 }, toB);
        await WaitUntil(() => b.UnknownSpiDrops == 1);
    }

    [Fact]
    public async Task TransportMode_round_trips_both_ways_through_the_sas()
    {
        await using var peers = await Peers.CreateAsync();
        var (outA, inB) = peers.Sa(fromA: true, seed: 1);
        var (outB, inA) = peers.Sa(fromA: false, seed: 2);
        peers.A.ApplyTransportModeTransform(peers.SocketA, PolicyDirection.Out, outA);
        peers.A.ApplyTransportModeTransform(peers.SocketA, PolicyDirection.In, inA);
        peers.B.ApplyTransportModeTransform(peers.SocketB, PolicyDirection.Out, outB);
        peers.B.ApplyTransportModeTransform(peers.SocketB, PolicyDirection.In, inB);

        UserspaceTransportModeSocket wa = peers.A.GetTransportModeSocket(peers.SocketA);
        UserspaceTransportModeSocket wb = peers.B.GetTransportModeSocket(peers.SocketB);
        using var cts = new CancellationTokenSource(Timeout);
        await wa.SendAsync("ping"u8.ToArray(), wb.LocalPort, cts.Token);
        IpSecDatagram atB = await wb.ReceiveAsync(cts.Token);
        atB.Data.Should().Equal("ping"u8.ToArray());
        atB.SourcePort.Should().Be(wa.LocalPort);
        atB.Spi.Should().Be(inB.Spi);

        await wb.SendAsync("pong"u8.ToArray(), wa.LocalPort, cts.Token);
        (await wa.ReceiveAsync(cts.Token)).Data.Should().Equal("pong"u8.ToArray());

        outA.Counters.Packets.Should().Be(1);
        inB.Counters.Packets.Should().Be(1);
        inB.Counters.Bytes.Should().Be(12, "4 bytes of payload behind the 8-byte inner UDP header");
    }

    [Fact]
    public async Task Rekey_no_packet_is_lost_or_reordered_while_both_sides_swap_transforms()
    {
        const int Count = 3000;
        await using var peers = await Peers.CreateAsync();
        var (outA1, inB1) = peers.Sa(fromA: true, seed: 10);
        var (outB1, inA1) = peers.Sa(fromA: false, seed: 11);
        peers.A.ApplyTransportModeTransform(peers.SocketA, PolicyDirection.Out, outA1);
        peers.A.ApplyTransportModeTransform(peers.SocketA, PolicyDirection.In, inA1);
        peers.B.ApplyTransportModeTransform(peers.SocketB, PolicyDirection.Out, outB1);
        peers.B.ApplyTransportModeTransform(peers.SocketB, PolicyDirection.In, inB1);
        UserspaceTransportModeSocket wa = peers.A.GetTransportModeSocket(peers.SocketA);
        UserspaceTransportModeSocket wb = peers.B.GetTransportModeSocket(peers.SocketB);

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var atB = new Stream(Count);
        var atA = new Stream(Count);
        Task recvB = atB.ReceiveAllAsync(wb, cts.Token);
        Task recvA = atA.ReceiveAllAsync(wa, cts.Token);
        Task sendAB = atB.SendAllAsync(wa, wb.LocalPort, cts.Token);
        Task sendBA = atA.SendAllAsync(wb, wa.LocalPort, cts.Token);

        // Rekey in the middle of both streams, in RFC 7296 order: new inbound SAs first, then switch outbound.
        await WaitUntil(() => atB.Received >= Count / 3 && atA.Received >= Count / 3);
        var (outA2, inB2) = peers.Sa(fromA: true, seed: 20);
        var (outB2, inA2) = peers.Sa(fromA: false, seed: 21);
        peers.B.ApplyTransportModeTransform(peers.SocketB, PolicyDirection.In, inB2);
        peers.A.ApplyTransportModeTransform(peers.SocketA, PolicyDirection.In, inA2);
        peers.A.ApplyTransportModeTransform(peers.SocketA, PolicyDirection.Out, outA2);
        wa.Outbound.Should().BeSameAs(outA2, "OUT switches at once");
        peers.B.ApplyTransportModeTransform(peers.SocketB, PolicyDirection.Out, outB2);
        wb.Inbound.Should().HaveCount(2, "the old IN transform keeps decrypting until disposed");

        await Task.WhenAll(sendAB, sendBA, recvA, recvB).WaitAsync(cts.Token);

        atB.Payloads.Should().Equal(Enumerable.Range(0, Count), "A to B arrives complete and in order");
        atA.Payloads.Should().Equal(Enumerable.Range(0, Count), "B to A arrives complete and in order");
        atB.Spis.Should().Equal(inB1.Spi, inB2.Spi);
        atA.Spis.Should().Equal(inA1.Spi, inA2.Spi);
        (inB1.Counters.Packets + inB2.Counters.Packets).Should().Be(Count);
        inB1.Counters.Packets.Should().BeGreaterThan(0);
        inB2.Counters.Packets.Should().BeGreaterThan(0);
        (inB1.Counters.TotalDrops + inB2.Counters.TotalDrops + inA1.Counters.TotalDrops + inA2.Counters.TotalDrops).Should().Be(0);

        // Deleting the old CHILD SA: once the old IN transform is disposed, its SPI is unknown.
        inB1.Dispose();
        wb.Inbound.Should().Equal(inB2);
        peers.A.ApplyTransportModeTransform(peers.SocketA, PolicyDirection.Out, outA1);
        await wa.SendAsync(new byte[] { 1 }, wb.LocalPort, cts.Token);
        await WaitUntil(() => peers.B.UnknownSpiDrops == 1);
        outA1.Dispose();
        wa.Outbound.Should().BeNull();
        var send = async () => await wa.SendAsync(new byte[] { 1 }, wb.LocalPort);
        await send.Should().ThrowAsync<InvalidOperationException>();
    }

    [Fact]
    public async Task RemoveTransportModeTransforms_stops_protected_traffic()
    {
        await using var peers = await Peers.CreateAsync();
        var (outA, inB) = peers.Sa(fromA: true, seed: 5);
        peers.A.ApplyTransportModeTransform(peers.SocketA, PolicyDirection.Out, outA);
        peers.B.ApplyTransportModeTransform(peers.SocketB, PolicyDirection.In, inB);
        UserspaceTransportModeSocket wa = peers.A.GetTransportModeSocket(peers.SocketA);
        UserspaceTransportModeSocket wb = peers.B.GetTransportModeSocket(peers.SocketB);

        peers.B.RemoveTransportModeTransforms(peers.SocketB);
        await wa.SendAsync(new byte[] { 9 }, wb.LocalPort);
        await WaitUntil(() => peers.B.PolicyDrops == 1);
        inB.Counters.Packets.Should().Be(1, "the SA still decrypts; the socket no longer accepts it");

        peers.A.RemoveTransportModeTransforms(peers.SocketA);
        var send = async () => await wa.SendAsync(new byte[] { 1 }, wb.LocalPort);
        await send.Should().ThrowAsync<InvalidOperationException>();
    }

    private static Socket BoundUdpSocket()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(Loopback, 0));
        return socket;
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        DateTime deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("condition not reached");
            }

            await Task.Delay(2);
        }
    }

    /// <summary>One direction of a numbered stream, with credit-based pacing so the kernel socket buffer never overflows.</summary>
    private sealed class Stream(int count)
    {
        private readonly SemaphoreSlim _credits = new(64);
        private int _received;

        public List<int> Payloads { get; } = [];
        public List<uint> Spis { get; } = [];
        public int Received => Volatile.Read(ref _received);

        public async Task SendAllAsync(UserspaceTransportModeSocket from, int toPort, CancellationToken ct)
        {
            for (int i = 0; i < count; i++)
            {
                await _credits.WaitAsync(ct);
                await from.SendAsync(BitConverter.GetBytes(i), toPort, ct);
            }
        }

        public async Task ReceiveAllAsync(UserspaceTransportModeSocket at, CancellationToken ct)
        {
            while (Payloads.Count < count)
            {
                IpSecDatagram d = await at.ReceiveAsync(ct);
                Payloads.Add(BitConverter.ToInt32(d.Data));
                if (Spis.Count == 0 || Spis[^1] != d.Spi)
                {
                    Spis.Add(d.Spi);
                }

                Interlocked.Increment(ref _received);
                _credits.Release();
            }
        }
    }

    /// <summary>Two userspace IPsec stacks on loopback, each with an encapsulation socket and an application socket.</summary>
    private sealed class Peers : IAsyncDisposable
    {
        public required UserspaceIpSecManager A { get; init; }
        public required UserspaceIpSecManager B { get; init; }
        public required UdpEncapsulationSocket EncA { get; init; }
        public required UdpEncapsulationSocket EncB { get; init; }
        public required Socket SocketA { get; init; }
        public required Socket SocketB { get; init; }
        private readonly List<IDisposable> _owned = [];

        public static Task<Peers> CreateAsync()
        {
            var a = new UserspaceIpSecManager();
            var b = new UserspaceIpSecManager();
            return Task.FromResult(new Peers
            {
                A = a,
                B = b,
                EncA = a.OpenUdpEncapsulationSocket(),
                EncB = b.OpenUdpEncapsulationSocket(),
                SocketA = BoundUdpSocket(),
                SocketB = BoundUdpSocket(),
            });
        }

        /// <summary>A CHILD SA direction: the sender's OUT transform and the receiver's IN transform, same keys.</summary>
        public (IpSecTransform Out, IpSecTransform In) Sa(bool fromA, int seed, bool tunnel = false)
        {
            var (sender, receiver) = fromA ? (A, B) : (B, A);
            var (senderEncap, receiverEncap) = fromA ? (EncA, EncB) : (EncB, EncA);
            byte[] key = new byte[36];
            new Random(seed).NextBytes(key);
            var algorithm = new IpSecAlgorithm(IpSecAlgorithm.AuthCryptAesGcm, key, 128);

            SecurityParameterIndex inboundSpi = receiver.AllocateSecurityParameterIndex(Loopback);
            SecurityParameterIndex outboundSpi = sender.AllocateSecurityParameterIndex(Loopback, inboundSpi.Spi);
            _owned.Add(inboundSpi);
            _owned.Add(outboundSpi);
            IpSecTransform Build(UdpEncapsulationSocket encap, int remotePort, SecurityParameterIndex spi)
            {
                var builder = new IpSecTransform.Builder().SetAuthenticatedEncryption(algorithm).SetIpv4Encapsulation(encap, remotePort);
                IpSecTransform t = tunnel ? builder.BuildTunnelModeTransform(Loopback, spi) : builder.BuildTransportModeTransform(Loopback, spi);
                _owned.Add(t);
                return t;
            }

            return (Build(senderEncap, receiverEncap.Port, outboundSpi), Build(receiverEncap, senderEncap.Port, inboundSpi));
        }

        public ValueTask DisposeAsync()
        {
            _owned.ForEach(d => d.Dispose());
            A.Dispose();
            B.Dispose();
            SocketA.Dispose();
            SocketB.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private sealed class ZeroRandom : IRandomSource
    {
        public void Fill(Span<byte> destination) => destination.Clear();
    }
}
