using System.Text;
using FluentAssertions;
using Ikev2Client.Profiles;
using Xunit;

namespace Ikev2Client.Tests.Profiles;

public sealed class ImporterTests
{
    private static ImportResult Import(string file, ImportOptions? options = null)
    {
        var r = ProfileImporter.Import(ProfileTestData.Path(file), options);
        // Every import round-trips through the native format unchanged.
        var again = ProfileTestData.RoundTrip(r.Profile);
        NativeProfileJson.Serialize(again, true).Should().Be(NativeProfileJson.Serialize(r.Profile, true));
        return r;
    }

    [Fact]
    public void Sswan_eap_with_strings_wrapped_base64_and_space_lists()
    {
        var r = Import("office-eap.sswan");
        r.Format.Should().Be(ProfileFormat.Sswan);
        var p = r.Profile;
        p.Name.Should().Be("Office EAP");
        p.AuthMethod.Should().Be(AuthMethod.UsernamePassword);
        (p.ServerAddr, p.ServerPort, p.RemoteIdentity).Should().Be(("vpn.example.com", 4500, "vpn.example.com"));
        p.ServerRootCaCert!.Thumbprint.Should().Be(ProfileTestData.Ca.Thumbprint);
        (p.Username, p.Password).Should().Be(("alice", "s3cret-pass"));
        p.IkeProposal.Should().Be("aes256gcm16-prfsha384-ecp384,aes256-sha256-modp2048");
        p.EspProposal.Should().Be("aes256gcm16,aes128-sha256-modp3072");
        p.DnsServers.Should().Equal("10.0.0.53", "2001:db8::53");
        p.MaxMtu.Should().Be(1400);
        p.NatKeepaliveSeconds.Should().Be(15);
        p.SplitTunneling.Should().Be(new SplitTunneling(["10.0.0.0/8", "192.168.10.1 - 192.168.10.99"], ["10.9.0.0/16"], false, true));
        p.DisallowedApps.Should().Equal("com.example.bank", "com.example.tv");
        p.Proxy.Should().Be(new ProxyInfo("proxy.example.com", 3128, ["localhost", "*.example.com"]));
        r.Notes.Where(n => n.Kind == ImportNoteKind.Ignored).Select(n => n.Key).Should().Contain(["password", "auth"]);
    }

    [Fact]
    public void Sswan_certificate_with_pkcs12_needing_password()
    {
        var r = Import("office-cert.sswan");
        var p = r.Profile;
        p.AuthMethod.Should().Be(AuthMethod.DigitalSignature);
        p.ServerAddr.Should().Be("203.0.113.7");
        p.ServerPort.Should().Be(500);
        p.UserIdentity.Should().Be("alice@example.com");
        p.Pkcs12.Should().Equal(ProfileTestData.Bytes("user.p12"));
        p.Pkcs12Password.Should().BeNull();
        p.ServerRootCaCert!.Thumbprint.Should().Be(ProfileTestData.Ca.Thumbprint);
        p.AllowedApps.Should().Equal("com.example.mail");
        p.DisallowedApps.Should().BeEmpty();
        p.MaxMtu.Should().Be(Ikev2VpnProfile.DefaultMaxMtu);
        p.NatKeepaliveSeconds.Should().BeNull();
        r.Notes.Should().Contain(n => n.Key == "pkcs12Password" && n.Kind == ImportNoteKind.DefaultApplied);
        r.Notes.Should().Contain(n => n.Key == "local.rsa-pss" && n.Kind == ImportNoteKind.Unsupported);
        r.Notes.Select(n => n.Key).Should().Contain(["mtu", "nat-keepalive", "excluded-apps"]);

        var withPassword = Import("office-cert.sswan", new ImportOptions { Pkcs12Password = "test" }).Profile;
        withPassword.Pkcs12Password.Should().Be("test");
        withPassword.UserCert!.Thumbprint.Should().Be(ProfileTestData.User.Thumbprint);
    }

    [Fact]
    public void Sswan_minimal()
    {
        var p = Import("minimal.sswan").Profile;
        (p.Name, p.ServerAddr, p.Username, p.Password, p.ServerRootCaCert).Should().Be(("Minimal", "gw.example.net", "bob", null, null));
        p.IkeProposal.Should().BeNull();
    }

