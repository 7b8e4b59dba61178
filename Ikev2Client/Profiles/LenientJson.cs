using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ikev2Client.Profiles;

/// <summary>
/// Reads JSON values the way Android's <c>org.json</c> coerces them: booleans and numbers may be strings,
/// lists may be arrays or whitespace-separated strings. Type errors throw <see cref="ProfileImportException"/>
/// naming the key (never the value, which may be secret).
/// </summary>
internal static class LenientJson
{
    private static readonly JsonDocumentOptions DocOptions = new()
    {
        AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, MaxDepth = 32,
    };

    /// <summary>A 64-bit integer (number or numeric string), null when absent.</summary>
    public static long? Long(JsonObject o, string key, string path = "")
    {
        var n = o[key];
        if (n is null) return null;
        if (n is JsonValue v)
        {
            if (v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var i)) return i;
            if (v.GetValueKind() == JsonValueKind.String
                && long.TryParse(v.GetValue<string>().Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var j)) return j;
        }
        throw new ProfileImportException($"{path}{key}: expected an integer");
    }

    /// <summary>Parses an object; throws a one-line import error for malformed JSON.</summary>
    public static JsonObject ParseObject(ReadOnlySpan<byte> utf8, string formatName)
    {
        JsonNode? node;
        try
        {
            if (utf8.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) utf8 = utf8[3..];
            node = JsonNode.Parse(utf8, documentOptions: DocOptions);
        }
        catch (JsonException e)
        {
            throw new ProfileImportException($"{formatName}: malformed JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})");
        }
        return node as JsonObject ?? throw new ProfileImportException($"{formatName}: the top level must be a JSON object");
    }

    public static string? String(JsonObject o, string key, string path = "")
    {
        var n = o[key];
        if (n is null) return null;
        if (n is JsonValue v)
        {
            if (v.TryGetValue<string>(out var s)) return s;
            if (v.GetValueKind() is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False) return v.ToJsonString();
        }
        throw new ProfileImportException($"{path}{key}: expected a string");
    }

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
                    break;
            }
        }
        throw new ProfileImportException($"{path}{key}: expected a boolean");
    }

    public static int? Int(JsonObject o, string key, string path = "")
    {
        var n = o[key];
        if (n is null) return null;
        if (n is JsonValue v)
        {
            if (v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var i)) return i;
            if (v.GetValueKind() == JsonValueKind.String
                && int.TryParse(v.GetValue<string>().Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var j)) return j;
        }
        throw new ProfileImportException($"{path}{key}: expected an integer");
    }

    /// <summary>An array of strings or one whitespace-separated string; null when absent.</summary>
    public static List<string>? List(JsonObject o, string key, string path = "")
    {
        var n = o[key];
        if (n is null) return null;
        if (n is JsonArray a)
        {
            var list = new List<string>();
            foreach (var item in a)
            {
                if (item is JsonValue iv && iv.TryGetValue<string>(out var s)) { if (s.Trim().Length > 0) list.Add(s.Trim()); }
                else throw new ProfileImportException($"{path}{key}: expected a list of strings");
            }
            return list;
        }
        if (n is JsonValue v && v.TryGetValue<string>(out var str))
            return str.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).ToList();
        throw new ProfileImportException($"{path}{key}: expected a list (array or space-separated string)");
    }

    public static JsonObject? Object(JsonObject o, string key, string path = "")
    {
        var n = o[key];
        if (n is null) return null;
        return n as JsonObject ?? throw new ProfileImportException($"{path}{key}: expected an object");
    }
}
