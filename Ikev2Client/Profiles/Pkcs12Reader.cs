using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ikev2Client.Profiles;

/// <summary>
/// Checks and opens PKCS#12 bundles (RFC 7292) without persisting keys. <see cref="CheckStructure"/> needs no
/// password: it walks the PFX, the authenticated safe, every content and every plaintext bag with
/// <see cref="AsnReader"/>, so random, truncated or damaged data is refused at import. What it cannot see without
/// the password (the encrypted bags and the MAC over them) <see cref="Open"/> checks when one is given.
/// </summary>
internal static class Pkcs12Reader
{
    private const string Data = "1.2.840.113549.1.7.1";
    private const string SignedData = "1.2.840.113549.1.7.2";
    private const string EnvelopedData = "1.2.840.113549.1.7.3";
    private const string EncryptedData = "1.2.840.113549.1.7.6";
    private const string BagPrefix = "1.2.840.113549.1.12.10.1.";

    /// <summary>MAC key-derivation iterations accepted (.NET's <see cref="Pkcs12LoaderLimits.Defaults"/> uses the same).</summary>
    public const int MaxMacIterations = 300_000;

    private static readonly Asn1Tag Explicit0 = new(TagClass.ContextSpecific, 0, isConstructed: true);

    /// <summary>Null when the bytes have the shape of a PKCS#12 PFX, else why not (one phrase, no content).</summary>
    public static string? CheckStructure(byte[] pfx)
    {
        if (pfx.Length > ProfileLimits.MaxPkcs12Bytes) return $"is {pfx.Length} bytes; the limit is {ProfileLimits.MaxPkcs12Bytes} bytes";
        if (pfx.Length == 0) return "is empty";
        try
        {
            var outer = new AsnReader(pfx, AsnEncodingRules.BER);
            var seq = outer.ReadSequence();
            if (outer.HasData) return "is not a PKCS#12: it has data after the PFX structure";
            if (!seq.TryReadInt32(out var version) || version != 3) return "is not a PKCS#12 (the PFX version is not 3)";
            var authSafe = seq.ReadSequence();
            var type = authSafe.ReadObjectIdentifier();
            if (type == SignedData) return "uses public-key integrity (SignedData), which is not supported; use a password-protected PKCS#12";
            if (type != Data) return "is not a PKCS#12 (the authenticated safe is not Data)";
            var content = authSafe.ReadSequence(Explicit0).ReadOctetString();
            if (authSafe.HasData) return "is not a PKCS#12 (extra data in the authenticated safe)";
            var safes = ReadWhole(content).ReadSequence();
            int count = 0;
            while (safes.HasData)
            {
                count++;
                if (CheckContentInfo(safes.ReadSequence()) is { } problem) return problem;
            }
            if (count == 0) return "holds nothing (an empty authenticated safe)";
            if (seq.HasData)
            {
                var mac = seq.ReadSequence();
                var digestInfo = mac.ReadSequence();
                var digestAlgorithm = digestInfo.ReadSequence();
                digestAlgorithm.ReadObjectIdentifier();
                if (digestAlgorithm.HasData) digestAlgorithm.ReadNull(); // hash parameters are absent or NULL (RFC 5754)
                if (digestAlgorithm.HasData) return "is not a PKCS#12 (a malformed MAC algorithm)";
                digestInfo.ReadOctetString();
                if (digestInfo.HasData) return "is not a PKCS#12 (a malformed MAC)";
                mac.ReadOctetString(); // salt
                if (mac.HasData)
                {
                    if (!mac.TryReadInt32(out var iterations) || iterations < 1) return "is not a PKCS#12 (a malformed MAC iteration count)";
                    if (iterations > MaxMacIterations) return $"its MAC uses {iterations} key-derivation iterations; the limit is {MaxMacIterations}";
                }
                if (mac.HasData) return "is not a PKCS#12 (a malformed MAC)";
            }
            if (seq.HasData) return "is not a PKCS#12 (extra data after the MAC)";
            return null;
        }
        catch (AsnContentException)
        {
            return "is not a PKCS#12 (damaged or truncated DER)";
        }
    }

