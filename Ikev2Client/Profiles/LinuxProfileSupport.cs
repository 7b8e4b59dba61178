namespace Ikev2Client.Profiles;

/// <summary>What this client does on Linux with one Android-shaped profile setting.</summary>
/// <param name="Key">The native JSON key (<c>metered</c>, <c>allowedApps</c>...).</param>
/// <param name="Value">The profile's value, as <c>profile show</c> prints it.</param>
/// <param name="Supported">False: the setting has no effect on Linux (<see cref="Behaviour"/> says why).</param>
/// <param name="Behaviour">What happens on Linux, or "not supported on Linux: reason".</param>
public sealed record LinuxSettingSupport(string Key, string Value, bool Supported, string Behaviour)
{
    /// <summary>One line: <c>key = value: behaviour</c>.</summary>
    public override string ToString() => $"{Key} = {Value}: {Behaviour}";
}

/// <summary>
/// The Linux meaning of every <c>Ikev2VpnProfile</c> setting that Android applies to the VPN network rather than to
/// IKE (docs/android-parity.md): what each one does here, or why it cannot. Nothing is stored silently: a setting that
/// has no effect here is reported at import (a warning when its value differs from Android's default; the import
/// succeeds) and always by <c>profile show</c>.
/// </summary>
public static class LinuxProfileSupport
{
    /// <summary>The prefix of every refusal.</summary>
    public const string NotSupported = "not supported on Linux: ";

    internal const string BypassReason = NotSupported
        + "Linux has no per-process network selection a VPN could open up (Android's bindProcessToNetwork); every process follows the tunnel's routes";
    internal const string MeteredReason = NotSupported
        + "Linux has no system-wide metered flag for a network outside NetworkManager, which this client does not register with; applications cannot see it";
    internal const string ProxyReason = NotSupported
        + "Linux has no system-wide HTTP proxy a VPN can push (each process reads http_proxy from its own environment or desktop settings); set it there";
    internal const string ValidationReason = NotSupported
        + "Linux has no network validation service (Android's captive-portal and Internet check); the connection's liveness checks watch the gateway instead";
    internal const string AppsReason = NotSupported
        + "Linux has no application packages to route by; per-application routing would need a cgroup set up for each program";

    /// <summary>
    /// Every network-level setting of <paramref name="profile"/> with what it does on Linux, honoured ones included
    /// (for <c>profile show</c>).
    /// </summary>
    public static IReadOnlyList<LinuxSettingSupport> Describe(Ikev2VpnProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var list = new List<LinuxSettingSupport>
        {
            new("bypassable", Bool(profile.IsBypassable), !profile.IsBypassable, profile.IsBypassable ? BypassReason
                : "every process's traffic follows the tunnel's routes (a policy-routing table only protected sockets skip); lockdown also drops what is bound elsewhere"),
            new("metered", Bool(profile.IsMetered), false, MeteredReason),
            new("maxMtu", profile.MaxMtu.ToString(System.Globalization.CultureInfo.InvariantCulture), true,
                "the TUN MTU is the smaller of maxMtu and the path MTU towards the gateway less the ESP-in-UDP overhead"),
            new("localRoutesExcluded", Bool(profile.LocalRoutesExcluded), true, profile.LocalRoutesExcluded
                ? "the directly connected subnets of the other interfaces (both families) stay outside a full tunnel (excludeRoute)"
                : "local subnets go through the tunnel like everything else in a full tunnel"),
            new("automaticNattKeepaliveTimerEnabled", Bool(profile.AutomaticNattKeepaliveTimerEnabled), true, profile.AutomaticNattKeepaliveTimerEnabled
                ? "NAT-T keepalives start at 20 s and lengthen while the NAT binding is seen to survive, falling back when it is lost (natKeepaliveSeconds is ignored)"
                : $"NAT-T keepalives every {profile.NatKeepaliveSeconds ?? 20} s of idle time"),
            new("automaticIpVersionSelectionEnabled", Bool(profile.AutomaticIpVersionSelectionEnabled), true, profile.AutomaticIpVersionSelectionEnabled
                ? "the gateway's name is resolved in both families; IPv6 is tried first where this host has an IPv6 route to it, and the other family when the first gets no answer"
                : "the gateway's first IPv4 address (else IPv6) is used"),
            new("requiresInternetValidation", Bool(profile.RequiresInternetValidation), !profile.RequiresInternetValidation,
                profile.RequiresInternetValidation ? ValidationReason : "the VPN is up once the CHILD SA and the interface are"),
            new("splitTunneling", profile.SplitTunneling.IsEmpty ? "(full tunnel)" : "set", true, profile.SplitTunneling.IsEmpty
                ? "everything of both families goes into the tunnel; a family the gateway gives no address of is blocked"
                : "include becomes the proposed traffic selectors and routes, exclude becomes excluded routes, blockIpv4/blockIpv6 block a family"),
            new("dnsServers", profile.DnsServers.Count == 0 ? "(gateway's)" : string.Join(", ", profile.DnsServers), true,
                profile.DnsServers.Count == 0 ? "the gateway's DNS servers are applied to the resolver" : "these replace the gateway's DNS servers in the resolver"),
        };
        if (profile.Proxy is { } proxy)
            list.Add(new("proxy", $"{proxy.Host}:{proxy.Port}", false, ProxyReason));
        if (profile.AllowedApps.Count > 0)
            list.Add(new("allowedApps", string.Join(", ", profile.AllowedApps), false, AppsReason));
        if (profile.DisallowedApps.Count > 0)
            list.Add(new("disallowedApps", string.Join(", ", profile.DisallowedApps), false, AppsReason));
        return list;
    }

    /// <summary>The settings of <paramref name="profile"/> that have no effect on Linux (<c>profile show</c> lists them all).</summary>
    public static IReadOnlyList<LinuxSettingSupport> Unsupported(Ikev2VpnProfile profile) =>
        [.. Describe(profile).Where(s => !s.Supported)];

    /// <summary>
    /// The import warnings: the unsupported settings whose value asks for something (differs from Android's default:
    /// <c>metered</c> true, <c>bypassable</c> and <c>requiresInternetValidation</c> false, no proxy, no app lists).
    /// </summary>
    public static IReadOnlyList<ImportNote> ImportNotes(Ikev2VpnProfile profile) =>
        [.. Unsupported(profile).Where(s => s.Key != "metered" || !profile.IsMetered)
            .Select(s => new ImportNote(ImportNoteKind.Unsupported, s.Key, s.Behaviour))];

    private static string Bool(bool value) => value ? "true" : "false";
}
