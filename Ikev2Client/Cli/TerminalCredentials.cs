using System.Runtime.InteropServices;
using System.Text;
using Ikev2Client.Profiles;
using Ikev2Client.Service;

namespace Ikev2Client.Cli;

/// <summary>
/// Reading a line from the terminal, a password without echo (as getpass(3) does: the terminal's ECHO flag off, ECHONL
/// on, restored afterwards — also when the read is cancelled by Ctrl-C or runs out of time). Only when standard input is
/// a terminal: <see cref="StdinIsTerminal"/>. The prompt goes to <c>/dev/tty</c> (to standard error without one), so it
/// is seen even when the output is redirected. Input is read from file descriptor 0 byte by byte, so nothing after
/// the line is consumed (<c>profile set</c> reads two lines).
/// </summary>
internal static partial class TerminalInput
{
    private const int StdinFd = 0;
    private const uint Echo = 0x8;      // ECHO  (termios.h: 0000010)
    private const uint EchoNl = 0x40;   // ECHONL (termios.h: 0000100)
    private const int TcsaNow = 0;
    private const int LflagOffset = 12; // struct termios { c_iflag, c_oflag, c_cflag, c_lflag; ... } on Linux

    /// <summary>Standard input is a terminal (isatty(0)).</summary>
    public static bool StdinIsTerminal => OperatingSystem.IsLinux() ? IsATty(StdinFd) == 1 : !Console.IsInputRedirected;

    /// <summary>Where prompts go: the controlling terminal, else standard error.</summary>
    public static TextWriter PromptWriter()
    {
        try
        {
            var tty = new StreamWriter(new FileStream("/dev/tty", FileMode.Open, FileAccess.Write), new UTF8Encoding(false)) { AutoFlush = true };
            return tty;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException) { return Console.Error; }
    }

    /// <summary>
    /// Shows <paramref name="prompt"/> and reads one line (without its line end) from standard input, without echo when
    /// <paramref name="secret"/>; null at end of input. Cancellation and <paramref name="timeout"/> end the wait (the
    /// terminal is restored first) with <see cref="OperationCanceledException"/> and <see cref="TimeoutException"/>.
    /// </summary>
    public static async Task<string?> ReadLineAsync(TextWriter promptWriter, string prompt, bool secret, TimeSpan? timeout, CancellationToken ct)
    {
        if (secret && !OperatingSystem.IsLinux())
            throw new CredentialPromptException("reading a password without echo is implemented on Linux only");
        // Echo goes off before the prompt shows, so nothing typed after it is ever echoed (getpass(3) does the same).
        byte[]? saved = secret ? EchoOff() : null;
        try
        {
            promptWriter.Write(prompt);
            promptWriter.Flush();
            var read = Task.Factory.StartNew(ReadLineFromStdin, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            if (timeout is { } t) cts.CancelAfter(t);
            try { return await read.WaitAsync(cts.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"no answer within {timeout!.Value.TotalSeconds:0} s");
            }
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
            Restore(saved);
            saved = null;
            promptWriter.WriteLine();
            throw;
        }
        finally { Restore(saved); }
    }

    /// <summary>Turns echo off (keeping the newline's echo); the settings to restore, or null when it can't.</summary>
    private static byte[]? EchoOff()
    {
        var saved = new byte[256]; // sizeof(struct termios) is 60 on Linux; room to spare
        if (TcGetAttr(StdinFd, saved) != 0) throw new CredentialPromptException("the terminal's settings can't be read to turn echo off");
        var quiet = (byte[])saved.Clone();
        uint lflag = BitConverter.ToUInt32(quiet, LflagOffset);
        BitConverter.TryWriteBytes(quiet.AsSpan(LflagOffset, 4), (lflag & ~Echo) | EchoNl);
        if (TcSetAttr(StdinFd, TcsaNow, quiet) != 0) throw new CredentialPromptException("echo can't be turned off on this terminal");
        return saved;
    }

    private static void Restore(byte[]? saved)
    {
        if (saved is not null) TcSetAttr(StdinFd, TcsaNow, saved);
    }

    /// <summary>One line from file descriptor 0, read a byte at a time (nothing past the newline is consumed).</summary>
    private static string? ReadLineFromStdin()
    {
        var bytes = new List<byte>(64);
        var one = new byte[1];
        while (true)
        {
            nint n = Read(StdinFd, one, 1);
            if (n < 0 && Marshal.GetLastPInvokeError() == 4) continue; // EINTR
            if (n <= 0) return bytes.Count == 0 ? null : Decode(bytes);
            if (one[0] == (byte)'\n') return Decode(bytes);
            if (bytes.Count < 4096) bytes.Add(one[0]); // a line longer than any credential's limit is cut; the validator refuses it
        }
    }

    private static string Decode(List<byte> bytes)
    {
        var text = Encoding.UTF8.GetString(bytes.ToArray());
        Wipe(bytes);
        return text.TrimEnd('\r');
    }

    private static void Wipe(List<byte> bytes)
    {
        for (int i = 0; i < bytes.Count; i++) bytes[i] = 0;
        bytes.Clear();
    }

    [LibraryImport("libc", EntryPoint = "isatty")]
    private static partial int IsATty(int fd);

    [LibraryImport("libc", EntryPoint = "tcgetattr")]
    private static partial int TcGetAttr(int fd, [Out] byte[] termios);

    [LibraryImport("libc", EntryPoint = "tcsetattr")]
    private static partial int TcSetAttr(int fd, int optionalActions, [In] byte[] termios);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, [Out] byte[] buffer, nint count);
}

