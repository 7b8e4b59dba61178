using FluentAssertions;
using Ikev2Client.Connection;
using Ikev2Client.Profiles;
using Ikev2Client.Service;
using Xunit;

namespace Ikev2Client.Tests.Service;

public sealed class VpnManagerServiceTests : IAsyncDisposable
{
    private readonly string _dir = ServiceTestData.NewTempDir();
    private readonly FakeVpnConnectionFactory _factory = new();
    private readonly ManualClock _clock = new();
    private readonly VpnManagerService _manager;
    private readonly List<VpnProfileState> _changes = [];
    private readonly Ikev2Client.Platform.InMemory.InMemoryLockdownFirewall _firewall = new();

    public VpnManagerServiceTests()
    {
        _manager = new VpnManagerService(new VpnManagerOptions
        {
            Store = new ProfileStore(_dir), ConnectionFactory = _factory, Time = _clock, Random = () => 0.5, Lockdown = _firewall,
        });
        _manager.StateChanged += s => { lock (_changes) _changes.Add(s); };
    }

    public async ValueTask DisposeAsync()
    {
        await _manager.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private List<VpnState> States(string name) { lock (_changes) return _changes.Where(c => c.Name == name).Select(c => c.State).ToList(); }

    [Fact]
    public async Task Provision_start_stop_goes_through_connecting_connected_disconnecting_disconnected()
    {
        await _manager.ProvisionVpnProfileAsync(ServiceTestData.Profile());
        (await _manager.GetProvisionedVpnProfileStateAsync("office")).State.Should().Be(VpnState.Disconnected);

        var up = await _manager.StartProvisionedVpnProfileAsync("office", waitForResult: true);
        up.State.Should().Be(VpnState.Connected);
        up.Connection!.VirtualAddresses.Should().Equal("10.10.0.2/32");
        up.SessionKey.Should().NotBeNullOrEmpty();
        var live = await _manager.GetProvisionedVpnProfileStateAsync("office");
        live.Statistics!.PacketsSent.Should().Be(34);

        var again = await _manager.StartProvisionedVpnProfileAsync("office", waitForResult: true);
        again.SessionKey.Should().Be(up.SessionKey, "one connection per profile: a second start is a no-op");
        _factory.Attempts.Should().Be(1);

        var stopped = await _manager.StopProvisionedVpnProfileAsync("office");
        stopped.Single().State.Should().Be(VpnState.Disconnected);
        _factory.Created.Single().DisconnectCalled.Should().BeTrue();
        _factory.Created.Single().Disposed.Should().BeTrue();
        States("office").Should().ContainInOrder(VpnState.Connecting, VpnState.Connected, VpnState.Disconnecting, VpnState.Disconnected);
        States("office").Zip(States("office").Skip(1)).Should().NotContain(p => p.First == VpnState.Disconnected && p.Second == VpnState.Connected);
    }

    [Fact]
    public async Task A_non_recoverable_failure_ends_in_failed_without_retry_even_when_always_on()
    {
        _factory.Next = (_, _) => new FakeOutcome.Fail(ServiceTestData.AuthFailed());
        await _manager.ProvisionVpnProfileAsync(ServiceTestData.Profile(alwaysOn: true));
        var s = await _manager.StartProvisionedVpnProfileAsync("office", waitForResult: true);
        s.State.Should().Be(VpnState.Failed);
        s.Error!.ErrorCode.Should().Be(24);
        s.Error.IsRecoverable.Should().BeFalse();
        s.NextRetryAt.Should().BeNull();
        _clock.Requested.Reader.TryRead(out _).Should().BeFalse("no back-off is scheduled");
        _factory.Attempts.Should().Be(1);
    }

    [Fact]
    public async Task Without_always_on_a_recoverable_failure_is_reported_once()
    {
        _factory.Next = (_, _) => new FakeOutcome.Fail(ServiceTestData.Timeout());
        await _manager.ProvisionVpnProfileAsync(ServiceTestData.Profile());
        var s = await _manager.StartProvisionedVpnProfileAsync("office", waitForResult: true);
        s.State.Should().Be(VpnState.Failed);
        s.Error!.ClassName.Should().Be("ERROR_CLASS_RECOVERABLE");
        s.NextRetryAt.Should().BeNull();
        _factory.Attempts.Should().Be(1);
    }

    [Fact]
    public async Task Always_on_backs_off_from_five_to_ten_seconds_doubling_to_two_minutes_and_resets_after_success()
    {
        int failUntil = 8;
        _factory.Next = (_, n) => n <= failUntil ? new FakeOutcome.Fail(ServiceTestData.Timeout()) : new FakeOutcome.Succeed(ServiceTestData.Info());
        await _manager.ProvisionVpnProfileAsync(ServiceTestData.Profile(alwaysOn: true, lockdown: true));
        var first = await _manager.StartProvisionedVpnProfileAsync("office", waitForResult: true);
        first.State.Should().Be(VpnState.Failed);
        first.Lockdown.Should().BeTrue();
        first.LockdownActive.Should().BeTrue("lockdown keeps blocking while always-on waits to retry");
        _firewall.Current.Should().NotBeNull();
        _firewall.Current!.TunnelInterface.Should().BeNull("no tunnel is up while retrying");
        first.NextRetryAt.Should().Be(_clock.UtcNow + TimeSpan.FromSeconds(7.5));

        var delays = new List<double>();
        for (int i = 0; i < failUntil; i++)
        {
            var d = await _clock.NextDelayAsync();
            delays.Add(d.TotalSeconds);
            _clock.Advance(d);
        }
        delays.Should().Equal(7.5, 15, 30, 60, 120, 120, 120, 120);

        var connection = await _factory.Connected.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        await WaitFor(() => _manager.GetProvisionedVpnProfileStateAsync("office").Result.State == VpnState.Connected);

        // The gateway restarts: it deletes the SA. Always-on reconnects, and the back-off starts over.
        connection.Drop(new VpnConnectionEvent.Disconnected(ByPeer: true, "gateway shutting down"));
        var reset = await _clock.NextDelayAsync();
        reset.TotalSeconds.Should().Be(7.5);
        var waiting = await _manager.GetProvisionedVpnProfileStateAsync("office");
        waiting.State.Should().Be(VpnState.Disconnected);
        waiting.Error!.CodeName.Should().Be("ERROR_CODE_NETWORK_LOST");
        waiting.NextRetryAt.Should().NotBeNull();
        _clock.Advance(reset);
        await WaitFor(() => _manager.GetProvisionedVpnProfileStateAsync("office").Result.State == VpnState.Connected);
        _factory.Attempts.Should().Be(failUntil + 2);
    }

    [Fact]
    public async Task A_failure_after_connecting_reconnects_when_always_on_and_ends_otherwise()
    {
        await _manager.ProvisionVpnProfileAsync(ServiceTestData.Profile("a", alwaysOn: true));
        await _manager.ProvisionVpnProfileAsync(ServiceTestData.Profile("b"));
        (await _manager.StartProvisionedVpnProfileAsync("a", true)).State.Should().Be(VpnState.Connected);
        (await _manager.StartProvisionedVpnProfileAsync("b", true)).State.Should().Be(VpnState.Connected);
        var connections = _factory.Created.ToList();

        connections[1].Drop(new VpnConnectionEvent.Failed(ServiceTestData.Timeout()));
        await WaitFor(() => _manager.GetProvisionedVpnProfileStateAsync("b").Result.State == VpnState.Failed);

        connections[0].Drop(new VpnConnectionEvent.Failed(ServiceTestData.Timeout()));
        _clock.Advance(await _clock.NextDelayAsync());
        await WaitFor(() => _factory.Attempts == 3 && _manager.GetProvisionedVpnProfileStateAsync("a").Result.State == VpnState.Connected);
        (await _manager.GetProvisionedVpnProfileStateAsync("b")).State.Should().Be(VpnState.Failed);
    }

    [Fact]
    public async Task Stop_during_back_off_or_a_hanging_attempt_ends_disconnected()
    {
        _factory.Next = (_, n) => n == 1 ? new FakeOutcome.Fail(ServiceTestData.Timeout()) : new FakeOutcome.Hang();
        await _manager.ProvisionVpnProfileAsync(ServiceTestData.Profile(alwaysOn: true));
        await _manager.StartProvisionedVpnProfileAsync("office", true);
        await _clock.NextDelayAsync();
        (await _manager.StopProvisionedVpnProfileAsync("office")).Single().State.Should().Be(VpnState.Disconnected);

        await _manager.StartProvisionedVpnProfileAsync("office");
        await WaitFor(() => _factory.Attempts == 2);
        var stop = await _manager.StopProvisionedVpnProfileAsync("office").WaitAsync(TimeSpan.FromSeconds(10));
        stop.Single().State.Should().Be(VpnState.Disconnected);
        stop.Single().NextRetryAt.Should().BeNull();
    }

    [Fact]
    public async Task Ephemeral_profiles_are_not_stored_and_disappear_when_stopped()
    {
        var s = await _manager.StartVpnProfileAsync(ServiceTestData.Profile("from-file"), waitForResult: true);
        s.State.Should().Be(VpnState.Connected);
        s.Ephemeral.Should().BeTrue();
        new ProfileStore(_dir).Exists("from-file").Should().BeFalse();
        (await _manager.GetAllVpnProfileStatesAsync()).Select(x => x.Name).Should().Equal("from-file");
        await _manager.StopProvisionedVpnProfileAsync("from-file");
        (await _manager.GetAllVpnProfileStatesAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task Unknown_profiles_and_conflicts_are_request_errors()
    {
        var act = () => _manager.StartProvisionedVpnProfileAsync("nope");
        (await act.Should().ThrowAsync<VpnManagerException>()).Which.Code.Should().Be(VpnManagerErrors.NotFound);
        var bad = () => _manager.GetProvisionedVpnProfileStateAsync("../etc");
        (await bad.Should().ThrowAsync<VpnManagerException>()).Which.Code.Should().Be(VpnManagerErrors.BadRequest);

        await _manager.ProvisionVpnProfileAsync(ServiceTestData.Profile());
        await _manager.StartProvisionedVpnProfileAsync("office", true);
        var clash = () => _manager.StartVpnProfileAsync(ServiceTestData.Profile(), true);
        (await clash.Should().ThrowAsync<VpnManagerException>()).Which.Code.Should().Be(VpnManagerErrors.Conflict);
    }

    [Fact]
    public async Task Shutdown_disconnects_every_connection()
    {
        await _manager.ProvisionVpnProfileAsync(ServiceTestData.Profile("a"));
        await _manager.ProvisionVpnProfileAsync(ServiceTestData.Profile("b", alwaysOn: true));
        await _manager.StartProvisionedVpnProfileAsync("a", true);
        _manager.StartAlwaysOnProfiles().Should().Be(1);
        await WaitFor(() => _factory.Attempts == 2 && _factory.Created.All(c => c.State == VpnState.Connected));
        await _manager.ShutdownAsync();
        _factory.Created.Should().OnlyContain(c => c.DisconnectCalled && c.Disposed);
        (await _manager.GetAllVpnProfileStatesAsync()).Should().OnlyContain(s => s.State == VpnState.Disconnected);
    }

    [Fact]
    public async Task Subscribers_get_the_current_state_then_every_change()
    {
        await _manager.ProvisionVpnProfileAsync(ServiceTestData.Profile());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var seen = new List<VpnState>();
        var reader = Task.Run(async () =>
        {
            await foreach (var s in _manager.SubscribeAsync("office", cts.Token))
            {
                seen.Add(s.State);
                if (s.State == VpnState.Connected) return;
            }
        });
        await WaitFor(() => seen.Count >= 1);
        await _manager.StartProvisionedVpnProfileAsync("office", true);
        await reader;
        seen.First().Should().Be(VpnState.Disconnected);
        seen.Should().ContainInOrder(VpnState.Connecting, VpnState.Connected);
    }

    internal static async Task WaitFor(Func<bool> condition)
    {
        var until = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException("condition not met within 10 s");
            await Task.Delay(10);
        }
    }
}
