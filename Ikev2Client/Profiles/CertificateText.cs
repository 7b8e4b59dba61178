using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Ikev2Client.Profiles;

/// <summary>Lenient decoding of certificates and base64 the way real profile files carry them.</summary>
internal static class CertificateText
{
    /// <summary>Base64 with any whitespace (line breaks every N characters are common); null when invalid.</summary>
    public static byte[]? TryBase64(string? text)
    {
        if (text is null) return null;
        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
            if (!char.IsWhiteSpace(c)) sb.Append(c);
        if (sb.Length == 0) return null;
        var buffer = new byte[sb.Length * 3 / 4 + 3];
        return Convert.TryFromBase64String(sb.ToString(), buffer, out var n) ? buffer[..n] : null;
    }

    /// <summary>A certificate from DER or PEM bytes; null when neither.</summary>
    public static X509Certificate2? TryCertificate(byte[] data)
    {
        try
        {
            if (LooksLikePem(data))
                return X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(data));
            return X509CertificateLoader.LoadCertificate(data);
        }
        catch (CryptographicException) { return null; }
        catch (ArgumentException) { return null; }
    }

    /// <summary>A certificate from PEM text (or bare base64 of DER); null when invalid.</summary>
    public static X509Certificate2? TryCertificate(string text)
    {
        if (text.Contains("-----BEGIN", StringComparison.Ordinal)) return TryCertificate(Encoding.ASCII.GetBytes(text));
        return TryBase64(text) is { } der ? TryCertificate(der) : null;
    }

    /// <summary>True when the bytes start (after whitespace) with a PEM armour line.</summary>
    public static bool LooksLikePem(ReadOnlySpan<byte> data)
    {
        var i = 0;
        while (i < data.Length && data[i] is (byte)' ' or (byte)'\r' or (byte)'\n' or (byte)'\t') i++;
        return data[i..].StartsWith("-----BEGIN"u8);
    }

    /// <summary>
    /// Decoded base64 of at most <paramref name="maxBytes"/>; otherwise throws an import error naming
    /// <paramref name="what"/> (e.g. <c>.sswan: local.p12</c>).
    /// </summary>
    public static byte[] RequireBase64(string text, string what, int maxBytes)
    {
        if (text.Length / 4 * 3 > maxBytes + 3)
            throw new ProfileImportException($"{what} is about {text.Length / 4 * 3} bytes; the limit is {maxBytes} bytes");
        var bytes = TryBase64(text) ?? throw new ProfileImportException($"{what} is not valid base64");
        return bytes.Length <= maxBytes ? bytes : throw new ProfileImportException($"{what} is {bytes.Length} bytes; the limit is {maxBytes} bytes");
    }

    /// <summary>A certificate from DER or PEM bytes, at most <see cref="ProfileLimits.MaxCertificateBytes"/>; otherwise throws naming <paramref name="what"/>.</summary>
    public static X509Certificate2 RequireCertificate(byte[] data, string what)
    {
        if (data.Length > ProfileLimits.MaxCertificateBytes)
            throw new ProfileImportException($"{what} is {data.Length} bytes; the limit is {ProfileLimits.MaxCertificateBytes} bytes");
        return TryCertificate(data) ?? throw new ProfileImportException($"{what} is not a DER or PEM certificate");
    }

    /// <summary>A certificate from PEM text (or bare base64 of DER); otherwise throws naming <paramref name="what"/>.</summary>
    public static X509Certificate2 RequireCertificate(string text, string what)
    {
        if (text.Length > ProfileLimits.MaxCertificateBytes * 2)
            throw new ProfileImportException($"{what} is {text.Length} characters; the limit is {ProfileLimits.MaxCertificateBytes * 2}");
        return TryCertificate(text) ?? throw new ProfileImportException($"{what} is not a PEM certificate");
    }

    /// <summary>A PEM private key normalised to PKCS#8; otherwise throws naming <paramref name="what"/> and why.</summary>
    public static string RequirePrivateKey(string pem, string what)
    {
        if (pem.Length > ProfileLimits.MaxPrivateKeyChars)
            throw new ProfileImportException($"{what} is {pem.Length} characters; the limit is {ProfileLimits.MaxPrivateKeyChars}");
        if (pem.Contains("-----BEGIN ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal) || pem.Contains("Proc-Type: 4,ENCRYPTED", StringComparison.Ordinal))
            throw new ProfileImportException($"{what} is an encrypted PEM key; give it decrypted (it is stored in a file of mode 0600)");
        return TryNormalizePrivateKey(pem) ?? throw new ProfileImportException($"{what} is not a PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC)");
    }

    /// <summary>Reads a PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC) and re-exports it as PKCS#8 PEM; null when invalid.</summary>
    public static string? TryNormalizePrivateKey(string pem)
    {
        foreach (var make in new Func<AsymmetricAlgorithm>[] { RSA.Create, ECDsa.Create })
        {
            using var key = make();
            try
            {
                key.ImportFromPem(pem);
                return key.ExportPkcs8PrivateKeyPem();
            }
            catch (Exception e) when (e is CryptographicException or ArgumentException) { }
        }
        return null;
    }
}
