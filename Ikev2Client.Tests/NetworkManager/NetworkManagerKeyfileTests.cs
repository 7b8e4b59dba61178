using System.Net;
using System.Text;
using FluentAssertions;
using Ikev2Client.NetworkManager;
using Ikev2Client.Profiles;
using Ikev2Client.Service;
using Ikev2Client.Tests.Profiles;
using Ikev2Client.Protocol.Ike;
using Ikev2Client.Protocol.Wire;
using Xunit;

namespace Ikev2Client.Tests.NetworkManager;

/// <summary>
/// <c>ikev2 nm-export</c>'s keyfile and what the plugin reads back: secrets never in the file, NetworkManager's
/// <c>KEY-flags</c> items for each secret, GKeyFile escaping, and the profile surviving the trip through
/// <c>vpn.data</c> + <c>vpn.secrets</c> unchanged.
/// </summary>
public sealed class NetworkManagerKeyfileTests
{
    private static Ikev2VpnProfile Eap(string? password = "s3cret-pass") =>
        new Ikev2VpnProfile.Builder().SetName("office").SetServer("vpn.example.org", 500)
            .SetUserIdentity("alice@example.org").SetRemoteIdentity("vpn.example.org")
            .SetAuthUsernamePassword("alice", password, ProfileTestData.Ca).Build();

    /// <summary>The [vpn] data items of a keyfile, unescaped as GKeyFile does (enough for the keys we write).</summary>
    private static Dictionary<string, string> VpnData(string keyfile)
    {
        var data = new Dictionary<string, string>();
        var inVpn = false;
        foreach (var line in keyfile.Split('\n'))
        {
            if (line.StartsWith('[')) { inVpn = line == "[vpn]"; continue; }
            if (!inVpn || line.Length == 0) continue;
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            var value = line[(eq + 1)..];
            var sb = new StringBuilder();
            for (var i = 0; i < value.Length; i++)
            {
                if (value[i] == '\\' && i + 1 < value.Length)
                {
                    var c = value[++i];
                    sb.Append(c switch { 'n' => '\n', 't' => '\t', 'r' => '\r', 's' => ' ', _ => c });
                }
                else sb.Append(value[i]);
            }
            data[line[..eq]] = sb.ToString();
        }
        return data;
    }

    [Fact]
    public void Keyfile_has_our_service_type_the_profile_without_secrets_and_agent_owned_flags()
    {
        var profile = Eap();
        var text = NmKeyfile.Create(profile);

        text.Should().NotContain("s3cret-pass", "secrets never go into NetworkManager's connection file");
        text.Should().Contain("[connection]\nid=office\n").And.Contain("type=vpn\n").And.Contain("autoconnect=false\n");
        var data = VpnData(text);
        data["service-type"].Should().Be(NmVpnConnectionSettings.ServiceType);
        data["password-flags"].Should().Be("1", "agent-owned: the user's secret agent keeps the password");
        data.Should().NotContainKey("password");
        data.Keys.Where(k => k.EndsWith("-flags", StringComparison.Ordinal)).Should().Equal(["password-flags"]);
        NmKeyfile.Create(profile, NmSecretFlags.NotSaved).Should().Contain("password-flags=2\n");
    }

    [Fact]
    public void Profile_survives_vpn_data_and_vpn_secrets_with_certificate_newlines_escaped()
    {
        var profile = Eap();
        var data = VpnData(NmKeyfile.Create(profile));
        data[NmVpnConnectionSettings.ProfileKey].Should().Contain("-----BEGIN CERTIFICATE-----");

        var settings = new NmVpnConnectionSettings("office", NmKeyfile.UuidFor("office"), data,
            new Dictionary<string, string> { ["password"] = "s3cret-pass" });
        settings.RequiredSecrets.Should().Equal(["password"]);
        settings.MissingSecrets.Should().BeEmpty();
        var back = settings.ToProfile();
        NativeProfileJson.Serialize(back, includeSecrets: true).Should().Be(NativeProfileJson.Serialize(profile, includeSecrets: true));
    }