    [Fact]
    public void Managed_configuration_from_android_management_policy()
    {
        var r = Import("managed-policy.json");
        r.Format.Should().Be(ProfileFormat.AndroidManagedConfiguration);
        var p = r.Profile;
        p.Name.Should().Be("HQ");
        (p.AlwaysOn, p.Lockdown).Should().Be((true, true));
        (p.ServerAddr, p.ServerPort, p.RemoteIdentity, p.UserIdentity).Should().Be(("hq.example.com", 4500, "hq.example.com", "alice@example.com"));
        p.AuthMethod.Should().Be(AuthMethod.DigitalSignature);
        p.Pkcs12Password.Should().Be("test");
        p.UserCert!.Thumbprint.Should().Be(ProfileTestData.User.Thumbprint);
        p.ServerRootCaCert!.Thumbprint.Should().Be(ProfileTestData.Ca.Thumbprint);
        p.AllowedApps.Should().Equal("com.example.mail", "com.example.chat");
        p.DnsServers.Should().Equal("10.1.0.53", "10.1.0.54");
        (p.IkeProposal, p.EspProposal).Should().Be(("aes256gcm16-prfsha256-ecp256", "aes256gcm16-ecp256"));
        p.MaxMtu.Should().Be(Ikev2VpnProfile.DefaultMaxMtu);
        p.NatKeepaliveSeconds.Should().Be(30);
        p.SplitTunneling.Should().Be(new SplitTunneling(["10.1.0.0/16"], ["10.1.99.0/24"], true, true));
        p.Proxy.Should().Be(new ProxyInfo("proxy.hq.example.com", 8081, ["localhost"]));
        r.Notes.Count(n => n.Key == "managed_profiles").Should().Be(2);
        r.Notes.Should().Contain(n => n.Key == "remote.remote_cert_req");
    }

    [Fact]
    public void Managed_configuration_bare_object_eap_profile()
    {
        var json = """{"managed_profiles":[{"_uuid":"1f1c2d3e-0000-4000-8000-000000000001","name":"Branch","remote":{"gateway":"branch.example.com","port":-1},"local":{"username":"carol","password":"pw"},"mtu":"1300"}]}""";
        var p = ProfileImporter.Import(Encoding.UTF8.GetBytes(json), "config.json").Profile;
        (p.AuthMethod, p.Username, p.Password, p.ServerPort, p.MaxMtu, p.AlwaysOn).Should().Be((AuthMethod.UsernamePassword, "carol", "pw", 500, 1300, false));
    }

    [Fact]
    public void Mobileconfig_certificate_with_embedded_payloads()
    {
        var r = Import("algo-cert.mobileconfig");
        r.Format.Should().Be(ProfileFormat.Mobileconfig);
        var p = r.Profile;
        p.Name.Should().Be("Algo Cert");
        p.AuthMethod.Should().Be(AuthMethod.DigitalSignature);
        (p.ServerAddr, p.RemoteIdentity, p.UserIdentity).Should().Be(("vpn.example.com", "vpn.example.com", "alice@example.com"));
        p.Pkcs12.Should().Equal(ProfileTestData.Bytes("user.p12"));
        p.Pkcs12Password.Should().Be("test");
        p.UserCert!.Thumbprint.Should().Be(ProfileTestData.User.Thumbprint);
        p.ServerRootCaCert!.Thumbprint.Should().Be(ProfileTestData.Ca.Thumbprint);
        (p.IkeProposal, p.EspProposal).Should().Be(("aes256gcm16-prfsha384-ecp384", "aes256gcm16-ecp256"));
        (p.DpdSeconds, p.NatKeepaliveSeconds, p.MaxMtu).Should().Be((600, 20, 1400));
        p.DnsServers.Should().Equal("10.0.0.53");
        r.Notes.Select(n => n.Key).Should().Contain(["DNS.SearchDomains", "IPv4", "IKEv2.CertificateType", "IKEv2.DisableMOBIKE",
            "ChildSecurityAssociationParameters.LifeTimeInMinutes"]);
    }

