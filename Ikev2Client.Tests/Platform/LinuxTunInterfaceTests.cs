using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FluentAssertions;
using Ikev2Client.Platform;
using Ikev2Client.Platform.Linux;
using Ikev2Client.Tests.Infrastructure;
using Xunit;
using static Ikev2Client.Tests.Platform.LinuxTunTestSupport;

namespace Ikev2Client.Tests.Platform;

/// <summary>The Linux TUN device and its rtnetlink configuration, each test in its own network namespace (root).</summary>
[Trait("Requires", "root")]
public sealed class LinuxTunInterfaceTests
{
    private static IVpnInterface EstablishBasic(NetworkNamespace ns, string? session = null) => ns.Run(() =>
    {
        var b = new LinuxVpnInterfaceBuilder();
        b.AddAddress(IPAddress.Parse("10.99.0.2"), 24).AddRoute(IPAddress.Parse("10.98.0.0"), 16).SetMtu(1400);
        if (session != null) b.SetSession(session);
        return b.Establish();
    });

    [Fact]
    public void Establish_configures_address_route_mtu_and_rule()
    {
        RequireRoot();
        using var ns = NetworkNamespace.Create("tun");
        using var tun = EstablishBasic(ns, session: "office vpn");

        tun.Name.Should().StartWith("ikev2tun");
        tun.Mtu.Should().Be(1400);
        var link = ns.Exec($"ip -d link show dev {tun.Name}");
        link.Should().Contain("mtu 1400").And.Contain("UP").And.Contain("tun").And.Contain("alias office vpn");
        ns.Exec($"ip -d addr show dev {tun.Name}").Should().Contain("inet 10.99.0.2/24");
        ns.Exec("ip route show table 2300").Should().Contain($"10.98.0.0/16 dev {tun.Name}");
        ns.Exec("ip rule show").Should().Contain("not from all fwmark 0x2300 lookup 2300");
        ns.Exec("ip route get 10.98.3.4").Should().Contain($"dev {tun.Name}");
        ns.TryExec("ip route get 10.97.3.4").Output.Should().NotContain(tun.Name);
    }

