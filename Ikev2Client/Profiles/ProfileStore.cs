using System.Text;
using System.Text.Json.Nodes;

namespace Ikev2Client.Profiles;

/// <summary>Thrown by <see cref="ProfileStore"/> for a missing profile, a bad name or an unreadable store.</summary>
public sealed class ProfileStoreException(string message) : Exception(SafeText.Line(message));

/// <summary>
/// Profiles on disk: <c>profiles/NAME.json</c> (native JSON without secrets) and <c>secrets/NAME.json</c>
/// (mode 0600 in a 0700 directory, created with that mode so it is never readable by others). Writes are
/// atomic (temporary file, then rename). The root is <c>$IKEV2_HOME</c>, else <c>/etc/ikev2</c> for root,
/// else <c>$XDG_CONFIG_HOME/ikev2</c> or <c>~/.config/ikev2</c>.
/// Profiles the device policy provides through <see cref="ManagedDirectory"/> (<c>managed.d/</c>, applied by the service)
/// are kept apart, in <c>managed/profiles</c> and <c>managed/secrets</c> with the same modes: a managed profile wins
/// over a user profile of the same name (which stays stored, shadowed), and <see cref="Save"/> and <see cref="Remove"/>
/// refuse to touch it (<see cref="ManagedProfileException"/>).
/// </summary>
public sealed class ProfileStore
{
    private const UnixFileMode SecretFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PrivateDir = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>A store rooted at <paramref name="root"/> (null: the default location).</summary>
    public ProfileStore(string? root = null)
    {
        Root = root ?? DefaultRoot();
        StateDirectory = root is not null ? Path.Combine(root, "state") : DefaultStateDirectory();
        _managed = new ProfileStore(Path.Combine(Root, "managed"), StateDirectory);
    }

    /// <summary>The managed tier: the same layout under <c>ROOT/managed</c>, without a tier of its own.</summary>
    private ProfileStore(string tierRoot, string stateDirectory)
    {
        Root = tierRoot;
        StateDirectory = stateDirectory;
    }

    private readonly ProfileStore? _managed;

    /// <summary>The configuration directory.</summary>
    public string Root { get; }
    /// <summary>Where runtime state belongs (<c>$XDG_STATE_HOME/ikev2</c> or <c>/var/lib/ikev2</c>).</summary>
    public string StateDirectory { get; }
    private string ProfilesDir => Path.Combine(Root, "profiles");
    private string SecretsDir => Path.Combine(Root, "secrets");

    /// <summary>
    /// The directory the device policy (MDM) writes profile files into: <c>ROOT/managed.d</c>, so
    /// <c>$IKEV2_HOME/managed.d</c>, <c>/etc/ikev2/managed.d</c> for root, else <c>~/.config/ikev2/managed.d</c>.
    /// </summary>
    public string ManagedDirectory => Path.Combine(Root, "managed.d");
    private string ManagedStatusPath => Path.Combine(Root, "managed", "status.json");

