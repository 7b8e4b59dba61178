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
/// <see cref="VpnConnection"/> against an in-process gateway (loopback, transport mode, no root) that deletes the CHILD
/// SA, re-creates one itself, or goes silent as a crashed gateway does: the connection installs CHILD SAs the gateway
/// creates, creates one itself when none is left, and reports a gateway that stops answering instead of staying
/// "up" — with the default liveness policy's shape, time-scaled.
/// </summary>
public sealed class VpnConnectionChildSaTests
{
    private static readonly IPAddress ClientAddress = IPAddress.Parse("127.0.0.1");
    private static readonly IPAddress PeerAddress = IPAddress.Parse("127.0.0.4");
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private sealed class Rig : IDisposable
    {
        public MultiSaResponder Peer { get; } = new(PeerAddress, null);
        public UserspaceIpSecManager Manager { get; } = new();
        public PskAuthenticator Psk { get; } = new(TransportModeResponder.Psk);
        public VpnConnection Connection { get; }
        public List<string> Progress { get; } = new();
        public List<(ConnectionHealth Health, string? Reason)> Health { get; } = new();
        public UserspaceTransportModeSocket Mine { get; private set; } = null!;
        public UserspaceTransportModeSocket Theirs { get; private set; } = null!;
        public volatile bool Echo = true;
        private readonly CancellationTokenSource _stop = new();
        private readonly HashSet<int> _received = new();

        public Rig(LivenessPolicy? liveness, IReadOnlyList<TimeSpan>? retransmits = null)
        {
            Connection = new VpnConnection(new VpnConnectionOptions
            {
                Server = Peer.IkeEndPoint,
                LocalAddress = ClientAddress,
                IpSecManager = Manager,
                ConnectTimeout = Wait,
                DisconnectTimeout = TimeSpan.FromSeconds(2),
                Liveness = liveness,
                MonitorInterval = TimeSpan.FromMilliseconds(100),
                InterfaceBuilderFactory = () => throw new Xunit.Sdk.XunitException("the transport-mode path must not create a TUN"),
                Session = new IkeSessionOptions
                {
                    LocalIdentity = IkeIdentity.Parse("client@example.org"),
                    RemoteIdentity = IkeIdentity.Parse("@gw.example.org"),
                    Authenticator = Psk,
                    Mode = EspMode.Transport,
                    RequestConfiguration = false,
                    LocalTrafficSelectors = [TransportModeResponder.Host(ClientAddress)],
                    RemoteTrafficSelectors = [TransportModeResponder.Host(PeerAddress)],
                    RemoteNatTPort = Peer.NatTPort,
                    ChildLifetime = null,
                    IkeLifetime = null,
                    RetransmitTimeouts = retransmits ?? new[] { 0.5, 1, 2, 4, 8 }.Select(TimeSpan.FromSeconds).ToArray(),
                },
            }, new Ikev2Client.Tests.Infrastructure.TestLog(line => { lock (Progress) Progress.Add(line); }));
            Connection.HealthChanged += (h, r) => { lock (Health) Health.Add((h, r)); };
        }

        public void Start()
        {
            Connection.Connect();
            Mine = Connection.OpenTransportModeSocket(0);
            Theirs = Peer.OpenSocket(0);
            _ = Task.Run(async () =>
            {
                try
                {
                    while (true)
                    {
                        var d = await Theirs.ReceiveAsync(_stop.Token);
                        if (Echo) await Theirs.SendAsync(d.Data, d.SourcePort);
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException) { }
            });
            _ = Task.Run(async () =>
            {
                try
                {
                    while (true)
                    {
                        var d = await Mine.ReceiveAsync(_stop.Token);
                        lock (_received) _received.Add(BitConverter.ToInt32(d.Data));
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException) { }
            });
        }

        /// <summary>Sends datagram <paramref name="n"/> and waits up to <paramref name="within"/> for its echo.</summary>
        public async Task<bool> RoundTrip(int n, TimeSpan within)
        {
            var deadline = DateTime.UtcNow + within;
            while (DateTime.UtcNow < deadline)
            {
                try { await Mine.SendAsync(BitConverter.GetBytes(n), Theirs.LocalPort); }
                catch (InvalidOperationException) { } // no outbound SA right now
                await Task.Delay(50);
                lock (_received) if (_received.Contains(n)) return true;
            }
            return false;
        }

        public string Log { get { lock (Progress) return string.Join("\n", Progress); } }

        public void Dispose()
        {
            _stop.Cancel();
            Connection.Dispose();
            Peer.Dispose();
            Manager.Dispose();
            Psk.Dispose();
        }
    }

    private static async Task WaitFor(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new Xunit.Sdk.XunitException($"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Child_sa_deleted_by_the_gateway_is_created_again_and_traffic_resumes()
    {
        using var rig = new Rig(LivenessPolicy.Default);
        rig.Start();
        (await rig.RoundTrip(1, Wait)).Should().BeTrue(rig.Log);
        var first = rig.Connection.ChildSas.Single().Child;

        var deleted = DateTime.UtcNow;
        rig.Peer.DeleteChildSas(); // swanctl --terminate --child
        await WaitFor(() => rig.Connection.ChildSas.Any(c => c.Child.InboundSpi != first.InboundSpi), Wait, "a new CHILD SA");
        (await rig.RoundTrip(2, Wait)).Should().BeTrue(rig.Log);
        (DateTime.UtcNow - deleted).Should().BeLessThan(TimeSpan.FromSeconds(2), "traffic is back within 2 s");

        rig.Connection.ChildSas.Should().ContainSingle();
        rig.Connection.State.Should().Be(VpnState.Connected);
        rig.Connection.Health.Should().Be(ConnectionHealth.Up);
        lock (rig.Health) rig.Health.Should().Contain(h => h.Health == ConnectionHealth.NoChildSa, "the gap is reported, not hidden");
        rig.Connection.Info!.ChildSa.InboundSpi.Should().NotBe(first.InboundSpi, "status shows the CHILD SA in use");
    }

    [Fact]
    public async Task Child_sa_the_gateway_creates_after_deleting_the_expired_one_is_installed_and_none_is_added()
    {
        using var rig = new Rig(LivenessPolicy.Default);
        rig.Start();
        (await rig.RoundTrip(1, Wait)).Should().BeTrue(rig.Log);
        var first = rig.Connection.ChildSas.Single().Child;
        rig.Peer.DeleteChildSas();
        rig.Peer.CreateChildSa(); // what strongSwan does after a hard expiry without a rekey
        await WaitFor(() => rig.Connection.ChildSas.Any(c => c.Child.InboundSpi != first.InboundSpi), Wait, "the gateway's CHILD SA");
        (await rig.RoundTrip(2, Wait)).Should().BeTrue(rig.Log);
        await Task.Delay(1500); // past the client's grace delay
        rig.Connection.ChildSas.Should().ContainSingle("the client did not create a second one");
        rig.Peer.Events.OfType<IkeEvent.ChildSaEstablished>().Should().HaveCount(2, "the first one and the gateway's");
        (await rig.RoundTrip(3, Wait)).Should().BeTrue(rig.Log);
    }

    [Fact]
    public async Task A_gateway_that_stops_answering_is_reported_unresponsive_and_the_connection_fails_recoverably()
    {
        // The default policy's shape with a faster clock: checks after 1 s of one-way traffic, retransmissions 0.2 s.
        var policy = LivenessPolicy.Default with { TrafficTimeout = TimeSpan.FromSeconds(1), SuspectAfter = TimeSpan.FromSeconds(0.3) };
        using var rig = new Rig(policy, new[] { 0.2, 0.2, 0.2, 0.2 }.Select(TimeSpan.FromSeconds).ToArray());
        rig.Start();
        (await rig.RoundTrip(1, Wait)).Should().BeTrue(rig.Log);

        rig.Peer.Silent = true; // crashed: no DELETE, no answers
        rig.Echo = false;
        var crashed = DateTime.UtcNow;
        var sending = Task.Run(async () =>
        {
            for (int i = 100; !rig.Connection.Closed.IsCompleted && i < 400; i++)
            {
                try { await rig.Mine.SendAsync(BitConverter.GetBytes(i), rig.Theirs.LocalPort); }
                catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException) { }
                await Task.Delay(50);
            }
        });
        await WaitFor(() => rig.Connection.Health == ConnectionHealth.Unresponsive || rig.Connection.Closed.IsCompleted, Wait, "suspicion");
        lock (rig.Health) rig.Health.Should().Contain(h => h.Health == ConnectionHealth.Unresponsive && h.Reason!.Contains("received nothing"));
        (await Task.WhenAny(rig.Connection.Closed, Task.Delay(Wait))).Should().Be(rig.Connection.Closed, rig.Log);
        var detected = DateTime.UtcNow - crashed;
        await sending;
        rig.Connection.State.Should().Be(VpnState.Failed);
        rig.Connection.IsRecoverableFailure.Should().BeTrue("always-on reconnects after this");
        rig.Connection.Error!.Kind.Should().Be(IkeErrorKind.ProtocolTimeout);
        detected.Should().BeLessThan(TimeSpan.FromSeconds(5), "1 s of one-way traffic + 4 × 0.2 s of retransmissions");
    }

    [Fact]
    public async Task An_idle_tunnel_to_a_live_gateway_is_checked_and_stays_up()
    {
        var policy = LivenessPolicy.Default with { IdleInterval = TimeSpan.FromSeconds(1) };
        using var rig = new Rig(policy);
        rig.Start();
        await Task.Delay(3500);
        rig.Connection.State.Should().Be(VpnState.Connected);
        rig.Connection.Health.Should().Be(ConnectionHealth.Up);
        rig.Connection.Statistics.IkeMessagesReceived.Should().BeGreaterThanOrEqualTo(2, "idle liveness checks were answered");
        lock (rig.Health) rig.Health.Should().NotContain(h => h.Health == ConnectionHealth.Unresponsive);
    }
}
