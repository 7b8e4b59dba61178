using System.Text.Json.Nodes;
using Ikev2Client.Profiles;

namespace Ikev2Client.Cli;

/// <summary>
/// What <c>profile list</c> and <c>profile show</c> say about managed profiles: which file of the managed directory
/// provides each, a user profile it shadows, and files whose current content the service did not apply.
/// </summary>
internal sealed class ManagedView
{
    private readonly ProfileStore _store;
    private readonly IReadOnlyList<ManagedFileStatus> _files;
    private readonly HashSet<string> _managed;

    private ManagedView(ProfileStore store)
    {
        _store = store;
        _files = store.ReadManagedStatus();
        _managed = store.ListManaged().ToHashSet(StringComparer.Ordinal);
    }

    public static ManagedView Of(ProfileStore store) => new(store);

    private ManagedFileStatus? EntryOf(string name) => _files.FirstOrDefault(f => f.Profile == name);

    private string? FileOf(string name) =>
        !_managed.Contains(name) ? null : EntryOf(name) is { } e ? Path.Combine(_store.ManagedDirectory, e.File) : _store.ManagedDirectory;

    private bool Shadows(string name) => _managed.Contains(name) && _store.HasUserProfile(name);

    /// <summary>The table's Source cell (the file name; <see cref="Remarks"/> names the directory).</summary>
    public string Source(string name) => FileOf(name) is { } file ? $"managed: {Path.GetFileName(file)}" : "user";

    /// <summary>Adds <c>managed</c>, <c>managedBy</c>, <c>managedError</c> and <c>shadowsUserProfile</c> to a list entry.</summary>
    public JsonObject Annotate(string name, JsonObject o)
    {
        var file = FileOf(name);
        o["managed"] = file is not null;
        if (file is null) return o;
        o["managedBy"] = file;
        o["managedError"] = EntryOf(name)?.Error;
        o["shadowsUserProfile"] = Shadows(name);
        return o;
    }

    /// <summary>The source row of <c>profile show</c>.</summary>
    public string ShowSource(string name) => FileOf(name) is { } file ? $"managed: {Path.GetFileName(file)}" : "user";

    /// <summary>Lines printed under the <c>profile show</c> table (paths are long; table cells would wrap them).</summary>
    public IEnumerable<string> ShowNotes(string name)
    {
        if (FileOf(name) is not { } file) yield break;
        yield return $"Managed by the device policy (MDM) through {file}; it can't be changed or removed here.";
        if (EntryOf(name)?.Error is { } error) yield return $"The last change to that file was not applied: {error}; this version stays in force.";
        if (Shadows(name)) yield return "It shadows your own profile of the same name (kept, unused while the managed one exists).";
    }

    /// <summary>Lines printed under the <c>profile list</c> table.</summary>
    public IEnumerable<string> Remarks()
    {
        if (_managed.Count > 0 || _files.Count > 0)
            yield return $"Managed profiles come from the device policy (MDM) through {_store.ManagedDirectory}; they can't be removed or replaced here.";
        foreach (var name in _managed.Order(StringComparer.Ordinal).Where(Shadows))
            yield return $"'{name}': the managed profile ({FileOf(name)}) shadows your own profile of the same name (kept, unused while the file exists).";
        foreach (var f in _files.Where(f => f.Error is not null && f.Profile is not null))
            yield return $"{Path.Combine(_store.ManagedDirectory, f.File)}: the last change was not applied: {f.Error}; the previous version of '{f.Profile}' stays in force.";
        foreach (var line in UnappliedFiles()) yield return line;
    }

    /// <summary>Files that provide no profile because no version of them was valid.</summary>
    public IEnumerable<string> UnappliedFiles() =>
        _files.Where(f => f.Error is not null && f.Profile is null).Select(f => $"{Path.Combine(_store.ManagedDirectory, f.File)}: not applied: {f.Error}");
}
