using System.Diagnostics;
using System.Text;

namespace Ikev2Client.Tests.Infrastructure;

/// <summary>Result of a finished external command.</summary>
public sealed record ShellResult(int ExitCode, string StdOut, string StdErr)
{
    public string Output => StdOut + StdErr;
}

/// <summary>Runs external commands for tests, always with a timeout (a test never hangs on a child process).</summary>
public static class Shell
{
    public static ShellResult Run(string file, IEnumerable<string> args, TimeSpan? timeout = null, IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env != null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        p.StandardInput.Close();
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        using var stdoutClosed = new ManualResetEventSlim();
        using var stderrClosed = new ManualResetEventSlim();
        p.OutputDataReceived += (_, e) => { if (e.Data != null) lock (stdout) stdout.AppendLine(e.Data); else stdoutClosed.Set(); };
        p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (stderr) stderr.AppendLine(e.Data); else stderrClosed.Set(); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!p.WaitForExit((int)(timeout ?? TimeSpan.FromSeconds(30)).TotalMilliseconds))
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            p.WaitForExit(5000);
            throw new TimeoutException($"'{file} {string.Join(' ', args)}' did not finish within {timeout ?? TimeSpan.FromSeconds(30)}");
        }
        // A background grandchild may keep the pipes open: wait a bounded time for the output, never forever.
        stdoutClosed.Wait(TimeSpan.FromSeconds(2));
        stderrClosed.Wait(TimeSpan.FromSeconds(2));
        string o, e2;
        lock (stdout) o = stdout.ToString();
        lock (stderr) e2 = stderr.ToString();
        return new ShellResult(p.ExitCode, o, e2);
    }

    /// <summary>Runs a command line through sh -c.</summary>
    public static ShellResult Sh(string commandLine, TimeSpan? timeout = null, IDictionary<string, string>? env = null)
        => Run("/bin/sh", new[] { "-c", commandLine }, timeout, env);

    /// <summary>Runs through sh -c and throws with the command's output when it fails.</summary>
    public static string ShOk(string commandLine, TimeSpan? timeout = null, IDictionary<string, string>? env = null)
    {
        var r = Sh(commandLine, timeout, env);
        if (r.ExitCode != 0)
            throw new InvalidOperationException($"'{commandLine}' exited {r.ExitCode}: {r.Output}");
        return r.StdOut;
    }

    public static bool IsRoot => Environment.UserName == "root" || geteuid() == 0;

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern uint geteuid();
}
