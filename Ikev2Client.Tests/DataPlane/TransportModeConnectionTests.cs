using System.Net;
using FluentAssertions;
using Ikev2Client.Connection;
using Ikev2Client.Platform;
using Ikev2Client.Platform.Userspace;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Esp;
using Ikev2Client.Protocol.Ike;
using Xunit;

namespace Ikev2Client.Tests.DataPlane;

/// <summary>
/// <see cref="VpnConnection"/> as a transport-mode initiator against an in-process responder over loopback (no root):
/// host-to-host selectors choose the transport-mode path, no TUN is created, application datagrams go through
/// transport-mode sockets as ESP on the IKE NAT-T socket, a CHILD SA rekey loses nothing, disconnect removes the
/// transforms.
/// </summary>
public sealed class TransportModeConnectionTests
{
    private static readonly IPAddress ClientAddress = IPAddress.Parse("127.0.0.1");
    private static readonly IPAddress PeerAddress = IPAddress.Parse("127.0.0.2"); // another loopback host: the selectors differ
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private sealed class Setup : IDisposable
    {
        public readonly TransportModeResponder Peer;
        public readonly VpnConnection Connection;
        public readonly Ikev2Client.Tests.Infrastructure.TestLog Log = new();
        public readonly UserspaceIpSecManager Manager = new();
        private readonly PskAuthenticator _psk = new(TransportModeResponder.Psk);
        public int InterfaceBuilderCalls;

        public Setup(string? esp = null) : this(ClientAddress, PeerAddress, esp) { }

        public Setup(IPAddress client, IPAddress peer, string? esp = null)
        {
            Peer = new TransportModeResponder(peer);
            Connection = new VpnConnection(new VpnConnectionOptions
            {
                Server = Peer.IkeEndPoint,
                LocalAddress = client,
                IpSecManager = Manager,
                ConnectTimeout = Wait,
                DisconnectTimeout = TimeSpan.FromSeconds(3),
                InterfaceBuilderFactory = () =>
                {
                    Interlocked.Increment(ref InterfaceBuilderCalls);
                    throw new Xunit.Sdk.XunitException("the transport-mode path must not create a TUN");
                },
                Session = new IkeSessionOptions
                {
                    LocalIdentity = IkeIdentity.Parse("client@example.org"),
                    RemoteIdentity = IkeIdentity.Parse("@gw.example.org"),
                    Authenticator = _psk,
                    Mode = EspMode.Transport,
                    RequestConfiguration = false,
                    LocalTrafficSelectors = [TransportModeResponder.Host(client)],
                    RemoteTrafficSelectors = [TransportModeResponder.Host(peer)],
                    RemoteNatTPort = Peer.NatTPort,
                    ChildLifetime = null,
                    IkeLifetime = null,
                    EspProposals = esp == null ? ProposalSpec.DefaultEsp : [ProposalSpec.Parse(esp, esp: true)],
                },
            }, Log);
        }

        public void Dispose()
        {
            Connection.Dispose();
            Peer.Dispose();
            Manager.Dispose();
            _psk.Dispose();
        }
    }

