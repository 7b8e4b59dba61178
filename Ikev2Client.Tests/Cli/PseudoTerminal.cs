using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Ikev2Client.Tests.Cli;

/// <summary>
/// A command run on a pseudo-terminal, as a user at a keyboard runs it: util-linux <c>script</c> gives the command a
/// pty, forwards what the test "types" (its standard input) to the pty — where the line discipline echoes it unless the
/// program turned echo off, and turns Ctrl-C into SIGINT — and copies everything the terminal shows to its standard
/// output. The command runs under <c>sh</c>, which afterwards prints <c>rc=N</c> and the terminal's echo flag
/// (<c>termios=echo</c> or <c>termios=-echo</c>), so a test sees whether the program put the terminal back.
/// </summary>
internal sealed class PseudoTerminal : IDisposable
{
    private static readonly Regex Escapes = new(@"\x1b(\[[0-9;?]*[ -/]*[@-~]|[=>]|\][^\x07]*\x07)");
    private readonly Process _process;
    private readonly StringBuilder _shown = new();

    private PseudoTerminal(Process process)
    {
        _process = process;
        _ = Task.Run(async () =>
        {
            var buffer = new char[4096];
            int n;
            while ((n = await process.StandardOutput.ReadAsync(buffer)) > 0)
                lock (_shown) _shown.Append(buffer, 0, n);
        });
    }

    /// <summary>
    /// Starts <paramref name="program"/> with <paramref name="args"/> on a pty (inside <c>ip netns exec
    /// <paramref name="netns"/></c> when given), with <paramref name="environment"/> set.
    /// </summary>
    public static PseudoTerminal Start(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string?> environment, string? netns = null)
    {
        if (!File.Exists("/usr/bin/script")) throw new InvalidOperationException("util-linux script (Debian bsdutils) provides the pseudo-terminal");
        // A trap with a handler (not an ignored signal, which the program would inherit) keeps sh alive through Ctrl-C.
        var command = "trap true INT; " + string.Join(' ', new[] { program }.Concat(args).Select(Quote))
            + "; echo \"rc=$?\"; echo \"termios=$(stty -a | tr ' ;' '\\n\\n' | grep -x -- '-\\{0,1\\}echo')\"";
        var psi = new ProcessStartInfo(netns is null ? "/usr/bin/script" : "ip")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        if (netns is not null) foreach (var a in (string[])["netns", "exec", netns, "/usr/bin/script"]) psi.ArgumentList.Add(a);
        foreach (var a in (string[])["-qec", command, "/dev/null"]) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment)
        {
            if (v is null) psi.Environment.Remove(k);
            else psi.Environment[k] = v;
        }
        return new PseudoTerminal(Process.Start(psi)!);
    }

    /// <summary>What the terminal showed so far, without escape sequences and carriage returns.</summary>
    public string Shown
    {
        get
        {
            string raw;
            lock (_shown) raw = _shown.ToString();
            return Escapes.Replace(raw, "").Replace("\r", "");
        }
    }

    /// <summary>Waits until the terminal shows <paramref name="text"/>; fails with everything shown otherwise.</summary>
    public async Task WaitForAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Shown.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited && !Shown.Contains(text, StringComparison.Ordinal))
            {
                await Task.Delay(200); // the last output may still be on its way
                if (Shown.Contains(text, StringComparison.Ordinal)) return;
                throw new TimeoutException($"the program ended before the terminal showed '{text}':\n{Shown}");
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the terminal did not show '{text}' within {timeout.TotalSeconds:0} s:\n{Shown}");
            await Task.Delay(50);
        }
    }

    /// <summary>Types <paramref name="keys"/> (<c>\n</c> is Enter, <c>\x03</c> Ctrl-C).</summary>
    public void Type(string keys)
    {
        _process.StandardInput.Write(keys);
        _process.StandardInput.Flush();
    }

    /// <summary>Waits for the command to end: its exit code (from <c>rc=</c>), whether echo is on afterwards, and what the terminal showed.</summary>
    public async Task<(int Code, bool EchoOn, string Shown)> WaitForExitAsync(TimeSpan timeout)
    {
        await WaitForAsync("termios=", timeout);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!Regex.IsMatch(Shown, @"termios=-?echo\n") && DateTime.UtcNow < deadline) await Task.Delay(50);
        var shown = Shown;
        var rc = Regex.Match(shown, @"rc=(\d+)");
        var echo = Regex.Match(shown, @"termios=(-?echo)");
        if (!rc.Success || !echo.Success) throw new InvalidOperationException("no rc/termios line:\n" + shown);
        return (int.Parse(rc.Groups[1].Value), echo.Groups[1].Value == "echo", shown);
    }

    private static string Quote(string word) => "'" + word.Replace("'", "'\\''") + "'";

    public void Dispose()
    {
        try
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(5_000)) _process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException) { }
        _process.Dispose();
    }
}
