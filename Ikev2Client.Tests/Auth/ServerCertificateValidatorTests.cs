using System.Net;
using System.Security.Cryptography.X509Certificates;
using FluentAssertions;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Ikev2Client.Tests.Auth;

public sealed class ServerCertificateValidatorTests
{
    private static readonly X509Certificate2 Ca = TestPki.CreateCa("Test Root CA");
    private static readonly X509Certificate2 Intermediate = TestPki.CreateCa("Test Intermediate CA", issuer: Ca);
    private static readonly IkeIdentity Gateway = IkeIdentity.Fqdn("vpn.example.com");

    private static ServerCertificateValidator Validator(RevocationCheck revocation = RevocationCheck.None, DateTimeOffset? now = null, params X509Certificate2[] cas) =>
        new(new CertificateValidationOptions
        {
            TrustedCertificateAuthorities = cas.Length == 0 ? new[] { Ca } : cas,
            Revocation = revocation,
            RevocationTimeout = TimeSpan.FromSeconds(3),
            Time = new FakeTimeProvider(now ?? TestPki.Now),
        });

    private static CertificateValidationResult Validate(X509Certificate2 leaf, IkeIdentity? configured, ServerCertificateValidator? v = null, IkeIdentity? presented = null) =>
        (v ?? Validator()).Validate(CertificateRequests.ToCertPayloads(new[] { leaf, Intermediate }), presented ?? configured, configured);

    [Fact]
    public void Valid_chain_through_an_intermediate_from_cert_payloads()
    {
        var leaf = TestPki.CreateLeaf(Intermediate);
        var result = Validate(leaf, Gateway);
        result.IsValid.Should().BeTrue(result.Error?.Message);
        result.PublicKey!.KeyType.Should().Be(SigningKeyType.Ecdsa);
        result.IdentityAcceptedWithoutProfileMatch.Should().BeFalse();
        result.CertificateIdentity.Should().Contain("DNS:vpn.example.com");
    }

    [Fact]
    public void Wrong_ca_is_untrusted_root()
    {
        var otherCa = TestPki.CreateCa("Other CA");
        var result = Validate(TestPki.CreateLeaf(Intermediate), Gateway, Validator(cas: otherCa));
        result.Error!.Kind.Should().Be(CertificateValidationErrorKind.UntrustedRoot);
        result.Error.Message.Should().Contain("does not chain to the CA certificate in the profile");
    }

    [Fact]
    public void Missing_intermediate_is_untrusted_root()
    {
        var leaf = TestPki.CreateLeaf(Intermediate);
        var result = Validator().Validate(new[] { new CertPayload(CertEncoding.X509Signature, leaf.RawData) }, Gateway, Gateway);
        result.Error!.Kind.Should().Be(CertificateValidationErrorKind.UntrustedRoot);
    }