    [Fact]
    public async Task Host_to_host_transport_mode_carries_datagrams_both_ways_without_a_tun()
    {
        using var s = new Setup();
        s.Connection.Connect();
        s.Connection.State.Should().Be(VpnState.Connected);
        s.Connection.Info!.DataPath.Should().Be(DataPath.TransportMode);
        s.Connection.Info.InterfaceName.Should().BeNull();
        s.InterfaceBuilderCalls.Should().Be(0, "no TUN on the transport-mode path");
        var child = s.Connection.ChildSas.Single();
        child.Child.Mode.Should().Be(EspMode.Transport);
        child.Inbound.Mode.Should().Be(Protocol.Esp.EspMode.Transport);
        child.Outbound.EncapsulationSocket!.Port.Should().Be(s.Connection.Driver!.NatTLocalEndPoint.Port, "ESP leaves from the IKE NAT-T socket");
        child.Outbound.EncapsulationRemotePort.Should().Be(s.Peer.NatTPort);
        (await s.Peer.Established.WaitAsync(Wait)).Mode.Should().Be(EspMode.Transport);

        var mine = s.Connection.OpenTransportModeSocket(0);
        var theirs = s.Peer.OpenSocket(0);
        mine.Outbound.Should().BeSameAs(child.Outbound);
        mine.Inbound.Should().ContainSingle().Which.Should().BeSameAs(child.Inbound);

        for (int i = 0; i < 20; i++)
        {
            byte[] request = Payload(i, 100 + i * 37);
            await mine.SendAsync(request, theirs.LocalPort);
            var got = await theirs.ReceiveAsync().AsTask().WaitAsync(Wait);
            got.Data.Should().Equal(request);
            got.SourcePort.Should().Be(mine.LocalPort);
            got.Spi.Should().Be(child.Child.OutboundSpi);

            byte[] answer = got.Data.Reverse().ToArray();
            await theirs.SendAsync(answer, got.SourcePort);
            var back = await mine.ReceiveAsync().AsTask().WaitAsync(Wait);
            back.Data.Should().Equal(answer);
            back.SourcePort.Should().Be(theirs.LocalPort);
            back.Spi.Should().Be(child.Child.InboundSpi);
        }

        var stats = s.Connection.Statistics;
        stats.PacketsSent.Should().Be(20);
        stats.PacketsReceived.Should().Be(20);
        stats.BytesSent.Should().Be(Enumerable.Range(0, 20).Sum(i => 8 + 100 + i * 37), "inner UDP header + payload");
        stats.TotalDrops.Should().Be(0);
        child.Outbound.Counters.Packets.Should().Be(20);
        child.Inbound.Counters.Packets.Should().Be(20);
        var peerStats = s.Peer.Statistics;
        peerStats.PacketsReceived.Should().Be(20);
        peerStats.PacketsSent.Should().Be(20);
        peerStats.TotalDrops.Should().Be(0);
        s.InterfaceBuilderCalls.Should().Be(0);
    }

    [Fact]
    public async Task Ipv6_host_to_host_transport_mode_carries_datagrams_both_ways()
    {
        // IPv6 loopback has a single address, so both hosts are ::1 (on different ports): selectors ::1/128 === ::1/128.
        using var s = new Setup(IPAddress.IPv6Loopback, IPAddress.IPv6Loopback);
        s.Connection.Connect();
        s.Connection.Info!.DataPath.Should().Be(DataPath.TransportMode);
        var child = s.Connection.ChildSas.Single();
        child.Child.LocalTrafficSelectors.Should().ContainSingle().Which.TsType.Should().Be(Protocol.Wire.TrafficSelectorType.Ipv6AddrRange);
        child.Child.RemoteTrafficSelectors.Single().StartAddress.Should().Be(IPAddress.IPv6Loopback);
        child.Child.RemoteEndPoint.Address.Should().Be(IPAddress.IPv6Loopback);
        await s.Peer.Established.WaitAsync(Wait);
        var mine = s.Connection.OpenTransportModeSocket(0);
        var theirs = s.Peer.OpenSocket(0);
        mine.Socket.AddressFamily.Should().Be(System.Net.Sockets.AddressFamily.InterNetworkV6);

        for (int i = 0; i < 10; i++)
        {
            byte[] request = Payload(i, 60 + i * 91);
            await mine.SendAsync(request, theirs.LocalPort);
            var got = await theirs.ReceiveAsync().AsTask().WaitAsync(Wait);
            got.Data.Should().Equal(request);
            got.SourcePort.Should().Be(mine.LocalPort);
            await theirs.SendAsync(got.Data.Reverse().ToArray(), got.SourcePort);
            (await mine.ReceiveAsync().AsTask().WaitAsync(Wait)).Data.Should().Equal(request.Reverse());
        }
        s.Connection.Statistics.PacketsSent.Should().Be(10);
        s.Connection.Statistics.PacketsReceived.Should().Be(10);
        s.Connection.Statistics.TotalDrops.Should().Be(0);
        s.Peer.Statistics.TotalDrops.Should().Be(0);
    }

