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
    }

    /// <summary>The configuration directory.</summary>
    public string Root { get; }
    /// <summary>Where runtime state belongs (<c>$XDG_STATE_HOME/ikev2</c> or <c>/var/lib/ikev2</c>).</summary>
    public string StateDirectory { get; }
    private string ProfilesDir => Path.Combine(Root, "profiles");
    private string SecretsDir => Path.Combine(Root, "secrets");

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

    /// <summary>True when a profile of that name is stored.</summary>
    public bool Exists(string name) => File.Exists(ProfilePath(name));

    /// <summary>Stores (or replaces) a profile and its secrets.</summary>
    public void Save(Ikev2VpnProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
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

    /// <summary>Loads a profile with its secrets.</summary>
    public Ikev2VpnProfile Load(string name)
    {
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

    /// <summary>Names of every stored profile, sorted.</summary>
    public IReadOnlyList<string> List()
    {
        if (!Directory.Exists(ProfilesDir)) return [];
        return Directory.EnumerateFiles(ProfilesDir, "*.json").Select(Path.GetFileNameWithoutExtension)
            .OfType<string>().Where(n => ProfileName.Check(n) is null).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Removes a profile and its secrets; false when there was none.</summary>
    public bool Remove(string name)
    {
        var path = ProfilePath(name);
        if (!File.Exists(path)) return false;
        if (File.Exists(SecretPath(name))) File.Delete(SecretPath(name));
        File.Delete(path);
        return true;
    }

    /// <summary>The profile as native JSON text, with or without secrets.</summary>
    public string Export(string name, bool includeSecrets) => NativeProfileJson.Serialize(ReadJson(name, includeSecrets));

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