    [Fact]
    public void Missing_secret_is_named_and_one_smuggled_into_vpn_data_is_ignored()
    {
        var data = VpnData(NmKeyfile.Create(Eap()));
        var noSecret = new NmVpnConnectionSettings("office", "u", data, new Dictionary<string, string>());
        noSecret.MissingSecrets.Should().Equal(["password"]);

        // vpn.data is readable by every local user: a password put there must not be used.
        var json = System.Text.Json.Nodes.JsonNode.Parse(data[NmVpnConnectionSettings.ProfileKey])!.AsObject();
        json["password"] = "from-vpn-data";
        var smuggled = new Dictionary<string, string>(data) { [NmVpnConnectionSettings.ProfileKey] = json.ToJsonString() };
        new NmVpnConnectionSettings("office", "u", smuggled, new Dictionary<string, string>())
            .ToProfile().Password.Should().BeNull("only vpn.secrets supplies secrets");
        new NmVpnConnectionSettings("office", "u", smuggled, new Dictionary<string, string> { ["password"] = "real" })
            .ToProfile().Password.Should().Be("real");
    }

    [Fact]
    public void Profile_that_asks_for_its_password_still_declares_it_and_PSK_profiles_declare_the_PSK()
    {
        VpnData(NmKeyfile.Create(Eap(password: null)))["password-flags"].Should().Be("1", "a password left to be asked for is still a secret NetworkManager must supply");
        var psk = new Ikev2VpnProfile.Builder().SetName("lab").SetServer("192.0.2.1", 500).SetUserIdentity("client.test")
            .SetRemoteIdentity("gw.test").SetAuthPsk("the-psk"u8.ToArray()).Build();
        var text = NmKeyfile.Create(psk);
        text.Should().Contain("psk-flags=1\n").And.NotContain("the-psk");
        NmKeyfile.PasswdFile(psk).Should().Be("vpn.secrets.psk:the-psk\n");
    }

    [Fact]
    public void Store_backed_connection_runs_the_stored_profile_not_the_vpn_data_copy_and_asks_only_for_what_the_store_lacks()
    {
        var stored = Eap();
        var data = VpnData(NmKeyfile.Create(stored, storeBacked: true));
        data[NmVpnConnectionSettings.StoreProfileKey].Should().Be("office");
        data.Should().NotContainKey("password-flags", "the store holds the password: NetworkManager asks for nothing");
        VpnData(NmKeyfile.Create(Eap(password: null), storeBacked: true))["password-flags"].Should().Be("1", "what the store lacks is still asked for");

        // Someone who can add NetworkManager connections points vpn.data at their own gateway: the stored profile wins.
        var json = System.Text.Json.Nodes.JsonNode.Parse(data[NmVpnConnectionSettings.ProfileKey])!.AsObject();
        json["serverAddr"] = "attacker.example";
        var tampered = new Dictionary<string, string>(data) { [NmVpnConnectionSettings.ProfileKey] = json.ToJsonString() };
        var settings = new NmVpnConnectionSettings("office", "u", tampered, new Dictionary<string, string>());
        settings.MissingSecrets.Should().BeEmpty();
        var profile = settings.ToProfile(name => name == "office" ? stored : throw new ProfileStoreException($"no profile '{name}'"));
        profile.ServerAddr.Should().Be("vpn.example.org");
        profile.Password.Should().Be("s3cret-pass");
        settings.Invoking(s => s.ToProfile()).Should().Throw<ProfileImportException>("without a store a store-backed connection cannot run");
    }

    [Fact]
    public void Broken_vpn_data_is_a_clear_error_not_a_crash()
    {
        var empty = new NmVpnConnectionSettings("x", "u", new Dictionary<string, string>(), new Dictionary<string, string>());
        empty.Invoking(s => s.ToProfile()).Should().Throw<ProfileImportException>().WithMessage("*no vpn.data key 'profile'*nm-export*");
        var garbage = new NmVpnConnectionSettings("x", "u", new Dictionary<string, string> { ["profile"] = "{not json" }, new Dictionary<string, string>());
        garbage.Invoking(s => s.ToProfile()).Should().Throw<ProfileImportException>().WithMessage("*not valid JSON*");
    }

