using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ikev2Client.Protocol.Wire.Payloads;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;

namespace Ikev2Client.Protocol.Auth;

/// <summary>
/// Our certificate, its chain and its private key, loaded from PKCS#12 or PEM held in memory (the caller reads the files). The private key and any
/// password never appear in <see cref="ToString"/>, in errors or in logs.
/// </summary>
public sealed class ClientCredential : IDisposable
{
    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const string EcOid = "1.2.840.10045.2.1";

    private ClientCredential(X509Certificate2 certificate, IReadOnlyList<X509Certificate2> chain, IkeSigningKey key)
    {
        Certificate = certificate;
        Chain = chain;
        SigningKey = key;
    }

    /// <summary>Our end-entity certificate.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Intermediate (and possibly root) certificates that came with it.</summary>
    public IReadOnlyList<X509Certificate2> Chain { get; }

    /// <summary>The private key matching <see cref="Certificate"/>.</summary>
    public IkeSigningKey SigningKey { get; }

    /// <summary>Builds a credential from parts already in memory; the key must match the certificate.</summary>
    public static CredentialLoadResult Create(X509Certificate2 certificate, IkeSigningKey key, IReadOnlyList<X509Certificate2>? chain = null)
    {
        if (!IkeVerificationKey.TryFromCertificate(certificate, out var certKey))
            return Fail(CredentialErrorKind.UnsupportedKey, $"the certificate \"{certificate.Subject}\" holds a key type IKE cannot use here (RSA, ECDSA and Ed25519 are supported)");
        if (!certKey!.SameKeyAs(key.PublicKey))
            return Fail(CredentialErrorKind.KeyMismatch, $"the private key does not belong to the certificate \"{certificate.Subject}\"; make sure the key and certificate files are a pair");
        return new CredentialLoadResult(new ClientCredential(certificate, chain ?? Array.Empty<X509Certificate2>(), key), null);
    }

    /// <summary>Loads PKCS#12 (.p12/.pfx) bytes: the certificate with a private key, and the other certificates as chain.</summary>
    public static CredentialLoadResult LoadPkcs12(byte[] data, string? password)
    {
        X509Certificate2Collection collection;
        try
        {
            collection = X509CertificateLoader.LoadPkcs12Collection(data, password,
                X509KeyStorageFlags.EphemeralKeySet | X509KeyStorageFlags.Exportable);
        }
        catch (CryptographicException)
        {
            // .NET cannot import every key type (Ed25519); BouncyCastle reads those, and tells a wrong password apart.
            return LoadPkcs12WithBouncyCastle(data, password);
        }
        var withKey = collection.FirstOrDefault(c => c.HasPrivateKey);
        if (withKey == null) return LoadPkcs12WithBouncyCastle(data, password);
        var chain = collection.Where(c => !ReferenceEquals(c, withKey)).ToList();
        IkeSigningKey key;
        switch (withKey.PublicKey.Oid.Value)
        {
            case RsaOid: key = IkeSigningKey.FromRsa(withKey.GetRSAPrivateKey()!); break;
            case EcOid:
                var ec = withKey.GetECDsaPrivateKey()!;
                if (ec.KeySize is not (256 or 384 or 521))
                    return Fail(CredentialErrorKind.UnsupportedKey, $"the certificate's EC key is on a {ec.KeySize}-bit curve; IKE supports P-256, P-384 and P-521");
                key = IkeSigningKey.FromEcdsa(ec);
                break;
            default: return LoadPkcs12WithBouncyCastle(data, password);
        }
        return Create(withKey, key, chain);
    }

    private static CredentialLoadResult LoadPkcs12WithBouncyCastle(byte[] data, string? password)
    {
        Pkcs12Store store;
        try
        {
            store = new Pkcs12StoreBuilder().Build();
            store.Load(new MemoryStream(data), (password ?? "").ToCharArray());
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidCastException or Org.BouncyCastle.Security.SecurityUtilityException or
                                      Org.BouncyCastle.Crypto.CryptoException or InvalidOperationException)
        {
            return Fail(CredentialErrorKind.WrongPassword, "the PKCS#12 file could not be opened: the password is wrong or the file is damaged");
        }
        foreach (string alias in store.Aliases)
        {
            if (!store.IsKeyEntry(alias)) continue;
            var keyEntry = store.GetKey(alias).Key;
            var certs = store.GetCertificateChain(alias)?.Select(e => X509CertificateLoader.LoadCertificate(e.Certificate.GetEncoded())).ToList();
            if (certs == null || certs.Count == 0) continue;
            if (keyEntry is Ed25519PrivateKeyParameters ed)
                return Create(certs[0], IkeSigningKey.FromEd25519(ed), certs.Skip(1).ToList());
            return Fail(CredentialErrorKind.UnsupportedKey, "the PKCS#12 file's private key type is not supported for IKE");
        }
        return Fail(CredentialErrorKind.NoCertificate, "the PKCS#12 file holds no certificate with a private key");
    }

