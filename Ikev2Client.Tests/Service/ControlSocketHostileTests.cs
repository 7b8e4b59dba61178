using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using FluentAssertions;
using Ikev2Client.Profiles;
using Ikev2Client.Service;
using Xunit;

namespace Ikev2Client.Tests.Service;

/// <summary>
/// Issue 12, case 6: the service socket answers exactly one reply per request line, whatever the line holds
/// (invalid UTF-8 in any field, escaped lone surrogates, repeated keys, wrong types), never an Internal error.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ControlSocketHostileTests : IAsyncDisposable
{
    private readonly string _dir = ServiceTestData.NewTempDir();
    private readonly VpnDaemon _daemon;

    public ControlSocketHostileTests()
    {
        _daemon = new VpnDaemon(new VpnManagerOptions { Store = new ProfileStore(_dir), ConnectionFactory = new FakeVpnConnectionFactory() },
            Path.Combine(_dir, "run", "ikev2.sock"));
        _daemon.Start();
    }

    public async ValueTask DisposeAsync()
    {
        await _daemon.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Sends the bytes in one write and reads <paramref name="answers"/> lines (then expects no more).</summary>
    private async Task<List<JsonObject>> ExchangeAsync(byte[] request, int answers)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(_daemon.Server.SocketPath));
        await using var stream = new NetworkStream(socket);
        await stream.WriteAsync(request);
        using var reader = new StreamReader(stream);
        var lines = new List<JsonObject>();
        for (int i = 0; i < answers; i++)
        {
            var line = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
            line.Should().NotBeNull($"answer {i + 1} of {answers} must arrive");
            lines.Add(JsonNode.Parse(line!)!.AsObject());
        }
        socket.Shutdown(SocketShutdown.Send);
        (await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10))).Should().BeNull("one answer per request, no more");
        return lines;
    }

    private static byte[] Line(params byte[][] parts) => [.. parts.SelectMany(p => p), (byte)'\n'];

    private static void BadRequest(JsonObject answer, long? id, string? containing = null)
    {
        answer["ok"]!.GetValue<bool>().Should().BeFalse();
        answer["error"]!["code"]!.GetValue<string>().Should().Be(VpnManagerErrors.BadRequest, answer.ToJsonString());
        if (id is { } expected) answer["id"]!.GetValue<long>().Should().Be(expected);
        if (containing is not null) answer["error"]!["message"]!.GetValue<string>().Should().Contain(containing);
    }

    [Fact]
    public async Task Invalid_utf8_in_the_method_gets_one_bad_request_answer_with_its_id()
    {
        var answers = await ExchangeAsync(Line("""{"id":7,"method":"Pi"""u8.ToArray(), [0xff, 0xfe], "\"}"u8.ToArray()), 1);
        BadRequest(answers[0], 7, "not valid UTF-8");
    }

    [Fact]
    public async Task Invalid_utf8_in_the_name_is_a_bad_request_not_an_internal_error()
    {
        var answers = await ExchangeAsync(Line("""{"id":8,"method":"GetProvisionedVpnProfileState","name":"of"""u8.ToArray(), [0xc3, 0x28], "\"}"u8.ToArray()), 1);
        BadRequest(answers[0], 8);
        answers[0].ToJsonString().Should().NotContain("Internal").And.NotContain("InvalidOperationException");
    }

    [Theory]
    [InlineData("""{"id":1,"method":"GetProvisionedVpnProfileState","name":"\ud800"}""", "lone UTF-16 surrogate")]
    [InlineData("""{"id":1,"method":"Ping","method":"Ping"}""", "appears twice")]
    [InlineData("""{"id":1,"method":5}""", "'method' must be a string, found a number")]
    [InlineData("""{"id":1}""", "'method' is required")]
    [InlineData("""{"id":1,"method":"GetProvisionedVpnProfileState","name":1}""", "'name' must be a string, found a number")]
    [InlineData("""{"id":1,"method":"GetProvisionedVpnProfileState","name":"../../etc/passwd"}""", "invalid profile name")]
    [InlineData("""{"id":1,"method":"StartProvisionedVpnProfile","name":"x","wait":"yes"}""", "'wait' must be a boolean, found a string")]
    [InlineData("""{"id":1,"method":"ProvisionVpnProfile","profile":[]}""", "'profile' must be a JSON object, found an array")]
    [InlineData("""{"id":1,"method":"\u001b]0;pwned\u0007"}""", @"unknown method '\u001b]0;pwned\u0007'")]
    [InlineData("[1,2]", "must be a JSON object")]
    [InlineData("{\"id\":1,", "not valid JSON")]
    public async Task Every_malformed_request_gets_exactly_one_typed_answer(string request, string expected)
    {
        var answers = await ExchangeAsync(Encoding.UTF8.GetBytes(request + "\n"), 1);
        BadRequest(answers[0], null, expected);
    }

    [Fact]
    public async Task Pipelined_requests_with_a_bad_one_in_the_middle_are_each_answered()
    {
        byte[] bytes = [.. Line("""{"id":1,"method":"Ping"}"""u8.ToArray()), .. Line("""{"id":2,"method":"Pi"""u8.ToArray(), [0x80], "\"}"u8.ToArray()),
            .. Line("""{"id":3,"method":"Ping"}"""u8.ToArray())];
        var answers = await ExchangeAsync(bytes, 3);
        answers.Select(a => a["id"]!.GetValue<long>()).Should().Equal(1, 2, 3);
        answers[0]["ok"]!.GetValue<bool>().Should().BeTrue();
        BadRequest(answers[1], 2);
        answers[2]["ok"]!.GetValue<bool>().Should().BeTrue();
    }

    [Fact]
    public async Task A_profile_with_wrong_types_is_an_invalid_profile_naming_the_field()
    {
        var request = new JsonObject
        {
            ["id"] = 4, ["method"] = "ProvisionVpnProfile",
            ["profile"] = new JsonObject { ["name"] = 1, ["serverAddr"] = "vpn.example.com", ["authMethod"] = "psk", ["psk"] = "x" },
        };
        var answers = await ExchangeAsync(Encoding.UTF8.GetBytes(request.ToJsonString() + "\n"), 1);
        answers[0]["error"]!["code"]!.GetValue<string>().Should().Be(VpnManagerErrors.InvalidProfile);
        answers[0]["error"]!["message"]!.GetValue<string>().Should().Be("name: expected a string, found a number");
        new ProfileStore(_dir).List().Should().BeEmpty();
    }
}
