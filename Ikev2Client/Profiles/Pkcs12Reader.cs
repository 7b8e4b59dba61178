using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ikev2Client.Profiles;

/// <summary>Opens PKCS#12 bundles without persisting keys.</summary>
internal static class Pkcs12Reader
{
    /// <summary>The certificate that has a private key (the user's), without the key; null if unreadable.</summary>
    public static X509Certificate2? TryLeafCertificate(byte[] pkcs12, string password)
    {
        try
        {
            var all = X509CertificateLoader.LoadPkcs12Collection(pkcs12, password, X509KeyStorageFlags.EphemeralKeySet);
            var leaf = all.FirstOrDefault(c => c.HasPrivateKey) ?? (all.Count > 0 ? all[0] : null);
            var result = leaf is null ? null : X509CertificateLoader.LoadCertificate(leaf.RawData);
            foreach (var c in all) c.Dispose();
            return result;
        }
        catch (CryptographicException)
        {
            return null;
        }
    }
}
