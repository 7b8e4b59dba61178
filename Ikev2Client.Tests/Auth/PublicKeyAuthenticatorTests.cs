using System.Security.Cryptography;
using System.Text;
using FluentAssertions;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;
using Xunit;

namespace Ikev2Client.Tests.Auth;

public sealed class PublicKeyAuthenticatorTests
{
    private static readonly byte[] Octets = Encoding.ASCII.GetBytes("RealMessage1 | NonceR | prf(SK_pi, IDi')");
    private static readonly ushort[] AllHashes = { 1, 2, 3, 4, 5 };

    private static IkeSigningKey Rsa() => IkeSigningKey.FromRsa(RSA.Create(2048));
    private static IkeSigningKey Ec(ECCurve curve) => IkeSigningKey.FromEcdsa(ECDsa.Create(curve));
    private static IkeSigningKey Ed() => IkeSigningKey.FromEd25519(RandomNumberGenerator.GetBytes(32));

    public static TheoryData<string, string> Schemes => new()
    {
        { "rsa", nameof(SignatureScheme.RsaPkcs1Sha256) }, { "rsa", nameof(SignatureScheme.RsaPkcs1Sha384) }, { "rsa", nameof(SignatureScheme.RsaPkcs1Sha512) },
        { "rsa", nameof(SignatureScheme.RsaPssSha256) }, { "rsa", nameof(SignatureScheme.RsaPssSha384) }, { "rsa", nameof(SignatureScheme.RsaPssSha512) },
        { "p256", nameof(SignatureScheme.EcdsaSha256) }, { "p384", nameof(SignatureScheme.EcdsaSha384) }, { "p521", nameof(SignatureScheme.EcdsaSha512) },
        { "p256", nameof(SignatureScheme.EcdsaSha512) }, { "ed25519", nameof(SignatureScheme.Ed25519) },
    };

    private static IkeSigningKey Key(string kind) => kind switch
    {
        "rsa" => Rsa(),
        "p256" => Ec(ECCurve.NamedCurves.nistP256),
        "p384" => Ec(ECCurve.NamedCurves.nistP384),
        "p521" => Ec(ECCurve.NamedCurves.nistP521),
        _ => Ed(),
    };

    [Theory]
    [MemberData(nameof(Schemes))]
    public void Method_14_round_trip_for_every_scheme(string kind, string schemeName)
    {
        var scheme = Enum.Parse<SignatureScheme>(schemeName);
        using var key = Key(kind);
        var auth = PublicKeyAuthenticator.CreateAuth(key, Octets, scheme, digitalSignatureMethod: true);
        auth.Method.Should().Be(IkeAuthMethod.DigitalSignature);
        var algId = AlgorithmIdentifiers.For(scheme);
        auth.Data[0].Should().Be((byte)algId.Length);
        auth.Data.AsSpan(1, algId.Length).ToArray().Should().Equal(algId);

        var ok = PublicKeyAuthenticator.Verify(key.PublicKey, auth, Octets, AllHashes);
        ok.IsValid.Should().BeTrue(ok.Message);
        ok.Scheme.Should().Be(scheme);

        var tampered = Octets.ToArray();
        tampered[3] ^= 1;
        var bad = PublicKeyAuthenticator.Verify(key.PublicKey, auth, tampered);
        bad.Failure.Should().Be(SignatureFailure.BadSignature);

        using var other = Key(kind);
        PublicKeyAuthenticator.Verify(other.PublicKey, auth, Octets).Failure.Should().Be(SignatureFailure.BadSignature);
    }

    [Theory]
    [InlineData("p256", IkeAuthMethod.EcdsaSha256P256, 64)]
    [InlineData("p384", IkeAuthMethod.EcdsaSha384P384, 96)]
    [InlineData("p521", IkeAuthMethod.EcdsaSha512P521, 132)]
    public void Classic_ecdsa_methods_use_fixed_size_r_s(string kind, IkeAuthMethod method, int length)
    {
        using var key = Key(kind);
        var auth = PublicKeyAuthenticator.CreateAuth(key, Octets, peerHashAlgorithms: null, useRsaPss: false);
        auth.Method.Should().Be(method);
        auth.Data.Length.Should().Be(length);
        PublicKeyAuthenticator.Verify(key.PublicKey, auth, Octets).IsValid.Should().BeTrue();
        PublicKeyAuthenticator.Verify(key.PublicKey, new AuthPayload(method, auth.Data[..^1]), Octets).Failure.Should().Be(SignatureFailure.Malformed);
    }

    [Fact]
    public void Method_9_with_a_p384_key_is_a_key_mismatch()
    {
        using var p256 = Key("p256");
        using var p384 = Key("p384");
        var auth = PublicKeyAuthenticator.CreateAuth(p256, Octets, null, false);
        PublicKeyAuthenticator.Verify(p384.PublicKey, auth, Octets).Failure.Should().Be(SignatureFailure.KeyMismatch);
        using var rsa = Rsa();
        PublicKeyAuthenticator.Verify(rsa.PublicKey, auth, Octets).Failure.Should().Be(SignatureFailure.KeyMismatch);
        var rsaAuth = PublicKeyAuthenticator.CreateAuth(rsa, Octets, AllHashes, false);
        PublicKeyAuthenticator.Verify(p256.PublicKey, rsaAuth, Octets).Failure.Should().Be(SignatureFailure.KeyMismatch);
    }

