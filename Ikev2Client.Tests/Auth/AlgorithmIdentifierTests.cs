using FluentAssertions;
using Ikev2Client.Protocol.Auth;
using Xunit;

namespace Ikev2Client.Tests.Auth;

public sealed class AlgorithmIdentifierTests
{
    // The hex dumps of RFC 7427 Appendix A (A.1 RSA PKCS#1 v1.5, A.3 ECDSA, A.4.3 RSASSA-PSS with SHA-256)
    // and RFC 8420 §2 (Ed25519), written out as the RFCs print them.
    [Theory]
    [InlineData(nameof(SignatureScheme.RsaPkcs1Sha1), "300d 0609 2a86 4886 f70d 0101 0505 00")]
    [InlineData(nameof(SignatureScheme.RsaPkcs1Sha256), "300d 0609 2a86 4886 f70d 0101 0b05 00")]
    [InlineData(nameof(SignatureScheme.RsaPkcs1Sha384), "300d 0609 2a86 4886 f70d 0101 0c05 00")]
    [InlineData(nameof(SignatureScheme.RsaPkcs1Sha512), "300d 0609 2a86 4886 f70d 0101 0d05 00")]
    [InlineData(nameof(SignatureScheme.EcdsaSha256), "300a 0608 2a86 48ce 3d04 0302")]
    [InlineData(nameof(SignatureScheme.EcdsaSha384), "300a 0608 2a86 48ce 3d04 0303")]
    [InlineData(nameof(SignatureScheme.EcdsaSha512), "300a 0608 2a86 48ce 3d04 0304")]
    [InlineData(nameof(SignatureScheme.RsaPssSha256),
        "3046 0609 2a86 4886 f70d 0101 0a30 39a0 0f30 0d06 0960 8648 0165 0304 0201 0500 " +
        "a11c 301a 0609 2a86 4886 f70d 0101 0830 0d06 0960 8648 0165 0304 0201 0500 a203 0201 20a3 0302 0101")]
    [InlineData(nameof(SignatureScheme.Ed25519), "3005 0603 2b65 70")]
    public void Rfc7427_appendix_A_encodings_byte_for_byte(string schemeName, string rfcHex)
    {
        var scheme = Enum.Parse<SignatureScheme>(schemeName);
        var expected = Convert.FromHexString(rfcHex.Replace(" ", ""));
        AlgorithmIdentifiers.For(scheme).Should().Equal(expected);
        AlgorithmIdentifiers.TryParse(expected, out var parsed).Should().BeTrue();
        parsed.Should().Be(scheme);
    }

    [Theory]
    [InlineData(nameof(SignatureScheme.RsaPssSha384), "608648016503040202", 48)]
    [InlineData(nameof(SignatureScheme.RsaPssSha512), "608648016503040203", 64)]
    public void Pss_sha384_and_sha512_follow_the_A_4_3_structure(string schemeName, string hashOid, int salt)
    {
        var scheme = Enum.Parse<SignatureScheme>(schemeName);
        var der = AlgorithmIdentifiers.For(scheme);
        der.Length.Should().Be(72); // the same lengths as A.4.3 (SEQUENCE of 70 content bytes)
        var hex = Convert.ToHexString(der).ToLowerInvariant();
        hex.Should().StartWith("3046").And.EndWith($"a2030201{salt:x2}a303020101");
        hex.Split(hashOid).Length.Should().Be(3, "the hash OID appears in hashAlgorithm and in the MGF1 parameters");
        AlgorithmIdentifiers.TryParse(der, out var parsed).Should().BeTrue();
        parsed.Should().Be(scheme);
    }

    [Fact]
    public void Pss_without_trailer_field_and_rsa_without_null_are_accepted()
    {
        // As X.509 writes PSS parameters (DER omits the DEFAULT trailerField).
        var x509Style = Convert.FromHexString(
            "30410609 2a864886f70d01010a 3034 a00f300d0609608648016503040201 0500 a11c301a06092a864886f70d010108300d0609608648016503040201 0500 a203020120"
                .Replace(" ", ""));
        AlgorithmIdentifiers.TryParse(x509Style, out var s).Should().BeTrue();
        s.Should().Be(SignatureScheme.RsaPssSha256);
        AlgorithmIdentifiers.TryParse(Convert.FromHexString("300b06092a864886f70d01010b"), out s).Should().BeTrue();
        s.Should().Be(SignatureScheme.RsaPkcs1Sha256);
    }

    [Theory]
    [InlineData("")]
    [InlineData("30")]
    [InlineData("300506032b6571")] // Ed448
    [InlineData("300d06092a864886f70d0101040500")] // md5WithRSA
    [InlineData("3046060900")]
    public void Unknown_or_garbage_identifiers_are_rejected_without_throwing(string hex)
    {
        AlgorithmIdentifiers.TryParse(Convert.FromHexString(hex), out _).Should().BeFalse();
    }

    [Fact]
    public void Pss_with_a_salt_that_is_not_the_hash_length_is_rejected()
    {
        var der = AlgorithmIdentifiers.For(SignatureScheme.RsaPssSha256);
        der[^6] = 0x14; // salt 20
        AlgorithmIdentifiers.TryParse(der, out _).Should().BeFalse();
    }
}
