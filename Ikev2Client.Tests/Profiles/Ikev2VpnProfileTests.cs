using System.Text;
using FluentAssertions;
using Ikev2Client.Profiles;
using Xunit;

namespace Ikev2Client.Tests.Profiles;

public sealed class Ikev2VpnProfileTests
{
    [Fact]
    public void Defaults_follow_android()
    {
        var p = new Ikev2VpnProfile.Builder("vpn.example.com", "alice").SetName("a").SetAuthPsk("k"u8.ToArray()).Build();
        p.ServerPort.Should().Be(500);
        p.MaxMtu.Should().Be(1360);
        p.IsMetered.Should().BeTrue();
        p.IsBypassable.Should().BeFalse();
        p.AllowedAlgorithms.Should().BeNull();
        p.SplitTunneling.IsEmpty.Should().BeTrue();
    }

    [Fact]
    public void Validate_reports_every_problem_with_its_field()
    {
        var b = new Ikev2VpnProfile.Builder("bad host name!", null)
            .SetName("../etc")
            .SetServer("bad host name!", 70000)
            .SetAuthPsk([])
            .SetIkeProposal("aes256-bogus")
            .SetEspProposal("aes256gcm16-prfsha256")
            .SetAllowedAlgorithms([IpSecAlgorithmNames.HmacSha1])
            .SetMaxMtu(1000)
            .SetProxy(new ProxyInfo("", 0, []))
            .SetSplitTunneling(new SplitTunneling(["10.0.0.0/33"], ["nope"], false, false))
            .SetDnsServers(["not-an-ip"])
            .SetAllowedApps(["a.b"]).SetDisallowedApps(["c.d"])
            .SetAlwaysOn(false, lockdown: true)
            .SetNatKeepaliveSeconds(5)
            .SetDpdSeconds(5);
        var act = () => b.Build();
        var problems = act.Should().Throw<ProfileValidationException>().Which.Problems;
        problems.Select(p => p.Field).Distinct().Should().BeEquivalentTo(
            "name", "serverAddr", "serverPort", "psk", "ikeProposal", "espProposal", "allowedAlgorithms", "maxMtu", "proxy",
            "splitTunneling", "dnsServers", "disallowedApps", "lockdown", "natKeepaliveSeconds", "dpdSeconds");
        b.Validate().Should().HaveCount(problems.Count);
    }

    [Fact]
    public void Allowed_algorithms_follow_android_rules()
    {
        IpSecAlgorithmNames.Check(IpSecAlgorithmNames.Defaults).Should().BeEmpty();
        IpSecAlgorithmNames.Check([IpSecAlgorithmNames.AesGcm]).Should().BeEmpty();
        IpSecAlgorithmNames.Check([IpSecAlgorithmNames.AesCbc, IpSecAlgorithmNames.HmacSha256]).Should().BeEmpty();
        IpSecAlgorithmNames.Check([IpSecAlgorithmNames.AesCbc]).Should().ContainSingle().Which.Should().Contain("at least one AEAD");
        IpSecAlgorithmNames.Check([IpSecAlgorithmNames.AesCbc, IpSecAlgorithmNames.HmacMd5]).Should().HaveCount(2);
        var b = Base().SetAuthPsk("k"u8.ToArray()).SetAllowedAlgorithms([IpSecAlgorithmNames.AesGcm]).SetIkeProposal("aes256-sha256-ecp256");
        b.Validate().Should().Contain(p => p.Field == "ikeProposal" && p.Message.Contains("cbc(aes)"))
            .And.OnlyContain(p => p.Field == "ikeProposal");
    }

    [Fact]
    public void Digital_signature_needs_matching_key()
    {
        var ok = Base().SetAuthDigitalSignature(ProfileTestData.User, ProfileTestData.UserKeyPem, ProfileTestData.Ca);
        ok.Validate().Should().BeEmpty();
        using var other = System.Security.Cryptography.ECDsa.Create();
        var mismatch = Base().SetAuthDigitalSignature(ProfileTestData.User, other, null);
        mismatch.Validate().Should().ContainSingle().Which.Field.Should().Be("privateKey");
        var wrongPassword = Base().SetAuthDigitalSignaturePkcs12(ProfileTestData.Bytes("user.p12"), "wrong", null);
        wrongPassword.Validate().Should().ContainSingle().Which.Field.Should().Be("pkcs12Password");
        Base().SetAuthEapOnly(EapMethod.Tls, null, null, null).Validate().Select(p => p.Field).Should().BeEquivalentTo("userCert", "privateKey");
        new Ikev2VpnProfile.Builder("gw.example.com", null).SetName("x").Validate().Should().ContainSingle().Which.Field.Should().Be("authMethod");
    }

