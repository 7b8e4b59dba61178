using System.Security.Cryptography;
using Ikev2Client.Profiles;
using Microsoft.Extensions.Logging;

namespace Ikev2Client.Service;

/// <summary>Timing of the managed-directory watcher (docs/service.md, "Managed profiles").</summary>
public sealed record ManagedDirectoryOptions
{
    /// <summary>Files the watcher considers at most (in file-name order); the rest are reported and ignored.</summary>
    public const int MaxFiles = 256;

    /// <summary>Watch the store's managed directory at all (the daemon does; tests may turn it off).</summary>
    public bool Enabled { get; init; } = true;
    /// <summary>A file is read once it has not changed for this long (debounces files being written in place).</summary>
    public TimeSpan SettleTime { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>The directory is listed this often even without a change notification (inotify can miss events).</summary>
    public TimeSpan RescanInterval { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>Every file is read again this often, even when its size and time stamp look unchanged.</summary>
    public TimeSpan FullRereadInterval { get; init; } = TimeSpan.FromMinutes(1);
    /// <summary>Use change notifications (tests turn them off to show that the rescan alone keeps the promise).</summary>
    internal bool Notifications { get; init; } = true;
    /// <summary>Time for the watcher's waits.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>
/// One pass over the managed directory (<see cref="ProfileStore.ManagedDirectory"/>): every file that has stopped
/// changing is imported with <see cref="ProfileImporter"/> and applied as a managed profile through the
/// <see cref="VpnManagerService"/>; a file that is gone takes its profile with it; a file that does not import is
/// reported (log and <c>managed/status.json</c>) and leaves the previous version in force. The time is passed in,
/// so the debounce is tested without waiting. Nothing here logs a secret: import errors never contain one.
/// </summary>
internal sealed class ManagedDirectorySync
{
    private static readonly string[] IgnoredSuffixes =
        ["~", ".tmp", ".part", ".swp", ".bak", ".dpkg-new", ".dpkg-old", ".dpkg-dist", ".dpkg-tmp", ".rpmnew", ".rpmsave"];

    private readonly VpnManagerService _manager;
    private readonly ProfileStore _store;
    private readonly ManagedDirectoryOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    /// <summary>Per file: its size and time stamp, and since when they have been seen unchanged.</summary>
    private readonly Dictionary<string, (Fingerprint Print, DateTimeOffset Since)> _seen = new(StringComparer.Ordinal);
    /// <summary>Per file: the fingerprint it had when it was last read (not read again until it changes).</summary>
    private readonly Dictionary<string, Fingerprint> _read = new(StringComparer.Ordinal);
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);
    private Dictionary<string, ManagedFileStatus> _status = null!; // loaded by the first pass
    private DateTimeOffset _lastFullRead = DateTimeOffset.MinValue;

    /// <summary>Size, time stamp and mode: a chmod that makes a refused file acceptable is a change too.</summary>
    private readonly record struct Fingerprint(long Length, DateTime LastWriteUtc, int Mode)
    {
        public static Fingerprint Of(FileInfo info) => new(info.Length, info.LastWriteTimeUtc, OperatingSystem.IsWindows() ? 0 : (int)info.UnixFileMode);
    }

    public ManagedDirectorySync(VpnManagerService manager, ProfileStore store, ManagedDirectoryOptions options, ILogger logger)
    {
        _manager = manager;
        _store = store;
        _options = options;
        _logger = logger;
    }

    public string DirectoryPath => _store.ManagedDirectory;

    /// <summary>One pass at <paramref name="now"/>; true when a file is still changing (pass again after the settle time).</summary>
    public async Task<bool> ScanAsync(DateTimeOffset now, CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try { return await ScanLockedAsync(now, ct).ConfigureAwait(false); }
        finally { _gate.Release(); }
    }

    private async Task<bool> ScanLockedAsync(DateTimeOffset now, CancellationToken ct)
    {
        _status ??= _store.ReadManagedStatus().GroupBy(f => f.File, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        if (now - _lastFullRead >= _options.FullRereadInterval)
        {
            _read.Clear();
            _lastFullRead = now;
        }
        bool changed = false, pending = false;
        var files = ListFiles(out var directoryProblem);
        if (files is null) return false; // unreadable: nothing can be told about the files, so nothing changes
        if (directoryProblem is not null)
        {
            // Anyone could have written (or deleted) these files: nothing is applied or removed until it is fixed,
            // and then every file is read again.
            _read.Clear();
            foreach (var info in files) changed |= Report(info.Name, null, directoryProblem, now);
            foreach (var entry in _status.Values.ToList()) changed |= Report(entry.File, null, directoryProblem, now);
            if (changed) WriteStatus();
            return false;
        }

        var present = files.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in _status.Values.Where(e => !present.Contains(e.File)).ToList())
        {
            if (gone.Profile is { } name)
            {
                await _manager.RemoveManagedProfileAsync(name, FullPath(gone.File), ct).ConfigureAwait(false);
                ServiceLog.ManagedFileDeleted(_logger, name, FullPath(gone.File));
            }
            _status.Remove(gone.File);
            _seen.Remove(gone.File);
            _read.Remove(gone.File);
            changed = true;
        }
        foreach (var orphan in SafeListManaged().Where(n => !_status.Values.Any(e => e.Profile == n)))
        {
            // A managed profile no file provides (the service stopped between writing the profile and its status).
            await _manager.RemoveManagedProfileAsync(orphan, DirectoryPath, ct).ConfigureAwait(false);
            ServiceLog.ManagedOrphanRemoved(_logger, orphan, DirectoryPath);
        }

        foreach (var info in files)
        {
            ct.ThrowIfCancellationRequested();
            var name = info.Name;
            Fingerprint print;
            try { print = Fingerprint.Of(info); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                pending = true; // it went away between listing and looking: the next pass sees what happened
                continue;
            }
            if (!_seen.TryGetValue(name, out var seen) || seen.Print != print) _seen[name] = seen = (print, now);
            bool stable = now - new DateTimeOffset(print.LastWriteUtc, TimeSpan.Zero) >= _options.SettleTime || now - seen.Since >= _options.SettleTime;
            if (!stable)
            {
                pending = true;
                continue;
            }
            if (_read.TryGetValue(name, out var read) && read == print && _status.ContainsKey(name)) continue;
            var (fileChanged, stillPending) = await ProcessAsync(info, print, now, ct).ConfigureAwait(false);
            changed |= fileChanged;
            pending |= stillPending;
        }
        if (changed) WriteStatus();
        return pending;
    }

    private void WriteStatus()
    {
        try { _store.WriteManagedStatus(_status.Values); }
        catch (ProfileStoreException e) { ServiceLog.ManagedStoreFailed(_logger, e.Message); }
    }

    /// <summary>Reads, imports and applies one stable file. Returns whether the status changed and whether it must be read again.</summary>
    private async Task<(bool Changed, bool Pending)> ProcessAsync(FileInfo info, Fingerprint print, DateTimeOffset now, CancellationToken ct)
    {
        var name = info.Name;
        var path = info.FullName;
        var entry = _status.GetValueOrDefault(name) ?? new ManagedFileStatus { File = name };
        var problem = CheckFile(info);
        byte[]? content = null;
        if (problem is null)
        {
            try { content = ReadAtMost(path, ProfileImporter.MaxFileBytes); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { problem = $"cannot be read ({e.GetType().Name})"; }
            if (content is null && problem is null) problem = $"is larger than {ProfileImporter.MaxFileBytes / 1024 / 1024} MiB";
        }
        bool unchanged;
        try
        {
            info.Refresh();
            unchanged = info.Exists && Fingerprint.Of(info) == print;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { unchanged = false; }
        if (!unchanged)
        {
            _seen.Remove(name); // it changed while being read: wait until it settles again
            return (false, true);
        }
        _read[name] = print;
        var hash = content is null ? null : Convert.ToHexStringLower(SHA256.HashData(content));
        if (hash is not null && hash == entry.Sha256 && entry.Profile is { } current && SafeIsManaged(current))
        {
            if (entry.Error is null) return (false, false);
            _status[name] = entry with { Error = null, ErrorSha256 = null, ErrorAt = null }; // back to the version in force
            ServiceLog.ManagedInForceAgain(_logger, current, path);
            return (true, false);
        }
        if (hash is not null && hash == entry.ErrorSha256) return (false, false); // reported already

        ImportResult? result = null;
        if (problem is null)
        {
            try { result = ProfileImporter.Import(content!, name); }
            catch (Exception e) when (e is ProfileImportException or ProfileValidationException) { problem = e.Message; }
        }
        if (result is not null && _status.Values.FirstOrDefault(e => e.File != name && e.Profile == result.Profile.Name) is { } holder)
            problem = $"provides the profile '{result.Profile.Name}', which {FullPath(holder.File)} already provides";
        if (problem is not null) return (Report(name, hash, problem, now), false);

        var profile = result!.Profile;
        if (entry.Profile is { } previous && previous != profile.Name)
        {
            await _manager.RemoveManagedProfileAsync(previous, path, ct).ConfigureAwait(false);
            ServiceLog.ManagedFileRenamedProfile(_logger, previous, path, profile.Name);
            _status[name] = entry = entry with { Profile = null, Sha256 = null };
        }
        try { await _manager.ApplyManagedProfileAsync(profile, path, ct).ConfigureAwait(false); }
        catch (ProfileStoreException e) { return (Report(name, hash, e.Message, now), false); }
        ServiceLog.ManagedApplied(_logger, profile.Name, path, result.Format.ToString());
        foreach (var note in result.Notes)
            ServiceLog.ManagedImportNote(_logger, profile.Name, note.Kind.ToString(), note.Key, note.Message);
        if (OperatingSystem.IsLinux() && NativeProfileJson.SecretsToJson(profile).Count > 0
            && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) != 0 && _reported.Add("readable:" + name + ":" + hash))
            ServiceLog.ManagedFileReadable(_logger, profile.Name, path);
        _status[name] = new ManagedFileStatus { File = name, Profile = profile.Name, Format = result.Format.ToString(), Sha256 = hash, AppliedAt = now };
        WriteStatus(); // at once, so 'profile list' names the file as soon as the profile is there (not at the end of the pass)
        return (true, false);
    }

    /// <summary>Records that the file's current content is not applied, and logs it once per content.</summary>
    private bool Report(string name, string? hash, string problem, DateTimeOffset now)
    {
        var entry = _status.GetValueOrDefault(name) ?? new ManagedFileStatus { File = name };
        if (entry.Error == problem && entry.ErrorSha256 == hash) return false;
        _status[name] = entry with { Error = problem, ErrorSha256 = hash, ErrorAt = now };
        if (entry.Profile is { } kept)
            ServiceLog.ManagedNotAppliedKept(_logger, FullPath(name), problem, kept);
        else
            ServiceLog.ManagedNotApplied(_logger, FullPath(name), problem);
        return true;
    }

    /// <summary>The candidate files in name order; null when the directory cannot be listed.</summary>
    private List<FileInfo>? ListFiles(out string? directoryProblem)
    {
        directoryProblem = null;
        var dir = new DirectoryInfo(DirectoryPath);
        if (!dir.Exists) return [];
        List<FileInfo> files;
        try
        {
            files = dir.EnumerateFiles().Where(f => IsCandidate(f.Name)).OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
            if (!OperatingSystem.IsWindows() && (dir.UnixFileMode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
                directoryProblem = $"the directory {DirectoryPath} is writable by group or others, so nothing in it is trusted (chmod go-w)";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (_reported.Add("list:" + e.GetType().Name))
                ServiceLog.ManagedUnreadable(_logger, DirectoryPath, e.GetType().Name);
            return null;
        }
        if (files.Count > ManagedDirectoryOptions.MaxFiles)
        {
            if (_reported.Add("max:" + files.Count))
                ServiceLog.ManagedTooManyFiles(_logger, DirectoryPath, files.Count, ManagedDirectoryOptions.MaxFiles);
            files = files.Take(ManagedDirectoryOptions.MaxFiles).ToList();
        }
        return files;
    }

    /// <summary>Temporary and backup files are not profiles (write-then-rename writers use a dot file).</summary>
    internal static bool IsCandidate(string fileName) =>
        fileName.Length > 0 && fileName[0] != '.' && !IgnoredSuffixes.Any(s => fileName.EndsWith(s, StringComparison.OrdinalIgnoreCase));

    private static string? CheckFile(FileInfo info)
    {
        if (info.LinkTarget is not null) return "is a symbolic link; the profile file itself must be in the directory";
        if (!OperatingSystem.IsWindows() && (info.UnixFileMode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
            return "is writable by group or others, so it is not trusted (chmod go-w)";
        if (info.Length == 0) return "is empty (or not a regular file)";
        return null;
    }

    private static byte[]? ReadAtMost(string path, int max)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = stream.Read(chunk)) > 0)
        {
            if (buffer.Length + n > max) return null;
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    private string FullPath(string file) => Path.Combine(DirectoryPath, file);

    private IReadOnlyList<string> SafeListManaged()
    {
        try { return _store.ListManaged(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return []; }
    }

    private bool SafeIsManaged(string name)
    {
        try { return _store.IsManaged(name); }
        catch (ProfileStoreException) { return false; }
    }
}
