using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Auth;

/// <summary>
/// CERTREQ handling (RFC 7296 §3.7): the SHA-1 hash of a CA's SubjectPublicKeyInfo, the CERTREQ payload we
/// send for our trusted CAs, and the choice of which of our certificates to send for the peer's CERTREQ.
/// </summary>
internal static class CertificateRequests
{
    /// <summary>SHA-1 of the DER SubjectPublicKeyInfo of <paramref name="caCertificate"/>: the CERTREQ entry for that CA.</summary>
    public static byte[] CaKeyHash(X509Certificate2 caCertificate)
    {
        ArgumentNullException.ThrowIfNull(caCertificate);
        return SHA1.HashData(caCertificate.PublicKey.ExportSubjectPublicKeyInfo());
    }

    /// <summary>A CERTREQ payload (X.509 signature encoding) listing our trusted CAs, or null when there are none.</summary>
    public static CertReqPayload? BuildCertReq(IEnumerable<X509Certificate2> trustedCas)
    {
        var hashes = trustedCas.Select(CaKeyHash).ToList();
        if (hashes.Count == 0) return null;
        return new CertReqPayload(CertEncoding.X509Signature, hashes.SelectMany(h => h).ToArray());
    }

    /// <summary>The CA key hashes of all X.509 CERTREQ payloads the peer sent.</summary>
    public static IReadOnlyList<byte[]> RequestedCaHashes(IEnumerable<CertReqPayload> certReqs) =>
        certReqs.Where(c => c.Encoding == CertEncoding.X509Signature).SelectMany(c => c.KeyHashes).ToList();

    /// <summary>
    /// The certificates to send: our own first, then the intermediates up to (not including) a CA whose key
    /// hash the peer requested. With no request, or none that matches, our certificate and all intermediates
    /// (never a self-signed root, which the peer must already trust).
    /// </summary>
    public static IReadOnlyList<X509Certificate2> SelectChain(X509Certificate2 certificate, IReadOnlyList<X509Certificate2> chain, IReadOnlyList<byte[]> requestedCaHashes)
    {
        var result = new List<X509Certificate2> { certificate };
        var current = certificate;
        var remaining = chain.ToList();
        while (true)
        {
            if (requestedCaHashes.Count > 0 && IssuedByRequested(current, remaining, requestedCaHashes)) return result;
            var issuer = remaining.FirstOrDefault(c => c.SubjectName.RawData.AsSpan().SequenceEqual(current.IssuerName.RawData) && !ReferenceEquals(c, current));
            if (issuer == null || IsSelfSigned(issuer)) return result;
            result.Add(issuer);
            remaining.Remove(issuer);
            current = issuer;
        }
    }

    private static bool IssuedByRequested(X509Certificate2 cert, List<X509Certificate2> chain, IReadOnlyList<byte[]> hashes)
    {
        var issuer = chain.FirstOrDefault(c => c.SubjectName.RawData.AsSpan().SequenceEqual(cert.IssuerName.RawData));
        return issuer != null && hashes.Any(h => h.AsSpan().SequenceEqual(CaKeyHash(issuer)));
    }

    private static bool IsSelfSigned(X509Certificate2 c) => c.SubjectName.RawData.AsSpan().SequenceEqual(c.IssuerName.RawData);

    /// <summary>CERT payloads (X.509 signature encoding) for <paramref name="certificates"/>, in order.</summary>
    public static IReadOnlyList<CertPayload> ToCertPayloads(IEnumerable<X509Certificate2> certificates) =>
        certificates.Select(c => new CertPayload(CertEncoding.X509Signature, c.RawData)).ToList();
}
