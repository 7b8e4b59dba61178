using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ikev2Client.Profiles;

/// <summary>
/// Reads the values of foreign JSON profiles (.sswan, managed configuration) the way Android's <c>org.json</c>
/// coerces them: booleans and integers may be given as strings, lists may be arrays or whitespace-separated
/// strings. A string is never made from another type (<c>"name": 1</c> is refused). Type errors throw
/// <see cref="ProfileImportException"/> naming the key and the expected and found types (never the value, which
/// may be secret).
/// </summary>
internal static class LenientJson
{
    /// <summary>Parses an object; throws a one-line import error for malformed JSON (see <see cref="JsonInput"/>).</summary>
    public static JsonObject ParseObject(ReadOnlySpan<byte> utf8, string formatName) => JsonInput.ParseObject(utf8, formatName);

    public static string? String(JsonObject o, string key, string path = "") => StrictJson.String(o, key, path);

    public static bool? Bool(JsonObject o, string key, string path = "")
    {
        var n = o[key];
        if (n is null) return null;
        if (n is JsonValue v)
        {
            switch (v.GetValueKind())
            {
                case JsonValueKind.True: return true;
                case JsonValueKind.False: return false;
                case JsonValueKind.Number when v.TryGetValue<int>(out var i) && i is 0 or 1: return i == 1;
                case JsonValueKind.String:
                    var s = v.GetValue<string>().Trim();
                    if (s.Equals("true", StringComparison.OrdinalIgnoreCase) || s == "1") return true;
                    if (s.Equals("false", StringComparison.OrdinalIgnoreCase) || s == "0") return false;
                    throw new ProfileImportException($"{path}{key}: expected a boolean (true, false, \"true\", \"false\", 0 or 1), found a string");
            }
        }
        throw new ProfileImportException($"{path}{key}: expected a boolean, found {JsonInput.KindName(n)}");
    }

    public static int? Int(JsonObject o, string key, string path = "")
    {
        var n = o[key];
        if (n is null) return null;
        if (n is JsonValue v)
        {
            if (v.GetValueKind() == JsonValueKind.Number)
                return v.TryGetValue<int>(out var i) ? i : throw new ProfileImportException($"{path}{key}: expected a 32-bit integer, found another number");
            if (v.GetValueKind() == JsonValueKind.String)
                return int.TryParse(v.GetValue<string>().Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var j) ? j
                    : throw new ProfileImportException($"{path}{key}: expected an integer, found a string that is not one");
        }
        throw new ProfileImportException($"{path}{key}: expected an integer, found {JsonInput.KindName(n)}");
    }

    /// <summary>An array of strings or one whitespace-separated string; null when absent.</summary>
    public static List<string>? List(JsonObject o, string key, string path = "")
    {
        var n = o[key];
        if (n is null) return null;
        if (n is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            // One string can hold millions of entries: stop counting past the limit instead of splitting it all.
            var text = v.GetValue<string>();
            var list = new List<string>();
            for (int i = 0; i < text.Length;)
            {
                while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
                int start = i;
                while (i < text.Length && !char.IsWhiteSpace(text[i])) i++;
                if (i == start) break;
                if (list.Count == ProfileLimits.MaxListEntries)
                    throw new ProfileImportException($"{path}{key}: has more than {ProfileLimits.MaxListEntries} entries; the limit is {ProfileLimits.MaxListEntries}");
                list.Add(text[start..i]);
            }
            return list;
        }
        if (n is JsonArray) return StrictJson.List(o, key, path);
        throw new ProfileImportException($"{path}{key}: expected a list (an array of strings or a space-separated string), found {JsonInput.KindName(n)}");
    }

    public static JsonObject? Object(JsonObject o, string key, string path = "") => StrictJson.Object(o, key, path);
}

/// <summary>
/// Reads the values of this client's own JSON (native profiles, the service's requests): every value must have
/// its JSON type; anything else throws <see cref="ProfileImportException"/> naming the key, the expected and the
/// found type.
/// </summary>
internal static class StrictJson
{
    public static string? String(JsonObject o, string key, string path = "")
    {
        var n = o[key];
        if (n is null) return null;
        if (n is JsonValue v && v.GetValueKind() == JsonValueKind.String) return v.GetValue<string>();
        throw new ProfileImportException($"{path}{key}: expected a string, found {JsonInput.KindName(n)}");
    }

    public static bool? Bool(JsonObject o, string key, string path = "")
    {
        var n = o[key];
        if (n is null) return null;
        if (n is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False) return v.GetValueKind() == JsonValueKind.True;
        throw new ProfileImportException($"{path}{key}: expected a boolean, found {JsonInput.KindName(n)}");
    }

    public static int? Int(JsonObject o, string key, string path = "")
    {
        var n = o[key];
        if (n is null) return null;
        if (n is JsonValue v && v.GetValueKind() == JsonValueKind.Number)
            return v.TryGetValue<int>(out var i) ? i : throw new ProfileImportException($"{path}{key}: expected a 32-bit integer, found another number");
        throw new ProfileImportException($"{path}{key}: expected an integer, found {JsonInput.KindName(n)}");
    }

    /// <summary>An array of strings (blank entries dropped, entries trimmed); null when absent.</summary>
    /// <summary>A 64-bit integer (a JSON number only), null when absent.</summary>
    public static long? Long(JsonObject o, string key, string path = "")
    {
        var n = o[key];
        if (n is null) return null;
        if (n is JsonValue v && v.GetValueKind() == JsonValueKind.Number)
            return v.TryGetValue<long>(out var i) ? i : throw new ProfileImportException($"{path}{key}: expected a 64-bit integer, found another number");
        throw new ProfileImportException($"{path}{key}: expected an integer, found {JsonInput.KindName(n)}");
    }

    public static List<string>? List(JsonObject o, string key, string path = "")
    {
        var n = o[key];
        if (n is null) return null;
        if (n is not JsonArray a) throw new ProfileImportException($"{path}{key}: expected an array of strings, found {JsonInput.KindName(n)}");
        var list = new List<string>(Math.Min(a.Count, 64));
        int index = 0;
        foreach (var item in a)
        {
            if (item is JsonValue iv && iv.GetValueKind() == JsonValueKind.String)
            {
                var s = iv.GetValue<string>().Trim();
                if (s.Length > 0) list.Add(s);
            }
            else throw new ProfileImportException($"{path}{key}[{index}]: expected a string, found {JsonInput.KindName(item)}");
            index++;
        }
        return list;
    }

    public static JsonObject? Object(JsonObject o, string key, string path = "")
    {
        var n = o[key];
        if (n is null) return null;
        return n as JsonObject ?? throw new ProfileImportException($"{path}{key}: expected an object, found {JsonInput.KindName(n)}");
    }
}
