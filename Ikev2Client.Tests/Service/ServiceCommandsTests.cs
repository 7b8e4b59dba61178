using System.CommandLine;
using System.Text.Json.Nodes;
using FluentAssertions;
using Ikev2Client.Cli;
using Ikev2Client.Profiles;
using Ikev2Client.Service;
using Xunit;

namespace Ikev2Client.Tests.Service;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ServiceCommandsTests : IAsyncDisposable
{
    private readonly string _dir = ServiceTestData.NewTempDir();
    private readonly FakeVpnConnectionFactory _factory = new();
    private readonly string _socket;
    private readonly VpnDaemon _daemon;

    public ServiceCommandsTests()
    {
        _socket = Path.Combine(_dir, "run", "ikev2.sock");
        new ProfileStore(_dir).Save(ServiceTestData.Profile("office"));
        new ProfileStore(_dir).Save(ServiceTestData.Profile("home", alwaysOn: true));
        _daemon = new VpnDaemon(new VpnManagerOptions { Store = new ProfileStore(_dir), ConnectionFactory = _factory }, _socket);
        _daemon.Start(startAlwaysOn: false);
    }

    public async ValueTask DisposeAsync()
    {
        await _daemon.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private ServiceCliOptions Options(string? socket = null) => new()
    {
        Store = () => new ProfileStore(_dir), SocketPath = _ => socket ?? _socket, ConnectionFactory = _ => _factory,
        AutoStartDaemon = false, Interactive = false,
    };

    /// <summary>One CLI invocation: a fresh command tree each time, as separate processes would have.</summary>
    private Task<(int Code, string Out, string Err)> Run(ServiceCliOptions options, CancellationToken ct, params string[] args) =>
        Run(options, ct, new StringWriter(), args);

    /// <summary>Runs a command writing its output to <paramref name="output"/> (a synchronized writer can be read while it runs).</summary>
    private async Task<(int Code, string Out, string Err)> Run(ServiceCliOptions options, CancellationToken ct, TextWriter output, params string[] args)
    {
        var root = new RootCommand("test");
        foreach (var c in ServiceCommands.Create(options)) root.Subcommands.Add(c);
        var error = new StringWriter();
        var code = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, ct);
        return (code, output.ToString() ?? "", error.ToString());
    }

    private Task<(int Code, string Out, string Err)> Run(params string[] args) => Run(Options(), CancellationToken.None, args);

    [Fact]
    public async Task Connect_returns_zero_once_connected()
    {
        var r = await Run("connect", "office");
        r.Code.Should().Be(ServiceExitCodes.Ok, r.Err);
        r.Out.Should().Contain("CONNECTED 'office'").And.Contain("10.10.0.2/32");
        var json = await Run("status", "office", "--json");
        JsonNode.Parse(json.Out)!["state"]!.GetValue<string>().Should().Be("CONNECTED");
    }

    [Fact]
    public async Task Exit_codes_follow_the_error_class()
    {
        _factory.Next = (_, _) => new FakeOutcome.Fail(ServiceTestData.AuthFailed());
        var auth = await Run("connect", "office");
        auth.Code.Should().Be(ServiceExitCodes.NotRecoverable);
        auth.Err.Should().Contain("ERROR_CODE_IKE_AUTHENTICATION_FAILED").And.Contain("ERROR_CLASS_NOT_RECOVERABLE").And.Contain("Check the pre-shared key");

        _factory.Next = (_, _) => new FakeOutcome.Fail(ServiceTestData.Timeout());
        var timeout = await Run("connect", "office", "--json");
        timeout.Code.Should().Be(ServiceExitCodes.ConnectionFailed);
        var state = JsonNode.Parse(timeout.Out)!;
        state["state"]!.GetValue<string>().Should().Be("FAILED");
        state["error"]!["errorClass"]!.GetValue<int>().Should().Be(VpnErrorCodes.ErrorClassRecoverable);
        state["error"]!["errorCode"]!.GetValue<int>().Should().Be(VpnErrorCodes.ErrorCodeNetworkProtocolTimeout);

        (await Run("connect", "nosuch")).Code.Should().Be(ServiceExitCodes.Usage);
        (await Run("connect", "../bad")).Code.Should().Be(ServiceExitCodes.Usage);
        var garbage = Path.Combine(_dir, "garbage.json");
        File.WriteAllText(garbage, "{ not a profile");
        (await Run("connect", garbage)).Code.Should().Be(ServiceExitCodes.Usage);
        Ikev2Client.Cli.CommandLine.Run(["connect"]).Should().Be(ServiceExitCodes.Usage, "a missing argument is a usage error");
        Ikev2Client.Cli.CommandLine.Run(["toggle"]).Should().Be(ServiceExitCodes.Usage);
    }

