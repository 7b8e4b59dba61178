using System.Net;
using FluentAssertions;
using Ikev2Client.Connection;
using Ikev2Client.Platform.Userspace;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Esp;
using Ikev2Client.Protocol.Ike;
using Xunit;

namespace Ikev2Client.Tests.DataPlane;

/// <summary>
/// <see cref="VpnConnection"/> reauthenticating (RFC 4478) make-before-break against an in-process responder that
/// sends N(AUTH_LIFETIME) = 3 s (loopback, transport mode, no root): a new IKE SA with new SPIs before the lifetime
/// ends, the old IKE SA deleted only afterwards, and no datagram lost across the switch.
/// </summary>
public sealed class VpnConnectionReauthTests
{
    private static readonly IPAddress ClientAddress = IPAddress.Parse("127.0.0.1");
    private static readonly IPAddress PeerAddress = IPAddress.Parse("127.0.0.3");
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static int Count(HashSet<int> set) { lock (set) return set.Count; }

    [Fact]
    public async Task Reauthenticates_before_the_auth_lifetime_ends_without_losing_traffic()
    {
        using var peer = new MultiSaResponder(PeerAddress, TimeSpan.FromSeconds(3));
        using var manager = new UserspaceIpSecManager();
        using var psk = new PskAuthenticator(TransportModeResponder.Psk);
        var progress = new List<string>();
        using var connection = new VpnConnection(new VpnConnectionOptions
        {
            Server = peer.IkeEndPoint,
            LocalAddress = ClientAddress,
            IpSecManager = manager,
            ConnectTimeout = Wait,
            DisconnectTimeout = TimeSpan.FromSeconds(3),
            InterfaceBuilderFactory = () => throw new Xunit.Sdk.XunitException("the transport-mode path must not create a TUN"),
            Session = new IkeSessionOptions
            {
                LocalIdentity = IkeIdentity.Parse("client@example.org"),
                RemoteIdentity = IkeIdentity.Parse("@gw.example.org"),
                Authenticator = psk,
                Mode = EspMode.Transport,
                RequestConfiguration = false,
                LocalTrafficSelectors = [TransportModeResponder.Host(ClientAddress)],
                RemoteTrafficSelectors = [TransportModeResponder.Host(PeerAddress)],
                RemoteNatTPort = peer.NatTPort,
                ChildLifetime = null,
                IkeLifetime = null,
            },
        }, new Ikev2Client.Tests.Infrastructure.TestLog(line => { lock (progress) progress.Add(line); }));
        var reauthenticated = new TaskCompletionSource<IkeSaInfo>(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.Reauthenticated += sa => reauthenticated.TrySetResult(sa);

        var started = DateTime.UtcNow;
        connection.Connect();
        connection.AuthLifetime.Should().Be(TimeSpan.FromSeconds(3));
        var firstSession = connection.Driver!.Session;
        var (oldSpiI, oldSpiR) = (firstSession.SpiI, firstSession.SpiR);
        var firstChild = connection.ChildSas.Single().Child;

        var mine = connection.OpenTransportModeSocket(0);
        var theirs = peer.OpenSocket(0);
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

        // 10 ms apart until the reauthentication is done and the old IKE SA deleted, then 50 more.
        var received = new HashSet<int>();
        var inboundSpis = new List<uint>();
        int sent = 0, after = -1;
        using var stopCollect = new CancellationTokenSource();
        var collect = Task.Run(async () =>
        {
            while (true)
            {
                IpSecDatagram d;
                try { d = await mine.ReceiveAsync(stopCollect.Token); }
                catch (OperationCanceledException) { return; } // anything missing is reported below
                lock (received)
                {
                    received.Add(BitConverter.ToInt32(d.Data)).Should().BeTrue("each datagram comes back once");
                    inboundSpis.Add(d.Spi);
                }
            }
        });
        while (after < 0 || sent < after + 50)
        {
            await mine.SendAsync(BitConverter.GetBytes(sent), theirs.LocalPort);
            Interlocked.Increment(ref sent);
            if (after < 0 && reauthenticated.Task.IsCompleted) Volatile.Write(ref after, sent);
            (DateTime.UtcNow - started).Should().BeLessThan(TimeSpan.FromSeconds(20), "the reauthentication must happen");
            await Task.Delay(10);
        }
        for (var waited = 0; waited < 100 && Count(received) < sent; waited++) await Task.Delay(50);
        stopCollect.Cancel();
        var newSa = await reauthenticated.Task;
        await collect.WaitAsync(Wait);
        stop.Cancel();
        var peerSpis = await echo.WaitAsync(Wait);
        var missing = Enumerable.Range(0, sent).Where(i => !received.Contains(i)).ToArray();
        missing.Should().BeEmpty($"nothing is lost (echoed by the peer: {peerSpis.Count}; client {connection.Statistics}; peer {peer.Statistics}; " +
            $"reauthentication done after datagram {after})");

        // New IKE SA, established before the old one's 3 s were up; the old IKE SA was deleted by us.
        newSa.SpiI.Should().NotBe(oldSpiI);
        newSa.SpiR.Should().NotBe(oldSpiR);
        newSa.AuthLifetime.Should().Be(TimeSpan.FromSeconds(3));
        connection.Driver!.Session.SpiI.Should().NotBe(oldSpiI);
        var sessions = peer.Sessions;
        sessions.Should().Contain(s => s.SpiI == oldSpiI && s.State == IkeSessionState.Closed, "the old IKE SA was deleted");
        sessions.Should().Contain(s => s.SpiI == newSa.SpiI && s.State == IkeSessionState.Established);
        peer.Events.OfType<IkeEvent.Deleted>().Should().NotBeEmpty().And.OnlyContain(d => d.ByPeer, "only we delete IKE SAs");
        lock (progress)
        {
            var lines = string.Join("\n", progress);
            lines.Should().Contain("reauthenticated");
        }
        connection.State.Should().Be(VpnState.Connected);

        // Make-before-break: every datagram came back, both directions moved to the new CHILD SA.
        var now = connection.ChildSas.Should().ContainSingle().Subject.Child;
        now.InboundSpi.Should().NotBe(firstChild.InboundSpi);
        peerSpis.Should().HaveCount(sent).And.Contain(firstChild.OutboundSpi).And.Contain(now.OutboundSpi);
        peerSpis.SkipWhile(x => x == firstChild.OutboundSpi).Should().OnlyContain(x => x == now.OutboundSpi, "the new OUT SA took over at once");
        inboundSpis.Should().Contain(firstChild.InboundSpi).And.Contain(now.InboundSpi);
        connection.Statistics.TotalDrops.Should().Be(0);
        peer.Statistics.TotalDrops.Should().Be(0);
    }
}
