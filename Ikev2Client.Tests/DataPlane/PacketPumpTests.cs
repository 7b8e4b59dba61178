using System.Net;
using System.Net.Sockets;
using FluentAssertions;
using Ikev2Client.Connection;
using Ikev2Client.Platform;
using Ikev2Client.Platform.InMemory;
using Ikev2Client.Platform.Userspace;
using Ikev2Client.Protocol.Esp;
using Xunit;
using static Ikev2Client.Tests.DataPlane.PumpTestSupport;

namespace Ikev2Client.Tests.DataPlane;

/// <summary>
/// The packet pump over loopback UDP with in-memory interfaces (no root): packets cross in both directions, and
/// replayed, mutated, malformed, unknown-SPI and out-of-selector ESP packets are dropped, counted and never reach
/// the interface.
/// </summary>
public sealed class PacketPumpTests : IDisposable
{
    private const uint SpiAtoB = 0x0A0B0001, SpiBtoA = 0x0B0A0002;
    private readonly UserspaceIpSecManager _manager = new();
    private readonly Socket _socketA = LoopbackSocket(), _socketB = LoopbackSocket();
    private readonly InMemoryVpnInterface _tunA = Tun("10.3.0.2"), _tunB = Tun("10.3.0.1");
    private readonly NatTSocket _natA, _natB;
    private readonly PacketPump _a, _b;
    private readonly List<(byte[] Message, IPEndPoint From)> _ikeAtB = new();

    public PacketPumpTests()
    {
        _natA = new NatTSocket(_socketA, NoKeepalives, ownsSocket: false);
        _natB = new NatTSocket(_socketB, NoKeepalives, ownsSocket: false);
        _natB.DefaultIkeHandler = (m, from) => { lock (_ikeAtB) _ikeAtB.Add((m, from)); };
        _a = new PacketPump(_natA);
        _b = new PacketPump(_natB);
        var clientSide = Set("10.3.0.2/32");
        var serverSide = Set("10.1.0.0/24");
        _a.SetOutbound(Transform(_manager, SpiAtoB), clientSide, serverSide, EndPoint(_socketB));
        _b.AddInbound(Transform(_manager, SpiAtoB), serverSide, clientSide);
        _b.SetOutbound(Transform(_manager, SpiBtoA, Enumerable.Repeat((byte)7, 36).ToArray()), serverSide, clientSide, EndPoint(_socketA));
        _a.AddInbound(Transform(_manager, SpiBtoA, Enumerable.Repeat((byte)7, 36).ToArray()), clientSide, serverSide);
        _a.Start();
        _b.Start();
        _a.AttachInterface(_tunA);
        _b.AttachInterface(_tunB);
    }

    [Fact]
    public void Packets_cross_in_both_directions_and_are_counted()
    {
        for (int i = 0; i < 200; i++) _tunA.InjectPacket(Ipv4Udp("10.3.0.2", "10.1.0.10", 100 + i, (byte)i)).Should().BeTrue();
        var received = new List<byte[]>();
        WaitUntil(() => { while (_tunB.TakeWritten() is { } p) received.Add(p); return received.Count == 200; }, TimeSpan.FromSeconds(10));
        received.Should().HaveCount(200);
        received.Select(p => p.Length).Should().Equal(Enumerable.Range(0, 200).Select(i => 28 + 100 + i), "order and content are kept");
        received[5].Should().Equal(Ipv4Udp("10.3.0.2", "10.1.0.10", 105, 5));

        _tunB.InjectPacket(Ipv4Udp("10.1.0.10", "10.3.0.2", 500));
        TakeWritten(_tunA, TimeSpan.FromSeconds(5)).Should().Equal(Ipv4Udp("10.1.0.10", "10.3.0.2", 500));

        var a = _a.Counters.Snapshot();
        a.PacketsSent.Should().Be(200);
        a.BytesSent.Should().Be(Enumerable.Range(0, 200).Sum(i => 128L + i));
        a.PacketsReceived.Should().Be(1);
        _b.Counters.Snapshot().PacketsReceived.Should().Be(200);
        a.TotalDrops.Should().Be(0);
    }

