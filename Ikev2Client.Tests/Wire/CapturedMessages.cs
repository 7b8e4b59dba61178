namespace Ikev2Client.Tests.Wire;

/// <summary>IKE messages captured from strongSwan (Fixtures/strongswan/*/msg-*.hex).</summary>
internal static class CapturedMessages
{
    public static string Root => Path.Combine(AppContext.BaseDirectory, "Fixtures", "strongswan");

    public static IEnumerable<(string Name, byte[] Bytes)> All()
    {
        if (!Directory.Exists(Root)) yield break;
        foreach (var file in Directory.EnumerateFiles(Root, "msg-*.hex", SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal))
        {
            var hex = string.Concat(File.ReadAllText(file).Where(Uri.IsHexDigit));
            yield return (Path.GetRelativePath(Root, file), Convert.FromHexString(hex));
        }
    }
}
