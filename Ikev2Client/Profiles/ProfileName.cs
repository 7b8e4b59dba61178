namespace Ikev2Client.Profiles;

/// <summary>Profile name rules: 1–64 characters, letters, digits, space and <c>._-@+()</c>, not starting
/// with a dot or space, so a name is always a safe file name (no path traversal).</summary>
public static class ProfileName
{
    /// <summary>Maximum length.</summary>
    public const int MaxLength = 64;

    /// <summary>Null when valid, else the reason.</summary>
    public static string? Check(string? name)
    {
        if (string.IsNullOrEmpty(name)) return "is required";
        if (name.Length > MaxLength) return $"is longer than {MaxLength} characters";
        if (name[0] is '.' or ' ' || name[^1] == ' ') return "must not start with a dot or start/end with a space";
        foreach (var c in name)
            if (!(char.IsAsciiLetterOrDigit(c) || c is ' ' or '.' or '_' or '-' or '@' or '+' or '(' or ')'))
                return $"contains the character {SafeText.Quote(c.ToString())}; use letters, digits, space and ._-@+()";
        return null;
    }

    /// <summary>Turns a display name from a foreign file into a valid profile name.</summary>
    public static string Sanitize(string? name)
    {
        var chars = (name ?? "").Select(c => char.IsAsciiLetterOrDigit(c) || c is ' ' or '.' or '_' or '-' or '@' or '+' or '(' or ')' ? c : '_').ToArray();
        var s = new string(chars).Trim().TrimStart('.').Trim();
        if (s.Length > MaxLength) s = s[..MaxLength].TrimEnd();
        return s.Length == 0 ? "imported" : s;
    }
}
