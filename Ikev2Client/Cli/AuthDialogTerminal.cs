using System.Runtime.InteropServices;
using System.Text;
using Ikev2Client.NetworkManager;
using Ikev2Client.Profiles;
using Microsoft.Win32.SafeHandles;

namespace Ikev2Client.Cli;

/// <summary>
/// The auth dialog's fallback prompt when the secret agent wants no external UI: the controlling terminal
/// (<c>/dev/tty</c>; the dialog's standard input and output are the agent's pipes), a password read without echo.
/// <see cref="TryOpen"/> gives null when the process has no terminal (started by GNOME Shell or a daemon), so the
/// dialog reports that at once instead of waiting for an answer nobody can type.
/// </summary>
internal sealed partial class AuthDialogTerminal : IDisposable
{
    private const uint Echo = 0x8, EchoNl = 0x40;
    private const int LflagOffset = 12;
    private readonly SafeFileHandle _handle;
    private readonly FileStream _stream;

    private AuthDialogTerminal(SafeFileHandle handle)
    {
        _handle = handle;
        _stream = new FileStream(handle, FileAccess.ReadWrite, bufferSize: 0);
    }

    /// <summary>The controlling terminal, or null without one.</summary>
    public static AuthDialogTerminal? TryOpen()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try { return new AuthDialogTerminal(File.OpenHandle("/dev/tty", FileMode.Open, FileAccess.ReadWrite)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>Asks for <paramref name="secret"/> without echo; null at the end of input (Ctrl-D).</summary>
    public string? Ask(string connection, NmAuthSecret secret)
    {
        Write($"VPN '{SafeText.Clip(connection, 200)}': {secret.Label}: ");
        var fd = (int)_handle.DangerousGetHandle();
        var saved = new byte[256];
        var echoOff = TcGetAttr(fd, saved) == 0;
        if (echoOff)
        {
            var quiet = (byte[])saved.Clone();
            var lflag = BitConverter.ToUInt32(quiet, LflagOffset);
            BitConverter.TryWriteBytes(quiet.AsSpan(LflagOffset, 4), (lflag & ~Echo) | EchoNl);
            echoOff = TcSetAttr(fd, 0, quiet) == 0;
        }
        if (!echoOff) throw new NmAuthDialogException("echo cannot be turned off on this terminal");
        var bytes = new List<byte>(64);
        try
        {
            var one = new byte[1];
            while (true)
            {
                var n = _stream.Read(one, 0, 1);
                if (n <= 0) return bytes.Count == 0 ? null : Encoding.UTF8.GetString(bytes.ToArray());
                if (one[0] == (byte)'\n') return Encoding.UTF8.GetString(bytes.ToArray()).TrimEnd('\r');
                if (bytes.Count < 4096) bytes.Add(one[0]);
            }
        }
        finally
        {
            TcSetAttr(fd, 0, saved);
            for (var i = 0; i < bytes.Count; i++) bytes[i] = 0;
        }
    }

    private void Write(string text)
    {
        var b = Encoding.UTF8.GetBytes(text);
        _stream.Write(b, 0, b.Length);
        _stream.Flush();
    }

    public void Dispose()
    {
        _stream.Dispose();
        _handle.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "tcgetattr")]
    private static partial int TcGetAttr(int fd, [Out] byte[] termios);

    [LibraryImport("libc", EntryPoint = "tcsetattr")]
    private static partial int TcSetAttr(int fd, int optionalActions, [In] byte[] termios);
}