    [Fact]
    public async Task Without_a_service_the_exit_code_is_four()
    {
        var none = Options(Path.Combine(_dir, "none.sock"));
        var connect = await Run(none, CancellationToken.None, "connect", "office");
        connect.Code.Should().Be(ServiceExitCodes.ServiceUnavailable);
        connect.Err.Should().Contain("not running");
        (await Run(none, CancellationToken.None, "status", "--watch")).Code.Should().Be(ServiceExitCodes.ServiceUnavailable, "there is nothing to follow");
        (await Run(none, CancellationToken.None, "toggle", "office")).Code.Should().Be(ServiceExitCodes.ServiceUnavailable);
        (await Run(none, CancellationToken.None, "disconnect")).Code.Should().Be(ServiceExitCodes.Ok, "nothing is connected");
    }

    [Fact]
    public async Task Status_without_a_service_answers_no_connections()
    {
        var none = Options(Path.Combine(_dir, "none.sock"));
        var text = await Run(none, CancellationToken.None, "status");
        text.Code.Should().Be(ServiceExitCodes.Ok, text.Err);
        text.Out.Should().Contain("No connections").And.Contain("not running");
        text.Err.Should().BeEmpty();

        var json = await Run(none, CancellationToken.None, "status", "--json");
        json.Code.Should().Be(ServiceExitCodes.Ok);
        JsonNode.Parse(json.Out)!.AsArray().Should().BeEmpty();

        var one = await Run(none, CancellationToken.None, "status", "office", "--json");
        one.Code.Should().Be(ServiceExitCodes.Ok, one.Err);
        var state = JsonNode.Parse(one.Out)!;
        state["name"]!.GetValue<string>().Should().Be("office");
        state["state"]!.GetValue<string>().Should().Be("DISCONNECTED");
        (await Run(none, CancellationToken.None, "status", "office")).Out.Should().Contain("'office': DISCONNECTED");
        (await Run(none, CancellationToken.None, "status", "nosuch")).Code.Should().Be(ServiceExitCodes.Usage, "an unknown profile is still an error");
    }