    [Fact]
    public void EchoRequest_is_read_from_tun_and_crafted_reply_reaches_the_sender()
    {
        RequireRoot();
        using var ns = NetworkNamespace.Create("tun");
        using var tun = EstablishBasic(ns);
        var rxBefore = Counter(ns, tun.Name, "rx_packets");
        // A raw ICMP socket plays ping(8): no external tool needed.
        using var icmp = ns.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Icmp));
        var echo = new byte[8 + 32];
        echo[0] = 8;
        BinaryPrimitives.WriteUInt16BigEndian(echo.AsSpan(4), 0x4242);
        BinaryPrimitives.WriteUInt16BigEndian(echo.AsSpan(6), 1);
        for (var i = 8; i < echo.Length; i++) echo[i] = (byte)i;
        BinaryPrimitives.WriteUInt16BigEndian(echo.AsSpan(2), Checksum(echo));
        icmp.SendTo(echo, new IPEndPoint(IPAddress.Parse("10.98.0.5"), 0));

        var request = ReadUntil(tun, p => IsIPv4(p, 1) && p[20] == 8, TimeSpan.FromSeconds(10), offset: 64);

        Source(request).Should().Be(IPAddress.Parse("10.99.0.2"));
        Destination(request).Should().Be(IPAddress.Parse("10.98.0.5"));
        (request[0] & 0x0F).Should().Be(5);
        BinaryPrimitives.ReadUInt16BigEndian(request.AsSpan(2)).Should().Be((ushort)request.Length);
        Checksum(request.AsSpan(0, 20)).Should().Be(0, "the kernel's IPv4 header checksum verifies");
        request.AsSpan(20).ToArray().Should().Equal(echo);

        tun.WritePackets(new ReadOnlyMemory<byte>[] { EchoReplyFor(request) }).Should().Be(1);

        icmp.ReceiveTimeout = 5000;
        var buf = new byte[1500];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        var n = icmp.ReceiveFrom(buf, ref from);
        ((IPEndPoint)from).Address.Should().Be(IPAddress.Parse("10.98.0.5"));
        buf[20].Should().Be(0, "an echo reply came back through the TUN");
        BinaryPrimitives.ReadUInt16BigEndian(buf.AsSpan(24)).Should().Be(0x4242);
        buf.AsSpan(28, n - 28).ToArray().Should().Equal(echo.AsSpan(8).ToArray());
        Counter(ns, tun.Name, "rx_packets").Should().Be(rxBefore + 1);
    }

    [Fact]
    public void ReadPackets_takes_several_queued_packets_in_one_call_at_the_offset()
    {
        RequireRoot();
        using var ns = NetworkNamespace.Create("tun");
        using var tun = EstablishBasic(ns);
        const int count = 10, offset = 48;
        ns.Run(() =>
        {
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            for (var i = 0; i < count; i++)
                s.SendTo(Enumerable.Repeat((byte)i, 100 + i).ToArray(), new IPEndPoint(IPAddress.Parse("10.98.1.1"), 7000 + i));
        });

        var batch = new PacketBatch(64, offset + tun.Mtu);
        batch.Buffers[0].Span[..offset].Fill(0xEE);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var got = new List<byte[]>();
        var calls = 0;
        while (got.Count < count)
        {
            var n = tun.ReadPackets(batch.Buffers, batch.Sizes, offset, cts.Token);
            calls++;
            for (var i = 0; i < n; i++)
            {
                var p = batch.Packet(i, offset).ToArray();
                if (IsIPv4(p, 17)) got.Add(p);
            }
        }
        calls.Should().BeLessThan(count, "queued packets are drained in batches, not one per call");
        batch.Buffers[0].Span[..offset].ToArray().Should().OnlyContain(b => b == 0xEE, "the headroom is left to the caller");
        for (var i = 0; i < count; i++)
        {
            var p = got[i];
            p.Length.Should().Be(20 + 8 + 100 + i);
            BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(22)).Should().Be((ushort)(7000 + i));
            p.AsSpan(28).ToArray().Should().OnlyContain(b => b == i);
        }
    }

    [Fact]
    public void ReadPackets_is_cancellable()
    {
        RequireRoot();
        using var ns = NetworkNamespace.Create("tun");
        var tun = EstablishBasic(ns);
        var batch = new PacketBatch(4, tun.Mtu);

        var sw = Stopwatch.StartNew();
        using (var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
        {
            var act = () => tun.ReadPackets(batch.Buffers, batch.Sizes, 0, cts.Token);
            act.Should().Throw<OperationCanceledException>();
        }
        sw.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(3));
        tun.IsClosed.Should().BeFalse("cancelling a read does not close the interface");
        tun.Dispose();
    }

    [Fact]
    public async Task Dispose_wakes_reader_with_closed_exception_and_sets_closed()
    {
        RequireRoot();
        using var ns = NetworkNamespace.Create("tun");
        var tun = EstablishBasic(ns);
        var batch = new PacketBatch(4, tun.Mtu);
        var reader = Task.Run(() => tun.ReadPackets(batch.Buffers, batch.Sizes, 0, CancellationToken.None));
        Thread.Sleep(200);
        tun.Dispose();
        var act = async () => await reader.WaitAsync(TimeSpan.FromSeconds(5));
        await act.Should().ThrowAsync<VpnInterfaceClosedException>();
        tun.IsClosed.Should().BeTrue();
        tun.Closed.IsCancellationRequested.Should().BeTrue();
        var write = () => tun.WritePackets(new ReadOnlyMemory<byte>[] { new byte[20] });
        write.Should().Throw<VpnInterfaceClosedException>();
    }

    [Fact]
    public void NonBlocking_read_returns_zero_when_empty_and_malformed_writes_are_dropped()
    {
        RequireRoot();
        using var ns = NetworkNamespace.Create("tun");
        var tun = (LinuxTunInterface)ns.Run(() => new LinuxVpnInterfaceBuilder()
            .AddAddress(IPAddress.Parse("10.99.0.2"), 24).SetBlocking(false).Establish());
        using var _ = tun;
        var batch = new PacketBatch(4, tun.Mtu);
        tun.ReadPackets(batch.Buffers, batch.Sizes, 0, CancellationToken.None).Should().Be(0);
        var garbage = new byte[40];
        garbage[0] = 0x70; // IP version 7
        tun.WritePackets(new ReadOnlyMemory<byte>[] { garbage }).Should().Be(0);
        tun.DroppedWrites.Should().Be(1);
    }

    [Fact]
    public void PerApplicationRules_are_rejected_with_typed_error()
    {
        var b = new LinuxVpnInterfaceBuilder();
        var allow = () => b.AddAllowedApplication("org.example");
        var disallow = () => b.AddDisallowedApplication("org.example");
        allow.Should().Throw<VpnFeatureNotSupportedException>().Which.Feature.Should().Be("AddAllowedApplication");
        disallow.Should().Throw<PlatformNotSupportedException>().Which.Should().BeOfType<VpnFeatureNotSupportedException>();
    }
}
