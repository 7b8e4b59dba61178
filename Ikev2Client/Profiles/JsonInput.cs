using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ikev2Client.Profiles;

/// <summary>
/// Reads untrusted JSON text (profile files, the service's line protocol) in two passes: a
/// <see cref="Utf8JsonReader"/> pass that checks the bytes are UTF-8, every string decodes (no escaped lone
/// surrogate), no object repeats a key, and the nesting and token count stay within
/// <see cref="ProfileLimits.MaxJsonDepth"/> and <see cref="ProfileLimits.MaxJsonTokens"/>; then the
/// <see cref="JsonNode"/> tree, whose every later read is then safe. Errors give the line and never the value.
/// </summary>
internal static class JsonInput
{
    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, MaxDepth = ProfileLimits.MaxJsonDepth + 1,
    };

    /// <summary>The parsed value, or null with a one-line reason (without any of the text).</summary>
    public static JsonNode? TryParse(ReadOnlySpan<byte> utf8, out string? error, int maxDepth = ProfileLimits.MaxJsonDepth)
    {
        if (utf8.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) utf8 = utf8[3..];
        error = Validate(utf8, maxDepth);
        if (error is not null) return null;
        try
        {
            return JsonNode.Parse(utf8, documentOptions: DocumentOptions);
        }
        catch (JsonException e)
        {
            error = $"malformed JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})";
            return null;
        }
    }

    /// <summary>Null when the text passes the first pass (UTF-8, strings, keys, depth, tokens), else why not.</summary>
    public static string? Validate(ReadOnlySpan<byte> utf8, int maxDepth = ProfileLimits.MaxJsonDepth)
    {
        if (!System.Text.Unicode.Utf8.IsValid(utf8)) return $"not valid UTF-8 (at byte {FirstInvalidUtf8(utf8) + 1})";
        return Check(utf8, maxDepth);
    }

    /// <summary>A JSON object; throws a one-line <see cref="ProfileImportException"/> prefixed with <paramref name="formatName"/>.</summary>
    public static JsonObject ParseObject(ReadOnlySpan<byte> utf8, string formatName)
    {
        var node = TryParse(utf8, out var error);
        if (error is not null) throw new ProfileImportException($"{formatName}: {error}");
        return node as JsonObject ?? throw new ProfileImportException($"{formatName}: the top level must be a JSON object");
    }

    /// <summary>The kind of a node as a person names it, for "expected a string, found a number".</summary>
    public static string KindName(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "an array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "a boolean",
            _ => "null",
        },
        _ => "something else",
    };

    private static string? Check(ReadOnlySpan<byte> utf8, int maxDepth)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions
        {
            AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, MaxDepth = maxDepth + 1,
        });
        var keys = new Stack<HashSet<string>?>();
        int tokens = 0;
        try
        {
            while (reader.Read())
            {
                if (++tokens > ProfileLimits.MaxJsonTokens)
                    return $"more than {ProfileLimits.MaxJsonTokens} JSON tokens (the limit)";
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        if (reader.CurrentDepth >= maxDepth)
                            return $"nested deeper than {maxDepth} levels (the limit), line {Line(utf8, reader.TokenStartIndex)}";
                        keys.Push(reader.TokenType == JsonTokenType.StartObject ? new HashSet<string>(StringComparer.Ordinal) : null);
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        keys.Pop();
                        break;
                    case JsonTokenType.PropertyName:
                    {
                        var name = Decode(ref reader, utf8, out var bad);
                        if (bad is not null) return bad;
                        if (keys.Peek() is { } seen && !seen.Add(name!))
                            return $"the key {SafeText.Quote(name)} appears twice in one object (line {Line(utf8, reader.TokenStartIndex)})";
                        break;
                    }
                    case JsonTokenType.String when reader.ValueIsEscaped:
                    {
                        Decode(ref reader, utf8, out var bad);
                        if (bad is not null) return bad;
                        break;
                    }
                }
            }
            return null;
        }
        catch (JsonException e)
        {
            return $"malformed JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})";
        }
    }

    private static string? Decode(ref Utf8JsonReader reader, ReadOnlySpan<byte> utf8, out string? error)
    {
        error = null;
        try { return reader.GetString(); }
        catch (InvalidOperationException)
        {
            error = $"a string on line {Line(utf8, reader.TokenStartIndex)} is not valid text (an escaped lone UTF-16 surrogate)";
            return null;
        }
    }

    private static int Line(ReadOnlySpan<byte> utf8, long index) => utf8[..(int)Math.Min(index, utf8.Length)].Count((byte)'\n') + 1;

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> utf8)
    {
        int i = 0;
        while (i < utf8.Length)
        {
            if (System.Text.Rune.DecodeFromUtf8(utf8[i..], out _, out var n) != System.Buffers.OperationStatus.Done) return i;
            i += n;
        }
        return i;
    }
}