    [Fact]
    public void Outbound_packets_outside_the_traffic_selectors_are_dropped_and_counted()
    {
        _tunA.InjectPacket(Ipv4Udp("10.3.0.2", "192.168.7.7"));
        _tunA.InjectPacket(Ipv4Udp("10.3.0.99", "10.1.0.10")); // spoofed source
        _tunA.InjectPacket([0x45, 0, 0]);
        WaitUntil(() => _a.Counters.Snapshot().TotalDrops == 3, TimeSpan.FromSeconds(5)).Should().BeTrue();
        _a.Counters.Drops(DropReason.TrafficSelectorMismatch).Should().Be(2);
        _a.Counters.Drops(DropReason.Malformed).Should().Be(1);
        _a.Counters.Snapshot().PacketsSent.Should().Be(0);
    }

    [Fact]
    public void Replayed_mutated_malformed_and_unknown_spi_packets_are_dropped_counted_and_never_reach_the_interface()
    {
        using var attacker = LoopbackSocket();
        using var sealer = Sealer(SpiAtoB);
        var to = EndPoint(_socketB);
        var genuine = Seal(sealer, Ipv4Udp("10.3.0.2", "10.1.0.10", 80, 0x11));
        attacker.SendTo(genuine, to);
        TakeWritten(_tunB, TimeSpan.FromSeconds(5)).Should().Equal(Ipv4Udp("10.3.0.2", "10.1.0.10", 80, 0x11));

        attacker.SendTo(genuine, to); // replay
        var mutated = Seal(sealer, Ipv4Udp("10.3.0.2", "10.1.0.10", 80, 0x22));
        for (int i = 8; i < mutated.Length; i += 37)
        {
            var copy = (byte[])mutated.Clone();
            copy[i] ^= 0x40;
            attacker.SendTo(copy, to); // every flipped bit fails the ICV
        }
        var flips = (mutated.Length - 8 + 36) / 37;
        attacker.SendTo(new byte[] { 1, 2, 3 }, to); // malformed (neither keepalive, IKE nor ESP)
        attacker.SendTo(Seal(Sealer(0x0BADBAD0), Ipv4Udp("10.3.0.2", "10.1.0.10")), to); // unknown SPI
        attacker.SendTo(Seal(sealer, Ipv4Udp("10.3.0.7", "10.1.0.10")), to); // authentic but outside the selectors
        attacker.SendTo(new byte[] { 0xFF }, to); // NAT-T keepalive

        var expected = 1 + flips + 1 + 1 + 1;
        WaitUntil(() => _b.Counters.Snapshot().TotalDrops == expected && _b.Counters.Snapshot().KeepalivesReceived == 1, TimeSpan.FromSeconds(5))
            .Should().BeTrue(_b.Counters.Snapshot().ToString());
        var s = _b.Counters.Snapshot();
        s.ReplayDrops.Should().Be(1);
        s.AuthenticationDrops.Should().Be(flips);
        s.MalformedDrops.Should().Be(1);
        s.NoSaDrops.Should().Be(1);
        s.TrafficSelectorDrops.Should().Be(1);
        s.PacketsReceived.Should().Be(1);
        _tunB.TakeWritten().Should().BeNull("no dropped packet may reach the interface");

        // the SA still works afterwards
        attacker.SendTo(Seal(sealer, Ipv4Udp("10.3.0.2", "10.1.0.10", 90, 0x33)), to);
        TakeWritten(_tunB, TimeSpan.FromSeconds(5)).Should().Equal(Ipv4Udp("10.3.0.2", "10.1.0.10", 90, 0x33));
    }

