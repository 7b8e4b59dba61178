using System.Runtime.InteropServices;
using System.Text;

namespace Ikev2Client.Profiles;

/// <summary>
/// Writes text that may hold secrets to a file the user named (<c>profile export -o FILE</c>) so that it ends
/// mode 0600 whether or not the file existed, and not one byte of it is ever readable by others: the text goes to
/// a new temporary file created 0600 beside the target, which is then renamed over it (a reader that had the old
/// file open keeps the old content). A symbolic link is followed, so the link keeps pointing at the new file.
/// Where no temporary file can be made, the existing file is set to 0600 (fchmod) before it is truncated and
/// written. Devices and FIFOs (<c>-o /dev/stdout</c>) are written as they are.
/// </summary>
internal static partial class PrivateFile
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static void Write(string path, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var target = Path.GetFullPath(path);
        try
        {
            if (File.ResolveLinkTarget(target, returnFinalTarget: true) is { } link) target = link.FullName;
        }
        catch (IOException) { } // a dangling or looping link: write to the path itself
        if (Directory.Exists(target)) throw new IOException($"{SafeText.Clip(path, 256)} is a directory");
        var kind = Kind(target);
        if (kind == FileKind.Special)
        {
            using var special = new FileStream(target, FileMode.Open, FileAccess.Write);
            special.Write(bytes);
            return;
        }
        if (OperatingSystem.IsWindows())
        {
            File.WriteAllBytes(target, bytes);
            return;
        }
        var temp = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.tmp");
        FileStream tempStream;
        try { tempStream = new FileStream(temp, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = OwnerOnly }); }
        catch (UnauthorizedAccessException) when (kind == FileKind.Regular && !OperatingSystem.IsWindows())
        {
            OverwriteInPlace(target, bytes);
            return;
        }
        try
        {
            using (tempStream)
            {
                tempStream.Write(bytes);
                tempStream.Flush(flushToDisk: true);
            }
            File.Move(temp, target, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw;
        }
    }

    /// <summary>The directory is not ours to write in: make the file 0600 first, then truncate and write it.</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void OverwriteInPlace(string target, byte[] bytes)
    {
        using var handle = File.OpenHandle(target, FileMode.Open, FileAccess.Write);
        File.SetUnixFileMode(handle, OwnerOnly); // throws when we are not the owner: then nothing was written
        using var stream = new FileStream(handle, FileAccess.Write);
        stream.SetLength(0);
        stream.Write(bytes);
        stream.Flush(flushToDisk: true);
    }

    private enum FileKind { Missing, Regular, Special }

    private static FileKind Kind(string path)
    {
        if (!File.Exists(path)) return FileKind.Missing;
        if (!OperatingSystem.IsLinux()) return path.StartsWith("/dev/", StringComparison.Ordinal) ? FileKind.Special : FileKind.Regular;
        Span<byte> buffer = stackalloc byte[256];
        if (Statx(AtFdCwd, path, 0, StatxType, ref MemoryMarshal.GetReference(buffer)) != 0) return FileKind.Missing;
        ushort mode = BitConverter.ToUInt16(buffer[28..30]); // struct statx.stx_mode (the same on every architecture)
        return (mode & 0xF000) == 0x8000 ? FileKind.Regular : FileKind.Special;
    }

    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1;

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, ref byte buffer);
}
