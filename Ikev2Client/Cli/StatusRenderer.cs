using System.Globalization;
using Ikev2Client.Connection;
using Ikev2Client.Profiles;
using Ikev2Client.Service;
using Spectre.Console;

namespace Ikev2Client.Cli;

/// <summary>Human output of profile states: a detail table for one profile, a summary table for several.</summary>
internal static class StatusRenderer
{
    public static void Detail(IAnsiConsole console, VpnProfileState s, DateTimeOffset now)
    {
        var table = new Table().AddColumns("", Markup.Escape(s.Name));
        table.AddRow("State", Markup.Escape(s.State.ToWire()));
        if (s.SessionKey is not null) table.AddRow("Session", Markup.Escape(s.SessionKey));
        if (s.ManagedBy is not null) table.AddRow("Managed by", Markup.Escape(s.ManagedBy));
        if (s.Server is not null) table.AddRow("Server", Markup.Escape(s.Server));
        var flags = new List<string>();
        if (s.AlwaysOn) flags.Add("always-on");
        if (s.Lockdown) flags.Add("lockdown");
        if (s.Ephemeral) flags.Add("from file");
        if (flags.Count > 0) table.AddRow("Mode", string.Join(", ", flags));
        if (Blocking(s) is { } blocking) table.AddRow("Blocking", Markup.Escape(blocking));
        if (s.Connection is { } c)
        {
            table.AddRow("Gateway", Markup.Escape(c.Gateway));
            if (c.InterfaceName is not null) table.AddRow("Interface", Markup.Escape(c.InterfaceName));
            table.AddRow("Connected", Markup.Escape($"{c.ConnectedAt:u} ({Duration(now - c.ConnectedAt)})"));
            table.AddRow("Virtual IP", Markup.Escape(c.VirtualAddresses.Count > 0 ? string.Join(", ", c.VirtualAddresses) : "-"));
            table.AddRow("DNS", Markup.Escape((c.DnsServers.Count > 0 ? string.Join(", ", c.DnsServers) : "-") +
                (c.DnsDomains.Count > 0 ? $" (domains {string.Join(", ", c.DnsDomains)})" : "")));
            if (c.Routes.Count > 0) table.AddRow("Routes", Markup.Escape(string.Join(", ", c.Routes)));
            if (c.BlockedFamilies.Count > 0)
                table.AddRow("Blocked", Markup.Escape($"{string.Join(", ", c.BlockedFamilies)}  — the gateway assigned no address of it"));
            table.AddRow("IKE", Markup.Escape(c.IkeAlgorithms ?? "-"));
            table.AddRow("ESP", Markup.Escape((c.EspAlgorithms ?? "-") + (c.UdpEncapsulation ? " (UDP-encapsulated)" : "")));
            table.AddRow("IKE SPIs", Markup.Escape($"{c.IkeSpiInitiator ?? "?"}_i {c.IkeSpiResponder ?? "?"}_r"));
            table.AddRow("ESP SPIs", Markup.Escape($"in {c.EspSpiIn ?? "?"}, out {c.EspSpiOut ?? "?"}"));
        }
        if (s.Statistics is { } st)
        {
            table.AddRow("Traffic in", Markup.Escape($"{st.PacketsReceived.ToString("N0", CultureInfo.InvariantCulture)} packets, {Bytes(st.BytesReceived)}"));
            table.AddRow("Traffic out", Markup.Escape($"{st.PacketsSent.ToString("N0", CultureInfo.InvariantCulture)} packets, {Bytes(st.BytesSent)}"));
            table.AddRow("Next rekey", Markup.Escape(s.Connection?.NextRekeyAt is { } r ? $"in {Duration(r - now)}" : "-"));
        }
        if (s.Detail is not null) table.AddRow("Note", Markup.Escape(SafeText.Line(s.Detail)));
        if (s.Error is { } e)
        {
            table.AddRow("Error", Markup.Escape(SafeText.Line($"{e.CodeName} ({e.ClassName})")));
            table.AddRow("", Markup.Escape(SafeText.Line(e.Message)));
            if (e.Advice is not null) table.AddRow("Advice", Markup.Escape(SafeText.Line(e.Advice)));
        }
        if (s.NextRetryAt is { } retry) table.AddRow("Retry", Markup.Escape($"in {Duration(retry - now)}"));
        console.Write(table);
    }

    public static void Summary(IAnsiConsole console, IReadOnlyList<VpnProfileState> states, DateTimeOffset now)
    {
        var table = new Table().AddColumns("Profile", "State", "Gateway", "Virtual IP", "Traffic in/out", "Next rekey", "Error");
        foreach (var s in states)
        {
            table.AddRow(
                Markup.Escape(s.Name + (s.AlwaysOn ? " (always-on)" : "") + (s.ManagedBy is not null ? " (managed)" : "")),
                Markup.Escape(s.State.ToWire() + (s.LockdownActive && s.State != VpnState.Connected ? " (blocking all traffic)" : "")),
                Markup.Escape(s.Connection?.Gateway ?? s.Server ?? "-"),
                Markup.Escape(s.Connection is { VirtualAddresses.Count: > 0 } c ? string.Join(", ", c.VirtualAddresses) : "-"),
                Markup.Escape(s.Statistics is { } st ? $"{Bytes(st.BytesReceived)} / {Bytes(st.BytesSent)}" : "-"),
                Markup.Escape(s.Connection?.NextRekeyAt is { } r ? Duration(r - now) : "-"),
                Markup.Escape(s.Error?.CodeName ?? ""));
        }
        console.Write(table);
    }

    /// <summary>One line per change for <c>status --watch</c>.</summary>
    public static string Line(VpnProfileState s)
    {
        var parts = new List<string> { $"{s.Since:HH:mm:ss}", s.Name, s.State.ToWire() };
        if (s.Connection is { } c) parts.Add($"gateway {c.Gateway} ip {string.Join(",", c.VirtualAddresses)}");
        if (s.Error is { } e) parts.Add($"{e.CodeName}: {e.Message}");
        if (s.Detail is not null) parts.Add($"({s.Detail})");
        if (s.LockdownActive) parts.Add(s.State == VpnState.Connected ? "[lockdown: outside the tunnel blocked]" : "[lockdown: all traffic blocked]");
        return SafeText.Line(string.Join(' ', parts));
    }

    /// <summary>What lockdown is blocking now, for people; null when the firewall is not in place.</summary>
    public static string? Blocking(VpnProfileState s) => !s.LockdownActive ? null
        : s.State == VpnState.Connected
            ? "lockdown: everything outside the tunnel is blocked"
            : $"lockdown: ALL traffic is blocked (only IKE/ESP to the gateway gets out) until the tunnel is up; 'ikev2 disconnect {s.Name}' lifts it";

    public static string Duration(TimeSpan t)
    {
        if (t < TimeSpan.Zero) t = TimeSpan.Zero;
        if (t.TotalHours >= 1) return $"{(int)t.TotalHours}h {t.Minutes:00}m";
        if (t.TotalMinutes >= 1) return $"{t.Minutes}m {t.Seconds:00}s";
        return $"{Math.Ceiling(t.TotalSeconds):0}s";
    }

    public static string Bytes(long n) => n switch
    {
        < 1024 => $"{n} B",
        < 1024 * 1024 => $"{n / 1024.0:0.0} KiB",
        < 1024L * 1024 * 1024 => $"{n / (1024.0 * 1024):0.0} MiB",
        _ => $"{n / (1024.0 * 1024 * 1024):0.00} GiB",
    };
}
