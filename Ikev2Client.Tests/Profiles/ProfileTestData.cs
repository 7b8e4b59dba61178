using System.Security.Cryptography.X509Certificates;
using Ikev2Client.Profiles;

namespace Ikev2Client.Tests.Profiles;

internal static class ProfileTestData
{
    public static string Path(string name) => System.IO.Path.Combine(AppContext.BaseDirectory, "Fixtures", "profiles", name);
    public static byte[] Bytes(string name) => File.ReadAllBytes(Path(name));
    public static X509Certificate2 Ca => X509Certificate2.CreateFromPem(File.ReadAllText(Path("ca.pem")));
    public static X509Certificate2 User => X509Certificate2.CreateFromPem(File.ReadAllText(Path("user.pem")));
    public static string UserKeyPem => File.ReadAllText(Path("user.key"));

    public static string NewTempDir()
    {
        var dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "ikev2-profiles-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Every file under a directory with its bytes, for "store unchanged" checks.</summary>
    public static Dictionary<string, byte[]> Snapshot(string dir) =>
        Directory.Exists(dir)
            ? Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.ReadAllBytes)
            : [];

    public static Ikev2VpnProfile RoundTrip(Ikev2VpnProfile p) =>
        NativeProfileJson.Import(System.Text.Encoding.UTF8.GetBytes(NativeProfileJson.Serialize(p, includeSecrets: true))).Profile;
}
