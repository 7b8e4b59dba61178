using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FluentAssertions;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;
using Xunit;

namespace Ikev2Client.Tests.Auth;

public sealed class CredentialAndCertReqTests
{
    private static readonly X509Certificate2 Ca = TestPki.CreateCa("Client Root CA");
    private static readonly X509Certificate2 Intermediate = TestPki.CreateCa("Client Intermediate CA", issuer: Ca);

    [Fact]
    public void Ca_key_hash_is_sha1_of_subject_public_key_info()
    {
        // Independent computation: the SPKI is the certificate's tbsCertificate field 7 (with version [0]).
        var reader = new System.Formats.Asn1.AsnReader(Ca.RawData, System.Formats.Asn1.AsnEncodingRules.DER).ReadSequence().ReadSequence();
        reader.ReadEncodedValue(); // version
        reader.ReadEncodedValue(); // serial
        reader.ReadEncodedValue(); // signature
        reader.ReadEncodedValue(); // issuer
        reader.ReadEncodedValue(); // validity
        reader.ReadEncodedValue(); // subject
        var spki = reader.ReadEncodedValue().ToArray();
        CertificateRequests.CaKeyHash(Ca).Should().Equal(SHA1.HashData(spki));

        var certReq = CertificateRequests.BuildCertReq(new[] { Ca, Intermediate })!;
        certReq.Encoding.Should().Be(CertEncoding.X509Signature);
        certReq.KeyHashes.Should().HaveCount(2);
        CertificateRequests.RequestedCaHashes(new[] { certReq }).First().Should().Equal(SHA1.HashData(spki));
    }

    [Fact]
    public void Chain_selection_follows_the_peers_certreq()
    {
        var leaf = TestPki.CreateLeaf(Intermediate);
        var chain = new[] { Intermediate, Ca };
        // Peer trusts the intermediate: send only our certificate.
        CertificateRequests.SelectChain(leaf, chain, new[] { CertificateRequests.CaKeyHash(Intermediate) }).Should().Equal(leaf);
        // Peer trusts the root: send certificate and intermediate.
        CertificateRequests.SelectChain(leaf, chain, new[] { CertificateRequests.CaKeyHash(Ca) }).Should().Equal(leaf, Intermediate);
        // No CERTREQ: certificate and intermediates, never the self-signed root.
        CertificateRequests.SelectChain(leaf, chain, Array.Empty<byte[]>()).Should().Equal(leaf, Intermediate);
        // Unknown CA requested: same as no request.
        CertificateRequests.SelectChain(leaf, chain, new[] { new byte[20] }).Should().Equal(leaf, Intermediate);
    }

    [Fact]
    public void Pkcs12_with_password_loads_certificate_chain_and_key()
    {
        using var rsa = RSA.Create(2048);
        var leaf = TestPki.CreateLeaf(Intermediate, new TestPki.LeafOptions { Subject = "CN=alice" }, rsa);
        var pfx = new X509Certificate2Collection { leaf, Intermediate }.Export(X509ContentType.Pkcs12, "s3cret!")!;
        var result = ClientCredential.LoadPkcs12(pfx, "s3cret!");
        result.Error.Should().BeNull();
        using var cred = result.Credential!;
        cred.Certificate.Subject.Should().Be("CN=alice");
        cred.Chain.Select(c => c.Subject).Should().Contain(Intermediate.Subject);
        cred.SigningKey.KeyType.Should().Be(SigningKeyType.Rsa);
        var auth = PublicKeyAuthenticator.CreateAuth(cred.SigningKey, new byte[] { 1, 2, 3 }, null, false);
        IkeVerificationKey.TryFromCertificate(leaf, out var pub).Should().BeTrue();
        PublicKeyAuthenticator.Verify(pub!, auth, new byte[] { 1, 2, 3 }).IsValid.Should().BeTrue();
        cred.ToString().Should().Be("certificate \"CN=alice\" with Rsa 2048-bit private key");
        cred.GetCertPayloads(new[] { CertificateRequests.CaKeyHash(Ca) }).Select(p => p.Data).Should().BeEquivalentTo(new[] { leaf.RawData, Intermediate.RawData });
    }

    [Fact]
    public void Wrong_pkcs12_password_is_a_clear_error_without_the_password()
    {
        var leaf = TestPki.CreateLeaf(Intermediate);
        var pfx = leaf.Export(X509ContentType.Pkcs12, "right-password")!;
        var result = ClientCredential.LoadPkcs12(pfx, "wrong-password");
        result.Credential.Should().BeNull();
        result.Error!.Kind.Should().Be(CredentialErrorKind.WrongPassword);
        result.Error.Message.Should().Contain("password is wrong").And.NotContain("wrong-password").And.NotContain("right-password");
    }

    [Theory]
    [InlineData("rsa")]
    [InlineData("ec")]
    public void Pem_certificate_and_key(string kind)
    {
        AsymmetricAlgorithm key = kind == "rsa" ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var leaf = TestPki.CreateLeaf(Intermediate, null, key);
        var certPem = TestPki.Pem("CERTIFICATE", leaf.RawData) + "\n" + TestPki.Pem("CERTIFICATE", Intermediate.RawData);
        var keyPem = kind == "rsa" ? ((RSA)key).ExportRSAPrivateKeyPem() : ((ECDsa)key).ExportECPrivateKeyPem();
        var result = ClientCredential.LoadPem(certPem, keyPem);
        result.Error.Should().BeNull();
        result.Credential!.Chain.Should().ContainSingle();
        result.Credential.SigningKey.KeyType.Should().Be(kind == "rsa" ? SigningKeyType.Rsa : SigningKeyType.Ecdsa);

        // PKCS#8, encrypted with a password.
        var encrypted = new string(PemEncoding.Write("ENCRYPTED PRIVATE KEY", key.ExportEncryptedPkcs8PrivateKey("pw",
            new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 1000))));
        ClientCredential.LoadPem(certPem, encrypted, "pw").Error.Should().BeNull();
        var noPassword = ClientCredential.LoadPem(certPem, encrypted);
        noPassword.Error!.Kind.Should().Be(CredentialErrorKind.BadPrivateKey);
    }

    [Fact]
    public void Key_that_does_not_match_the_certificate_is_rejected()
    {
        using var rsa = RSA.Create(2048);
        var leaf = TestPki.CreateLeaf(Intermediate, null, rsa);
        using var other = RSA.Create(2048);
        var result = ClientCredential.LoadPem(TestPki.Pem("CERTIFICATE", leaf.RawData), other.ExportPkcs8PrivateKeyPem());
        result.Error!.Kind.Should().Be(CredentialErrorKind.KeyMismatch);
        result.Error.Message.Should().Contain("does not belong to the certificate");
        var keyPem = other.ExportPkcs8PrivateKeyPem();
        result.Error.Message.Should().NotContain(keyPem[40..80]);
    }

    [Fact]
    public void Garbage_pem_is_a_typed_error()
    {
        ClientCredential.LoadPem("nothing here", "nor here").Error!.Kind.Should().Be(CredentialErrorKind.NoCertificate);
        var leaf = TestPki.CreateLeaf(Intermediate);
        ClientCredential.LoadPem(TestPki.Pem("CERTIFICATE", leaf.RawData), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----")
            .Error!.Kind.Should().Be(CredentialErrorKind.BadPrivateKey);
    }
}
