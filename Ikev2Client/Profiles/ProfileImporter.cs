using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Ikev2Client.Profiles;

/// <summary>
/// Detects a profile file's format by content (the extension breaks ties) and imports it. Every failure is a
/// <see cref="ProfileImportException"/> with one line and no secret.
/// </summary>
public static class ProfileImporter
{
    /// <summary>Largest file accepted (<see cref="ProfileLimits.MaxFileBytes"/>).</summary>
    public const int MaxFileBytes = ProfileLimits.MaxFileBytes;

    /// <summary>Imports a file from disk.</summary>
    public static ImportResult Import(string path, ImportOptions? options = null)
    {
        byte[] content;
        var shown = SafeText.Clip(path, 256);
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) throw new ProfileImportException($"{shown}: no such file");
            if (info.Length > MaxFileBytes) throw new ProfileImportException($"{shown}: {info.Length} bytes is larger than the {MaxFileBytes / 1024 / 1024} MiB limit");
            content = ReadAtMost(path, MaxFileBytes)
                      ?? throw new ProfileImportException($"{shown}: larger than the {MaxFileBytes / 1024 / 1024} MiB limit");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ProfileImportException($"{shown}: cannot be read ({e.GetType().Name})");
        }
        return Import(content, Path.GetFileName(path), options);
    }

    /// <summary>The file's bytes, or null when it holds more than <paramref name="max"/> (a FIFO or a growing file too).</summary>
    private static byte[]? ReadAtMost(string path, int max)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = stream.Read(chunk)) > 0)
        {
            if (buffer.Length + n > max) return null;
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    /// <summary>Imports file content; <paramref name="fileName"/> (optional) helps detection.</summary>
    public static ImportResult Import(byte[] content, string? fileName, ImportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(content);
        fileName = fileName is null ? null : SafeText.Clip(fileName, 256);
        if (content.Length > MaxFileBytes)
            throw new ProfileImportException($"{fileName ?? "profile"}: {content.Length} bytes is larger than the {MaxFileBytes / 1024 / 1024} MiB limit");
        try
        {
            var result = Detect(content, fileName) switch
            {
                ProfileFormat.Sswan => SswanImporter.Import(content, options),
                ProfileFormat.AndroidManagedConfiguration => ManagedConfigImporter.Import(content, options),
                ProfileFormat.Native => NativeProfileJson.Import(content, options),
                ProfileFormat.Mobileconfig => MobileconfigImporter.Import(content, options),
                _ => WindowsProfileXmlImporter.Import(Text(content, fileName), options),
            };
            // Settings Linux cannot honour are reported, never stored silently (docs/android-parity.md).
            return result with { Notes = [.. result.Notes, .. LinuxProfileSupport.ImportNotes(result.Profile)] };
        }
        catch (ProfileImportException) { throw; }
        catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException or InvalidOperationException
                                      or DecoderFallbackException or OverflowException)
        {
            throw new ProfileImportException($"{fileName ?? "profile"}: cannot be imported ({e.GetType().Name})");
        }
    }

    /// <summary>The format of the content; throws when unknown.</summary>
    public static ProfileFormat Detect(byte[] content, string? fileName)
    {
        var ext = Path.GetExtension(fileName ?? "").ToLowerInvariant();
        var start = content.AsSpan();
        if (start.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) start = start[3..];
        var i = 0;
        while (i < start.Length && start[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') i++;
        if (i == start.Length) throw new ProfileImportException($"{fileName ?? "profile"}: the file is empty");
        var first = start[i];
        if (first == '{')
        {
            JsonObject o;
            try { o = LenientJson.ParseObject(content, ext == ".sswan" ? ".sswan" : "JSON profile"); }
            catch (ProfileImportException) when (ext is ".sswan") { throw; }
            if (o["serverAddr"] is not null || o["authMethod"] is not null) return ProfileFormat.Native;
            if (ManagedConfigImporter.Matches(o)) return ProfileFormat.AndroidManagedConfiguration;
            if (o["remote"] is not null || o["type"] is not null || ext == ".sswan") return ProfileFormat.Sswan;
            throw new ProfileImportException($"{fileName ?? "profile"}: JSON that is neither a native, .sswan nor managed-configuration profile");
        }
        if (first == '<')
        {
            var text = Encoding.UTF8.GetString(content); // for detection only: invalid bytes become U+FFFD
            if (text.Contains("<plist", StringComparison.Ordinal) || ext == ".mobileconfig") return ProfileFormat.Mobileconfig;
            if (WindowsProfileXmlImporter.Matches(text) || ext == ".xml") return ProfileFormat.WindowsProfileXml;
            throw new ProfileImportException($"{fileName ?? "profile"}: XML that is neither a property list nor a VPNv2 ProfileXML");
        }
        if (CmsUnwrapper.LooksLikeCms(content)) return ProfileFormat.Mobileconfig;
        throw new ProfileImportException($"{fileName ?? "profile"}: unknown profile format");
    }

    private static string Text(byte[] content, string? fileName)
    {
        try { return new UTF8Encoding(false, true).GetString(content); }
        catch (DecoderFallbackException e)
        {
            throw new ProfileImportException($"{fileName ?? "profile"}: not valid UTF-8 (at byte {e.Index + 1})");
        }
    }
}
