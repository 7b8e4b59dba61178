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
/// Managed profiles through the whole service: the daemon (control socket and managed-directory watcher) with the
/// fake connection factory, driven by files dropped into <c>managed.d</c> and by the CLI.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ManagedProfileServiceTests : IAsyncDisposable
{
    private readonly string _dir = ServiceTestData.NewTempDir();
    private readonly ProfileStore _store;
    private readonly FakeVpnConnectionFactory _factory = new();
    private readonly LogCapture _log = new();
    private readonly string _socket;
    private readonly VpnDaemon _daemon;
    private readonly VpnManagerClient _client;

    public ManagedProfileServiceTests()
    {
        _store = new ProfileStore(_dir);
        ManagedFiles.CreateDirectory(_store);
        _socket = Path.Combine(_dir, "run", "ikev2.sock");
        _daemon = new VpnDaemon(new VpnManagerOptions { Store = _store, ConnectionFactory = _factory, LoggerFactory = _log }, _socket);
        _daemon.Start();
        _client = new VpnManagerClient(_socket);
    }

    public async ValueTask DisposeAsync()
    {
        await _daemon.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<(int Code, string Out, string Err)> Cli(params string[] args)
    {
        var options = new ServiceCliOptions
        {
            Store = () => new ProfileStore(_dir), SocketPath = _ => _socket, ConnectionFactory = _ => _factory, AutoStartDaemon = false, Interactive = false,
        };
        var root = new RootCommand("test") { ProfileCommands.Create(() => new ProfileStore(_dir), _ => _socket) };
        foreach (var c in ServiceCommands.Create(options)) root.Subcommands.Add(c);
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    private Task<VpnProfileState> State(string name) => _client.GetProvisionedVpnProfileStateAsync(name);

    private async Task<FakeVpnConnection> NextConnectionAsync() =>
        await _factory.Connected.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

    [Fact]
    public async Task A_managed_always_on_profile_starts_on_its_own_and_is_shown_as_managed()
    {
        _store.Save(ManagedFiles.Profile("home"));
        var path = ManagedFiles.Drop(_store, "corp.json", ManagedFiles.Native(ManagedFiles.Profile("corp", alwaysOn: true)));

        await NextConnectionAsync();
        await ManagedDirectoryTests.WaitUntil(() => State("corp").Result.State == VpnState.Connected, TimeSpan.FromSeconds(10));
        var state = await State("corp");
        state.ManagedBy.Should().Be(path);
        state.AlwaysOn.Should().BeTrue();
        state.SessionKey.Should().NotBeNullOrEmpty();

        var json = JsonNode.Parse((await Cli("status", "corp", "--json")).Out)!;
        json["managedBy"]!.GetValue<string>().Should().Be(path);
        (await Cli("status", "corp")).Out.Should().Contain("Managed by").And.Contain(path).And.Contain(state.SessionKey!);
        (await Cli("status")).Out.Should().Contain("(managed)").And.Contain("home");

        var list = await Cli("profile", "list");
        list.Out.Should().Contain("managed: corp.json").And.Contain("user").And.Contain(_store.ManagedDirectory);
        var listed = JsonNode.Parse((await Cli("profile", "list", "--json")).Out)!.AsArray().ToDictionary(n => n!["name"]!.GetValue<string>());
        listed["corp"]!["managed"]!.GetValue<bool>().Should().BeTrue();
        listed["corp"]!["managedBy"]!.GetValue<string>().Should().Be(path);
        listed["corp"]!["shadowsUserProfile"]!.GetValue<bool>().Should().BeFalse();
        listed["home"]!["managed"]!.GetValue<bool>().Should().BeFalse();
        (await Cli("profile", "show", "home")).Out.Should().Contain("user");
        (await Cli("profile", "show", "corp")).Out.Should().Contain("managed: corp.json").And.Contain("Managed by the device policy (MDM) through " + path);
    }

    [Fact]
    public async Task Remove_import_and_provision_over_a_managed_profile_are_refused_naming_the_mdm_file()
    {
        var path = ManagedFiles.Drop(_store, "corp.json", ManagedFiles.Native(ManagedFiles.Profile("corp")));
        await ManagedDirectoryTests.WaitUntil(() => _store.IsManaged("corp"), TimeSpan.FromSeconds(5));
        (await Cli("connect", "corp")).Code.Should().Be(ServiceExitCodes.Ok);
        var connection = await NextConnectionAsync();

        var remove = await Cli("profile", "remove", "corp");
        remove.Code.Should().Be(2, "a refused operation is exit code 2 (README)");
        remove.Err.Should().Contain(_store.ManagedDirectory).And.Contain(path).And.Contain("MDM");
        connection.DisconnectCalled.Should().BeFalse("a refused remove leaves the tunnel alone");
        (await State("corp")).State.Should().Be(VpnState.Connected);

        var delete = () => _client.DeleteProvisionedVpnProfileAsync("corp");
        (await delete.Should().ThrowAsync<VpnManagerException>()).Which.Code.Should().Be(VpnManagerErrors.Managed);

        var file = Path.Combine(_dir, "corp-user.json");
        File.WriteAllText(file, ManagedFiles.Native(ManagedFiles.Profile("corp", "elsewhere.example.com")));
        var import = await Cli("profile", "import", file, "--force");
        import.Code.Should().Be(2);
        import.Err.Should().Contain(path);
        var provision = () => _client.ProvisionVpnProfileAsync(ManagedFiles.Profile("corp", "elsewhere.example.com"));
        (await provision.Should().ThrowAsync<VpnManagerException>()).Which.Code.Should().Be(VpnManagerErrors.Managed);
        var connectFile = await Cli("connect", file);
        connectFile.Code.Should().Be(ServiceExitCodes.Usage);
        connectFile.Err.Should().Contain(path);

        var export = await Cli("profile", "export", "corp", "--include-secrets");
        export.Code.Should().Be(2, "the device policy's secrets are not handed out");
        export.Out.Should().NotContain(ServiceTestData.Psk);
        export.Err.Should().Contain(path);
        (await Cli("profile", "export", "corp")).Out.Should().Contain("\"serverAddr\": \"vpn.example.com\"").And.NotContain(ServiceTestData.Psk);

        _store.Load("corp").ServerAddr.Should().Be("vpn.example.com", "nothing replaced the managed profile");
        _store.HasUserProfile("corp").Should().BeFalse();

        // The store refuses too when no service answers.
        await _daemon.DisposeAsync();
        var offline = await Cli("profile", "remove", "corp");
        offline.Code.Should().Be(2);
        offline.Err.Should().Contain(path);
        _store.IsManaged("corp").Should().BeTrue();
    }

    [Fact]
    public async Task Deleting_the_file_stops_the_profile_and_removes_it_and_its_secrets()
    {
        var path = ManagedFiles.Drop(_store, "corp.json", ManagedFiles.Native(ManagedFiles.Profile("corp", alwaysOn: true)));
        var connection = await NextConnectionAsync();
        File.Exists(Path.Combine(_dir, "managed", "secrets", "corp.json")).Should().BeTrue();

        File.Delete(path);
        await ManagedDirectoryTests.WaitUntil(() => !_store.Exists("corp"), TimeSpan.FromSeconds(5));
        connection.DisconnectCalled.Should().BeTrue("the IKE SA is deleted before the profile goes");
        connection.Disposed.Should().BeTrue();
        File.Exists(Path.Combine(_dir, "managed", "secrets", "corp.json")).Should().BeFalse();
        (await _client.GetAllVpnProfileStatesAsync()).Should().BeEmpty();
        var act = () => State("corp");
        (await act.Should().ThrowAsync<VpnManagerException>()).Which.Code.Should().Be(VpnManagerErrors.NotFound);
        _log.Text.Should().Contain("corp.json was deleted");
    }

    [Fact]
    public async Task A_changed_file_reconnects_a_running_profile_and_an_identical_rewrite_does_not()
    {
        ManagedFiles.Drop(_store, "corp.json", ManagedFiles.Native(ManagedFiles.Profile("corp", "gw1.example.com", alwaysOn: true)));
        var first = await NextConnectionAsync();
        first.Profile!.ServerAddr.Should().Be("gw1.example.com");
        await ManagedDirectoryTests.WaitUntil(() => State("corp").Result.State == VpnState.Connected, TimeSpan.FromSeconds(10));
        var firstSession = (await State("corp")).SessionKey;

        ManagedFiles.Drop(_store, "corp.json", ManagedFiles.Native(ManagedFiles.Profile("corp", "gw2.example.com", alwaysOn: true)));
        var second = await NextConnectionAsync();
        second.Profile!.ServerAddr.Should().Be("gw2.example.com");
        first.DisconnectCalled.Should().BeTrue();
        await ManagedDirectoryTests.WaitUntil(() => State("corp").Result.State == VpnState.Connected, TimeSpan.FromSeconds(10));
        (await State("corp")).SessionKey.Should().NotBe(firstSession, "a reconnect with new settings is a new run");

        // The same profile written differently (indentation): applied, no reconnect.
        var compact = NativeProfileJson.ToJson(ManagedFiles.Profile("corp", "gw2.example.com", alwaysOn: true), includeSecrets: true).ToJsonString();
        ManagedFiles.Drop(_store, "corp.json", compact);
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(compact)));
        await ManagedDirectoryTests.WaitUntil(() => _store.ReadManagedStatus().SingleOrDefault()?.Sha256 == hash, TimeSpan.FromSeconds(5));
        _factory.Attempts.Should().Be(2);
        second.DisconnectCalled.Should().BeFalse();
    }

    [Fact]
    public async Task An_invalid_change_is_logged_listed_and_the_running_version_stays()
    {
        var path = ManagedFiles.Drop(_store, "corp.json", ManagedFiles.Native(ManagedFiles.Profile("corp", alwaysOn: true)));
        var connection = await NextConnectionAsync();

        ManagedFiles.Drop(_store, "corp.json", """{"name": "corp", "serverAddr": "vpn.example.com", "authMethod": "psk"}""");
        await ManagedDirectoryTests.WaitUntil(() => _store.ReadManagedStatus().SingleOrDefault()?.Error is not null, TimeSpan.FromSeconds(5));
        _log.Text.Should().Contain($"{path} not applied").And.Contain("psk").And.Contain("stays in force");
        connection.DisconnectCalled.Should().BeFalse();
        _factory.Attempts.Should().Be(1);

        var list = await Cli("profile", "list");
        list.Out.Should().Contain(path).And.Contain("the last change was not applied").And.Contain("previous version of 'corp' stays in force");
        JsonNode.Parse((await Cli("profile", "list", "--json")).Out)!.AsArray().Single()!["managedError"]!.GetValue<string>().Should().Contain("psk");
        (await Cli("profile", "show", "corp")).Out.Should().Contain("not applied");
    }

    [Fact]
    public async Task A_managed_profile_shadows_a_running_user_profile_of_the_same_name()
    {
        _store.Save(ManagedFiles.Profile("corp", "user.example.com"));
        (await Cli("connect", "corp")).Code.Should().Be(ServiceExitCodes.Ok);
        var user = await NextConnectionAsync();

        ManagedFiles.Drop(_store, "corp.json", ManagedFiles.Native(ManagedFiles.Profile("corp", "mdm.example.com")));
        var managed = await NextConnectionAsync();
        managed.Profile!.ServerAddr.Should().Be("mdm.example.com", "managed wins: the running profile reconnects with it");
        user.DisconnectCalled.Should().BeTrue();
        var list = await Cli("profile", "list");
        list.Out.Should().Contain("shadows your own profile of the same name");
        _log.Text.Should().Contain("shadows the user profile");
    }
}