    [Fact]
    public void Uuid_is_stable_per_name_and_a_valid_RFC_4122_UUID()
    {
        NmKeyfile.UuidFor("office").Should().Be(NmKeyfile.UuidFor("office"));
        NmKeyfile.UuidFor("office").Should().NotBe(NmKeyfile.UuidFor("lab"));
        var g = Guid.Parse(NmKeyfile.UuidFor("office"));
        g.ToString()[14].Should().Be('5');
        "89ab".Should().Contain(g.ToString()[19].ToString());
    }

    [Fact]
    public void Escape_follows_GKeyFile()
    {
        NmKeyfile.Escape(" a\\b\nc\td").Should().Be(@"\sa\\b\nc\td");
        NmKeyfile.Escape("x y").Should().Be("x y", "only a leading space is escaped");
    }
}

/// <summary>The Config/Ip4Config/Ip6Config dictionaries: NetworkManager's keys and byte orders.</summary>
public sealed class NetworkManagerIpConfigTests
{
    private static VpnConnectionInfo Info(params string[] addresses) => new()
    {
        Gateway = "192.0.2.1:4500", InterfaceName = "ikev2tun0", VirtualAddresses = addresses,
        DnsServers = ["10.1.0.53", "2001:db8:1::53"], DnsDomains = ["corp.example"], Routes = ["0.0.0.0/0"],
    };

    [Fact]
    public void IPv4_addresses_are_network_order_uint32_with_never_default_and_no_routes()
    {
        var c = NmIpConfig.From(Info("10.3.0.1/32"));
        c.Config["tundev"].Should().Be(new NmValue.Text("ikev2tun0"));
        c.Config["gateway"].Should().Be(new NmValue.UInt32(NmIpConfig.ToUInt32(IPAddress.Parse("192.0.2.1"))));
        c.Config["has-ip4"].Should().Be(new NmValue.Bool(true));
        c.Config["has-ip6"].Should().Be(new NmValue.Bool(false));
        c.Ip6.Should().BeNull();
        c.Ip4!["address"].Should().Be(new NmValue.UInt32(NmIpConfig.ToUInt32(IPAddress.Parse("10.3.0.1"))));
        c.Ip4["prefix"].Should().Be(new NmValue.UInt32(32));
        c.Ip4["never-default"].Should().Be(new NmValue.Bool(true), "our own table carries the tunnel routes; NetworkManager adds none");
        c.Ip4.Should().NotContainKey("routes");
        ((NmValue.UInt32Array)c.Ip4["dns"]).Value.Should().Equal([NmIpConfig.ToUInt32(IPAddress.Parse("10.1.0.53"))]);
        ((NmValue.TextArray)c.Ip4["domains"]).Value.Should().Equal(["corp.example"]);
    }

    [Fact]
    public void ToUInt32_keeps_the_address_bytes_in_memory_order()
    {
        var u = NmIpConfig.ToUInt32(IPAddress.Parse("10.3.0.1"));
        BitConverter.GetBytes(u).Should().Equal([10, 3, 0, 1], "NetworkManager reads the u as an in_addr_t (network byte order)");
    }

    [Fact]
    public void Dual_stack_Ip6Config_has_byte_arrays()
    {
        var c = NmIpConfig.From(Info("10.3.0.1/32", "2001:db8:3::1/128"));
        c.Config["has-ip6"].Should().Be(new NmValue.Bool(true));
        ((NmValue.Bytes)c.Ip6!["address"]).Value.Should().Equal(IPAddress.Parse("2001:db8:3::1").GetAddressBytes());
        c.Ip6["prefix"].Should().Be(new NmValue.UInt32(128));
        ((NmValue.BytesArray)c.Ip6["dns"]).Value.Should().ContainSingle().Which.Should().Equal(IPAddress.Parse("2001:db8:1::53").GetAddressBytes());
    }
}

