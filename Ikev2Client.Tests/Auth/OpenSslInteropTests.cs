using System.Security.Cryptography;
using System.Text;
using FluentAssertions;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Tests.Infrastructure;
using Xunit;

namespace Ikev2Client.Tests.Auth;

/// <summary>Signatures cross-checked with the openssl command line tool in both directions.</summary>
public sealed class OpenSslInteropTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ikev2-auth-ossl").FullName;
    private readonly byte[] _octets = Encoding.ASCII.GetBytes("IKE_SA_INIT request | Nr | prf(SK_pi, IDi) — openssl interop");

    public OpenSslInteropTests() => File.WriteAllBytes(P("data.bin"), _octets);

    private string P(string name) => Path.Combine(_dir, name);

    private ShellResult OpenSsl(params string[] args)
    {
        var r = Shell.Run("openssl", args);
        return r;
    }

    private void Ok(ShellResult r) => r.ExitCode.Should().Be(0, r.Output);

    [Theory]
    [InlineData(nameof(SignatureScheme.RsaPssSha256), "sha256", 32)]
    [InlineData(nameof(SignatureScheme.RsaPssSha384), "sha384", 48)]
    [InlineData(nameof(SignatureScheme.RsaPkcs1Sha512), "sha512", 0)]
    public void Our_rsa_signatures_verify_in_openssl(string schemeName, string hash, int salt)
    {
        var scheme = Enum.Parse<SignatureScheme>(schemeName);
        using var rsa = RSA.Create(2048);
        File.WriteAllText(P("pub.pem"), rsa.ExportSubjectPublicKeyInfoPem());
        using var key = IkeSigningKey.FromRsa(rsa);
        var auth = PublicKeyAuthenticator.CreateAuth(key, _octets, scheme, true);
        File.WriteAllBytes(P("sig.bin"), auth.Data[(1 + auth.Data[0])..]);
        var args = new List<string> { "dgst", "-" + hash, "-verify", P("pub.pem"), "-signature", P("sig.bin") };
        if (salt > 0) args.AddRange(new[] { "-sigopt", "rsa_padding_mode:pss", "-sigopt", $"rsa_pss_saltlen:{salt}", "-sigopt", $"rsa_mgf1_md:{hash}" });
        args.Add(P("data.bin"));
        var r = OpenSsl(args.ToArray());
        r.ExitCode.Should().Be(0, r.Output);
        r.StdOut.Should().Contain("Verified OK");
    }

    [Theory]
    [InlineData("prime256v1", "sha256", nameof(SignatureScheme.EcdsaSha256))]
    [InlineData("secp384r1", "sha384", nameof(SignatureScheme.EcdsaSha384))]
    [InlineData("secp521r1", "sha512", nameof(SignatureScheme.EcdsaSha512))]
    public void Openssl_ecdsa_der_signatures_verify_as_method_14(string curve, string hash, string schemeName)
    {
        var scheme = Enum.Parse<SignatureScheme>(schemeName);
        Ok(OpenSsl("ecparam", "-name", curve, "-genkey", "-noout", "-out", P("ec.pem")));
        Ok(OpenSsl("dgst", "-" + hash, "-sign", P("ec.pem"), "-out", P("sig.der"), P("data.bin")));
        Ok(OpenSsl("ec", "-in", P("ec.pem"), "-pubout", "-out", P("ecpub.pem")));
        using var ec = ECDsa.Create();
        ec.ImportFromPem(File.ReadAllText(P("ecpub.pem")));
        var key = IkeVerificationKey.FromEcParameters(ec.ExportParameters(false));
        var algId = AlgorithmIdentifiers.For(scheme);
        var data = new[] { (byte)algId.Length }.Concat(algId).Concat(File.ReadAllBytes(P("sig.der"))).ToArray();
        var result = PublicKeyAuthenticator.Verify(key, IkeAuthMethod.DigitalSignature, data, _octets);
        result.IsValid.Should().BeTrue(result.Message);
    }

    [Fact]
    public void Ed25519_both_directions()
    {
        Ok(OpenSsl("genpkey", "-algorithm", "ed25519", "-out", P("ed.pem")));
        Ok(OpenSsl("pkey", "-in", P("ed.pem"), "-pubout", "-out", P("edpub.pem")));
        Ok(OpenSsl("pkeyutl", "-sign", "-rawin", "-inkey", P("ed.pem"), "-in", P("data.bin"), "-out", P("ed.sig")));

        // openssl's signature verifies with our verifier (public key from the SPKI: the last 32 bytes).
        var spki = Convert.FromBase64String(string.Concat(File.ReadAllLines(P("edpub.pem")).Where(l => !l.StartsWith("-----"))));
        var pub = IkeVerificationKey.FromEd25519(spki[^32..]);
        var algId = AlgorithmIdentifiers.Ed25519;
        var data = new[] { (byte)algId.Length }.Concat(algId).Concat(File.ReadAllBytes(P("ed.sig"))).ToArray();
        PublicKeyAuthenticator.Verify(pub, IkeAuthMethod.DigitalSignature, data, _octets).IsValid.Should().BeTrue();

        // Our signature with the same private key verifies in openssl (Ed25519 is deterministic: identical bytes).
        var cred = ClientCredential.LoadPem(SelfSignedEd25519Pem(), File.ReadAllText(P("ed.pem")));
        cred.Error.Should().BeNull();
        var ours = PublicKeyAuthenticator.CreateAuth(cred.Credential!.SigningKey, _octets, SignatureScheme.Ed25519, true);
        var ourSig = ours.Data[(1 + ours.Data[0])..];
        ourSig.Should().Equal(File.ReadAllBytes(P("ed.sig")));
        File.WriteAllBytes(P("ours.sig"), ourSig);
        var r = OpenSsl("pkeyutl", "-verify", "-rawin", "-pubin", "-inkey", P("edpub.pem"), "-in", P("data.bin"), "-sigfile", P("ours.sig"));
        r.ExitCode.Should().Be(0, r.Output);
    }

    private string SelfSignedEd25519Pem()
    {
        Ok(OpenSsl("req", "-new", "-x509", "-key", P("ed.pem"), "-subj", "/CN=ed25519 client", "-days", "30", "-out", P("ed.crt")));
        return File.ReadAllText(P("ed.crt"));
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
