using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using FluentAssertions;
using Ikev2Client.Connection;
using Ikev2Client.Profiles;
using Ikev2Client.Service;
using Xunit;

namespace Ikev2Client.Tests.Service;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ControlSocketTests : IAsyncDisposable
{
    private readonly string _dir = ServiceTestData.NewTempDir();
    private readonly FakeVpnConnectionFactory _factory = new();
    private readonly VpnDaemon _daemon;
    private readonly VpnManagerClient _client;

    public ControlSocketTests()
    {
        var socket = Path.Combine(_dir, "run", "ikev2.sock");
        _daemon = new VpnDaemon(new VpnManagerOptions
        {
            Store = new ProfileStore(_dir), ConnectionFactory = _factory, Lockdown = new Ikev2Client.Platform.InMemory.InMemoryLockdownFirewall(),
        }, socket);
        _daemon.Start();
        _client = new VpnManagerClient(socket);
    }

    public async ValueTask DisposeAsync()
    {
        await _daemon.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void The_socket_is_owner_only()
    {
        File.GetUnixFileMode(_daemon.Server.SocketPath).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.GetUnixFileMode(Path.GetDirectoryName(_daemon.Server.SocketPath)!)
            .Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    [Fact]
    public async Task Provision_start_state_stop_round_trip()
    {
        (await _client.PingAsync()).Should().Be(Environment.ProcessId);
        await _client.ProvisionVpnProfileAsync(ServiceTestData.Profile(alwaysOn: true, lockdown: true));
        new ProfileStore(_dir).Load("office").Psk.Should().Equal(Encoding.UTF8.GetBytes(ServiceTestData.Psk), "the secret crosses the socket inbound");
        (await _client.GetProvisionedVpnProfileStateAsync("office")).State.Should().Be(VpnState.Disconnected);

        var up = await _client.StartProvisionedVpnProfileAsync("office", waitForResult: true);
        up.State.Should().Be(VpnState.Connected);
        up.AlwaysOn.Should().BeTrue();
        up.Lockdown.Should().BeTrue();
        up.LockdownActive.Should().BeTrue("the lockdown firewall is in place while the profile runs");
        up.Connection.Should().BeEquivalentTo(ServiceTestData.Info());
        _factory.Created.Single().Profile!.Psk.Should().Equal(Encoding.UTF8.GetBytes(ServiceTestData.Psk));

        var state = await _client.GetProvisionedVpnProfileStateAsync("office");
        state.Statistics!.BytesReceived.Should().Be(5600);
        state.Connection!.NextRekeyAt.Should().NotBeNull();
        (await _client.GetAllVpnProfileStatesAsync()).Select(s => s.Name).Should().Equal("office");

        var stopped = await _client.StopProvisionedVpnProfileAsync("office");
        stopped.Single().State.Should().Be(VpnState.Disconnected);
    }

    [Fact]
    public async Task Failures_arrive_as_states_with_class_and_code()
    {
        _factory.Next = (_, _) => new FakeOutcome.Fail(ServiceTestData.AuthFailed());
        var s = await _client.StartVpnProfileAsync(ServiceTestData.Profile("file"), waitForResult: true);
        s.State.Should().Be(VpnState.Failed);
        s.Error.Should().Be(ServiceTestData.AuthFailed());
    }

    [Fact]
    public async Task Request_errors_are_typed()
    {
        var act = () => _client.StartProvisionedVpnProfileAsync("missing");
        (await act.Should().ThrowAsync<VpnManagerException>()).Which.Code.Should().Be(VpnManagerErrors.NotFound);

        var raw = await RawAsync("{\"id\":7,\"method\":\"Bogus\"}\n");
        raw["id"]!.GetValue<int>().Should().Be(7);
        raw["ok"]!.GetValue<bool>().Should().BeFalse();
        raw["error"]!["code"]!.GetValue<string>().Should().Be("BadRequest");

        (await RawAsync("not json\n"))["error"]!["code"]!.GetValue<string>().Should().Be("BadRequest");
        var invalid = await RawAsync("{\"id\":1,\"method\":\"ProvisionVpnProfile\",\"profile\":{\"name\":\"x\",\"authMethod\":\"psk\"}}\n");
        invalid["error"]!["code"]!.GetValue<string>().Should().Be("InvalidProfile");
    }

    [Fact]
    public async Task An_overlong_line_is_refused_without_hanging()
    {
        var answer = await RawAsync(new string('x', LineConnection.MaxLineBytes + 10)).WaitAsync(TimeSpan.FromSeconds(10));
        answer["error"]!["code"]!.GetValue<string>().Should().Be("BadRequest");
    }

    [Fact]
    public async Task Subscribers_see_every_transition()
    {
        await _client.ProvisionVpnProfileAsync(ServiceTestData.Profile());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var seen = new List<VpnProfileState>();
        var ready = new TaskCompletionSource();
        var reader = Task.Run(async () =>
        {
            await foreach (var s in _client.SubscribeAsync(null, cts.Token))
            {
                seen.Add(s);
                ready.TrySetResult();
                if (s.State == VpnState.Disconnected && seen.Any(x => x.State == VpnState.Connected)) return;
            }
        });
        await ready.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await _client.StartProvisionedVpnProfileAsync("office", true);
        await _client.StopProvisionedVpnProfileAsync("office");
        await reader.WaitAsync(TimeSpan.FromSeconds(10));
        seen.Select(s => s.State).Should().ContainInOrder(VpnState.Disconnected, VpnState.Connecting, VpnState.Connected, VpnState.Disconnecting, VpnState.Disconnected);
        seen.Select(s => s.Sequence).Skip(1).Should().BeInAscendingOrder();
    }

    [Fact]
    public async Task Secrets_never_appear_in_states_or_events()
    {
        await _client.ProvisionVpnProfileAsync(ServiceTestData.Profile());
        _factory.Next = (_, _) => new FakeOutcome.Fail(ServiceTestData.AuthFailed());
        await _client.StartProvisionedVpnProfileAsync("office", true);
        _factory.Next = (_, _) => new FakeOutcome.Succeed(ServiceTestData.Info());

        var events = await RawStreamAsync("{\"id\":1,\"method\":\"Subscribe\"}\n", async () =>
        {
            await _client.StartProvisionedVpnProfileAsync("office", true);
            await _client.StopProvisionedVpnProfileAsync("office");
        });
        var all = string.Join("\n", events) + (await RawAsync("{\"id\":2,\"method\":\"GetProvisionedVpnProfileState\"}\n")).ToJsonString()
            + (await RawAsync("{\"id\":3,\"method\":\"GetProvisionedVpnProfileState\",\"name\":\"office\"}\n")).ToJsonString();
        all.Should().Contain("\"state\":\"CONNECTED\"").And.Contain("ERROR_CODE_IKE_AUTHENTICATION_FAILED");
        all.Should().NotContain(ServiceTestData.Psk);
        all.Should().NotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(ServiceTestData.Psk)));
        all.Should().NotContain("\"psk\"");
    }