    /// <summary>Loads PEM text: certificate(s) (ours first, then chain) and the private key (PKCS#8, RSA, EC, Ed25519; encrypted PKCS#8 with <paramref name="keyPassword"/>).</summary>
    public static CredentialLoadResult LoadPem(string certificatePem, string privateKeyPem, string? keyPassword = null)
    {
        var certs = new List<X509Certificate2>();
        var text = certificatePem.AsSpan();
        while (PemEncoding.TryFind(text, out var fields))
        {
            if (text[fields.Label].SequenceEqual("CERTIFICATE"))
            {
                try { certs.Add(X509CertificateLoader.LoadCertificate(Convert.FromBase64String(text[fields.Base64Data].ToString()))); }
                catch (Exception e) when (e is CryptographicException or FormatException)
                {
                    return Fail(CredentialErrorKind.NoCertificate, "a certificate in the PEM file could not be parsed");
                }
            }
            text = text[fields.Location.End..];
        }
        if (certs.Count == 0) return Fail(CredentialErrorKind.NoCertificate, "the certificate file contains no PEM CERTIFICATE");
        var cert = certs[0];

        IkeSigningKey key;
        try
        {
            switch (cert.PublicKey.Oid.Value)
            {
                case RsaOid:
                {
                    var rsa = RSA.Create();
                    if (keyPassword != null) rsa.ImportFromEncryptedPem(privateKeyPem, keyPassword); else rsa.ImportFromPem(privateKeyPem);
                    key = IkeSigningKey.FromRsa(rsa);
                    break;
                }
                case EcOid:
                {
                    var ec = ECDsa.Create();
                    if (keyPassword != null) ec.ImportFromEncryptedPem(privateKeyPem, keyPassword); else ec.ImportFromPem(privateKeyPem);
                    key = IkeSigningKey.FromEcdsa(ec);
                    break;
                }
                case IkeVerificationKey.Ed25519Oid:
                    key = LoadEd25519Pem(privateKeyPem, keyPassword);
                    break;
                default:
                    return Fail(CredentialErrorKind.UnsupportedKey, $"the certificate's key type ({cert.PublicKey.Oid.FriendlyName ?? cert.PublicKey.Oid.Value}) is not supported for IKE");
            }
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or FormatException or IOException or InvalidCastException or
                                      Org.BouncyCastle.Crypto.CryptoException or SecurityUtilityException)
        {
            return Fail(CredentialErrorKind.BadPrivateKey,
                "the private key could not be read: it is not a PEM private key of the certificate's type, or it is encrypted and the password is missing or wrong");
        }
        return Create(cert, key, certs.Skip(1).ToList());
    }

    private static IkeSigningKey LoadEd25519Pem(string pem, string? password)
    {
        var text = pem.AsSpan();
        while (PemEncoding.TryFind(text, out var fields))
        {
            var label = text[fields.Label];
            var der = Convert.FromBase64String(text[fields.Base64Data].ToString());
            try
            {
                if (label.SequenceEqual("PRIVATE KEY"))
                    return FromBc(PrivateKeyFactory.CreateKey(der));
                if (label.SequenceEqual("ENCRYPTED PRIVATE KEY"))
                {
                    if (password == null) throw new CryptographicException("encrypted key without a password");
                    return FromBc(PrivateKeyFactory.DecryptKey(password.ToCharArray(), der));
                }
            }
            finally { CryptographicOperations.ZeroMemory(der); }
            text = text[fields.Location.End..];
        }
        throw new CryptographicException("no PKCS#8 private key found");
    }

    private static IkeSigningKey FromBc(Org.BouncyCastle.Crypto.AsymmetricKeyParameter key) =>
        key is Ed25519PrivateKeyParameters ed ? IkeSigningKey.FromEd25519(ed) : throw new CryptographicException("not an Ed25519 key");

    /// <summary>Our CERT payloads for the peer's CERTREQ hashes (see <see cref="CertificateRequests.SelectChain"/>).</summary>
    public IReadOnlyList<CertPayload> GetCertPayloads(IReadOnlyList<byte[]> requestedCaHashes) =>
        CertificateRequests.ToCertPayloads(CertificateRequests.SelectChain(Certificate, Chain, requestedCaHashes));

    private static CredentialLoadResult Fail(CredentialErrorKind kind, string message) => new(null, new CredentialError(kind, message));

    /// <summary>Disposes the private key.</summary>
    public void Dispose() => SigningKey.Dispose();

    /// <summary>The certificate's subject and the key type and size, never key material.</summary>
    public override string ToString() => $"certificate \"{Certificate.Subject}\" with {SigningKey}";
}

/// <summary>A loaded <see cref="ClientCredential"/> or the reason it could not be loaded.</summary>
public sealed record CredentialLoadResult(ClientCredential? Credential, CredentialError? Error)
{
    /// <summary>True when <see cref="Credential"/> was loaded.</summary>
    public bool IsSuccess => Credential != null;
}