    [Fact]
    public async Task A_stale_socket_file_means_no_service()
    {
        // A socket file nobody accepts on (as a service that died leaves it): connecting is refused, which is
        // "not running". A bound socket that does not listen refuses connections the same way.
        var stale = Path.Combine(_dir, "stale.sock");
        using var bound = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        bound.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(stale));
        File.Exists(stale).Should().BeTrue();
        var r = await Run(Options(stale), CancellationToken.None, "status");
        r.Code.Should().Be(ServiceExitCodes.Ok, r.Err);
        r.Out.Should().Contain("No connections");
        var connect = await Run(Options(stale), CancellationToken.None, "connect", "office");
        connect.Code.Should().Be(ServiceExitCodes.ServiceUnavailable);
        connect.Err.Should().Contain("not running");
    }

    [Fact]
    public async Task Connect_a_file_without_storing_it()
    {
        var file = Path.Combine(_dir, "travel.json");
        File.WriteAllText(file, NativeProfileJson.Serialize(ServiceTestData.Profile("travel"), includeSecrets: true));
        var r = await Run("connect", file, "--json");
        r.Code.Should().Be(0, r.Err);
        var state = JsonNode.Parse(r.Out)!;
        state["name"]!.GetValue<string>().Should().Be("travel");
        state["ephemeral"]!.GetValue<bool>().Should().BeTrue();
        new ProfileStore(_dir).Exists("travel").Should().BeFalse();
        r.Out.Should().NotContain(ServiceTestData.Psk);
        (await Run("disconnect", "travel")).Code.Should().Be(0);
    }

    [Fact]
    public async Task Status_json_shape()
    {
        await Run("connect", "office");
        var all = await Run("status", "--json");
        all.Code.Should().Be(0);
        var array = JsonNode.Parse(all.Out)!.AsArray();
        array.Select(n => n!["name"]!.GetValue<string>()).Should().Equal("home", "office");
        array[0]!["state"]!.GetValue<string>().Should().Be("DISCONNECTED");
        array[0]!["alwaysOn"]!.GetValue<bool>().Should().BeTrue();

        var office = JsonNode.Parse((await Run("status", "office", "--json")).Out)!.AsObject();
        office.Select(kv => kv.Key).Should().Contain(["name", "state", "sessionKey", "alwaysOn", "lockdown", "server", "since", "connection", "statistics"]);
        var c = office["connection"]!;
        c["gateway"]!.GetValue<string>().Should().Be("192.0.2.1:4500");
        c["virtualAddresses"]!.AsArray().Select(n => n!.GetValue<string>()).Should().Equal("10.10.0.2/32");
        c["dnsServers"]!.AsArray().Select(n => n!.GetValue<string>()).Should().Equal("10.10.0.1");
        c["ikeAlgorithms"]!.GetValue<string>().Should().Contain("AES_GCM_16_256");
        c["ikeSpiInitiator"]!.GetValue<string>().Should().Be("0123456789abcdef");
        c["espSpiIn"]!.GetValue<string>().Should().Be("c1a2b3c4");
        DateTimeOffset.Parse(c["nextRekeyAt"]!.GetValue<string>()).Should().BeAfter(DateTimeOffset.UtcNow);
        var st = office["statistics"]!;
        (st["packetsIn"]!.GetValue<long>(), st["packetsOut"]!.GetValue<long>(), st["bytesIn"]!.GetValue<long>(), st["bytesOut"]!.GetValue<long>())
            .Should().Be((12L, 34L, 5600L, 7800L));
        office.ToJsonString().Should().NotContain(ServiceTestData.Psk);

        var table = await Run("status", "office");
        table.Out.Should().Contain("CONNECTED").And.Contain("10.10.0.2/32").And.Contain("c1a2b3c4").And.Contain("Next rekey");
    }

    [Fact]
    public async Task Two_invocations_share_one_service_and_toggle_flips()
    {
        var otherCli = Options();
        (await Run(otherCli, CancellationToken.None, "toggle", "office")).Code.Should().Be(0);
        var seen = await Run("status", "office", "--json");
        JsonNode.Parse(seen.Out)!["state"]!.GetValue<string>().Should().Be("CONNECTED");

        var off = await Run("toggle", "office", "--json");
        off.Code.Should().Be(0);
        JsonNode.Parse(off.Out)!["state"]!.GetValue<string>().Should().Be("DISCONNECTED");
        _factory.Created.Single().DisconnectCalled.Should().BeTrue();

        (await Run(otherCli, CancellationToken.None, "toggle", "office")).Code.Should().Be(0);
        _factory.Attempts.Should().Be(2);
        (await Run("disconnect", "--json")).Code.Should().Be(0);
        JsonNode.Parse((await Run(otherCli, CancellationToken.None, "status", "--json")).Out)!.AsArray()
            .Should().OnlyContain(n => n!["state"]!.GetValue<string>() == "DISCONNECTED");
    }

    [Fact]
    public async Task Status_watch_prints_each_change()
    {
        using var cts = new CancellationTokenSource();
        var output = new StringWriter();
        var shown = TextWriter.Synchronized(output);
        List<string> States() { lock (shown) return output.ToString().Split('\n').SkipLast(1).Select(l => JsonNode.Parse(l)!["state"]!.GetValue<string>()).ToList(); }
        var watch = Run(Options(), cts.Token, shown, "status", "office", "--watch", "--json");
        await VpnManagerServiceTests.WaitFor(() => States().Count > 0); // subscribed: the current state came first
        await Run("connect", "office");
        await Run("disconnect", "office");
        await VpnManagerServiceTests.WaitFor(() => States() is var s && s.IndexOf("DISCONNECTING") is >= 0 and var i && s.Skip(i).Contains("DISCONNECTED"));
        cts.Cancel();
        var r = await watch.WaitAsync(TimeSpan.FromSeconds(10));
        r.Code.Should().Be(0);
        States().Should().ContainInOrder("DISCONNECTED", "CONNECTING", "CONNECTED", "DISCONNECTING", "DISCONNECTED");
    }

    [Fact]
    public async Task Foreground_connect_holds_the_tunnel_until_cancelled_and_serves_status()
    {
        var socket = Path.Combine(_dir, "fg.sock");
        using var cts = new CancellationTokenSource();
        var run = Run(Options(socket), cts.Token, "connect", "office", "--foreground");
        var connection = await _factory.Connected.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        await VpnManagerServiceTests.WaitFor(() => File.Exists(socket));
        var status = await Run(Options(socket), CancellationToken.None, "status", "office", "--json");
        JsonNode.Parse(status.Out)!["state"]!.GetValue<string>().Should().Be("CONNECTED");
        cts.Cancel();
        var r = await run.WaitAsync(TimeSpan.FromSeconds(10));
        r.Code.Should().Be(0, r.Err);
        connection.DisconnectCalled.Should().BeTrue();
        File.Exists(socket).Should().BeFalse();
    }

    [Fact]
    public async Task Foreground_connect_failure_returns_the_class_exit_code()
    {
        _factory.Next = (_, _) => new FakeOutcome.Fail(ServiceTestData.AuthFailed());
        var r = await Run(Options(Path.Combine(_dir, "fg2.sock")), CancellationToken.None, "connect", "office", "--foreground");
        r.Code.Should().Be(ServiceExitCodes.NotRecoverable);
    }
}