    [Fact]
    public async Task A_second_service_on_the_same_socket_is_refused_and_a_stale_socket_is_replaced()
    {
        var second = new ControlServer(_daemon.Manager, _daemon.Server.SocketPath);
        var act = () => second.Start();
        act.Should().Throw<VpnManagerException>().Which.Code.Should().Be(VpnManagerErrors.Conflict);

        var stalePath = Path.Combine(_dir, "stale.sock");
        File.WriteAllText(stalePath, ""); // what a killed service leaves behind: a path nobody answers on
        await using var replacement = new ControlServer(_daemon.Manager, stalePath);
        replacement.Start();
        (await new VpnManagerClient(stalePath).PingAsync()).Should().Be(Environment.ProcessId);
    }

    [Fact]
    public async Task An_absent_service_is_unavailable()
    {
        var act = () => new VpnManagerClient(Path.Combine(_dir, "none.sock")).GetAllVpnProfileStatesAsync();
        (await act.Should().ThrowAsync<VpnManagerException>()).Which.Code.Should().Be(VpnManagerErrors.Unavailable);
    }

    private async Task<JsonObject> RawAsync(string text)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(_daemon.Server.SocketPath));
        await using var stream = new NetworkStream(socket);
        var send = stream.WriteAsync(Encoding.UTF8.GetBytes(text)).AsTask();
        using var reader = new StreamReader(stream);
        var line = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
        try { await send.WaitAsync(TimeSpan.FromSeconds(2)); } catch (Exception e) when (e is IOException or TimeoutException) { }
        return JsonNode.Parse(line!)!.AsObject();
    }

    private async Task<List<string>> RawStreamAsync(string request, Func<Task> during)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(_daemon.Server.SocketPath));
        await using var stream = new NetworkStream(socket);
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request));
        using var reader = new StreamReader(stream);
        var lines = new List<string> { (await reader.ReadLineAsync())! };
        lines.Add((await reader.ReadLineAsync())!); // the current state
        await during();
        while (true)
        {
            var line = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
            lines.Add(line!);
            if (line!.Contains("\"state\":\"DISCONNECTED\"") && lines.Any(l => l.Contains("\"state\":\"CONNECTED\""))) return lines;
        }
    }
}