    /// <summary>The default configuration directory for this process.</summary>
    public static string DefaultRoot()
    {
        if (Environment.GetEnvironmentVariable("IKEV2_HOME") is { Length: > 0 } home) return home;
        if (Environment.IsPrivilegedProcess) return "/etc/ikev2";
        var xdg = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
        return Path.Combine(string.IsNullOrEmpty(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config") : xdg, "ikev2");
    }

    /// <summary>The default state directory for this process.</summary>
    public static string DefaultStateDirectory()
    {
        if (Environment.GetEnvironmentVariable("IKEV2_HOME") is { Length: > 0 } home) return Path.Combine(home, "state");
        if (Environment.GetEnvironmentVariable("XDG_STATE_HOME") is { Length: > 0 } xdg) return Path.Combine(xdg, "ikev2");
        if (Environment.IsPrivilegedProcess) return "/var/lib/ikev2";
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state", "ikev2");
    }

    /// <summary>True when a profile of that name is stored (managed or not).</summary>
    public bool Exists(string name) => File.Exists(ProfilePath(name)) || IsManaged(name);

    /// <summary>Stores (or replaces) a profile and its secrets; refuses a managed profile's name.</summary>
    public void Save(Ikev2VpnProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ThrowIfManaged(profile.Name, "replaced");
        var path = ProfilePath(profile.Name);
        try
        {
            Directory.CreateDirectory(ProfilesDir);
            var secrets = NativeProfileJson.SecretsToJson(profile);
            string? secretTemp = null;
            if (secrets.Count > 0)
            {
                if (OperatingSystem.IsWindows()) Directory.CreateDirectory(SecretsDir); else Directory.CreateDirectory(SecretsDir, PrivateDir);
                secretTemp = WriteTemp(SecretsDir, NativeProfileJson.Serialize(secrets), SecretFile);
            }
            var profileTemp = WriteTemp(ProfilesDir, NativeProfileJson.Serialize(profile, includeSecrets: false),
                SecretFile | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            if (secretTemp is not null) File.Move(secretTemp, SecretPath(profile.Name), overwrite: true);
            else if (File.Exists(SecretPath(profile.Name))) File.Delete(SecretPath(profile.Name));
            File.Move(profileTemp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ProfileStoreException($"cannot write profile '{profile.Name}' under {Root} ({e.GetType().Name})");
        }
    }

    /// <summary>Loads a profile with its secrets (the managed one when both exist).</summary>
    public Ikev2VpnProfile Load(string name)
    {
        if (_managed is not null && IsManaged(name)) return _managed.Load(name);
        var o = ReadJson(name, withSecrets: true);
        try
        {
            var builder = NativeProfileJson.ReadBuilder(o, new ImportNotes());
            return builder.Build();
        }
        catch (Exception e) when (e is ProfileImportException or ProfileValidationException)
        {
            throw new ProfileStoreException($"stored profile '{name}' is damaged: {e.Message}");
        }
    }

    /// <summary>Names of every stored profile (managed and user, each once), sorted.</summary>
    public IReadOnlyList<string> List()
    {
        var own = Directory.Exists(ProfilesDir)
            ? Directory.EnumerateFiles(ProfilesDir, "*.json").Select(Path.GetFileNameWithoutExtension).OfType<string>().Where(n => ProfileName.Check(n) is null)
            : [];
        return own.Concat(ListManaged()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Removes a profile and its secrets; false when there was none. Refuses a managed profile.</summary>
    public bool Remove(string name)
    {
        ThrowIfManaged(name, "removed");
        var path = ProfilePath(name);
        if (!File.Exists(path)) return false;
        if (File.Exists(SecretPath(name))) File.Delete(SecretPath(name));
        File.Delete(path);
        return true;
    }

    /// <summary>The profile as native JSON text, with or without secrets.</summary>
    /// <remarks>A managed profile is exported without its secrets only: they belong to the device policy.</remarks>
    public string Export(string name, bool includeSecrets)
    {
        if (_managed is null || !IsManaged(name)) return NativeProfileJson.Serialize(ReadJson(name, includeSecrets));
        if (includeSecrets) ThrowIfManaged(name, "exported with its secrets");
        return _managed.Export(name, includeSecrets: false);
    }

    // ---- managed profiles (written only by the service's managed-directory watcher) ----

    /// <summary>True when the device policy provides a profile of that name.</summary>
    public bool IsManaged(string name) => _managed is not null && _managed.Exists(name);

    /// <summary>True when the user has a profile of that name (shadowed while a managed one has the same name).</summary>
    public bool HasUserProfile(string name) => File.Exists(ProfilePath(name));

    /// <summary>Names of the managed profiles, sorted.</summary>
    public IReadOnlyList<string> ListManaged() => _managed?.List() ?? [];

    /// <summary>Stores (or replaces) a managed profile and its secrets (secrets 0600, like every other).</summary>
    public void SaveManaged(Ikev2VpnProfile profile) => ManagedTier().Save(profile);

    /// <summary>Removes a managed profile and its secrets; false when there was none. A shadowed user profile stays.</summary>
    public bool RemoveManaged(string name) => ManagedTier().Remove(name);

    /// <summary>The full path of the managed-directory file that provides <paramref name="name"/>, or null.</summary>
    public string? ManagedSourceOf(string name)
    {
        if (!IsManaged(name)) return null;
        var file = ReadManagedStatus().FirstOrDefault(f => f.Profile == name)?.File;
        return file is null ? ManagedDirectory : Path.Combine(ManagedDirectory, file);
    }

    /// <summary>What the service last did with each file of the managed directory (empty when it never ran).</summary>
    public IReadOnlyList<ManagedFileStatus> ReadManagedStatus()
    {
        if (_managed is null) return [];
        try { return File.Exists(ManagedStatusPath) ? ManagedStatusJson.Parse(File.ReadAllBytes(ManagedStatusPath)) : []; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return []; }
    }

    /// <summary>Replaces the managed-directory status (atomically).</summary>
    public void WriteManagedStatus(IEnumerable<ManagedFileStatus> files)
    {
        var dir = Path.GetDirectoryName(ManagedStatusPath)!;
        try
        {
            Directory.CreateDirectory(dir);
            var temp = WriteTemp(dir, ManagedStatusJson.Serialize(files), SecretFile | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            File.Move(temp, ManagedStatusPath, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ProfileStoreException($"cannot write the managed profile status under {Root} ({e.GetType().Name})");
        }
    }

    private ProfileStore ManagedTier() => _managed ?? throw new InvalidOperationException("the managed tier has no managed tier");

    /// <summary>
    /// Throws <see cref="ManagedProfileException"/> (naming the MDM directory and file) when <paramref name="name"/> is a
    /// managed profile; <paramref name="verb"/> says what was refused ("removed", "replaced").
    /// </summary>
    public void ThrowIfManaged(string name, string verb)
    {
        if (_managed is null || ProfileName.Check(name) is not null || !IsManaged(name)) return;
        var source = ManagedSourceOf(name) ?? ManagedDirectory;
        throw new ManagedProfileException(name, source,
            $"'{name}' is managed by the device policy (MDM directory {ManagedDirectory}, file {source}) and can't be {verb} here" +
            (verb is "removed" or "replaced" ? "; it changes or goes away only when that file is changed or deleted" : ""));
    }

    private JsonObject ReadJson(string name, bool withSecrets)
    {
        var path = ProfilePath(name);
        if (!File.Exists(path)) throw new ProfileStoreException($"no profile named '{name}'");
        try
        {
            var o = LenientJson.ParseObject(File.ReadAllBytes(path), $"stored profile '{name}'");
            foreach (var k in NativeProfileJson.SecretKeys) o.Remove(k);
            if (withSecrets && File.Exists(SecretPath(name)))
                foreach (var (k, v) in LenientJson.ParseObject(File.ReadAllBytes(SecretPath(name)), $"secrets of '{name}'"))
                    if (NativeProfileJson.SecretKeys.Contains(k)) o[k] = v?.DeepClone();
            return o;
        }
        catch (ProfileImportException e) { throw new ProfileStoreException(e.Message); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ProfileStoreException($"cannot read profile '{name}' ({e.GetType().Name})");
        }
    }

    private string ProfilePath(string name) => Path.Combine(ProfilesDir, Checked(name) + ".json");
    private string SecretPath(string name) => Path.Combine(SecretsDir, Checked(name) + ".json");

    private static string Checked(string name) =>
        ProfileName.Check(name) is { } problem ? throw new ProfileStoreException($"invalid profile name: {problem}") : name;

    private static string WriteTemp(string dir, string text, UnixFileMode mode)
    {
        var temp = Path.Combine(dir, $".tmp-{Guid.NewGuid():N}");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = mode;
        using (var fs = new FileStream(temp, options))
        {
            fs.Write(Encoding.UTF8.GetBytes(text));
            fs.Flush(flushToDisk: true);
        }
        return temp;
    }
}