    [Fact]
    public void Secrets_never_in_to_string()
    {
        var p = Base().SetAuthUsernamePassword("alice", "pa55word-XYZ", null).Build();
        p.ToString().Should().NotContain("pa55word-XYZ").And.Contain("alice").And.Contain("secrets = present");
        var k = Base().SetAuthDigitalSignature(ProfileTestData.User, ProfileTestData.UserKeyPem, null).Build();
        k.ToString().Should().NotContain("PRIVATE KEY");
        var psk = Base().SetAuthPsk(Encoding.UTF8.GetBytes("psk-value-123")).Build();
        psk.ToString().Should().NotContain("psk-value-123");
        psk.WithoutSecrets().HasSecrets.Should().BeFalse();
        new ProfileValidationException([new("psk", "is required")]).Message.Should().NotContain("psk-value");
    }

    [Fact]
    public void Every_field_round_trips_through_native_json()
    {
        var p = Base()
            .SetServer("2001:db8::1", 4500).SetUserIdentity("alice@example.com").SetRemoteIdentity("vpn.example.com")
            .SetAuthDigitalSignature(ProfileTestData.User, ProfileTestData.UserKeyPem, ProfileTestData.Ca)
            .SetIkeProposal("aes256gcm16-prfsha384-ecp384").SetEspProposal("aes256gcm16,aes128-sha256-modp3072")
            .SetAllowedAlgorithms(IpSecAlgorithmNames.Defaults).SetBypassable(true).SetMetered(false).SetMaxMtu(1400)
            .SetProxy(new ProxyInfo("proxy.example.com", 3128, ["localhost"])).SetLocalRoutesExcluded(true)
            .SetAutomaticNattKeepaliveTimerEnabled(true).SetAutomaticIpVersionSelectionEnabled(true).SetRequiresInternetValidation(true)
            .SetSplitTunneling(new SplitTunneling(["10.0.0.0/8", "192.168.1.1 - 192.168.1.9"], ["10.1.0.0/16"], true, true))
            .SetDnsServers(["10.0.0.53"]).SetDisallowedApps(["com.example.tv"]).SetAlwaysOn(true, true)
            .SetNatKeepaliveSeconds(20).SetDpdSeconds(60).Build();
        var q = ProfileTestData.RoundTrip(p);
        NativeProfileJson.Serialize(q, true).Should().Be(NativeProfileJson.Serialize(p, true));
        q.UserCert!.Thumbprint.Should().Be(ProfileTestData.User.Thumbprint);
        q.ServerRootCaCert!.Thumbprint.Should().Be(ProfileTestData.Ca.Thumbprint);
        q.SplitTunneling.Should().Be(p.SplitTunneling);
        q.Proxy.Should().Be(p.Proxy);
        q.DpdSeconds.Should().Be(60);
        NativeProfileJson.Serialize(q, false).Should().NotContain("PRIVATE KEY");
    }

    [Fact]
    public void Native_json_reports_unknown_keys_and_bad_types()
    {
        var json = """{"name":"n","serverAddr":"gw.example.com","authMethod":"psk","psk":"x","futureKey":1}"""u8.ToArray();
        NativeProfileJson.Import(json).Notes.Should().ContainSingle(n => n.Key == "futureKey" && n.Kind == ImportNoteKind.Ignored);
        var bad = """{"name":"n","serverAddr":"gw.example.com","authMethod":"psk","psk":"x","serverPort":"many"}"""u8.ToArray();
        var act = () => NativeProfileJson.Import(bad);
        act.Should().Throw<ProfileImportException>().WithMessage("serverPort*");
    }

    [Fact]
    public void NativeJsonCarriesHybridPostQuantumProposals()
    {
        const string hybrid = "aes256gcm16-prfsha384-x25519-ke1_mlkem768,aes256gcm16-prfsha384-x25519";
        var json = Encoding.UTF8.GetBytes(
            "{\"name\":\"pq\",\"serverAddr\":\"gw.example.com\",\"authMethod\":\"psk\",\"psk\":\"x\",\"ikeProposal\":\"" + hybrid
            + "\",\"espProposal\":\"aes256gcm16-x25519-ke1_mlkem768\"}");
        var p = NativeProfileJson.Import(json).Profile;
        p.IkeProposal.Should().Be(hybrid);
        var ike = Ikev2Client.Connection.ProposalConversion.ForProfile(p.IkeProposal, false, null);
        ike[0].AdditionalKeyExchanges.Should().ContainSingle().Which.Should().Equal(Protocol.Crypto.KeGroup.MlKem768);
        ike[1].AdditionalKeyExchanges.Should().BeEmpty();
        Ikev2Client.Connection.ProposalConversion.ForProfile(p.EspProposal, true, null)[0].AdditionalKeyExchanges.Should().ContainSingle();

        var bad = Base().SetAuthPsk("k"u8.ToArray()).SetIkeProposal("aes256gcm16-prfsha384-x25519-ke1_mlkem2048");
        bad.Validate().Should().ContainSingle().Which.Message.Should().Contain("mlkem2048");
    }

    private static Ikev2VpnProfile.Builder Base() => new Ikev2VpnProfile.Builder("vpn.example.com", "alice").SetName("test");
}
