using System.Globalization;

namespace Ikev2Client.Platform.Linux;

/// <summary>
/// Who wrote a crash-recovery state file: the process (pid and its start time, so a reused pid is not mistaken for
/// the owner), the boot (a reboot ends every process and every kernel object) and the network namespace of the thread
/// that installed the resources (rules, routes and nftables tables live in one namespace; the next start may run in
/// another). Written as the first line of every state file.
/// </summary>
internal sealed record StateOwner(int Pid, ulong StartTime, string BootId, ulong NetworkNamespace)
{
    private const string Prefix = "# owner ";

    /// <summary>The calling process, and the network namespace of the calling thread.</summary>
    public static StateOwner Current() =>
        new(Environment.ProcessId, ProcessStartTime(Environment.ProcessId) ?? 0, CurrentBootId(), CurrentNetworkNamespace());

    /// <summary>The header line.</summary>
    public string ToLine() => string.Create(CultureInfo.InvariantCulture,
        $"{Prefix}pid={Pid} start={StartTime} boot={BootId} netns={NetworkNamespace}");

    /// <summary>Parses a header line; null for anything else.</summary>
    public static StateOwner? Parse(string line)
    {
        if (!line.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        int? pid = null;
        ulong? start = null, netns = null;
        string? boot = null;
        foreach (var field in line[Prefix.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = field.IndexOf('=');
            if (eq <= 0) continue;
            var value = field[(eq + 1)..];
            switch (field[..eq])
            {
                case "pid" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var p): pid = p; break;
                case "start" when ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var s): start = s; break;
                case "netns" when ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n): netns = n; break;
                case "boot": boot = value; break;
            }
        }
        return pid is { } a && start is { } b && boot is { } c && netns is { } d ? new StateOwner(a, b, c, d) : null;
    }

    /// <summary>True while the owning process still runs (same boot, same pid, same start time).</summary>
    public bool IsAlive => IsSameBoot && ProcessStartTime(Pid) is { } start && start == StartTime;

    /// <summary>True when the file was written during this boot (kernel objects it lists may still exist).</summary>
    public bool IsSameBoot => BootId == CurrentBootId();

    /// <summary>True when the calling thread is in the network namespace the resources were installed in.</summary>
    public bool IsCurrentNetworkNamespace => NetworkNamespace == CurrentNetworkNamespace();

    /// <summary>Field 22 of /proc/PID/stat (clock ticks after boot), or null when there is no such process.</summary>
    internal static ulong? ProcessStartTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')'); // the command name may contain spaces and parentheses
            if (close < 0) return null;
            var fields = stat[(close + 2)..].Split(' ');
            // fields[0] is field 3 (state): a zombie (Z) or dead (X) process has released everything it held.
            if (fields.Length > 0 && fields[0] is "Z" or "X") return null;
            // the start time is field 22
            return fields.Length > 19 && ulong.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var t) ? t : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    private static string CurrentBootId()
    {
        try { return File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return "unknown"; }
    }

    /// <summary>The inode of the calling thread's network namespace (<c>/proc/thread-self/ns/net</c> → "net:[N]").</summary>
    internal static ulong CurrentNetworkNamespace()
    {
        try
        {
            var target = new FileInfo("/proc/thread-self/ns/net").LinkTarget ?? "";
            var open = target.IndexOf('[');
            var close = target.IndexOf(']');
            return open >= 0 && close > open && ulong.TryParse(target.AsSpan(open + 1, close - open - 1), NumberStyles.None,
                CultureInfo.InvariantCulture, out var inode) ? inode : 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return 0; }
    }
}
