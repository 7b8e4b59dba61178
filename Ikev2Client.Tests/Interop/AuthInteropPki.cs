using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Tests.Infrastructure;

namespace Ikev2Client.Tests.Interop;

/// <summary>
/// Certificates for the authentication interop tests, made fresh by each test: a CA, the gateway's certificate
/// (files for the charon: x509ca/ca.crt, x509/gw.crt, private/gw.key) and our client credential. RSA and ECDSA
/// with .NET's CertificateRequest; Ed25519 with strongSwan's <c>pki</c> (.NET cannot create Ed25519 keys).
/// </summary>
internal sealed class AuthInteropPki
{
    public const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    public const string ClientAuth = "1.3.6.1.5.5.7.3.2";
    public const string IpsecIke = "1.3.6.1.5.5.7.3.17";

    private AuthInteropPki(X509Certificate2 ca, Dictionary<string, byte[]> files, ClientCredential? client)
    {
        Ca = ca;
        GatewayFiles = files;
        Client = client;
    }

    public X509Certificate2 Ca { get; }
    /// <summary>Files for <see cref="StrongSwanGateway.Start"/>.</summary>
    public Dictionary<string, byte[]> GatewayFiles { get; }
    /// <summary>Our certificate and key (for pubkey and EAP-TLS), issued by <see cref="Ca"/>.</summary>
    public ClientCredential? Client { get; }

    public static AsymmetricAlgorithm NewKey(string type) => type switch
    {
        "rsa" => RSA.Create(2048),
        "rsa3072" => RSA.Create(3072),
        "ecdsa256" => ECDsa.Create(ECCurve.NamedCurves.nistP256),
        "ecdsa384" => ECDsa.Create(ECCurve.NamedCurves.nistP384),
        _ => throw new ArgumentException($"unknown key type {type}"),
    };

