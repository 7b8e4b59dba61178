using System.Net;
using FluentAssertions;
using Ikev2Client.Connection;
using Ikev2Client.Platform;
using Ikev2Client.Platform.InMemory;
using Ikev2Client.Profiles;
using Ikev2Client.Service;
using Ikev2Client.Tests.Service;
using Xunit;

namespace Ikev2Client.Tests.NetGuard;

/// <summary>
/// Lockdown in the service's connection loop (no root: an in-memory firewall records every policy): engaged before the
/// first packet, opened for each gateway contacted and for the tunnel once up, kept while always-on waits, lifted only
/// by a stop; a lockdown that cannot be enforced never connects.
/// </summary>
public sealed class LockdownRunnerTests : IAsyncDisposable
{
    private readonly string _dir = ServiceTestData.NewTempDir();
    private readonly InMemoryLockdownFirewall _firewall = new();
    private readonly ManualClock _clock = new();
    private readonly ScriptedFactory _factory = new();
    private readonly VpnManagerService _manager;

    public LockdownRunnerTests()
    {
        _manager = new VpnManagerService(new VpnManagerOptions
        {
            Store = new ProfileStore(_dir), ConnectionFactory = _factory, Time = _clock, Random = () => 0.5, Lockdown = _firewall,
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _manager.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private static Ikev2VpnProfile Profile(bool lockdown = true, bool alwaysOn = true) =>
        new Ikev2VpnProfile.Builder().SetName("office").SetServer("192.0.2.1", 500).SetUserIdentity("client@example.com")
            .SetAuthPsk(System.Text.Encoding.UTF8.GetBytes(ServiceTestData.Psk)).SetAlwaysOn(alwaysOn, lockdown).Build();

    /// <summary>A connection that reports contacting the gateway (and a redirect target), then comes up on "ikev2tun3".</summary>
    private sealed class ScriptedFactory : IVpnConnectionFactory
    {
        public List<ScriptedConnection> Created { get; } = [];
        public Func<int, bool> Succeeds { get; set; } = _ => true;
        public Action<int>? DuringConnect { get; set; }
        public VpnError Error { get; set; } = ServiceTestData.Timeout();

        public IVpnConnection Create(Ikev2VpnProfile profile)
        {
            var c = new ScriptedConnection(this, Created.Count + 1);
            lock (Created) Created.Add(c);
            return c;
        }
    }

    private sealed class ScriptedConnection(ScriptedFactory owner, int attempt) : IVpnConnection
    {
        public event Action<VpnConnectionEvent>? EventRaised;
        public VpnState State { get; private set; }
        public Ikev2Client.Platform.DataPlaneStatistics Statistics => Ikev2Client.Platform.DataPlaneStatistics.Empty;

        public Task<Ikev2Client.Service.VpnConnectionInfo> ConnectAsync(Ikev2VpnProfile profile, CancellationToken cancellationToken)
        {
            EventRaised?.Invoke(new VpnConnectionEvent.Contacting(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 500)));
            EventRaised?.Invoke(new VpnConnectionEvent.Contacting(new IPEndPoint(IPAddress.Parse("198.51.100.9"), 500))); // redirected
            owner.DuringConnect?.Invoke(attempt);
            if (!owner.Succeeds(attempt)) throw new Ikev2Client.Service.VpnErrorException(owner.Error);
            State = VpnState.Connected;
            return Task.FromResult(ServiceTestData.Info("198.51.100.9:4500") with { InterfaceName = "ikev2tun3" });
        }

        public void Drop() => EventRaised?.Invoke(new VpnConnectionEvent.Failed(ServiceTestData.Timeout()));
        public Task DisconnectAsync() => Task.CompletedTask;
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    [Fact]
    public async Task Lockdown_is_in_place_before_the_first_packet_follows_the_gateway_and_stays_while_reconnecting_until_disconnect()
    {
        LockdownPolicy? duringFirstConnect = null;
        _factory.DuringConnect = n => { if (n == 1) duringFirstConnect = _firewall.Current; };
        await _manager.ProvisionVpnProfileAsync(Profile());

        var up = await _manager.StartProvisionedVpnProfileAsync("office", waitForResult: true);

        up.State.Should().Be(VpnState.Connected);
        up.LockdownActive.Should().BeTrue();
        _firewall.History[0].Should().Be(new LockdownPolicy([IPAddress.Parse("192.0.2.1")], [500, 4500], null),
            "engaged before the connection is even created: IKE to the configured gateway only");
        duringFirstConnect!.Gateways.Should().BeEquivalentTo([IPAddress.Parse("192.0.2.1"), IPAddress.Parse("198.51.100.9")],
            "a redirect target is let through before its first packet");
        duringFirstConnect.TunnelInterface.Should().BeNull("no tunnel exists while connecting");
        _firewall.Current!.TunnelInterface.Should().Be("ikev2tun3", "once up, traffic through the tunnel gets out");

        // The gateway dies: the tunnel goes, lockdown stays and blocks everything but IKE/ESP while always-on waits.
        _factory.Succeeds = n => n >= 3;
        _factory.Created[0].Drop();
        var delay = await _clock.NextDelayAsync();
        var waiting = await _manager.GetProvisionedVpnProfileStateAsync("office");
        waiting.State.Should().Be(VpnState.Failed);
        waiting.LockdownActive.Should().BeTrue();
        waiting.Detail.Should().Contain("lockdown: traffic is blocked");
        _firewall.Current.Should().NotBeNull();
        _firewall.Current!.TunnelInterface.Should().BeNull();
        _firewall.History.Should().NotContainNulls("lockdown never lapsed");

        _clock.Advance(delay);
        _clock.Advance(await _clock.NextDelayAsync()); // attempt 2 fails, attempt 3 succeeds
        await WaitFor(async () => (await _manager.GetProvisionedVpnProfileStateAsync("office")).State == VpnState.Connected);
        _firewall.Current!.TunnelInterface.Should().Be("ikev2tun3");

        var stopped = (await _manager.StopProvisionedVpnProfileAsync("office")).Single();
        stopped.LockdownActive.Should().BeFalse();
        _firewall.Current.Should().BeNull("disconnect lifts lockdown");
        _firewall.History.Count(p => p is null).Should().Be(1);
    }

    [Fact]
    public async Task Lockdown_keeps_blocking_after_a_failure_that_ends_the_loop_until_the_user_disconnects()
    {
        _factory.Succeeds = _ => false;
        _factory.Error = ServiceTestData.AuthFailed(); // not recoverable: always-on gives up
        await _manager.ProvisionVpnProfileAsync(Profile());
        var failed = await _manager.StartProvisionedVpnProfileAsync("office", waitForResult: true);
        failed.State.Should().Be(VpnState.Failed);
        failed.LockdownActive.Should().BeTrue("lockdown means nothing leaves outside the VPN, also when it failed");
        failed.Detail.Should().Contain("all traffic is blocked");
        _firewall.Current.Should().NotBeNull();

        (await _manager.StopProvisionedVpnProfileAsync("office")).Single().LockdownActive.Should().BeFalse();
        _firewall.Current.Should().BeNull();
    }

    [Fact]
    public async Task Lockdown_that_cannot_be_enforced_never_connects()
    {
        _firewall.FailWith = new LockdownFirewallException("lockdown needs nftables, and 'nft' could not be run", missing: true);
        await _manager.ProvisionVpnProfileAsync(Profile());
        var state = await _manager.StartProvisionedVpnProfileAsync("office", waitForResult: true);
        state.State.Should().Be(VpnState.Failed);
        state.Error!.IsRecoverable.Should().BeFalse();
        state.Error.Message.Should().Contain("not started").And.Contain("nft");
        state.Error.Advice.Should().Contain("nftables");
        state.LockdownActive.Should().BeFalse();
        state.NextRetryAt.Should().BeNull();
        _factory.Created.Should().BeEmpty("no packet is sent when lockdown cannot be enforced");

        await using var noFirewall = new VpnManagerService(new VpnManagerOptions { Store = new ProfileStore(_dir), ConnectionFactory = _factory });
        var refused = await noFirewall.StartProvisionedVpnProfileAsync("office", waitForResult: true);
        refused.State.Should().Be(VpnState.Failed);
        refused.Error!.Message.Should().Contain("no firewall");
        _factory.Created.Should().BeEmpty();
    }

    [Fact]
    public async Task WithoutLockdown_the_firewall_is_never_touched()
    {
        await _manager.ProvisionVpnProfileAsync(Profile(lockdown: false));
        (await _manager.StartProvisionedVpnProfileAsync("office", waitForResult: true)).State.Should().Be(VpnState.Connected);
        await _manager.StopProvisionedVpnProfileAsync("office");
        _firewall.History.Should().BeEmpty();
    }

    private static async Task WaitFor(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not reached");
            await Task.Delay(20);
        }
    }
}