    [Fact]
    public async Task Child_sa_rekey_in_the_middle_of_traffic_loses_nothing()
    {
        using var s = new Setup();
        s.Connection.Connect();
        await s.Peer.Established.WaitAsync(Wait);
        var first = s.Connection.ChildSas.Single().Child;
        var mine = s.Connection.OpenTransportModeSocket(0);
        var theirs = s.Peer.OpenSocket(0);

        using var stop = new CancellationTokenSource();
        var echo = Task.Run(async () =>
        {
            var spis = new List<uint>();
            try
            {
                while (true)
                {
                    var d = await theirs.ReceiveAsync(stop.Token);
                    spis.Add(d.Spi);
                    await theirs.SendAsync(d.Data, d.SourcePort);
                }
            }
            catch (OperationCanceledException) { }
            return spis;
        });

        const int Count = 400;
        var rekeyed = s.Connection.Driver!.WaitForAsync<IkeEvent.ChildSaRekeyed>();
        var oldDeleted = s.Connection.Driver.WaitForAsync<IkeEvent.ChildSaDeleted>(d => d.ChildSa.InboundSpi == first.InboundSpi);
        var received = new HashSet<int>();
        var inboundSpis = new List<uint>();
        int echoed = 0;
        var collect = Task.Run(async () =>
        {
            while (received.Count < Count)
            {
                var d = await mine.ReceiveAsync().AsTask().WaitAsync(Wait);
                received.Add(BitConverter.ToInt32(d.Data)).Should().BeTrue("each datagram comes back once");
                inboundSpis.Add(d.Spi);
                Interlocked.Increment(ref echoed);
            }
        });
        IkeEvent.ChildSaRekeyed? done = null;
        for (int i = 0; i < Count; i++)
        {
            await mine.SendAsync(Payload(i, 200), theirs.LocalPort);
            if (i == Count / 4)
            {
                // Traffic flows both ways on the first SAs before the rekey starts: on a loaded machine the peer's
                // echo task may otherwise run only after the peer switched its OUT SA (at the old SA's DELETE).
                TunnelTraffic.WaitUntil(() => Volatile.Read(ref echoed) >= Count / 8, Wait).Should().BeTrue("echoes come back on the first SA");
                s.Connection.Driver.RekeyChildSa(first.InboundSpi);
            }
            if (i >= Count / 4 && i < Count / 2) await Task.Delay(1); // spread the rekey's exchanges over live traffic
            if (i == Count / 2)
            {
                // However loaded the machine, the second half of the traffic runs after the rekey and the old
                // SA's DELETE have completed, so both directions must be on the new SAs by then.
                done = await rekeyed.WaitAsync(Wait);
                await oldDeleted.WaitAsync(Wait);
            }
        }
        await collect.WaitAsync(Wait);
        var fresh = done!.New;
        stop.Cancel();
        var peerSpis = await echo.WaitAsync(Wait);

        received.Should().HaveCount(Count);
        peerSpis.Should().HaveCount(Count).And.Contain(first.OutboundSpi).And.Contain(fresh.OutboundSpi);
        peerSpis.SkipWhile(x => x == first.OutboundSpi).Should().OnlyContain(x => x == fresh.OutboundSpi, "the new OUT SA took over at once");
        inboundSpis.Should().Contain(first.InboundSpi).And.Contain(fresh.InboundSpi);
        s.Connection.Statistics.TotalDrops.Should().Be(0);
        s.Peer.Statistics.TotalDrops.Should().Be(0);

        var now = s.Connection.ChildSas.Single();
        now.Child.InboundSpi.Should().Be(fresh.InboundSpi);
        mine.Outbound.Should().BeSameAs(now.Outbound);
        mine.Inbound.Should().ContainSingle().Which.Should().BeSameAs(now.Inbound, "the old IN SA went with its DELETE");

        // Still working on the new SA after the old one is gone.
        await mine.SendAsync(Payload(Count, 50), theirs.LocalPort);
        var again = await theirs.ReceiveAsync().AsTask().WaitAsync(Wait);
        again.Spi.Should().Be(fresh.OutboundSpi);
    }