    [Fact]
    public void Mobileconfig_post_quantum_key_exchange_methods_become_additional_key_exchanges()
    {
        var r = Import("pq-psk.mobileconfig");
        var p = r.Profile;
        // ADDKE1 = ML-KEM-768; with AllowPostQuantumKeyExchangeFallback the classical proposal follows.
        p.IkeProposal.Should().Be("aes256gcm16-prfsha384-curve25519-ke1_mlkem768,aes256gcm16-prfsha384-curve25519");
        // 0 leaves ADDKE2 out; ADDKE3 = ML-KEM-1024.
        p.EspProposal.Should().Be("aes256gcm16-curve25519-ke1_mlkem768-ke3_mlkem1024,aes256gcm16-curve25519");
        r.Notes.Select(n => n.Key).Should().NotContain(k => k.Contains("PostQuantum"));
        var ike = Ikev2Client.Connection.ProposalConversion.ForProfile(p.IkeProposal, false, null);
        ike[0].AdditionalKeyExchanges.Should().ContainSingle().Which.Should().Equal(Protocol.Crypto.KeGroup.MlKem768);

        var bad = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "profiles", "pq-psk.mobileconfig"))
            .Replace("<integer>36</integer></array>", "<integer>99</integer></array>");
        var act = () => ProfileImporter.Import(Encoding.UTF8.GetBytes(bad), "bad.mobileconfig");
        act.Should().Throw<ProfileImportException>().WithMessage("*PostQuantumKeyExchangeMethods[0] is 99*");
    }

    [Fact]
    public void Mobileconfig_eap_only_and_its_signed_copy()
    {
        foreach (var file in new[] { "jawj-eap.mobileconfig", "jawj-eap-signed.mobileconfig" })
        {
            var r = Import(file);
            var p = r.Profile;
            (p.Name, p.AuthMethod, p.EapMethod).Should().Be(("Jawj EAP", AuthMethod.EapOnly, EapMethod.MsChapV2));
            (p.Username, p.Password, p.UserIdentity).Should().Be(("dave", "dave-password", null));
            (p.IkeProposal, p.EspProposal, p.DpdSeconds).Should().Be(("aes256-sha256-modp2048", "aes256-sha256", 60));
            p.Proxy.Should().Be(new ProxyInfo("proxy.example.org", 3128, []));
            r.Notes.Should().Contain(n => n.Key == "OnDemandEnabled" && n.Kind == ImportNoteKind.Unsupported);
            r.Notes.Any(n => n.Key == "(signature)").Should().Be(file.Contains("signed"));
        }
    }

    [Fact]
    public void Windows_profile_xml_eap_with_cryptography_suite()
    {
        var r = Import("windows-eap.xml");
        r.Format.Should().Be(ProfileFormat.WindowsProfileXml);
        var p = r.Profile;
        (p.Name, p.ServerAddr, p.AuthMethod, p.Username).Should().Be(("Contoso VPN", "vpn1.example.com", AuthMethod.UsernamePassword, null));
        (p.IkeProposal, p.EspProposal).Should().Be(("aes256gcm16-prfsha384-ecp384", "aes256gcm16-ecp384"));
        p.SplitTunneling.Should().Be(new SplitTunneling(["10.10.0.0/16"], ["10.10.5.0/24"], false, false));
        p.DnsServers.Should().Equal("10.10.0.53", "10.10.0.54");
        (p.AlwaysOn, p.Lockdown).Should().Be((true, false));
        r.Notes.Should().Contain(n => n.Key == "TrafficFilter" && n.Kind == ImportNoteKind.Unsupported);
        r.Notes.Select(n => n.Key).Should().Contain(["Servers", "DnsSuffix", "DomainNameInformation", "NativeProfile/DisableClassBasedDefaultRoute"]);
    }

    [Fact]
    public void Windows_sync_ml_device_tunnel_needs_supplied_certificate()
    {
        var act = () => ProfileImporter.Import(ProfileTestData.Path("windows-cert-syncml.xml"));
        act.Should().Throw<ProfileImportException>().WithMessage("*--pkcs12*");
        var r = Import("windows-cert-syncml.xml", new ImportOptions { Pkcs12 = ProfileTestData.Bytes("user.p12"), Pkcs12Password = "test", Name = "dt" });
        var p = r.Profile;
        (p.Name, p.ServerAddr, p.AuthMethod, p.AlwaysOn, p.Lockdown).Should().Be(("dt", "dt.example.com", AuthMethod.DigitalSignature, true, true));
        (p.IkeProposal, p.EspProposal).Should().Be(("aes128-sha256-modp2048", "aes128-sha256-modp2048"));
        p.UserCert!.Thumbprint.Should().Be(ProfileTestData.User.Thumbprint);
        r.Notes.Should().Contain(n => n.Key == "DeviceTunnel");
    }

    [Theory]
    [InlineData("broken.sswan", "malformed JSON")]
    [InlineData("bad-base64.sswan", "local.p12 is not valid base64")]
    [InlineData("missing-addr.sswan", "remote.addr is missing")]
    [InlineData("unknown.json", "neither")]
    [InlineData("encrypted.mobileconfig", "encrypted")]
    [InlineData("broken.mobileconfig", "malformed XML")]
    [InlineData("windows-sstp.xml", "not IKEv2")]
    [InlineData("user.p12", "not an XML property list")]
    [InlineData("ca.pem", "unknown profile format")]
    public void Broken_files_give_one_clear_typed_error(string file, string expected)
    {
        var act = () => ProfileImporter.Import(ProfileTestData.Path(file));
        var e = act.Should().Throw<ProfileImportException>().Which;
        e.Message.Should().Contain(expected);
        e.Message.Should().NotContain("\n").And.NotContain("   at ");
    }

    [Fact]
    public void Cms_enveloped_data_is_refused_as_encrypted()
    {
        // ContentInfo { id-envelopedData, [0] { } } — the shape of an encrypted profile.
        var asn = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (asn.PushSequence())
        {
            asn.WriteObjectIdentifier("1.2.840.113549.1.7.3");
            using (asn.PushSequence(new System.Formats.Asn1.Asn1Tag(System.Formats.Asn1.TagClass.ContextSpecific, 0))) asn.WriteInteger(0);
        }
        var act = () => ProfileImporter.Import(asn.Encode(), "x.mobileconfig");
        act.Should().Throw<ProfileImportException>().WithMessage("*encrypted*");
    }

    [Fact]
    public void Secrets_never_in_import_errors()
    {
        var json = """{"uuid":"11111111-2222-3333-4444-555555555555","name":"x","type":"ikev2-eap","remote":{"addr":"gw.example.net"},"local":{"eap_id":"u","shared_secret":"TOPSECRET"},"ike-proposal":"aes-bogus"}""";
        var act = () => ProfileImporter.Import(Encoding.UTF8.GetBytes(json), "x.sswan");
        act.Should().Throw<ProfileImportException>().Which.Message.Should().Contain("ikeProposal").And.NotContain("TOPSECRET");
    }

    [Fact]
    public void Placeholders_are_rejected()
    {
        var json = """{"uuid":"11111111-2222-3333-4444-555555555555","name":"x","type":"ikev2-eap","remote":{"addr":"${VPN_HOST}"},"local":{"eap_id":"u"}}""";
        var act = () => ProfileImporter.Import(Encoding.UTF8.GetBytes(json), "x.sswan");
        act.Should().Throw<ProfileImportException>().Which.Problems.Should().ContainSingle(p => p.Field == "serverAddr");
    }
    [Fact]
    public void Revocation_settings_are_reported_as_what_happens_instead()
    {
        // The client always checks the gateway's certificate best effort (ProfileAuthentication); the note must say so.
        var json = """{"uuid":"11111111-2222-3333-4444-555555555555","name":"x","type":"ikev2-eap","remote":{"addr":"gw.example.net","revocation":{"crl":false,"ocsp":false}},"local":{"eap_id":"u"}}""";
        var note = ProfileImporter.Import(Encoding.UTF8.GetBytes(json), "x.sswan").Notes.Single(n => n.Key == "remote.revocation");
        note.Kind.Should().Be(ImportNoteKind.Unsupported);
        note.Message.Should().Contain("always checked against its CRL and OCSP, best effort").And.NotContain("not checked");
        var validation = Ikev2Client.Connection.ProfileAuthentication.Validation(ProfileImporter.Import(Encoding.UTF8.GetBytes(json), "x.sswan").Profile);
        validation.Revocation.Should().Be(Ikev2Client.Protocol.Auth.RevocationCheck.BestEffort);
        validation.RevocationTimeout.Should().Be(TimeSpan.FromSeconds(5), "the note names 5 s");
    }
}
