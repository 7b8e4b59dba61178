using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Ikev2Client.Protocol.Wire;

namespace Ikev2Client.Protocol.Auth;

/// <summary>
/// The names a certificate carries (subject DN and subjectAltName dNSName / iPAddress / rfc822Name) and the
/// matching of an IKE identity against them (RFC 4945 §3.1, §5.1.3.6).
/// </summary>
internal sealed class CertificateIdentity
{
    private const string SanOid = "2.5.29.17";
    private const string SkiOid = "2.5.29.14";

    public CertificateIdentity(X509Certificate2 certificate)
    {
        Subject = certificate.SubjectName;
        var dns = new List<string>();
        var ips = new List<IPAddress>();
        var emails = new List<string>();
        foreach (var ext in certificate.Extensions)
        {
            if (ext.Oid?.Value == SanOid) ReadGeneralNames(ext.RawData, dns, ips, emails);
            else if (ext.Oid?.Value == SkiOid && ext is X509SubjectKeyIdentifierExtension ski && ski.SubjectKeyIdentifier is { } hex)
                SubjectKeyIdentifier = Convert.FromHexString(hex);
        }
        DnsNames = dns;
        IpAddresses = ips;
        EmailAddresses = emails;
    }

    public X500DistinguishedName Subject { get; }
    public IReadOnlyList<string> DnsNames { get; }
    public IReadOnlyList<IPAddress> IpAddresses { get; }
    public IReadOnlyList<string> EmailAddresses { get; }
    public byte[]? SubjectKeyIdentifier { get; }

    /// <summary>Subject and alternative names for reports: <c>CN=vpn, O=Example; DNS:vpn.example.com; IP:192.0.2.1</c>.</summary>
    public string Describe()
    {
        var parts = new List<string> { Subject.Name };
        parts.AddRange(DnsNames.Select(d => "DNS:" + d));
        parts.AddRange(IpAddresses.Select(i => "IP:" + i));
        parts.AddRange(EmailAddresses.Select(e => "email:" + e));
        return string.Join("; ", parts);
    }

    /// <summary>True when the certificate names <paramref name="identity"/>.</summary>
    public bool Matches(IkeIdentity identity)
    {
        switch (identity.Type)
        {
            case IdType.Fqdn:
            {
                var name = Encoding.ASCII.GetString(identity.Data).TrimEnd('.');
                return DnsNames.Any(d => DnsMatches(d, name));
            }
            case IdType.Ipv4Addr or IdType.Ipv6Addr:
                return IpAddresses.Any(ip => ip.GetAddressBytes().AsSpan().SequenceEqual(identity.Data));
            case IdType.Rfc822Addr:
            {
                var mail = Encoding.ASCII.GetString(identity.Data);
                return EmailAddresses.Any(e => string.Equals(e, mail, StringComparison.OrdinalIgnoreCase));
            }
            case IdType.DerAsn1Dn:
                return DnEquals(Subject.RawData, identity.Data);
            case IdType.KeyId:
                return SubjectKeyIdentifier != null && SubjectKeyIdentifier.AsSpan().SequenceEqual(identity.Data);
            default:
                return false;
        }
    }

    /// <summary>Case-insensitive DNS name match; a leftmost "*" label matches exactly one label.</summary>
    public static bool DnsMatches(string pattern, string name)
    {
        pattern = pattern.TrimEnd('.');
        if (string.Equals(pattern, name, StringComparison.OrdinalIgnoreCase)) return true;
        if (!pattern.StartsWith("*.", StringComparison.Ordinal)) return false;
        var suffix = pattern[1..]; // ".example.com"
        if (suffix.Count(c => c == '.') < 2) return false; // no "*.com"
        int dot = name.IndexOf('.');
        return dot > 0 && string.Equals(name[dot..], suffix, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>DN equality: identical DER, or the same RDNs in the same order compared case-insensitively.</summary>
    public static bool DnEquals(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        if (a.SequenceEqual(b)) return true;
        try
        {
            var x = Org.BouncyCastle.Asn1.X509.X509Name.GetInstance(Org.BouncyCastle.Asn1.Asn1Object.FromByteArray(a.ToArray()));
            var y = Org.BouncyCastle.Asn1.X509.X509Name.GetInstance(Org.BouncyCastle.Asn1.Asn1Object.FromByteArray(b.ToArray()));
            return x.Equivalent(y, true);
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidCastException or FormatException)
        {
            return false;
        }
    }

    private static void ReadGeneralNames(byte[] der, List<string> dns, List<IPAddress> ips, List<string> emails)
    {
        try
        {
            var seq = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
            while (seq.HasData)
            {
                var tag = seq.PeekTag();
                if (tag.TagClass != TagClass.ContextSpecific) { seq.ReadEncodedValue(); continue; }
                switch (tag.TagValue)
                {
                    case 1: emails.Add(seq.ReadCharacterString(UniversalTagNumber.IA5String, new Asn1Tag(TagClass.ContextSpecific, 1))); break;
                    case 2: dns.Add(seq.ReadCharacterString(UniversalTagNumber.IA5String, new Asn1Tag(TagClass.ContextSpecific, 2))); break;
                    case 7:
                        var bytes = seq.ReadOctetString(new Asn1Tag(TagClass.ContextSpecific, 7));
                        if (bytes.Length is 4 or 16) ips.Add(new IPAddress(bytes));
                        break;
                    default: seq.ReadEncodedValue(); break;
                }
            }
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException or ArgumentException)
        {
            // A malformed SAN names nothing; the identity check then fails with IdentityMismatch.
        }
    }
}
