using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ikev2Client.Tests.Auth;

/// <summary>Builds CA, intermediate and end-entity certificates with .NET's CertificateRequest for the auth tests.</summary>
internal static class TestPki
{
    public static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public static X509Certificate2 CreateCa(string name, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null, X509Certificate2? issuer = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest($"CN={name}, O=Test", key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        var nb = notBefore ?? Now.AddYears(-5);
        var na = notAfter ?? Now.AddYears(5);
        if (issuer == null) return req.CreateSelfSigned(nb, na);
        using var cert = Sign(req, issuer, nb, na);
        return cert.CopyWithPrivateKey(key);
    }

    public sealed class LeafOptions
    {
        public string Subject { get; init; } = "CN=vpn.example.com, O=Test";
        public string[] Dns { get; init; } = { "vpn.example.com" };
        public IPAddress[] Ips { get; init; } = Array.Empty<IPAddress>();
        public string[] Emails { get; init; } = Array.Empty<string>();
        public string[]? Ekus { get; init; } = { "1.3.6.1.5.5.7.3.1" };
        public X509KeyUsageFlags? KeyUsage { get; init; } = X509KeyUsageFlags.DigitalSignature;
        public DateTimeOffset NotBefore { get; init; } = Now.AddYears(-1);
        public DateTimeOffset NotAfter { get; init; } = Now.AddYears(1);
        public string? CrlUrl { get; init; }
    }

    public static X509Certificate2 CreateLeaf(X509Certificate2 issuer, LeafOptions? options = null, AsymmetricAlgorithm? key = null)
    {
        options ??= new LeafOptions();
        key ??= ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = key switch
        {
            RSA rsa => new CertificateRequest(options.Subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            ECDsa ec => new CertificateRequest(options.Subject, ec, HashAlgorithmName.SHA256),
            _ => throw new ArgumentException("key"),
        };
        var san = new SubjectAlternativeNameBuilder();
        foreach (var d in options.Dns) san.AddDnsName(d);
        foreach (var ip in options.Ips) san.AddIpAddress(ip);
        foreach (var e in options.Emails) san.AddEmailAddress(e);
        if (options.Dns.Length + options.Ips.Length + options.Emails.Length > 0) req.CertificateExtensions.Add(san.Build());
        if (options.KeyUsage is { } ku) req.CertificateExtensions.Add(new X509KeyUsageExtension(ku, true));
        if (options.Ekus is { } ekus)
        {
            var col = new OidCollection();
            foreach (var e in ekus) col.Add(new Oid(e));
            req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(col, false));
        }
        if (options.CrlUrl != null)
            req.CertificateExtensions.Add(CertificateRevocationListBuilder.BuildCrlDistributionPointExtension(new[] { options.CrlUrl }));
        using var cert = Sign(req, issuer, options.NotBefore, options.NotAfter);
        return key switch
        {
            RSA rsa => cert.CopyWithPrivateKey(rsa),
            ECDsa ec => cert.CopyWithPrivateKey(ec),
            _ => throw new ArgumentException("key"),
        };
    }

    /// <summary>DER of one leaf certificate, for mutation tests.</summary>
    public static readonly byte[] CreateLeafBytesCache = CreateLeaf(CreateCa("Mutation CA")).RawData;

    /// <summary>Signs with the issuer's EC key without .NET's "inside the issuer's validity" check (to build expired CAs).</summary>
    private static X509Certificate2 Sign(CertificateRequest req, X509Certificate2 issuer, DateTimeOffset nb, DateTimeOffset na)
    {
        using var issuerKey = issuer.GetECDsaPrivateKey()!;
        req.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        return req.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey), nb, na, RandomSerial());
    }

    public static byte[] RandomSerial()
    {
        var s = RandomNumberGenerator.GetBytes(12);
        s[0] &= 0x7f;
        return s;
    }

    public static string Pem(string label, byte[] der) => new string(PemEncoding.Write(label, der));
}
