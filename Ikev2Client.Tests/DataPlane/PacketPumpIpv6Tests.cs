using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using FluentAssertions;
using Ikev2Client.Connection;
using Ikev2Client.Platform;
using Ikev2Client.Platform.InMemory;
using Ikev2Client.Platform.Userspace;
using Ikev2Client.Protocol.Esp;
using Ikev2Client.Protocol.Wire.Payloads;
using Xunit;
using static Ikev2Client.Tests.DataPlane.PumpTestSupport;

namespace Ikev2Client.Tests.DataPlane;

/// <summary>
/// IPv6 inner packets through the pump (no root): a dual-stack SA carries IPv4 and IPv6 both ways, ESP says Next
/// Header 41 for IPv6, selector checks look past IPv6 extension headers to the upper-layer protocol and ports, and
/// IPv6 traffic a selector does not cover is dropped in both directions.
/// </summary>
public sealed class PacketPumpIpv6Tests : IDisposable
{
    private const uint SpiAtoB = 0x0A0B0061, SpiBtoA = 0x0B0A0062;
    private static readonly byte[] KeyBtoA = Enumerable.Repeat((byte)7, 36).ToArray();
    private readonly UserspaceIpSecManager _manager = new();
    private readonly Socket _socketA = LoopbackSocket(), _socketB = LoopbackSocket();
    private readonly InMemoryVpnInterface _tunA = Tun("10.3.0.2"), _tunB = Tun("10.3.0.1");
    private readonly NatTSocket _natA, _natB;
    private readonly PacketPump _a, _b;

    // Client side: its virtual IPs; gateway side: an IPv4 subnet and, for IPv6, only UDP to port 53 of one prefix
    // plus everything of another.
    private static readonly TrafficSelectorSet Client = Union("10.3.0.2/32", "fd00:3::2/128");
    private static readonly TrafficSelectorSet Gateway = TrafficSelectorSet.From([
        TrafficSelector.FromNetwork(IPNetwork.Parse("10.1.0.0/24")),
        TrafficSelector.FromNetwork(IPNetwork.Parse("2001:db8:1::/64")),
        TrafficSelector.FromNetwork(IPNetwork.Parse("2001:db8:53::/64")) with { IpProtocol = 17, StartPort = 53, EndPort = 53 },
    ]);

    public PacketPumpIpv6Tests()
    {
        _natA = new NatTSocket(_socketA, NoKeepalives, ownsSocket: false);
        _natB = new NatTSocket(_socketB, NoKeepalives, ownsSocket: false);
        _a = new PacketPump(_natA);
        _b = new PacketPump(_natB);
        _a.SetOutbound(Transform(_manager, SpiAtoB), Client, Gateway, EndPoint(_socketB));
        _b.AddInbound(Transform(_manager, SpiAtoB), Gateway, Client);
        _b.SetOutbound(Transform(_manager, SpiBtoA, KeyBtoA), Gateway, Client, EndPoint(_socketA));
        _a.AddInbound(Transform(_manager, SpiBtoA, KeyBtoA), Client, Gateway);
        _a.Start();
        _b.Start();
        _a.AttachInterface(_tunA);
        _b.AttachInterface(_tunB);
    }

    private static TrafficSelectorSet Union(params string[] cidrs) =>
        TrafficSelectorSet.From(cidrs.Select(c => TrafficSelector.FromNetwork(IPNetwork.Parse(c))).ToArray());

    [Fact]
    public void Ipv6_and_ipv4_packets_cross_both_ways_on_one_dual_stack_sa()
    {
        var packets = new List<byte[]>();
        for (int i = 0; i < 50; i++)
        {
            var p = i % 2 == 0 ? Ipv6Udp("fd00:3::2", "2001:db8:1::10", 40 + i * 20, (byte)i) : Ipv4Udp("10.3.0.2", "10.1.0.10", 40 + i, (byte)i);
            packets.Add(p);
            _tunA.InjectPacket(p).Should().BeTrue();
        }
        var received = new List<byte[]>();
        WaitUntil(() => { while (_tunB.TakeWritten() is { } p) received.Add(p); return received.Count == 50; }, TimeSpan.FromSeconds(10));
        received.Should().HaveCount(50);
        for (int i = 0; i < 50; i++) received[i].Should().Equal(packets[i], $"packet {i} crosses unchanged and in order");

        var reply = Ipv6Udp("2001:db8:1::10", "fd00:3::2", 1200);
        _tunB.InjectPacket(reply);
        TakeWritten(_tunA, TimeSpan.FromSeconds(5)).Should().Equal(reply);
        _a.Counters.Snapshot().TotalDrops.Should().Be(0);
        _b.Counters.Snapshot().TotalDrops.Should().Be(0);
    }

    [Fact]
    public void Esp_carries_ipv6_with_next_header_41_and_ipv4_with_4()
    {
        using var wire = LoopbackSocket();
        using var socket = new NatTSocket(LoopbackSocket(), NoKeepalives);
        using var pump = new PacketPump(socket);
        using var tun = Tun("10.3.0.2");
        pump.SetOutbound(Transform(_manager, 0x0C0C0C61), Client, Gateway, EndPoint(wire));
        pump.Start();
        pump.AttachInterface(tun);
        using var opener = Sealer(0x0C0C0C61);
        wire.ReceiveTimeout = 5000;
        foreach (var (packet, next) in new[] { (Ipv6Udp("fd00:3::2", "2001:db8:1::10"), EspSa.NextHeaderIpv6), (Ipv4Udp("10.3.0.2", "10.1.0.10"), EspSa.NextHeaderIpv4) })
        {
            tun.InjectPacket(packet);
            var buffer = new byte[2048];
            int n = wire.Receive(buffer);
            opener.TryOpen(buffer.AsSpan(0, n), out int offset, out int length, out byte nextHeader).Should().Be(EspOpenResult.Ok);
            nextHeader.Should().Be(next);
            buffer.AsSpan(offset, length).ToArray().Should().Equal(packet);
        }
    }

