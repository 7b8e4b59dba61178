namespace Ikev2Client.Profiles;

/// <summary>Shared last step of every importer: apply caller options, check the credential, validate, build.</summary>
internal static class ImportBuild
{
    public static ImportResult Finish(Ikev2VpnProfile.Builder b, ImportNotes notes, ProfileFormat format, ImportOptions? options, string formatName)
    {
        if (options?.Name is { } name) b.Name = name;
        if (options?.Pkcs12Password is { } pw && b.Pkcs12 is not null) b.Pkcs12Password = pw;
        if (b.Pkcs12 is not null) CheckPkcs12(b, notes, formatName);
        var problems = b.Validate();
        if (problems.Count > 0) throw new ProfileImportException($"{formatName}: the profile is not valid", problems);
        return new ImportResult(b.Build(), notes.ToList(), format);
    }

    /// <summary>
    /// A PKCS#12 that can't be read is refused here, naming the field it came from: its structure always, and with
    /// a password (from the file or the caller) its MAC and bags too. Without one only the structure can be checked.
    /// </summary>
    private static void CheckPkcs12(Ikev2VpnProfile.Builder b, ImportNotes notes, string formatName)
    {
        var field = b.Pkcs12Field;
        if (b.Pkcs12Password is null)
        {
            if (Pkcs12Reader.CheckStructure(b.Pkcs12!) is { } problem) throw new ProfileImportException($"{formatName}: {field} {problem}");
            notes.Add(new(ImportNoteKind.DefaultApplied, "pkcs12Password",
                $"the PKCS#12 ({field}) has no password in the file; supply it before connecting (only its structure could be checked)"));
            return;
        }
        if (b.Pkcs12Password.Length > ProfileLimits.MaxPkcs12PasswordLength)
            throw new ProfileImportException($"{formatName}: the password of {field} is {b.Pkcs12Password.Length} characters long; the limit is {ProfileLimits.MaxPkcs12PasswordLength}");
        var leaf = Pkcs12Reader.Open(b.Pkcs12!, b.Pkcs12Password, out var error);
        if (leaf is null) throw new ProfileImportException($"{formatName}: {field}: {error}");
        b.UserCert ??= leaf;
        b.Pkcs12Opened = (b.Pkcs12!, b.Pkcs12Password);
    }
}
