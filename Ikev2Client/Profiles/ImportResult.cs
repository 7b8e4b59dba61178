namespace Ikev2Client.Profiles;

/// <summary>What kind of remark an importer makes about a key.</summary>
public enum ImportNoteKind
{
    /// <summary>The key was read but has no effect here (not security relevant).</summary>
    Ignored,
    /// <summary>The key asks for something this client does not do; the profile may behave differently.</summary>
    Unsupported,
    /// <summary>A value was missing or out of range and a default was used, or something is still needed.</summary>
    DefaultApplied,
}

/// <summary>One remark from an importer: the source key (as spelled in the file) and what happened. Both are made
/// safe to print (<see cref="SafeText"/>): keys come from the file.</summary>
public sealed record ImportNote(ImportNoteKind Kind, string Key, string Message)
{
    /// <summary>The key as spelled in the file, escaped and cut to 128 characters.</summary>
    public string Key { get; init; } = SafeText.Clip(Key, 128);

    /// <summary>What happened, one safe line.</summary>
    public string Message { get; init; } = SafeText.Line(Message, 512);

    /// <inheritdoc />
    public override string ToString() => $"{Kind}: {Key}: {Message}";
}

/// <summary>
/// The notes of one import, at most <see cref="ProfileLimits.MaxNotes"/>: a file with a million unknown keys gives
/// 99 notes and one that counts the rest, not a million.
/// </summary>
internal sealed class ImportNotes
{
    private readonly List<ImportNote> _notes = [];
    private int _dropped;

    public void Add(ImportNote note)
    {
        if (_notes.Count < ProfileLimits.MaxNotes - 1) _notes.Add(note);
        else _dropped++;
    }

    public int Count => _notes.Count + _dropped;

    public IReadOnlyList<ImportNote> ToList()
    {
        var list = new List<ImportNote>(_notes);
        if (_dropped == 1) list.Add(new ImportNote(ImportNoteKind.Ignored, "(more)", "1 more note not shown"));
        else if (_dropped > 1) list.Add(new ImportNote(ImportNoteKind.Ignored, "(more)", $"{_dropped} more notes not shown (at most {ProfileLimits.MaxNotes} are kept)"));
        return list;
    }
}

/// <summary>An imported profile plus every remark about what was dropped or defaulted.</summary>
public sealed record ImportResult(Ikev2VpnProfile Profile, IReadOnlyList<ImportNote> Notes, ProfileFormat Format);

/// <summary>Profile file formats the importer understands.</summary>
public enum ProfileFormat
{
    /// <summary>This client's JSON (docs/profiles.md).</summary>
    Native,
    /// <summary>strongSwan Android <c>.sswan</c> JSON.</summary>
    Sswan,
    /// <summary>Apple configuration profile with a com.apple.vpn.managed IKEv2 payload.</summary>
    Mobileconfig,
    /// <summary>strongSwan's Android managed configuration (restrictions) as JSON.</summary>
    AndroidManagedConfiguration,
    /// <summary>Windows VPNv2 CSP ProfileXML.</summary>
    WindowsProfileXml,
}

/// <summary>Thrown when a file cannot be imported; the message is one safe line (<see cref="SafeText.Line"/>), never
/// contains a secret.</summary>
public sealed class ProfileImportException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ProfileImportException(string message) : base(SafeText.Line(message)) { }

    /// <summary>Creates the exception for an invalid resulting profile.</summary>
    public ProfileImportException(string message, IReadOnlyList<ProfileProblem> problems)
        : base(SafeText.Line(message + ": " + string.Join("; ", problems)))
    {
        Problems = problems;
    }

    /// <summary>Validation problems, when the import failed because the result was invalid.</summary>
    public IReadOnlyList<ProfileProblem> Problems { get; } = [];
}

/// <summary>Caller-supplied values the file itself may lack.</summary>
public sealed record ImportOptions
{
    /// <summary>Password for a PKCS#12 that the file carries without one (.sswan, managed configuration).</summary>
    public string? Pkcs12Password { get; init; }
    /// <summary>User credential as PKCS#12 for formats that reference a certificate store (Windows ProfileXML).</summary>
    public byte[]? Pkcs12 { get; init; }
    /// <summary>Overrides the profile name.</summary>
    public string? Name { get; init; }
}
