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