    [Fact]
    public void Expired_certificate_says_when_and_what_to_do()
    {
        var leaf = TestPki.CreateLeaf(Intermediate, new TestPki.LeafOptions { NotBefore = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero), NotAfter = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero) });
        var result = Validate(leaf, Gateway);
        result.Error!.Kind.Should().Be(CertificateValidationErrorKind.Expired);
        result.Error.Message.Should().Be("The gateway's certificate for vpn.example.com expired on 2026-01-01; ask your administrator to renew it (and check this device's date and time).");
    }

    [Fact]
    public void Not_yet_valid_points_at_the_clock()
    {
        var leaf = TestPki.CreateLeaf(Intermediate, new TestPki.LeafOptions { NotBefore = TestPki.Now.AddDays(3), NotAfter = TestPki.Now.AddYears(1) });
        var result = Validate(leaf, Gateway);
        result.Error!.Kind.Should().Be(CertificateValidationErrorKind.NotYetValid);
        result.Error.Message.Should().Contain("date and time");
    }

    [Fact]
    public void Injected_clock_decides_validity()
    {
        var leaf = TestPki.CreateLeaf(Intermediate);
        Validate(leaf, Gateway, Validator(now: TestPki.Now.AddYears(2))).Error!.Kind.Should().Be(CertificateValidationErrorKind.Expired);
        Validate(leaf, Gateway, Validator(now: TestPki.Now)).IsValid.Should().BeTrue();
    }

    [Fact]
    public void Expired_intermediate_is_reported_as_expired_ca()
    {
        var oldIntermediate = TestPki.CreateCa("Old Intermediate", TestPki.Now.AddYears(-3), TestPki.Now.AddDays(-1), Ca);
        var leaf = TestPki.CreateLeaf(oldIntermediate, new TestPki.LeafOptions { NotBefore = TestPki.Now.AddYears(-2), NotAfter = TestPki.Now.AddYears(1) });
        var result = Validator().Validate(leaf, new[] { oldIntermediate }, Gateway, Gateway);
        result.Error!.Kind.Should().Be(CertificateValidationErrorKind.Expired);
        result.Error.Message.Should().Contain("CA certificate");
    }

    [Theory]
    [InlineData("vpn.example.com", true)]
    [InlineData("VPN.Example.COM", true)]
    [InlineData("other.example.com", false)]
    [InlineData("example.com", false)]
    public void Fqdn_identity_against_dns_names(string name, bool ok)
    {
        var result = Validate(TestPki.CreateLeaf(Intermediate), IkeIdentity.Fqdn(name));
        if (ok) result.IsValid.Should().BeTrue(result.Error?.Message);
        else
        {
            result.Error!.Kind.Should().Be(CertificateValidationErrorKind.IdentityMismatch);
            result.Error.Message.Should().Contain(name);
        }
    }

    [Theory]
    [InlineData("gw1.example.com", true)]
    [InlineData("a.b.example.com", false)]
    [InlineData("example.com", false)]
    public void Leftmost_wildcard_matches_one_label(string name, bool ok)
    {
        var leaf = TestPki.CreateLeaf(Intermediate, new TestPki.LeafOptions { Dns = new[] { "*.example.com" } });
        Validate(leaf, IkeIdentity.Fqdn(name)).IsValid.Should().Be(ok);
    }

    [Theory]
    [InlineData("192.0.2.10", true)]
    [InlineData("192.0.2.11", false)]
    [InlineData("2001:db8::10", true)]
    [InlineData("2001:db8::11", false)]
    public void Ip_identity_against_ip_addresses(string ip, bool ok)
    {
        var leaf = TestPki.CreateLeaf(Intermediate, new TestPki.LeafOptions { Ips = new[] { IPAddress.Parse("192.0.2.10"), IPAddress.Parse("2001:db8::10") } });
        var result = Validate(leaf, IkeIdentity.FromAddress(IPAddress.Parse(ip)));
        if (ok) result.IsValid.Should().BeTrue(result.Error?.Message);
        else result.Error!.Kind.Should().Be(CertificateValidationErrorKind.IdentityMismatch);
    }

    [Theory]
    [InlineData("gateway@example.com", true)]
    [InlineData("Gateway@Example.com", true)]
    [InlineData("someone@example.com", false)]
    public void Email_identity_against_rfc822_names(string mail, bool ok)
    {
        var leaf = TestPki.CreateLeaf(Intermediate, new TestPki.LeafOptions { Emails = new[] { "gateway@example.com" } });
        var result = Validate(leaf, IkeIdentity.Email(mail));
        if (ok) result.IsValid.Should().BeTrue(result.Error?.Message);
        else result.Error!.Kind.Should().Be(CertificateValidationErrorKind.IdentityMismatch);
    }

    [Theory]
    [InlineData("CN=vpn.example.com, O=Test", true)]
    [InlineData("CN=vpn.example.com, O=Other", false)]
    [InlineData("O=Test, CN=vpn.example.com", false)]
    public void Dn_identity_against_subject(string dn, bool ok)
    {
        var result = Validate(TestPki.CreateLeaf(Intermediate), IkeIdentity.DistinguishedName(dn));
        if (ok) result.IsValid.Should().BeTrue(result.Error?.Message);
        else result.Error!.Kind.Should().Be(CertificateValidationErrorKind.IdentityMismatch);
    }

    [Fact]
    public void Dn_comparison_ignores_string_type_and_case()
    {
        // PrintableString vs UTF8String and different case: the same name.
        var a = new X500DistinguishedName("CN=VPN.example.com, O=Test").RawData;
        var b = Org.BouncyCastle.Asn1.X509.X509Name.GetInstance(Org.BouncyCastle.Asn1.Asn1Object.FromByteArray(
            new Org.BouncyCastle.Asn1.X509.X509Name("O=test,CN=vpn.example.com").GetDerEncoded())).GetDerEncoded();
        CertificateIdentity.DnEquals(a, b).Should().BeTrue();
    }

    [Fact]
    public void No_remote_identity_in_profile_accepts_and_reports_the_certificate_identity()
    {
        var result = Validator().Validate(TestPki.CreateLeaf(Intermediate), new[] { Intermediate }, presentedIdentity: null, configuredIdentity: null);
        result.IsValid.Should().BeTrue();
        result.IdentityAcceptedWithoutProfileMatch.Should().BeTrue();
        result.CertificateIdentity.Should().Be("CN=vpn.example.com, O=Test; DNS:vpn.example.com");
    }

    [Fact]
    public void Presented_identity_must_be_in_the_certificate_even_without_profile_identity()
    {
        var result = Validator().Validate(TestPki.CreateLeaf(Intermediate), new[] { Intermediate }, IkeIdentity.Fqdn("evil.example.net"), null);
        result.Error!.Kind.Should().Be(CertificateValidationErrorKind.IdentityMismatch);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData(new[] { "2.5.29.37.0" }, true)]
    [InlineData(new[] { "1.3.6.1.5.5.7.3.1" }, true)]
    [InlineData(new[] { "1.3.6.1.5.5.7.3.17" }, true)]
    [InlineData(new[] { "1.3.6.1.5.5.7.3.2", "1.3.6.1.5.5.7.3.17" }, true)]
    [InlineData(new[] { "1.3.6.1.5.5.7.3.2" }, false)]
    [InlineData(new[] { "1.3.6.1.5.5.7.3.3" }, false)]
    public void Extended_key_usage_per_rfc4945(string[]? ekus, bool ok)
    {
        var leaf = TestPki.CreateLeaf(Intermediate, new TestPki.LeafOptions { Ekus = ekus });
        var result = Validate(leaf, Gateway);
        if (ok) result.IsValid.Should().BeTrue(result.Error?.Message);
        else result.Error!.Kind.Should().Be(CertificateValidationErrorKind.BadKeyUsage);
    }

    [Theory]
    [InlineData(X509KeyUsageFlags.DigitalSignature, true)]
    [InlineData(X509KeyUsageFlags.NonRepudiation, true)]
    [InlineData(X509KeyUsageFlags.KeyEncipherment, false)]
    [InlineData(X509KeyUsageFlags.KeyAgreement, false)]
    public void Key_usage_needs_digital_signature_or_non_repudiation(X509KeyUsageFlags usage, bool ok)
    {
        // An EC key with only keyAgreement is an ECDH key to .NET, so these cases use RSA.
        var leaf = TestPki.CreateLeaf(Intermediate, new TestPki.LeafOptions { KeyUsage = usage }, System.Security.Cryptography.RSA.Create(2048));
        var result = Validate(leaf, Gateway);
        if (ok) result.IsValid.Should().BeTrue(result.Error?.Message);
        else result.Error!.Kind.Should().Be(CertificateValidationErrorKind.BadKeyUsage);
    }

    [Fact]
    public void Strict_revocation_without_answer_fails_with_revocation_unknown()
    {
        // A CRL distribution point nobody answers for (offline test machine / closed port).
        var leaf = TestPki.CreateLeaf(Intermediate, new TestPki.LeafOptions { CrlUrl = "http://127.0.0.1:9/test.crl" });
        var result = Validate(leaf, Gateway, Validator(RevocationCheck.Strict));
        result.Error!.Kind.Should().Be(CertificateValidationErrorKind.RevocationUnknown);
        result.Error.Message.Should().Contain("revocation status").And.Contain("unknown");
    }

    [Fact]
    public void Best_effort_revocation_without_answer_passes_with_a_warning()
    {
        var leaf = TestPki.CreateLeaf(Intermediate, new TestPki.LeafOptions { CrlUrl = "http://127.0.0.1:9/test.crl" });
        var result = Validate(leaf, Gateway, Validator(RevocationCheck.BestEffort));
        result.IsValid.Should().BeTrue(result.Error?.Message);
        result.Warnings.Should().ContainSingle().Which.Should().Contain("best-effort");
    }

    [Fact]
    public void Malformed_and_missing_certificates_are_typed()
    {
        var v = Validator();
        v.Validate(new[] { new CertPayload(CertEncoding.X509Signature, new byte[] { 0x30, 0x03, 0x01 }) }, Gateway, Gateway)
            .Error!.Kind.Should().Be(CertificateValidationErrorKind.Malformed);
        v.Validate(Array.Empty<CertPayload>(), Gateway, Gateway).Error!.Kind.Should().Be(CertificateValidationErrorKind.Malformed);
        v.Validate(new[] { new CertPayload(CertEncoding.HashAndUrlX509, new byte[40]) }, Gateway, Gateway)
            .Error!.Kind.Should().Be(CertificateValidationErrorKind.Malformed);
    }

    [Fact]
    public void Random_cert_payload_bytes_never_throw()
    {
        var rnd = new Random(11);
        var v = Validator();
        for (int i = 0; i < 200; i++)
        {
            var data = TestPki.CreateLeafBytesCache.ToArray();
            for (int k = 0; k < 3; k++) data[rnd.Next(data.Length)] ^= (byte)rnd.Next(1, 256);
            var r = v.Validate(new[] { new CertPayload(CertEncoding.X509Signature, data) }, Gateway, Gateway);
            r.IsValid.Should().BeFalse();
        }
    }
}