/// <summary>
/// The CLI's <see cref="ICredentialPrompt"/>: asks on the terminal (a password without echo) for what a profile lacks,
/// when <c>connect</c> runs on one; never when standard input is not a terminal (the service then reports the missing
/// field and how to supply it). The answers are stored with the profile only with <c>--save-password</c>.
/// </summary>
internal sealed class TerminalCredentialPrompt(bool save) : ICredentialPrompt
{
    /// <summary>Time kept back from the service's deadline, so that our own timeout speaks first.</summary>
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(1);

    public async Task<CredentialAnswer> AskAsync(CredentialRequest request, CancellationToken cancellationToken)
    {
        if (!TerminalInput.StdinIsTerminal) throw new CredentialPromptException("standard input is not a terminal");
        using var tty = TerminalInput.PromptWriter();
        var fields = string.Join(" and ", request.Fields.Select(f => f.Key));
        if (request.Attempt == 1)
            tty.WriteLine($"{SafeText.Quote(request.Profile)} has no {fields} stored; " + (save
                ? "the answer will be stored with the profile (secrets in a file of mode 0600)."
                : "the answer serves this connection only (--save-password stores it; Ctrl-C cancels)."));
        else if (request.Error is { } error)
            tty.WriteLine($"Not accepted: {SafeText.Line(error, 256)}. Try again ({request.Attempt} of 3).");
        var deadline = request.Timeout is { } t ? DateTime.UtcNow + t - Margin : (DateTime?)null;
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in request.Fields)
        {
            var left = deadline is { } d ? d - DateTime.UtcNow : (TimeSpan?)null;
            if (left is { } l && l <= TimeSpan.Zero) throw new CredentialPromptException("no answer in time");
            string? value;
            try { value = await TerminalInput.ReadLineAsync(tty, SafeText.Line(f.Label, 200) + ": ", f.Secret, left, cancellationToken).ConfigureAwait(false); }
            catch (TimeoutException e) { throw new CredentialPromptException(e.Message); }
            values[f.Key] = value ?? throw new CredentialPromptException("no answer (end of input)");
        }
        return new CredentialAnswer(values, save);
    }
}

/// <summary>
/// Lets a credential prompt take the terminal from the <c>connect</c> spinner: the prompt waits until the spinner has
/// stopped (<see cref="Requested"/> tells it to), asks, and then lets it start again.
/// </summary>
internal sealed class SpinnerPausingPrompt(ICredentialPrompt inner) : ICredentialPrompt
{
    private readonly object _gate = new();
    private TaskCompletionSource _requested = New();
    private TaskCompletionSource? _granted;
    private TaskCompletionSource? _done;

    /// <summary>Completes when a prompt wants the terminal (the spinner must stop, then call <see cref="GrantAsync"/>).</summary>
    public Task Requested { get { lock (_gate) return _requested.Task; } }

    /// <summary>Lets the waiting prompt ask and returns once it is done (the spinner may start again).</summary>
    public async Task GrantAsync()
    {
        TaskCompletionSource granted, done;
        lock (_gate)
        {
            granted = _granted!;
            done = _done!;
            _requested = New();
        }
        granted.TrySetResult();
        await done.Task.ConfigureAwait(false);
    }

    public async Task<CredentialAnswer> AskAsync(CredentialRequest request, CancellationToken cancellationToken)
    {
        TaskCompletionSource granted, done;
        lock (_gate)
        {
            _granted = granted = New();
            _done = done = New();
            _requested.TrySetResult();
        }
        try
        {
            await granted.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return await inner.AskAsync(request, cancellationToken).ConfigureAwait(false);
        }
        finally { done.TrySetResult(); }
    }

    private static TaskCompletionSource New() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>
/// Ctrl-C (SIGINT) and SIGTERM cancel <see cref="Token"/> instead of killing the process, so that a command can undo what
/// it started and put the terminal back (echo after a password prompt) before it exits. Dispose to restore the default.
/// </summary>
internal sealed class Interrupts : IDisposable
{
    private readonly CancellationTokenSource _cts;
    private readonly PosixSignalRegistration _int, _term;

    private Interrupts(CancellationToken linked)
    {
        _cts = CancellationTokenSource.CreateLinkedTokenSource(linked);
        _int = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    /// <summary>A token cancelled by <paramref name="linked"/>, Ctrl-C or SIGTERM.</summary>
    public static Interrupts Cancel(CancellationToken linked) => new(linked);

    /// <summary>Cancelled when the user pressed Ctrl-C (or the process got SIGTERM).</summary>
    public CancellationToken Token => _cts.Token;

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true; // the command ends itself, cleanly
        try { _cts.Cancel(); }
        catch (ObjectDisposedException) { }
    }

    public void Dispose()
    {
        _int.Dispose();
        _term.Dispose();
        _cts.Dispose();
    }
}