/// <summary>Which NetworkManager failure each of our errors becomes (nmcli shows NetworkManager's text for it).</summary>
public sealed class NetworkManagerFailureTests
{
    public static TheoryData<string, IkeError, NmVpnPluginFailure> Cases() => new()
    {
        { "the gateway rejected our credentials", IkeError.FromPeerNotify(NotifyType.AuthenticationFailed, "IKE_AUTH"), NmVpnPluginFailure.LoginFailed },
        { "the gateway's AUTH did not verify", new IkeError(IkeErrorKind.AuthenticationFailed, "AUTH payload mismatch"), NmVpnPluginFailure.LoginFailed },
        { "no proposal chosen", IkeError.FromPeerNotify(NotifyType.NoProposalChosen, "IKE_SA_INIT"), NmVpnPluginFailure.ConnectFailed },
        { "untrusted gateway certificate", new IkeError(IkeErrorKind.CertificateInvalid, "the gateway's certificate is not trusted"), NmVpnPluginFailure.ConnectFailed },
        { "no answer", new IkeError(IkeErrorKind.ProtocolTimeout, "no answer"), NmVpnPluginFailure.ConnectFailed },
        { "no virtual address", IkeError.FromPeerNotify(NotifyType.InternalAddressFailure, "IKE_AUTH"), NmVpnPluginFailure.BadIpConfig },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void IKE_errors_map_to_NetworkManager_failures(string what, IkeError error, NmVpnPluginFailure expected) =>
        NmVpnPlugin.FailureOf(VpnErrorMapper.FromIkeError(error)).Should().Be(expected, what);

    [Fact]
    public void Missing_credentials_are_a_login_failure() =>
        NmVpnPlugin.FailureOf(VpnError.Profile("'lab' has no password stored")).Should().Be(NmVpnPluginFailure.LoginFailed);
}

/// <summary><c>ikev2 nm-export</c> as a user runs it (the real program, its own IKEV2_HOME).</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class NetworkManagerExportCliTests : IDisposable
{
    private readonly string _home = ProfileTestData.NewTempDir();

    private (int Code, string Out, string Err) Run(params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "ikev2"))
        { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["IKEV2_HOME"] = _home;
        using var p = System.Diagnostics.Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        p.WaitForExit(60_000).Should().BeTrue();
        return (p.ExitCode, o.Result, e.Result);
    }

    [Fact]
    public void Export_writes_a_0600_keyfile_without_secrets_and_a_passwd_file_and_an_unknown_profile_is_a_clear_error()
    {
        new ProfileStore(_home).Save(new Ikev2VpnProfile.Builder().SetName("lab").SetServer("192.0.2.1", 500).SetUserIdentity("client.test")
            .SetRemoteIdentity("gw.test").SetAuthPsk("cli-psk-value"u8.ToArray()).Build());
        var keyfile = Path.Combine(_home, "lab.nmconnection");
        var passwd = Path.Combine(_home, "lab.passwd");
        var r = Run("nm-export", "lab", "-o", keyfile, "--passwd-file", passwd);
        r.Code.Should().Be(0, r.Err);
        r.Out.Should().BeEmpty();
        File.GetUnixFileMode(keyfile).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.GetUnixFileMode(passwd).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.ReadAllText(keyfile).Should().Contain($"service-type={NmVpnConnectionSettings.ServiceType}").And.Contain("psk-flags=1").And.NotContain("cli-psk-value");
        File.ReadAllText(passwd).Should().Be("vpn.secrets.psk:cli-psk-value\n");

        var stdout = Run("nm-export", "lab", "--not-saved");
        stdout.Code.Should().Be(0);
        stdout.Out.Should().StartWith("[connection]\nid=lab\n").And.Contain("psk-flags=2");

        var missing = Run("nm-export", "nope");
        missing.Code.Should().Be(2);
        missing.Err.Should().StartWith("error: ").And.Contain("nope").And.NotContain("   at ");
    }

    public void Dispose() => Directory.Delete(_home, recursive: true);
}