    [Fact]
    public void Method_1_rsa_sha1_is_verified()
    {
        using var rsa = RSA.Create(2048);
        var sig = rsa.SignData(Octets, HashAlgorithmName.SHA1, RSASignaturePadding.Pkcs1);
        var key = IkeVerificationKey.FromRsaParameters(rsa.ExportParameters(false));
        var result = PublicKeyAuthenticator.Verify(key, new AuthPayload(IkeAuthMethod.RsaDigitalSignature, sig), Octets);
        result.IsValid.Should().BeTrue();
        result.Scheme.Should().Be(SignatureScheme.RsaPkcs1Sha1);
        sig[10] ^= 0x40;
        PublicKeyAuthenticator.Verify(key, new AuthPayload(IkeAuthMethod.RsaDigitalSignature, sig), Octets).Failure.Should().Be(SignatureFailure.BadSignature);
    }

    [Fact]
    public void We_never_create_sha1_signatures()
    {
        using var rsa = Rsa();
        var act = () => PublicKeyAuthenticator.CreateAuth(rsa, Octets, SignatureScheme.RsaPkcs1Sha1, true);
        act.Should().Throw<ArgumentException>();
    }

    [Theory]
    [InlineData("rsa", null, false, nameof(SignatureScheme.RsaPkcs1Sha256), true)]
    [InlineData("rsa", new ushort[] { 4, 3 }, false, nameof(SignatureScheme.RsaPkcs1Sha384), true)]
    [InlineData("rsa", new ushort[] { 2, 4 }, true, nameof(SignatureScheme.RsaPssSha256), true)]
    [InlineData("rsa", new ushort[] { 4 }, true, nameof(SignatureScheme.RsaPssSha512), true)]
    [InlineData("p256", null, false, nameof(SignatureScheme.EcdsaSha256), false)]
    [InlineData("p384", new ushort[] { 2, 3, 4 }, false, nameof(SignatureScheme.EcdsaSha384), true)]
    [InlineData("p521", new ushort[] { 2 }, false, nameof(SignatureScheme.EcdsaSha256), true)]
    [InlineData("p384", new ushort[] { 5 }, false, nameof(SignatureScheme.EcdsaSha384), false)]
    [InlineData("ed25519", new ushort[] { 5 }, false, nameof(SignatureScheme.Ed25519), true)]
    public void Scheme_follows_key_peer_hashes_and_pss_flag(string kind, ushort[]? peer, bool pss, string expectedName, bool method14)
    {
        var expected = Enum.Parse<SignatureScheme>(expectedName);
        using var key = Key(kind);
        PublicKeyAuthenticator.ChooseScheme(key, peer, pss).Should().Be((expected, method14));
    }

    [Fact]
    public void Hash_not_offered_is_reported()
    {
        using var key = Rsa();
        var auth = PublicKeyAuthenticator.CreateAuth(key, Octets, SignatureScheme.RsaPkcs1Sha512, true);
        PublicKeyAuthenticator.Verify(key.PublicKey, auth, Octets, new ushort[] { 2 }).Failure.Should().Be(SignatureFailure.HashNotOffered);
    }

    [Theory]
    [InlineData("")]
    [InlineData("00")]
    [InlineData("0f300d06092a864886f70d01010b0500")] // identifier but no signature
    [InlineData("ff00")]
    [InlineData("07300506032b6570")]
    public void Malformed_method_14_data_is_a_typed_failure(string hex)
    {
        using var key = Ed();
        var result = PublicKeyAuthenticator.Verify(key.PublicKey, IkeAuthMethod.DigitalSignature, Convert.FromHexString(hex), Octets);
        result.IsValid.Should().BeFalse();
        result.Failure.Should().BeOneOf(SignatureFailure.Malformed, SignatureFailure.BadSignature);
    }

    [Fact]
    public void Unsupported_algorithm_and_method_are_typed()
    {
        using var key = Ed();
        var ed448 = Convert.FromHexString("07300506032b6571" + new string('0', 228));
        PublicKeyAuthenticator.Verify(key.PublicKey, IkeAuthMethod.DigitalSignature, ed448, Octets).Failure.Should().Be(SignatureFailure.UnsupportedAlgorithm);
        PublicKeyAuthenticator.Verify(key.PublicKey, IkeAuthMethod.DssDigitalSignature, new byte[40], Octets).Failure.Should().Be(SignatureFailure.UnsupportedMethod);
        PublicKeyAuthenticator.Verify(key.PublicKey, IkeAuthMethod.SharedKeyMessageIntegrityCode, new byte[32], Octets).Failure.Should().Be(SignatureFailure.UnsupportedMethod);
    }

    [Fact]
    public void Garbage_signatures_never_throw()
    {
        var rnd = new Random(7);
        using var rsa = Rsa();
        using var ec = Key("p256");
        using var ed = Ed();
        foreach (var key in new[] { rsa.PublicKey, ec.PublicKey, ed.PublicKey })
        foreach (var method in new[] { IkeAuthMethod.RsaDigitalSignature, IkeAuthMethod.EcdsaSha256P256, IkeAuthMethod.DigitalSignature })
            for (int i = 0; i < 50; i++)
            {
                var data = new byte[rnd.Next(0, 300)];
                rnd.NextBytes(data);
                if (method == IkeAuthMethod.DigitalSignature && data.Length > 20)
                {
                    var id = AlgorithmIdentifiers.For((SignatureScheme)rnd.Next(0, 11));
                    data[0] = (byte)id.Length;
                    if (data.Length > id.Length + 1) id.CopyTo(data, 1);
                }
                PublicKeyAuthenticator.Verify(key, method, data, Octets).IsValid.Should().BeFalse();
            }
    }

    [Fact]
    public void Private_keys_do_not_appear_in_ToString()
    {
        using var rsa = Rsa();
        rsa.ToString().Should().Be("Rsa 2048-bit private key");
        using var ed = IkeSigningKey.FromEd25519(Enumerable.Repeat((byte)0xAB, 32).ToArray());
        ed.ToString().Should().NotContain("AB").And.NotContain("ab");
    }
}