    /// <summary>
    /// Opens the PKCS#12 with <paramref name="password"/> (MAC checked, bags decrypted, within .NET's loader limits)
    /// and returns the certificate that has a private key, without the key; on failure null and why.
    /// </summary>
    public static X509Certificate2? Open(byte[] pfx, string password, out string? error)
    {
        error = CheckStructure(pfx);
        if (error is not null) return null;
        X509Certificate2Collection all;
        try { all = X509CertificateLoader.LoadPkcs12Collection(pfx, password, X509KeyStorageFlags.EphemeralKeySet, Pkcs12LoaderLimits.Defaults); }
        catch (Pkcs12LoadLimitExceededException e)
        {
            error = $"exceeds a PKCS#12 loading limit ({e.Message.TrimEnd('.')})";
            return null;
        }
        catch (CryptographicException)
        {
            error = "the password does not open it, or it is damaged (the integrity check failed)";
            return null;
        }
        try
        {
            var leaf = all.FirstOrDefault(c => c.HasPrivateKey);
            if (leaf is null)
            {
                error = "holds no certificate with its private key";
                return null;
            }
            return X509CertificateLoader.LoadCertificate(leaf.RawData);
        }
        finally
        {
            foreach (var c in all) c.Dispose();
        }
    }

    /// <summary>The certificate that has a private key (the user's), without the key; null if it can't be opened.</summary>
    public static X509Certificate2? TryLeafCertificate(byte[] pkcs12, string password) => Open(pkcs12, password, out _);

    private static string? CheckContentInfo(AsnReader contentInfo)
    {
        var type = contentInfo.ReadObjectIdentifier();
        switch (type)
        {
            case Data:
            {
                var bags = ReadWhole(contentInfo.ReadSequence(Explicit0).ReadOctetString()).ReadSequence();
                while (bags.HasData)
                    if (CheckBag(bags.ReadSequence()) is { } problem) return problem;
                break;
            }
            case EncryptedData:
            {
                var encrypted = contentInfo.ReadSequence(Explicit0).ReadSequence();
                encrypted.ReadInteger(); // version
                var info = encrypted.ReadSequence();
                info.ReadObjectIdentifier();
                info.ReadSequence(); // contentEncryptionAlgorithm
                if (info.HasData) info.ReadOctetString(new Asn1Tag(TagClass.ContextSpecific, 0));
                if (info.HasData) return "is not a PKCS#12 (malformed encrypted content)";
                break;
            }
            case EnvelopedData:
                return "uses public-key privacy (EnvelopedData), which is not supported; use a password-protected PKCS#12";
            default:
                return "is not a PKCS#12 (an unknown content type in the authenticated safe)";
        }
        return contentInfo.HasData ? "is not a PKCS#12 (extra data in a content)" : null;
    }

    private static string? CheckBag(AsnReader bag)
    {
        var id = bag.ReadObjectIdentifier();
        if (!id.StartsWith(BagPrefix, StringComparison.Ordinal) || id.Length != BagPrefix.Length + 1 || id[^1] is < '1' or > '6')
            return "is not a PKCS#12 (an unknown bag type)";
        bag.ReadSequence(Explicit0);
        if (bag.HasData) bag.ReadSetOf();
        return bag.HasData ? "is not a PKCS#12 (extra data in a bag)" : null;
    }

    /// <summary>A reader over <paramref name="der"/> that must hold exactly one value.</summary>
    private static AsnReader ReadWhole(byte[] der)
    {
        var reader = new AsnReader(der, AsnEncodingRules.BER);
        var inner = new AsnReader(reader.ReadEncodedValue(), AsnEncodingRules.BER);
        if (reader.HasData) throw new AsnContentException("trailing data");
        return inner;
    }
}