    [Fact]
    public void Selector_checks_look_past_ipv6_extension_headers()
    {
        // UDP to port 53 behind a hop-by-hop and a destination-options header: covered by the port-53 selector.
        var dns = Ipv6Udp("fd00:3::2", "2001:db8:53::1", 30, destinationPort: 53, extensions: [0, 60]);
        // The same behind a first fragment header: still UDP port 53.
        var firstFragment = Ipv6Udp("fd00:3::2", "2001:db8:53::1", 30, destinationPort: 53, extensions: [44]);
        // UDP to another port of that prefix: not covered.
        var other = Ipv6Udp("fd00:3::2", "2001:db8:53::1", 30, destinationPort: 54, extensions: [0]);
        // A non-first fragment carries no ports: a port-restricted selector cannot admit it.
        var laterFragment = Ipv6Udp("fd00:3::2", "2001:db8:53::1", 30, destinationPort: 53, extensions: [44], fragmentOffset: 185);
        foreach (var p in new[] { dns, firstFragment, other, laterFragment }) _tunA.InjectPacket(p).Should().BeTrue();

        TakeWritten(_tunB, TimeSpan.FromSeconds(5)).Should().Equal(dns);
        TakeWritten(_tunB, TimeSpan.FromSeconds(5)).Should().Equal(firstFragment);
        WaitUntil(() => _a.Counters.Drops(DropReason.TrafficSelectorMismatch) == 2, TimeSpan.FromSeconds(5)).Should().BeTrue(_a.Counters.Snapshot().ToString());
        _tunB.TakeWritten().Should().BeNull();
    }

    [Fact]
    public void Ipv6_outside_the_selectors_is_dropped_both_ways()
    {
        _tunA.InjectPacket(Ipv6Udp("fd00:3::2", "2001:db8:99::1")).Should().BeTrue(); // not a gateway prefix
        _tunA.InjectPacket(Ipv6Udp("fd00:3::99", "2001:db8:1::10")).Should().BeTrue(); // spoofed source
        WaitUntil(() => _a.Counters.Drops(DropReason.TrafficSelectorMismatch) == 2, TimeSpan.FromSeconds(5)).Should().BeTrue();

        _tunB.InjectPacket(Ipv6Udp("2001:db8:1::10", "fd00:3::77")).Should().BeTrue(); // b seals only what its selectors allow
        WaitUntil(() => _b.Counters.Drops(DropReason.TrafficSelectorMismatch) == 1, TimeSpan.FromSeconds(5)).Should().BeTrue();

        // Authentic ESP from the gateway whose inner IPv6 packet lies outside the SA: dropped on arrival.
        using var attacker = LoopbackSocket();
        using var sealer = Sealer(SpiBtoA, KeyBtoA);
        attacker.SendTo(Seal(sealer, Ipv6Udp("2001:db8:77::1", "fd00:3::2")), EndPoint(_socketA));
        WaitUntil(() => _a.Counters.Drops(DropReason.TrafficSelectorMismatch) == 3, TimeSpan.FromSeconds(5)).Should().BeTrue();
        _tunA.TakeWritten().Should().BeNull();
        _tunB.TakeWritten().Should().BeNull();
    }

    /// <summary>An IPv6/UDP packet, optionally behind extension headers (0 hop-by-hop, 60 destination options, 44 fragment).</summary>
    internal static byte[] Ipv6Udp(string source, string destination, int payloadLength = 64, byte fill = 0xAB,
        int destinationPort = 5678, byte[]? extensions = null, int fragmentOffset = 0)
    {
        extensions ??= [];
        int extLength = extensions.Length * 8;
        var p = new byte[40 + extLength + 8 + payloadLength];
        p[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), (ushort)(p.Length - 40));
        p[6] = extensions.Length > 0 ? extensions[0] : (byte)17;
        p[7] = 64;
        IPAddress.Parse(source).TryWriteBytes(p.AsSpan(8), out _);
        IPAddress.Parse(destination).TryWriteBytes(p.AsSpan(24), out _);
        for (int i = 0; i < extensions.Length; i++)
        {
            var h = p.AsSpan(40 + i * 8, 8);
            h[0] = i + 1 < extensions.Length ? extensions[i + 1] : (byte)17;
            if (extensions[i] == 44) BinaryPrimitives.WriteUInt16BigEndian(h[2..], (ushort)(fragmentOffset << 3));
            else h[1] = 0; // 8 octets: length field (8-octet units beyond the first) = 0, PadN option follows
            if (extensions[i] != 44) { h[2] = 1; h[3] = 4; }
        }
        var udp = p.AsSpan(40 + extLength);
        BinaryPrimitives.WriteUInt16BigEndian(udp, 1234);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], (ushort)destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)(8 + payloadLength));
        udp[8..].Fill(fill);
        return p;
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
