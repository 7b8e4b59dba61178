using System.Globalization;
using System.Text;

namespace Ikev2Client.Profiles;

/// <summary>
/// Makes untrusted text safe to echo in a one-line message: control characters (C0, DEL, C1), Unicode format
/// characters (bidi overrides, zero-width), line and paragraph separators and lone surrogates are written as
/// <c>\n</c>, <c>\t</c>, <c>\r</c> or <c>\uXXXX</c>, so a value cannot retitle or recolour a terminal or forge a
/// line; long values are cut and their length shown, so a 3 MB value prints as 64 characters.
/// </summary>
public static class SafeText
{
    /// <summary>Characters of a value echoed in an error (<see cref="Quote"/>).</summary>
    public const int MaxEchoChars = 64;

    /// <summary>Characters of a whole error message (<see cref="Line"/>).</summary>
    public const int MaxMessageChars = 2048;

    /// <summary>
    /// <c>'value'</c> with unsafe characters (and backslashes) escaped, cut after <paramref name="max"/> characters:
    /// <c>'aaaa…' (3145728 characters)</c>. Null gives <c>(none)</c>.
    /// </summary>
    public static string Quote(string? value, int max = MaxEchoChars)
    {
        if (value is null) return "(none)";
        var sb = new StringBuilder(Math.Min(value.Length, max) + 24).Append('\'');
        bool cut = Append(sb, value, max, escapeBackslash: true);
        sb.Append(cut ? "…'" : "'");
        if (cut) sb.Append(" (").Append(value.Length.ToString(CultureInfo.InvariantCulture)).Append(" characters)");
        return sb.ToString();
    }

    /// <summary>Like <see cref="Quote"/> without the quotes (for keys and names in notes).</summary>
    public static string Clip(string? value, int max = MaxEchoChars)
    {
        if (value is null) return "";
        var sb = new StringBuilder(Math.Min(value.Length, max) + 24);
        if (Append(sb, value, max, escapeBackslash: true))
            sb.Append("… (").Append(value.Length.ToString(CultureInfo.InvariantCulture)).Append(" characters)");
        return sb.ToString();
    }

    /// <summary>
    /// A whole message made one safe line: unsafe characters escaped (backslashes kept, so values already quoted
    /// stay as they are), at most <paramref name="max"/> characters.
    /// </summary>
    public static string Line(string? message, int max = MaxMessageChars)
    {
        if (string.IsNullOrEmpty(message)) return "";
        if (message.Length <= max && IsSafe(message)) return message;
        var sb = new StringBuilder(Math.Min(message.Length, max) + 24);
        if (Append(sb, message, max, escapeBackslash: false))
            sb.Append("… (").Append(message.Length.ToString(CultureInfo.InvariantCulture)).Append(" characters)");
        return sb.ToString();
    }

    /// <summary>True when the text holds no character <see cref="Line"/> would escape.</summary>
    public static bool IsSafe(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c is >= ' ' and < '\u007f') continue;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            if (IsUnsafe(c)) return false;
        }
        return true;
    }

    /// <summary>Appends at most <paramref name="max"/> characters of <paramref name="value"/>, escaped; true when cut.</summary>
    private static bool Append(StringBuilder sb, string value, int max, bool escapeBackslash)
    {
        int i = 0;
        for (; i < value.Length; i++)
        {
            if (i >= max) return true;
            char c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                if (i + 1 >= max) return true; // never split a pair
                sb.Append(c).Append(value[++i]);
                continue;
            }
            switch (c)
            {
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\\' when escapeBackslash: sb.Append("\\\\"); break;
                default:
                    if (IsUnsafe(c)) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return false;
    }

    private static bool IsUnsafe(char c) => CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format
        or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate;
}