    /// <summary>
    /// A CA with <paramref name="keyType"/> keys, a gateway certificate naming <paramref name="gatewayDns"/> valid until
    /// <paramref name="gatewayNotAfter"/>, and (with <paramref name="clientSubject"/>) a client certificate.
    /// </summary>
    public static AuthInteropPki Create(string keyType, string gatewayDns = SwanctlConfigs.GatewayId, DateTimeOffset? gatewayNotAfter = null,
        string? clientSubject = null, string[]? clientDns = null, string[]? clientEmails = null)
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = NewKey(keyType);
        var caReq = Request("CN=Interop Test CA, O=Ikev2Client", caKey);
        caReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caReq.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caReq.PublicKey, false));
        var ca = caReq.CreateSelfSigned(now.AddDays(-30), now.AddYears(5));

        var gwKey = NewKey(keyType);
        var notAfter = gatewayNotAfter ?? now.AddYears(1);
        var gw = Issue(ca, $"CN={gatewayDns}, O=Ikev2Client", gwKey, new[] { gatewayDns }, Array.Empty<string>(), new[] { ServerAuth, IpsecIke },
            notAfter < now ? notAfter.AddDays(-60) : now.AddDays(-1), notAfter);
        var files = new Dictionary<string, byte[]>
        {
            ["x509ca/ca.crt"] = Pem("CERTIFICATE", ca.RawData),
            ["x509/gw.crt"] = Pem("CERTIFICATE", gw.RawData),
            ["private/gw.key"] = Pem("PRIVATE KEY", ExportKey(gwKey)),
        };
        ClientCredential? client = null;
        if (clientSubject != null)
        {
            var key = NewKey(keyType);
            var cert = Issue(ca, clientSubject, key, clientDns ?? Array.Empty<string>(), clientEmails ?? Array.Empty<string>(), new[] { ClientAuth, IpsecIke },
                now.AddDays(-1), now.AddYears(1));
            var signing = key is RSA rsa ? IkeSigningKey.FromRsa(rsa) : IkeSigningKey.FromEcdsa((ECDsa)key);
            var result = ClientCredential.Create(cert, signing, new[] { ca });
            client = result.Credential ?? throw new InvalidOperationException(result.Error!.Message);
        }
        return new AuthInteropPki(X509CertificateLoader.LoadCertificate(ca.RawData), files, client);
    }

    /// <summary>Ed25519 CA, gateway and client certificates made with strongSwan's pki tool.</summary>
    public static AuthInteropPki CreateEd25519(string clientDns)
    {
        var dir = Directory.CreateTempSubdirectory("ikev2-ed25519-").FullName;
        try
        {
            string P(string name) => Path.Combine(dir, name);
            void Pki(string args) => Shell.ShOk($"pki {args}");
            Pki($"--gen --type ed25519 --outform pem > {P("ca.key")}");
            Pki($"--self --ca --lifetime 1000 --in {P("ca.key")} --type ed25519 --dn \"CN=Ed25519 Interop CA, O=Ikev2Client\" --outform pem > {P("ca.crt")}");
            Pki($"--gen --type ed25519 --outform pem > {P("gw.key")}");
            Pki($"--pub --in {P("gw.key")} --type priv | pki --issue --lifetime 365 --cacert {P("ca.crt")} --cakey {P("ca.key")} " +
                $"--dn \"CN={SwanctlConfigs.GatewayId}, O=Ikev2Client\" --san {SwanctlConfigs.GatewayId} --flag serverAuth --outform pem > {P("gw.crt")}");
            Pki($"--gen --type ed25519 --outform pem > {P("client.key")}");
            Pki($"--pub --in {P("client.key")} --type priv | pki --issue --lifetime 365 --cacert {P("ca.crt")} --cakey {P("ca.key")} " +
                $"--dn \"CN={clientDns}, O=Ikev2Client\" --san {clientDns} --flag clientAuth --outform pem > {P("client.crt")}");
            var files = new Dictionary<string, byte[]>
            {
                ["x509ca/ca.crt"] = File.ReadAllBytes(P("ca.crt")),
                ["x509/gw.crt"] = File.ReadAllBytes(P("gw.crt")),
                ["private/gw.key"] = File.ReadAllBytes(P("gw.key")),
            };
            var result = ClientCredential.LoadPem(File.ReadAllText(P("client.crt")), File.ReadAllText(P("client.key")));
            var client = result.Credential ?? throw new InvalidOperationException(result.Error!.Message);
            return new AuthInteropPki(X509CertificateLoader.LoadCertificate(PemToDer(File.ReadAllText(P("ca.crt")))), files, client);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    private static CertificateRequest Request(string subject, AsymmetricAlgorithm key) => key switch
    {
        RSA rsa => new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        ECDsa ec => new CertificateRequest(subject, ec, ec.KeySize > 256 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256),
        _ => throw new ArgumentException("key"),
    };

    private static X509Certificate2 Issue(X509Certificate2 ca, string subject, AsymmetricAlgorithm key, string[] dns, string[] emails, string[] ekus,
        DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var req = Request(subject, key);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var d in dns) san.AddDnsName(d);
        foreach (var e in emails) san.AddEmailAddress(e);
        if (dns.Length + emails.Length > 0) req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        var oids = new OidCollection();
        foreach (var e in ekus) oids.Add(new Oid(e));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, false));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        req.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var serial = new byte[12];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7f;
        var generator = ca.GetECDsaPrivateKey() is { } caEc ? X509SignatureGenerator.CreateForECDsa(caEc)
            : X509SignatureGenerator.CreateForRSA(ca.GetRSAPrivateKey()!, RSASignaturePadding.Pkcs1);
        return req.Create(ca.SubjectName, generator, notBefore, notAfter, serial);
    }

    private static byte[] ExportKey(AsymmetricAlgorithm key) => key switch
    {
        RSA rsa => rsa.ExportPkcs8PrivateKey(),
        ECDsa ec => ec.ExportPkcs8PrivateKey(),
        _ => throw new ArgumentException("key"),
    };

    public static byte[] Pem(string label, byte[] der) => Encoding.ASCII.GetBytes(new string(PemEncoding.Write(label, der)) + "\n");

    private static byte[] PemToDer(string pem)
    {
        var fields = PemEncoding.Find(pem);
        return Convert.FromBase64String(pem[fields.Base64Data]);
    }

    /// <summary>Validation options that trust only <paramref name="ca"/>.</summary>
    public static CertificateValidationOptions Trusting(X509Certificate2 ca) => new() { TrustedCertificateAuthorities = new[] { ca } };
}
