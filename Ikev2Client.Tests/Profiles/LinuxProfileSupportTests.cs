using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FluentAssertions;
using Ikev2Client.Cli;
using Ikev2Client.Connection;
using Ikev2Client.Platform;
using Ikev2Client.Profiles;
using Xunit;

namespace Ikev2Client.Tests.Profiles;

/// <summary>
/// Every Android network setting of a profile either does something on Linux or is reported (import note, <c>profile
/// show</c>) as not supported here with the reason, never stored silently; the ones that do something reach the
/// connection's options (docs/android-parity.md).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LinuxProfileSupportTests : IDisposable
{
    private readonly string _dir = ProfileTestData.NewTempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Ikev2VpnProfile.Builder Base() => new Ikev2VpnProfile.Builder("192.0.2.1", null)
        .SetName("t").SetUserIdentity("client.test").SetRemoteIdentity("gw.test").SetAuthPsk("secret-secret"u8.ToArray());

    private const string AllUnsupported = """
        { "name": "android", "serverAddr": "vpn.example.org", "authMethod": "psk", "psk": "android-secret",
          "bypassable": true, "metered": false, "requiresInternetValidation": true,
          "proxy": { "host": "proxy.example.org", "port": 3128 }, "allowedApps": ["com.example.mail"] }
        """;

    [Fact]
    public void Import_warns_for_each_setting_Linux_cannot_honour_naming_the_reason_and_still_imports_it()
    {
        var r = ProfileImporter.Import(Encoding.UTF8.GetBytes(AllUnsupported), "android.json");
        foreach (var key in new[] { "bypassable", "metered", "requiresInternetValidation", "proxy", "allowedApps" })
            r.Notes.Should().ContainSingle(n => n.Key == key && n.Kind == ImportNoteKind.Unsupported
                && n.Message.StartsWith(LinuxProfileSupport.NotSupported, StringComparison.Ordinal), key);
        r.Notes.Should().NotContain(n => n.Message.Contains("android-secret"));
        r.Profile.IsBypassable.Should().BeTrue("the value is kept (an export to Android keeps it)");
        r.Profile.Proxy!.Port.Should().Be(3128);
    }

    [Fact]
    public void A_default_profile_imports_without_a_Linux_warning()
    {
        var r = ProfileImporter.Import(Encoding.UTF8.GetBytes("""
            { "name": "plain", "serverAddr": "vpn.example.org", "authMethod": "psk", "psk": "plain-secret" }
            """), "plain.json");
        r.Notes.Should().BeEmpty("Android's defaults ask for nothing Linux lacks, except metered, which profile show lists");
        LinuxProfileSupport.Unsupported(r.Profile).Select(s => s.Key).Should().Equal("metered");
    }

    [Fact]
    public void Profile_show_lists_every_unsupported_setting_with_its_value_and_reason()
    {
        var file = Path.Combine(_dir, "android.json");
        File.WriteAllText(file, AllUnsupported);
        var (code, _, err) = Run("profile", "import", file);
        code.Should().Be(0, err);
        var (showCode, output, _) = Run("profile", "show", "android");
        showCode.Should().Be(0);
        output.Should().Contain("bypassable = true: not supported on Linux:")
            .And.Contain("metered = false: not supported on Linux:")
            .And.Contain("requiresInternetValidation = true: not supported on Linux:")
            .And.Contain("proxy = proxy.example.org:3128: not supported on Linux:")
            .And.Contain("allowedApps = com.example.mail: not supported on Linux:")
            .And.NotContain("android-secret");
    }

    [Fact]
    public void Honoured_settings_say_what_they_do_on_Linux()
    {
        var d = LinuxProfileSupport.Describe(Base().SetLocalRoutesExcluded(true).SetAutomaticNattKeepaliveTimerEnabled(true)
            .SetAutomaticIpVersionSelectionEnabled(true).SetDnsServers(["10.0.0.53"]).Build());
        foreach (var key in new[] { "maxMtu", "localRoutesExcluded", "automaticNattKeepaliveTimerEnabled", "automaticIpVersionSelectionEnabled",
                     "splitTunneling", "dnsServers", "bypassable", "requiresInternetValidation" })
            d.Should().ContainSingle(s => s.Key == key && s.Supported && !s.Behaviour.Contains("not supported"), key);
    }

    [Fact]
    public void Dns_servers_of_the_profile_replace_the_gateways_in_the_connection()
    {
        var options = ProfileConnection.CreateOptions(Base().SetDnsServers(["10.0.0.53", "fd00::53"]).Build());
        options.DnsServers.Should().Equal(IPAddress.Parse("10.0.0.53"), IPAddress.Parse("fd00::53"));
        ProfileConnection.CreateOptions(Base().Build()).DnsServers.Should().BeNull("no override: the gateway's are used");
    }

    [Fact]
    public void Max_mtu_is_honoured_up_to_the_path_less_the_esp_in_udp_overhead()
    {
        ProfileNetwork.TunnelMtu(1360, 1500, AddressFamily.InterNetwork).Should().Be(1360, "Android's default maxMtu fits a 1500 path");
        ProfileNetwork.TunnelMtu(9000, 9000, AddressFamily.InterNetwork).Should().Be(9000 - 20 - ProfileNetwork.EspInUdpOverhead, "no silent 1400 cap");
        ProfileNetwork.TunnelMtu(8000, 9000, AddressFamily.InterNetworkV6).Should().Be(8000);
        ProfileNetwork.TunnelMtu(1500, 1500, AddressFamily.InterNetworkV6).Should().Be(1500 - 40 - ProfileNetwork.EspInUdpOverhead);
        ProfileNetwork.TunnelMtu(1500, 1300, AddressFamily.InterNetwork).Should().Be(Ikev2VpnProfile.MinimumMtu, "never below IPv6's minimum");
        ProfileNetwork.TunnelMtu(4000, null, AddressFamily.InterNetwork).Should().Be(4000, "no known path: maxMtu");
    }

    [Fact]
    public void Local_routes_are_excluded_only_when_the_profile_asks()
    {
        IReadOnlyList<IpPrefix> connected = [new(IPAddress.Parse("192.168.1.0"), 24), new(IPAddress.Parse("2001:db8:5::"), 64)];
        ProfileNetwork.LocalExclusions(Base().SetLocalRoutesExcluded(true).Build(), () => connected).Should().Equal(connected);
        ProfileNetwork.LocalExclusions(Base().Build(), () => connected).Should().BeEmpty();
    }

    [Fact]
    public void Automatic_ip_version_selection_orders_the_gateway_addresses_and_keeps_the_other_family_as_fallback()
    {
        var v4 = IPAddress.Parse("192.0.2.1");
        var v6 = IPAddress.Parse("2001:db8::1");
        IPAddress[] both = [v4, v6];
        ProfileNetwork.OrderGatewayAddresses(both, automatic: false, _ => true).Should().Equal(v4);
        ProfileNetwork.OrderGatewayAddresses([v6], automatic: false, _ => true).Should().Equal(v6);
        ProfileNetwork.OrderGatewayAddresses(both, automatic: true, _ => true).Should().Equal(v6, v4);
        ProfileNetwork.OrderGatewayAddresses(both, automatic: true, a => a.AddressFamily == AddressFamily.InterNetwork)
            .Should().Equal(v4, v6);
        ProfileNetwork.GatewayCandidates(Base().SetAutomaticIpVersionSelectionEnabled(true).Build())
            .Should().Equal(new IPEndPoint(v4, 500));
    }

    private (int Code, string Out, string Err) Run(params string[] args)
    {
        var root = new RootCommand("test") { ProfileCommands.Create(() => new ProfileStore(_dir)) };
        var output = new StringWriter();
        var error = new StringWriter();
        var code = root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }
}