    [Fact]
    public async Task An_outbound_sa_near_sequence_exhaustion_is_rekeyed_on_the_transport_path_too_losing_nothing()
    {
        using var s = new Setup("aes128gcm16"); // 32-bit sequence numbers: with ESN 2^32 is no limit
        s.Connection.Connect();
        await s.Peer.Established.WaitAsync(Wait);
        s.Connection.ChildSas.Single().Child.Algorithms.Esn.Should().Be(Protocol.Crypto.EsnId.NoEsn);
        var first = s.Connection.ChildSas.Single();
        var mine = s.Connection.OpenTransportModeSocket(0);
        var theirs = s.Peer.OpenSocket(0);
        first.Outbound.Sa.SetLastSentSequence(first.Outbound.Sa.RekeyThreshold - 20);
        var rekeyed = s.Connection.Driver!.WaitForAsync<IkeEvent.ChildSaRekeyed>();

        using var stop = new CancellationTokenSource();
        var echo = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var d = await theirs.ReceiveAsync(stop.Token);
                    await theirs.SendAsync(d.Data, d.SourcePort);
                }
            }
            catch (OperationCanceledException) { }
        });
        const int Count = 300;
        var received = new HashSet<int>();
        var progress = new System.Collections.Concurrent.ConcurrentQueue<string>();
        s.Log.Line += progress.Enqueue;
        var collect = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var d = await mine.ReceiveAsync(stop.Token);
                    lock (received) received.Add(BitConverter.ToInt32(d.Data));
                }
            }
            catch (OperationCanceledException) { }
        });
        for (int i = 0; i < Count; i++)
        {
            await mine.SendAsync(Payload(i, 120), theirs.LocalPort);
            if (i % 10 == 0) await Task.Delay(50); // ~1.5 s of traffic: the once-a-second check sees the limit mid-stream
        }

        var r = await rekeyed.WaitAsync(Wait);
        var end = DateTime.UtcNow + Wait;
        while (DateTime.UtcNow < end) { lock (received) if (received.Count == Count) break; await Task.Delay(20); }
        stop.Cancel();
        await Task.WhenAll(echo, collect).WaitAsync(Wait);
        r.Old.InboundSpi.Should().Be(first.Child.InboundSpi);
        received.Should().HaveCount(Count, $"client {s.Connection.Statistics}; peer {s.Peer.Statistics}; {string.Join(" | ", progress)}");
        first.Outbound.Sa.LastSentSequence.Should().BeLessThan(uint.MaxValue);
        s.Connection.Statistics.TotalDrops.Should().Be(0);
        s.Peer.Statistics.TotalDrops.Should().Be(0);
    }

    [Fact]
    public async Task Disconnect_removes_the_transforms_from_the_sockets()
    {
        using var s = new Setup();
        s.Connection.Connect();
        await s.Peer.Established.WaitAsync(Wait);
        var mine = s.Connection.OpenTransportModeSocket(0);
        using var appSocket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork,
            System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        appSocket.Bind(new IPEndPoint(ClientAddress, 0));
        s.Connection.ApplyTransportMode(appSocket);
        var applied = s.Manager.GetTransportModeSocket(appSocket);
        applied.Outbound.Should().NotBeNull();
        applied.Inbound.Should().HaveCount(1);
        var child = s.Connection.ChildSas.Single();
        int reserved = s.Manager.ReservedSpiCount;
        reserved.Should().BeGreaterThanOrEqualTo(2);

        s.Connection.Disconnect();

        s.Connection.State.Should().Be(VpnState.Disconnected);
        mine.Outbound.Should().BeNull();
        mine.Inbound.Should().BeEmpty();
        applied.Outbound.Should().BeNull();
        applied.Inbound.Should().BeEmpty();
        mine.Socket.SafeHandle.IsClosed.Should().BeTrue("the socket VpnConnection opened is closed");
        appSocket.SafeHandle.IsClosed.Should().BeFalse("the application's own socket stays the application's");
        child.Inbound.IsDisposed.Should().BeTrue();
        child.Outbound.IsDisposed.Should().BeTrue();
        s.Manager.ReservedSpiCount.Should().Be(0, "every SPI reservation is released");
        var sendAfter = () => mine.SendAsync(new byte[] { 1 }, 9).AsTask();
        await sendAfter.Should().ThrowAsync<InvalidOperationException>();
        FluentActions.Invoking(() => s.Connection.OpenTransportModeSocket(0)).Should().Throw<InvalidOperationException>();
        (await s.Peer.Completion.WaitAsync(Wait)).Should().BeOfType<IkeEvent.Deleted>().Which.ByPeer.Should().BeTrue();
        s.InterfaceBuilderCalls.Should().Be(0);
    }

    private static byte[] Payload(int sequence, int length)
    {
        var p = new byte[Math.Max(4, length)];
        for (int i = 4; i < p.Length; i++) p[i] = (byte)(sequence * 7 + i);
        BitConverter.TryWriteBytes(p, sequence);
        return p;
    }
}
