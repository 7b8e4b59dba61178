using System.Diagnostics;

namespace Ikev2Client.Service;

/// <summary>
/// Starts <c>ikev2 daemon --foreground</c> as a detached background process (its own session via
/// <c>setsid</c>, stdin from /dev/null, stdout and stderr appended to the log file) and waits for its socket.
/// </summary>
public static class DaemonLauncher
{
    /// <summary>The command line that runs this program (apphost, or <c>dotnet ikev2.dll</c>).</summary>
    public static IReadOnlyList<string> SelfCommand()
    {
        var process = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find this program's path");
        if (Path.GetFileNameWithoutExtension(process).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            // Under 'dotnet ikev2.dll' the first command-line argument is the assembly's path (the native build never gets here).
            var entry = Environment.GetCommandLineArgs().FirstOrDefault();
            if (string.IsNullOrEmpty(entry) || !File.Exists(entry)) throw new InvalidOperationException("cannot find the ikev2 assembly");
            return [process, entry];
        }
        return [process];
    }

    /// <summary>
    /// Spawns the daemon and waits until <paramref name="client"/> gets an answer, up to <paramref name="timeout"/>.
    /// Returns the daemon's pid; throws <see cref="VpnManagerException"/> (Unavailable) when it does not come up.
    /// </summary>
    public static async Task<int> StartAsync(VpnManagerClient client, string logPath, TimeSpan timeout, IReadOnlyList<string>? command = null, CancellationToken cancellationToken = default)
    {
        command ??= SelfCommand();
        var logDir = Path.GetDirectoryName(Path.GetFullPath(logPath))!;
        Directory.CreateDirectory(logDir);
        if (!File.Exists(logPath))
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            try { using var _ = new FileStream(logPath, options); } catch (IOException) { }
        }
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        // Its stderr is the log file, not the journal: timestamped lines even when this command runs under systemd.
        psi.Environment.Remove("JOURNAL_STREAM");
        // $1 = log file, the rest = the daemon command. The shell backgrounds it in a new session and exits.
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("log=\"$1\"; shift; if command -v setsid >/dev/null 2>&1; then setsid \"$@\" </dev/null >>\"$log\" 2>&1 & else \"$@\" </dev/null >>\"$log\" 2>&1 & fi");
        psi.ArgumentList.Add("ikev2-launch");
        psi.ArgumentList.Add(logPath);
        foreach (var a in command) psi.ArgumentList.Add(a);
        foreach (var a in new[] { "daemon", "--foreground" }) psi.ArgumentList.Add(a);
        using (var shell = Process.Start(psi) ?? throw new VpnManagerException(VpnManagerErrors.Unavailable, "cannot start /bin/sh"))
            await shell.WaitForExitAsync(cancellationToken).ConfigureAwait(false);

        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try { return await client.PingAsync(cancellationToken).ConfigureAwait(false); }
            catch (VpnManagerException e) when (e.Code == VpnManagerErrors.Unavailable && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
            catch (VpnManagerException e) when (e.Code == VpnManagerErrors.Unavailable)
            {
                throw new VpnManagerException(VpnManagerErrors.Unavailable, $"the ikev2 service did not start within {timeout.TotalSeconds:0} s; see {logPath}");
            }
        }
    }
}
