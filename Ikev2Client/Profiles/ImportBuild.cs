namespace Ikev2Client.Profiles;

/// <summary>Shared last step of every importer: apply caller options, validate, build.</summary>
internal static class ImportBuild
{
    public static ImportResult Finish(Ikev2VpnProfile.Builder b, List<ImportNote> notes, ProfileFormat format, ImportOptions? options, string formatName)
    {
        if (options?.Name is { } name) b.Name = name;
        if (options?.Pkcs12Password is { } pw && b.Pkcs12 is not null) b.Pkcs12Password = pw;
        if (b.Pkcs12 is not null && b.Pkcs12Password is null)
            notes.Add(new(ImportNoteKind.DefaultApplied, "pkcs12Password",
                "the PKCS#12 has no password in the file; supply it before connecting"));
        if (b.Pkcs12 is not null && b.Pkcs12Password is not null && b.UserCert is null)
            b.UserCert = Pkcs12Reader.TryLeafCertificate(b.Pkcs12, b.Pkcs12Password);
        var problems = b.Validate();
        if (problems.Count > 0) throw new ProfileImportException($"{formatName}: the profile is not valid", problems);
        return new ImportResult(b.Build(), notes, format);
    }
}
