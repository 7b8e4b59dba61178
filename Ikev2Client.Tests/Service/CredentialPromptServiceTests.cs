using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using FluentAssertions;
using Ikev2Client.Connection;
using Ikev2Client.Profiles;
using Ikev2Client.Service;
using Xunit;

namespace Ikev2Client.Tests.Service;

/// <summary>
/// A profile imported without its password, started through the service: the service asks the client that sent the
/// start on the same control connection (a <c>credentials</c> event, then the answer), uses the answer for this run
/// only unless the client asks to store it (then 0600), and gives a clear <c>CredentialsRequired</c> error — before any
/// connection attempt — when nobody answers: a client that can't, one that says why not, one that runs out of time.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CredentialPromptServiceTests : IAsyncDisposable
{
    private const string Password = "Eap-pa55-NEVER-logged";
    private readonly string _dir = ServiceTestData.NewTempDir();
    private readonly FakeVpnConnectionFactory _factory = new();
    private readonly StringWriter _log = new();
    private readonly VpnDaemon _daemon;
    private readonly string _socket;

    public CredentialPromptServiceTests()
    {
        _socket = Path.Combine(_dir, "run", "ikev2.sock");
        new ProfileStore(_dir).Save(WithoutPassword("lab"));
        _daemon = new VpnDaemon(new VpnManagerOptions
        {
            Store = new ProfileStore(_dir), ConnectionFactory = _factory, LoggerFactory = new Ikev2Client.Tests.Infrastructure.TestLog(line => { lock (_log) _log.WriteLine(line); }, Microsoft.Extensions.Logging.LogLevel.Trace),
        }, _socket);
        _daemon.Start(startAlwaysOn: false);
    }

    public async ValueTask DisposeAsync()
    {
        await _daemon.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>EAP-MSCHAPv2 with a user name and no password, as a .sswan without local.shared_secret imports.</summary>
    private static Ikev2VpnProfile WithoutPassword(string name) =>
        new Ikev2VpnProfile.Builder("vpn.example.org", null).SetName(name).SetAuthUsernamePassword("alice", null, null).Build();

    private VpnManagerClient Client() => new(_socket);

    private string Logged() { lock (_log) return _log.ToString(); }

    private string SecretsFile(string name) => Path.Combine(_dir, "secrets", name + ".json");

    /// <summary>Answers each question with the next entry of <paramref name="answers"/> and records the questions.</summary>
    private sealed class ScriptedPrompt(bool save, params string[] answers) : ICredentialPrompt
    {
        public List<CredentialRequest> Asked { get; } = [];

        public Task<CredentialAnswer> AskAsync(CredentialRequest request, CancellationToken cancellationToken)
        {
            Asked.Add(request);
            var value = answers[Math.Min(Asked.Count - 1, answers.Length - 1)];
            return Task.FromResult(new CredentialAnswer(request.Fields.ToDictionary(f => f.Key, _ => value), save));
        }
    }

    private sealed class RefusingPrompt(string why) : ICredentialPrompt
    {
        public Task<CredentialAnswer> AskAsync(CredentialRequest request, CancellationToken cancellationToken) =>
            Task.FromException<CredentialAnswer>(new CredentialPromptException(why));
    }

    [Fact]
    public async Task The_client_that_started_it_is_asked_and_the_answer_serves_this_run_only()
    {
        var prompt = new ScriptedPrompt(save: false, Password);
        var state = await Client().StartProvisionedVpnProfileAsync("lab", true, prompt, CancellationToken.None);
        state.State.Should().Be(VpnState.Connected, state.Error?.Message);
        var asked = prompt.Asked.Should().ContainSingle().Subject;
        asked.Profile.Should().Be("lab");
        asked.Fields.Should().ContainSingle().Which.Should().Be(new MissingCredential("password", true, "Password (EAP-MSCHAPv2) of 'alice' for 'lab'"));
        asked.Timeout.Should().Be(TimeSpan.FromSeconds(120), "the service says how long it waits");
        _factory.Created.Single().Profile!.Password.Should().Be(Password, "the connection got the answer");

        File.Exists(SecretsFile("lab")).Should().BeFalse("never stored unless the user says so");
        new ProfileStore(_dir).Load("lab").Password.Should().BeNull();
        Logged().Should().NotContain(Password, "answers are never logged");

        // Already running: a second start asks nothing.
        var again = new ScriptedPrompt(save: false, "unused");
        (await Client().StartProvisionedVpnProfileAsync("lab", true, again, CancellationToken.None)).State.Should().Be(VpnState.Connected);
        again.Asked.Should().BeEmpty();

        // After a disconnect it is asked again: nothing was kept.
        await Client().StopProvisionedVpnProfileAsync("lab");
        var third = new ScriptedPrompt(save: false, Password);
        (await Client().StartProvisionedVpnProfileAsync("lab", true, third, CancellationToken.None)).State.Should().Be(VpnState.Connected);
        third.Asked.Should().ContainSingle();
    }

    [Fact]
    public async Task Asked_to_store_it_the_answer_is_stored_in_the_secrets_file_mode_0600()
    {
        var state = await Client().StartProvisionedVpnProfileAsync("lab", true, new ScriptedPrompt(save: true, Password), CancellationToken.None);
        state.State.Should().Be(VpnState.Connected, state.Error?.Message);
        File.GetUnixFileMode(SecretsFile("lab")).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.ReadAllText(SecretsFile("lab")).Should().Contain(Password);
        File.ReadAllText(Path.Combine(_dir, "profiles", "lab.json")).Should().NotContain(Password, "the profile file holds no secret");
        new ProfileStore(_dir).Load("lab").Password.Should().Be(Password);
        Logged().Should().NotContain(Password);

        await Client().StopProvisionedVpnProfileAsync("lab");
        var next = new ScriptedPrompt(save: false, "unused");
        (await Client().StartProvisionedVpnProfileAsync("lab", true, next, CancellationToken.None)).State.Should().Be(VpnState.Connected);
        next.Asked.Should().BeEmpty("stored: nothing is missing any more");
    }

    [Fact]
    public async Task Nobody_to_answer_is_a_clear_error_naming_the_field_and_how_to_supply_it_before_any_attempt()
    {
        var refused = async () => await Client().StartProvisionedVpnProfileAsync("lab", true, new RefusingPrompt("standard input is not a terminal"), CancellationToken.None);
        var e = (await refused.Should().ThrowAsync<VpnManagerException>()).Which;
        e.Code.Should().Be(VpnManagerErrors.CredentialsRequired);
        e.Message.Should().Be("'lab' has no password stored, and it could not be asked (standard input is not a terminal): "
            + "run \"ikev2 connect lab\" on a terminal to be asked, or store it with \"ikev2 profile set lab --password-stdin\"");

        // A client that does not offer to answer (a script on the socket, an old CLI) gets the same at once.
        var silent = async () => await Client().StartProvisionedVpnProfileAsync("lab", true, CancellationToken.None);
        (await silent.Should().ThrowAsync<VpnManagerException>()).Which.Message.Should().Contain("does not answer questions")
            .And.Contain("profile set lab --password-stdin");
        _factory.Attempts.Should().Be(0, "no connection is attempted that is bound to fail");
        (await Client().GetProvisionedVpnProfileStateAsync("lab")).State.Should().Be(VpnState.Disconnected);
    }

    [Fact]
    public async Task A_refused_answer_is_asked_again_up_to_three_times_with_the_reason()
    {
        var p12 = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "profiles", "user.p12"));
        new ProfileStore(_dir).Save(new Ikev2VpnProfile.Builder("vpn.example.org", null).SetName("cert").SetAuthDigitalSignaturePkcs12(p12, null, null).Build());

        var wrongThenRight = new ScriptedPrompt(false, "wrong-1", "", "test");
        var state = await Client().StartProvisionedVpnProfileAsync("cert", true, wrongThenRight, CancellationToken.None);
        state.State.Should().Be(VpnState.Connected);
        wrongThenRight.Asked.Select(a => a.Attempt).Should().Equal(1, 2, 3);
        wrongThenRight.Asked[0].Fields.Single().Key.Should().Be("pkcs12Password");
        wrongThenRight.Asked[1].Error.Should().StartWith("pkcs12Password: the password does not open it");
        wrongThenRight.Asked[2].Error.Should().Be("pkcs12Password: is empty");
        await Client().StopProvisionedVpnProfileAsync("cert");

        var alwaysWrong = new ScriptedPrompt(false, "wrong-PKCS12-pass");
        var failed = async () => await Client().StartProvisionedVpnProfileAsync("cert", true, alwaysWrong, CancellationToken.None);
        var e = (await failed.Should().ThrowAsync<VpnManagerException>()).Which;
        e.Code.Should().Be(VpnManagerErrors.CredentialsRequired);
        e.Message.Should().Contain("pkcs12Password").And.Contain("3 attempts").And.NotContain("wrong-PKCS12-pass");
        alwaysWrong.Asked.Should().HaveCount(3);
    }

    [Fact]
    public async Task A_file_profile_is_completed_for_the_run_and_never_stored()
    {
        var state = await Client().StartVpnProfileAsync(WithoutPassword("fromfile"), true, new ScriptedPrompt(save: true, Password), CancellationToken.None);
        state.State.Should().Be(VpnState.Connected, state.Error?.Message);
        state.Ephemeral.Should().BeTrue();
        _factory.Created.Single().Profile!.Password.Should().Be(Password);
        new ProfileStore(_dir).Exists("fromfile").Should().BeFalse();
        File.Exists(SecretsFile("fromfile")).Should().BeFalse();
    }

    /// <summary>The protocol on the wire: the question carries no secret, the answer comes back on the same connection.</summary>
    [Fact]
    public async Task On_the_wire_the_question_is_an_event_on_the_same_connection_and_a_client_that_does_not_answer_times_out()
    {
        await using var fast = new ControlServer(_daemon.Manager, Path.Combine(_dir, "run", "fast.sock")) { CredentialTimeout = TimeSpan.FromSeconds(1) };
        fast.Start();
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(fast.SocketPath));
        using var stream = new NetworkStream(socket);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        async Task Send(string line) => await stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"));

        await Send("""{"id":7,"method":"StartProvisionedVpnProfile","name":"lab","wait":true,"credentials":true}""");
        var question = JsonNode.Parse((await reader.ReadLineAsync())!)!;
        question["event"]!.GetValue<string>().Should().Be("credentials");
        question["id"]!.GetValue<int>().Should().Be(7);
        question["profile"]!.GetValue<string>().Should().Be("lab");
        question["timeoutSeconds"]!.GetValue<int>().Should().Be(1);
        question["attempt"]!.GetValue<int>().Should().Be(1);
        var field = question["fields"]!.AsArray().Single()!;
        (field["key"]!.GetValue<string>(), field["secret"]!.GetValue<bool>()).Should().Be(("password", true));

        // Nothing comes back: after the timeout the start fails with a clear error, and the connection stays usable.
        var answer = JsonNode.Parse((await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)))!)!;
        answer["id"]!.GetValue<int>().Should().Be(7);
        answer["ok"]!.GetValue<bool>().Should().BeFalse();
        answer["error"]!["code"]!.GetValue<string>().Should().Be("CredentialsRequired");
        answer["error"]!["message"]!.GetValue<string>().Should().Contain("no answer within 1 s").And.Contain("profile set lab --password-stdin");

        // The answer on the same connection.
        await Send("""{"id":8,"method":"StartProvisionedVpnProfile","name":"lab","wait":true,"credentials":true}""");
        JsonNode.Parse((await reader.ReadLineAsync())!)!["event"]!.GetValue<string>().Should().Be("credentials");
        await Send($$"""{"id":8,"answer":{"password":"{{Password}}"},"save":false}""");
        var ok = JsonNode.Parse((await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)))!)!;
        ok["ok"]!.GetValue<bool>().Should().BeTrue(ok.ToJsonString());
        ok["result"]!["state"]!.GetValue<string>().Should().Be("CONNECTED");
        ok.ToJsonString().Should().NotContain(Password, "answers never travel back");

        // A malformed answer is refused like no answer, never echoed; a non-boolean "credentials" is a bad request.
        await Client().StopProvisionedVpnProfileAsync("lab");
        await Send("""{"id":10,"method":"StartProvisionedVpnProfile","name":"lab","wait":true,"credentials":true}""");
        await reader.ReadLineAsync();
        await Send("""{"id":10,"answer":{"password":12345}}""");
        var malformed = JsonNode.Parse((await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)))!)!;
        malformed["error"]!["code"]!.GetValue<string>().Should().Be("CredentialsRequired");
        malformed["error"]!["message"]!.GetValue<string>().Should().Contain("'password' must be a string").And.NotContain("12345");
        await Send("""{"id":11,"method":"StartProvisionedVpnProfile","name":"lab","wait":true,"credentials":"yes"}""");
        var bad = JsonNode.Parse((await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)))!)!;
        (bad["error"]!["code"]!.GetValue<string>(), bad["error"]!["message"]!.GetValue<string>())
            .Should().Be(("BadRequest", "'credentials' must be a boolean, found a string"));

        // A client that cancels says why; the reason is in the error.
        await Client().StopProvisionedVpnProfileAsync("lab");
        await Send("""{"id":9,"method":"StartProvisionedVpnProfile","name":"lab","wait":true,"credentials":true}""");
        await reader.ReadLineAsync();
        await Send("""{"id":9,"cancel":"the user pressed Ctrl-D"}""");
        var cancelled = JsonNode.Parse((await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)))!)!;
        cancelled["error"]!["message"]!.GetValue<string>().Should().Contain("(the user pressed Ctrl-D)");
        Logged().Should().NotContain(Password);
    }
}