    [Fact]
    public void Ike_messages_behind_the_non_esp_marker_go_to_the_ike_handler()
    {
        using var peer = LoopbackSocket();
        var ike = new byte[4 + 40];
        ike[4] = 0x42;
        peer.SendTo(ike, EndPoint(_socketB));
        WaitUntil(() => { lock (_ikeAtB) return _ikeAtB.Count == 1; }, TimeSpan.FromSeconds(5)).Should().BeTrue();
        lock (_ikeAtB)
        {
            _ikeAtB[0].Message.Should().HaveCount(40).And.StartWith(new byte[] { 0x42 });
            _ikeAtB[0].From.Should().Be(EndPoint(peer));
        }
        _b.Counters.Snapshot().IkeMessagesReceived.Should().Be(1);
    }

    [Fact]
    public void Rekey_switches_outbound_at_once_and_the_old_inbound_sa_keeps_decrypting_until_removed()
    {
        const uint NewSpi = 0x0A0B0009;
        var key2 = Enumerable.Repeat((byte)9, 36).ToArray();
        using var oldSealer = Sealer(SpiAtoB);
        oldSealer.Seal(new byte[256], 32, 20, out _, out _); // keep its sequence ahead of nothing: first packet seq 2 is fine
        _b.AddInbound(Transform(_manager, NewSpi, key2), Set("10.1.0.0/24"), Set("10.3.0.2/32"));
        var replaced = _a.SetOutbound(Transform(_manager, NewSpi, key2), Set("10.3.0.2/32"), Set("10.1.0.0/24"), EndPoint(_socketB), replaces: SpiAtoB);
        replaced!.Spi.Should().Be(SpiAtoB);
        replaced.Dispose();
        _a.OutboundSpis.Should().Equal(NewSpi);

        _tunA.InjectPacket(Ipv4Udp("10.3.0.2", "10.1.0.10", 33));
        TakeWritten(_tunB, TimeSpan.FromSeconds(5)).Should().NotBeNull();
        _b.InboundSpis.Should().Contain([SpiAtoB, NewSpi]);

        using var late = LoopbackSocket();
        late.SendTo(Seal(oldSealer, Ipv4Udp("10.3.0.2", "10.1.0.10", 44)), EndPoint(_socketB)); // in flight under the old SA
        TakeWritten(_tunB, TimeSpan.FromSeconds(5)).Should().Equal(Ipv4Udp("10.3.0.2", "10.1.0.10", 44));

        _b.RemoveInbound(SpiAtoB)!.Dispose();
        late.SendTo(Seal(oldSealer, Ipv4Udp("10.3.0.2", "10.1.0.10", 55)), EndPoint(_socketB));
        WaitUntil(() => _b.Counters.Drops(DropReason.NoSa) == 1, TimeSpan.FromSeconds(5)).Should().BeTrue();
        _tunB.TakeWritten().Should().BeNull();
    }

    [Fact]
    public void Keepalives_are_sent_when_idle()
    {
        using var peerSocket = LoopbackSocket();
        using var socket = new NatTSocket(LoopbackSocket(), new NatTSocketOptions { KeepaliveInterval = TimeSpan.FromMilliseconds(100) });
        using var pump = new PacketPump(socket);
        pump.SetOutbound(Transform(_manager, 0x0C0C0C0C), Set("10.3.0.2/32"), Set("0.0.0.0/0"), EndPoint(peerSocket));
        pump.Start();
        var buffer = new byte[16];
        peerSocket.ReceiveTimeout = 3000;
        int n = peerSocket.Receive(buffer);
        n.Should().Be(1);
        buffer[0].Should().Be(0xFF);
        WaitUntil(() => pump.Counters.Snapshot().KeepalivesSent > 0, TimeSpan.FromSeconds(2)).Should().BeTrue();
    }

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
        _natA.Dispose();
        _natB.Dispose();
        _tunA.Dispose();
        _tunB.Dispose();
        _socketA.Dispose();
        _socketB.Dispose();
        _manager.Dispose();
    }
}
