using System.CommandLine;
using System.Text.Json.Nodes;
using FluentAssertions;
using Ikev2Client.Cli;
using Ikev2Client.Connection;
using Ikev2Client.Profiles;
using Ikev2Client.Service;
using Xunit;

namespace Ikev2Client.Tests.Service;

/// <summary>
/// VpnManager parity: <c>deleteProvisionedVpnProfile</c> (stop, then remove profile and secrets; <c>profile remove</c>
/// goes through it) and session keys as <c>startProvisionedVpnProfileSession</c> returns them.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DeleteProvisionedVpnProfileTests : IAsyncDisposable
{
    private readonly string _dir = ServiceTestData.NewTempDir();
    private readonly FakeVpnConnectionFactory _factory = new();
    private readonly ManualClock _clock = new();
    private readonly VpnManagerService _manager;

    public DeleteProvisionedVpnProfileTests()
    {
        _manager = new VpnManagerService(new VpnManagerOptions
        {
            Store = new ProfileStore(_dir), ConnectionFactory = _factory, Time = _clock, Random = () => 0.5,
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _manager.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private string SecretFile(string name) => Path.Combine(_dir, "secrets", name + ".json");

    [Fact]
    public async Task Delete_stops_an_always_on_loop_waiting_to_reconnect_then_removes_the_profile_and_its_secrets()
    {
        _factory.Next = (_, _) => new FakeOutcome.Fail(ServiceTestData.Timeout());
        await _manager.ProvisionVpnProfileAsync(ServiceTestData.Profile(alwaysOn: true));
        File.Exists(SecretFile("office")).Should().BeTrue();
        var waiting = await _manager.StartProvisionedVpnProfileAsync("office", waitForResult: true);
        waiting.NextRetryAt.Should().NotBeNull("always-on is waiting to reconnect");
        var delay = await _clock.NextDelayAsync();

        await _manager.DeleteProvisionedVpnProfileAsync("office");

        new ProfileStore(_dir).Exists("office").Should().BeFalse();
        File.Exists(SecretFile("office")).Should().BeFalse();
        (await _manager.GetAllVpnProfileStatesAsync()).Should().BeEmpty();
        _clock.Advance(delay * 4);
        await Task.Delay(200);
        _factory.Attempts.Should().Be(1, "the loop ended before the profile was deleted; nothing reconnects with an old copy");
        var gone = () => _manager.GetProvisionedVpnProfileStateAsync("office");
        (await gone.Should().ThrowAsync<VpnManagerException>()).Which.Code.Should().Be(VpnManagerErrors.NotFound);
    }

    [Fact]
    public async Task Delete_disconnects_a_connected_profile_cleanly_first()
    {
        await _manager.ProvisionVpnProfileAsync(ServiceTestData.Profile());
        (await _manager.StartProvisionedVpnProfileAsync("office", waitForResult: true)).State.Should().Be(VpnState.Connected);
        await _manager.DeleteProvisionedVpnProfileAsync("office");
        var connection = _factory.Created.Single();
        connection.DisconnectCalled.Should().BeTrue();
        connection.Disposed.Should().BeTrue();
        new ProfileStore(_dir).Exists("office").Should().BeFalse();
    }

    [Fact]
    public async Task Delete_of_an_unknown_or_unstored_profile_is_a_request_error()
    {
        var unknown = () => _manager.DeleteProvisionedVpnProfileAsync("nope");
        (await unknown.Should().ThrowAsync<VpnManagerException>()).Which.Code.Should().Be(VpnManagerErrors.NotFound);
        var bad = () => _manager.DeleteProvisionedVpnProfileAsync("../x");
        (await bad.Should().ThrowAsync<VpnManagerException>()).Which.Code.Should().Be(VpnManagerErrors.BadRequest);

        await _manager.StartVpnProfileAsync(ServiceTestData.Profile("from-file"), waitForResult: true);
        var ephemeral = () => _manager.DeleteProvisionedVpnProfileAsync("from-file");
        (await ephemeral.Should().ThrowAsync<VpnManagerException>()).Which.Message.Should().Contain("ikev2 disconnect");
        (await _manager.GetProvisionedVpnProfileStateAsync("from-file")).State.Should().Be(VpnState.Connected, "it was not touched");
    }

    [Fact]
    public async Task Each_start_gets_a_new_session_key_that_stays_for_the_whole_run_across_always_on_reconnects()
    {
        await _manager.ProvisionVpnProfileAsync(ServiceTestData.Profile(alwaysOn: true));
        (await _manager.GetProvisionedVpnProfileStateAsync("office")).SessionKey.Should().BeNull("never started");

        var started = await _manager.StartProvisionedVpnProfileAsync("office");
        var session = started.SessionKey;
        session.Should().MatchRegex("^[0-9a-f]{12}$", "the start returns the run's session key at once");
        var first = await _factory.Connected.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        await VpnManagerServiceTests.WaitFor(() => _manager.GetProvisionedVpnProfileStateAsync("office").Result.State == VpnState.Connected);

        first.Drop(new VpnConnectionEvent.Disconnected(ByPeer: true, "gateway restart"));
        _clock.Advance(await _clock.NextDelayAsync());
        await _factory.Connected.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        await VpnManagerServiceTests.WaitFor(() => _manager.GetProvisionedVpnProfileStateAsync("office").Result is { State: VpnState.Connected, Attempt: 2 });
        (await _manager.GetProvisionedVpnProfileStateAsync("office")).SessionKey.Should().Be(session, "a reconnect is the same run");

        await _manager.StopProvisionedVpnProfileAsync("office");
        var again = await _manager.StartProvisionedVpnProfileAsync("office", waitForResult: true);
        again.SessionKey.Should().NotBeNullOrEmpty().And.NotBe(session, "every start is a new session");
    }
}

/// <summary><c>profile remove</c> with the service running (through DeleteProvisionedVpnProfile) and without it.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ProfileRemoveThroughTheServiceTests : IAsyncDisposable
{
    private readonly string _dir = ServiceTestData.NewTempDir();
    private readonly FakeVpnConnectionFactory _factory = new();
    private readonly string _socket;
    private readonly VpnDaemon _daemon;

    public ProfileRemoveThroughTheServiceTests()
    {
        _socket = Path.Combine(_dir, "run", "ikev2.sock");
        new ProfileStore(_dir).Save(ServiceTestData.Profile("office", alwaysOn: true));
        new ProfileStore(_dir).Save(ServiceTestData.Profile("home"));
        _daemon = new VpnDaemon(new VpnManagerOptions { Store = new ProfileStore(_dir), ConnectionFactory = _factory }, _socket);
        _daemon.Start();
    }

    public async ValueTask DisposeAsync()
    {
        await _daemon.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private (int Code, string Out, string Err) Profile(params string[] args)
    {
        var root = new RootCommand("test") { ProfileCommands.Create(() => new ProfileStore(_dir), _ => _socket) };
        var output = new StringWriter();
        var error = new StringWriter();
        var code = root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Remove_stops_the_running_always_on_loop_before_the_files_go()
    {
        var connection = await _factory.Connected.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        var client = new VpnManagerClient(_socket);

        var r = Profile("profile", "remove", "office");
        r.Code.Should().Be(0, r.Err);
        r.Out.Should().Contain("Removed 'office'");
        connection.DisconnectCalled.Should().BeTrue("the service stopped the loop");
        new ProfileStore(_dir).Exists("office").Should().BeFalse();
        File.Exists(Path.Combine(_dir, "secrets", "office.json")).Should().BeFalse();
        (await client.GetAllVpnProfileStatesAsync()).Select(s => s.Name).Should().Equal("home");
        await Task.Delay(300);
        _factory.Attempts.Should().Be(1, "no always-on retry runs on a deleted profile");

        var missing = Profile("profile", "remove", "office");
        missing.Code.Should().Be(2);
        missing.Err.Trim().Should().Be("error: no profile named 'office'");
    }

    [Fact]
    public async Task Without_a_service_remove_has_the_same_result()
    {
        await _daemon.DisposeAsync();
        var r = Profile("profile", "remove", "home");
        r.Code.Should().Be(0, r.Err);
        new ProfileStore(_dir).Exists("home").Should().BeFalse();
        Profile("profile", "remove", "home").Code.Should().Be(2);
    }

    [Fact]
    public async Task Delete_over_the_socket_and_status_shows_the_session()
    {
        var client = new VpnManagerClient(_socket);
        var started = await client.StartProvisionedVpnProfileAsync("home", waitForResult: true);
        started.SessionKey.Should().NotBeNullOrEmpty();
        var json = JsonNode.Parse(await StatusJson("home"))!;
        json["sessionKey"]!.GetValue<string>().Should().Be(started.SessionKey);

        await client.DeleteProvisionedVpnProfileAsync("home");
        new ProfileStore(_dir).Exists("home").Should().BeFalse();
        var again = () => client.DeleteProvisionedVpnProfileAsync("home");
        (await again.Should().ThrowAsync<VpnManagerException>()).Which.Code.Should().Be(VpnManagerErrors.NotFound);
    }

    private async Task<string> StatusJson(string name)
    {
        var root = new RootCommand("test");
        foreach (var c in ServiceCommands.Create(new ServiceCliOptions
                 {
                     Store = () => new ProfileStore(_dir), SocketPath = _ => _socket, AutoStartDaemon = false, Interactive = false,
                 }))
            root.Subcommands.Add(c);
        var output = new StringWriter();
        await root.Parse(["status", name, "--json"]).InvokeAsync(new InvocationConfiguration { Output = output, Error = new StringWriter() });
        return output.ToString();
    }
}
