using FluentAssertions;
using Ikev2Client.Connection;
using Xunit;

namespace Ikev2Client.Tests.DataPlane;

/// <summary>
/// The test responder's JSON config, read through source-generated metadata (the native build has no reflection):
/// omitted keys keep their documented defaults, unknown keys and bad values are one-line errors naming the field.
/// </summary>
public sealed class ResponderConfigTests
{
    [Fact]
    public void Omitted_keys_keep_their_defaults()
    {
        ResponderConfig.TryParse("""{ "psk": "secret", "localId": "@gw.test" }""", out var config, out var error).Should().BeTrue(error);
        config!.ListenAddress.Should().Be("0.0.0.0");
        config.ListenPort.Should().Be(500);
        config.NatTPort.Should().Be(4500);
        config.AddressPool.Should().Be("10.3.0.0/24");
        config.LocalSubnets.Should().Equal("0.0.0.0/0");
        config.Dns.Should().BeEmpty();
        config.Mtu.Should().Be(1400);
        config.InterfaceName.Should().Be("ikev2rsp%d");
        config.RemoteId.Should().BeNull();
        config.IkeProposals.Should().BeNull();
    }

    [Fact]
    public void Every_key_is_read_in_camel_case_with_comments_and_trailing_commas()
    {
        const string json = """
            {
              // the gateway side of the throughput benchmark
              "listenAddress": "192.0.2.1", "listenPort": 1500, "natTPort": 14500,
              "psk": "secret", "localId": "gw.test", "remoteId": "client.test",
              "addressPool": "10.9.0.0/24", "dns": ["10.1.0.53"], "localSubnets": ["10.1.0.0/24"],
              "ikeProposals": "aes256gcm16-prfsha256-x25519", "espProposals": "aes256gcm16", "mtu": 1280,
              "interfaceName": "rsp%d",
            }
            """;
        ResponderConfig.TryParse(json, out var c, out var error).Should().BeTrue(error);
        (c!.ListenAddress, c.ListenPort, c.NatTPort).Should().Be(("192.0.2.1", 1500, 14500));
        (c.Psk, c.LocalId, c.RemoteId).Should().Be(("secret", "gw.test", "client.test"));
        c.AddressPool.Should().Be("10.9.0.0/24");
        c.Dns.Should().Equal("10.1.0.53");
        c.LocalSubnets.Should().Equal("10.1.0.0/24");
        (c.IkeProposals, c.EspProposals, c.Mtu, c.InterfaceName).Should().Be(("aes256gcm16-prfsha256-x25519", "aes256gcm16", 1280, "rsp%d"));
        c.ToString().Should().NotContain("secret");
    }

    [Theory]
    [InlineData("""{ "psk": "s", "localId": "gw", "listenPort": 500, "lisenPort": 1 }""", "lisenPort")]
    [InlineData("""{ "localId": "gw" }""", "psk is required")]
    [InlineData("""{ "psk": "s", "localId": "gw", "listenAddress": "gateway" }""", "listenAddress 'gateway'")]
    [InlineData("""{ "psk": "s", "localId": "gw", "mtu": "big" }""", "invalid responder config")]
    [InlineData("""{ "psk": "s", """, "invalid responder config")]
    [InlineData("null", "empty")]
    public void Bad_configs_are_one_line_errors(string json, string expected)
    {
        ResponderConfig.TryParse(json, out var config, out var error).Should().BeFalse();
        config.Should().BeNull();
        error.Should().Contain(expected).And.NotContain("\n");
    }
}
