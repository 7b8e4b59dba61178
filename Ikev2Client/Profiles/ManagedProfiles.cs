using System.Globalization;
using System.Text.Json.Nodes;

namespace Ikev2Client.Profiles;

/// <summary>
/// Thrown when a change to a profile that the device policy (MDM) manages is refused: it can be changed or removed
/// only by changing or deleting its file in the managed directory. The message names that file.
/// </summary>
public sealed class ManagedProfileException(string profileName, string sourceFile, string message) : Exception(message)
{
    /// <summary>The managed profile.</summary>
    public string ProfileName { get; } = profileName;
    /// <summary>The file in the managed directory that provides it.</summary>
    public string SourceFile { get; } = sourceFile;
}

/// <summary>
/// What the service last did with one file of the managed directory (<c>managed.d</c>): the profile it provides (the
/// last valid version, still in force when the file's current content is invalid), and the current content's error.
/// Holds no secret: import errors never contain one.
/// </summary>
public sealed record ManagedFileStatus
{
    /// <summary>The file name inside the managed directory.</summary>
    public required string File { get; init; }
    /// <summary>The profile in force from this file (null when no version of it was ever valid).</summary>
    public string? Profile { get; init; }
    /// <summary>The format of the applied version (<see cref="ProfileFormat"/> name).</summary>
    public string? Format { get; init; }
    /// <summary>SHA-256 (hex) of the applied content.</summary>
    public string? Sha256 { get; init; }
    /// <summary>When the applied version was applied.</summary>
    public DateTimeOffset? AppliedAt { get; init; }
    /// <summary>Why the file's current content is not applied (null: the applied version is the current content).</summary>
    public string? Error { get; init; }
    /// <summary>SHA-256 (hex) of the content the error is about (so it is reported once, not at every rescan).</summary>
    public string? ErrorSha256 { get; init; }
    /// <summary>When the error was found.</summary>
    public DateTimeOffset? ErrorAt { get; init; }
}

/// <summary>The <c>managed/status.json</c> document: one <see cref="ManagedFileStatus"/> per file, sorted by file name.</summary>
internal static class ManagedStatusJson
{
    public static string Serialize(IEnumerable<ManagedFileStatus> files)
    {
        var array = new JsonArray();
        foreach (var f in files.OrderBy(f => f.File, StringComparer.Ordinal))
        {
            var o = new JsonObject { ["file"] = f.File, ["profile"] = f.Profile };
            if (f.Format is not null) o["format"] = f.Format;
            if (f.Sha256 is not null) o["sha256"] = f.Sha256;
            if (f.AppliedAt is { } a) o["appliedAt"] = Time(a);
            if (f.Error is not null) o["error"] = f.Error;
            if (f.ErrorSha256 is not null) o["errorSha256"] = f.ErrorSha256;
            if (f.ErrorAt is { } e) o["errorAt"] = Time(e);
            array.Add((JsonNode)o);
        }
        return new JsonObject { ["version"] = 1, ["files"] = array }.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>The entries; an unreadable or foreign document reads as none (the service rebuilds it from the files).</summary>
    public static List<ManagedFileStatus> Parse(byte[] utf8)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(utf8); }
        catch (System.Text.Json.JsonException) { return []; }
        if (root is not JsonObject o || o["files"] is not JsonArray files) return [];
        var result = new List<ManagedFileStatus>();
        foreach (var node in files)
        {
            if (node is not JsonObject f || Str(f, "file") is not { } file) continue;
            result.Add(new ManagedFileStatus
            {
                File = file, Profile = Str(f, "profile"), Format = Str(f, "format"), Sha256 = Str(f, "sha256"), AppliedAt = TimeOf(f, "appliedAt"),
                Error = Str(f, "error"), ErrorSha256 = Str(f, "errorSha256"), ErrorAt = TimeOf(f, "errorAt"),
            });
        }
        return result;
    }

    private static string? Str(JsonObject o, string key) => o[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static DateTimeOffset? TimeOf(JsonObject o, string key) =>
        Str(o, key) is { } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    private static string Time(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
