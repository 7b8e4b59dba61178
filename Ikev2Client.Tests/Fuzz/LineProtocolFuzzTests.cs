using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using FluentAssertions;
using Ikev2Client.Profiles;
using Ikev2Client.Service;
using Ikev2Client.Tests.Profiles;
using Ikev2Client.Tests.Service;
using Xunit;
using Xunit.Abstractions;

namespace Ikev2Client.Tests.Fuzz;

/// <summary>
/// Mutation tests of the service's line protocol, seeded from one request of every method (with real profiles
/// from the fixtures): every line gets exactly one answer, a typed one (never <c>Internal</c>), within a second;
/// a refused request leaves the profile store unchanged. In process through the server's request handling, and
/// over the real socket with the lines pipelined.
/// </summary>
[Trait("Category", "Fuzz")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LineProtocolFuzzTests : IAsyncDisposable
{
    private static readonly string[] TypedCodes =
        [VpnManagerErrors.BadRequest, VpnManagerErrors.NotFound, VpnManagerErrors.InvalidProfile, VpnManagerErrors.Conflict, VpnManagerErrors.CredentialsRequired];

    private readonly ITestOutputHelper _output;
    private readonly string _dir = ServiceTestData.NewTempDir();
    private readonly VpnDaemon _daemon;

    public LineProtocolFuzzTests(ITestOutputHelper output)
    {
        _output = output;
        // Every connection attempt fails at once (authentication), so no fuzzed profile stays up or retries.
        var factory = new FakeVpnConnectionFactory { Next = (_, _) => new FakeOutcome.Fail(ServiceTestData.AuthFailed()) };
        _daemon = new VpnDaemon(new VpnManagerOptions { Store = new ProfileStore(_dir), ConnectionFactory = factory }, Path.Combine(_dir, "run", "ikev2.sock"));
        _daemon.Start(startAlwaysOn: false);
        new ProfileStore(_dir).Save(ProfileImporter.Import(ProfileTestData.Path("office-eap.sswan")).Profile);
    }

    public async ValueTask DisposeAsync()
    {
        await _daemon.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private static List<(string, byte[])> Seeds(bool withSubscribe)
    {
        var eap = NativeProfileJson.ToJson(ProfileImporter.Import(ProfileTestData.Path("office-eap.sswan")).Profile, includeSecrets: true);
        var cert = NativeProfileJson.ToJson(ProfileImporter.Import(ProfileTestData.Path("office-cert.sswan"), new ImportOptions { Pkcs12Password = "test" }).Profile, true);
        var psk = NativeProfileJson.ToJson(ServiceTestData.Profile("file"), includeSecrets: true);
        var requests = new List<JsonObject>
        {
            new() { ["id"] = 1, ["method"] = "Ping" },
            new() { ["id"] = 2, ["method"] = "ProvisionVpnProfile", ["profile"] = eap },
            new() { ["id"] = 3, ["method"] = "ProvisionVpnProfile", ["profile"] = cert },
            new() { ["id"] = 4, ["method"] = "StartProvisionedVpnProfile", ["name"] = "Office EAP", ["wait"] = true },
            new() { ["id"] = 5, ["method"] = "StartVpnProfile", ["profile"] = psk, ["wait"] = true },
            new() { ["id"] = 6, ["method"] = "StopProvisionedVpnProfile", ["name"] = "Office EAP" },
            new() { ["id"] = 7, ["method"] = "GetProvisionedVpnProfileState", ["name"] = "Office EAP" },
            new() { ["id"] = "eight", ["method"] = "GetProvisionedVpnProfileState" },
            new() { ["id"] = 9, ["method"] = "StopProvisionedVpnProfile" },
        };
        if (withSubscribe) requests.Add(new() { ["id"] = 10, ["method"] = "Subscribe", ["name"] = "Office EAP" });
        return requests.Select(r => ((string)r["method"]!, Encoding.UTF8.GetBytes(r.ToJsonString()))).ToList();
    }

    /// <summary>Checks one answer: an object with ok, and when not ok a typed code and a safe message.</summary>
    private static FuzzOutcome Check(JsonObject answer)
    {
        if (answer["ok"]!.GetValue<bool>()) return FuzzOutcome.Ok;
        var code = answer["error"]!["code"]!.GetValue<string>();
        code.Should().BeOneOf(TypedCodes, $"never Internal: {answer.ToJsonString()}");
        return FuzzOutcome.Refused(answer["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Every_mutated_request_gets_one_typed_answer()
    {
        var stats = await Fuzzer.RunAsync("service line protocol", Seeds(withSubscribe: true), 4000, 1401, Mutations.Json, async (line, _) =>
        {
            var before = StoreSnapshot.Of(Path.Combine(_dir, "profiles")) + StoreSnapshot.Of(Path.Combine(_dir, "secrets"));
            var answer = await _daemon.Server.AnswerLineAsync(line, CancellationToken.None);
            var outcome = Check(answer);
            if (!outcome.Accepted)
                (StoreSnapshot.Of(Path.Combine(_dir, "profiles")) + StoreSnapshot.Of(Path.Combine(_dir, "secrets"))).Should().Be(before, "a refused request changes nothing");
            return outcome;
        });
        _output.WriteLine(stats.ToString());
        stats.Refused.Should().BeGreaterThan(stats.Inputs / 10);
    }

    [Fact]
    public async Task Pipelined_mutated_lines_over_the_socket_are_each_answered()
    {
        var seeds = Seeds(withSubscribe: false);
        var rng = new Random(1402);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(_daemon.Server.SocketPath));
        await using var stream = new NetworkStream(socket);
        using var reader = new StreamReader(stream, new UTF8Encoding(false));
        int lines = 0, answers = 0;
        for (int batch = 0; batch < 40; batch++)
        {
            var bytes = new List<byte>();
            int expected = 0;
            for (int j = 0; j < 10; j++)
            {
                var mutated = Mutations.Json(seeds[rng.Next(seeds.Count)].Item2, rng);
                // A mutation may add newlines (more requests) or make a Subscribe (which turns the connection into a stream).
                var parts = Split(mutated);
                if (parts.Any(IsSubscribe)) continue;
                expected += parts.Count;
                bytes.AddRange(mutated);
                bytes.Add((byte)'\n');
            }
            await stream.WriteAsync(bytes.ToArray());
            for (int k = 0; k < expected; k++)
            {
                var text = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
                text.Should().NotBeNull($"batch {batch}: answer {k + 1} of {expected}");
                Check(JsonNode.Parse(text!)!.AsObject());
                answers++;
            }
            lines += expected;
        }
        socket.Shutdown(SocketShutdown.Send);
        (await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10))).Should().BeNull("exactly one answer per line");
        _output.WriteLine($"service socket: {lines} pipelined request lines, {answers} answers");
        answers.Should().Be(lines).And.BeGreaterThan(300);
    }

    /// <summary>The request lines the server will see in these bytes (split at newlines, blank ones skipped).</summary>
    private static List<byte[]> Split(byte[] bytes)
    {
        var parts = new List<byte[]>();
        int start = 0;
        for (int i = 0; i <= bytes.Length; i++)
        {
            if (i < bytes.Length && bytes[i] != '\n') continue;
            var part = bytes[start..i];
            if (!part.AsSpan().Trim((byte)'\r').Trim((byte)' ').IsEmpty) parts.Add(part);
            start = i + 1;
        }
        return parts;
    }

    private static bool IsSubscribe(byte[] line)
    {
        try { return StateJson.Str(LineConnection.Parse(line), "method") == ControlProtocol.Subscribe; }
        catch (BadMessageException) { return false; }
    }
}
