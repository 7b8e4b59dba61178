namespace Ikev2Client.Platform.Linux;

/// <summary>
/// Removes what a crashed or killed process left behind, from the state files it kept: TUN devices, routes and
/// policy rules (<see cref="LinuxVpnOptions.StateFile"/>), the lockdown nftables table
/// (<see cref="NftablesLockdownFirewall"/>) and a rewritten resolv.conf (<see cref="ResolvConfDnsConfigurator"/>).
/// Acts on the network namespace of the calling thread, and only on records made in that namespace by a process that
/// is gone.
/// </summary>
public static class LinuxNetworkCleanup
{
    /// <summary>
    /// Deletes every rule, route, device and nftables table listed in <paramref name="stateFile"/> that still exists,
    /// then the file. Missing resources are fine (the kernel already removed routes with their device). Lines it does
    /// not understand are ignored. A file whose owner still runs (another live connection) is left alone, and so is
    /// one written in another network namespace (nothing of it can be reached from here).
    /// </summary>
    /// <returns>What was removed, one description per resource (for the log).</returns>
    /// <exception cref="NetlinkException">the kernel refused a removal for another reason than "not there".</exception>
    public static IReadOnlyList<string> CleanupStale(string stateFile) => CleanupStale(stateFile, keepLockdownTable: false, nftCommand: null);

    /// <inheritdoc cref="CleanupStale(string, bool, IReadOnlyList{string}?, bool)"/>
    public static IReadOnlyList<string> CleanupStale(string stateFile, bool keepLockdownTable, IReadOnlyList<string>? nftCommand) =>
        CleanupStale(stateFile, keepLockdownTable, nftCommand, ownProcessIsLive: false);

    /// <summary>
    /// As <see cref="CleanupStale(string)"/>; with <paramref name="keepLockdownTable"/> a lockdown table is left in place
    /// (its record is dropped) because a profile about to start takes it over, so lockdown never lapses across a restart.
    /// With <paramref name="ownProcessIsLive"/> a record of this very process counts as live (a sweep of a directory
    /// this process also writes to); without it, the caller says the record is stale (a test simulating a crash).
    /// </summary>
    public static IReadOnlyList<string> CleanupStale(string stateFile, bool keepLockdownTable, IReadOnlyList<string>? nftCommand, bool ownProcessIsLive)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateFile);
        var resources = LinuxNetworkState.Load(stateFile, out var owner);
        var removed = new List<string>();
        if (owner is not null)
        {
            if (owner.IsAlive && (ownProcessIsLive || owner.Pid != Environment.ProcessId)) return removed; // a live connection's record
            if (owner.IsSameBoot && !owner.IsCurrentNetworkNamespace) return removed; // its namespace is elsewhere
            if (!owner.IsSameBoot) resources.Clear(); // a reboot removed every kernel object it lists
        }
        var net = resources.Where(r => r is not LinuxNetworkResource.NftTable).ToList();
        if (net.Count > 0)
        {
            using var netlink = new RtNetlink();
            removed.AddRange(Remove(netlink, net, keepDevice: null));
        }
        foreach (var table in resources.OfType<LinuxNetworkResource.NftTable>())
        {
            if (keepLockdownTable) { removed.Add(table + " (kept for the lockdown profile that starts now)"); continue; }
            Nft.DeleteTable(nftCommand ?? Nft.DefaultCommand, table.Family, table.Name);
            removed.Add(table.ToString());
        }
        LinuxNetworkState.DeleteFile(stateFile);
        return removed;
    }

    /// <summary>
    /// Cleans every state file in <paramref name="directory"/> (<c>*.state</c>) the way <see cref="CleanupStale(string)"/>
    /// does, and restores resolv.conf from <c>dns-*.state</c> files. Never throws for one bad file: its error is reported
    /// and the others are still handled.
    /// </summary>
    /// <returns>One line per action or problem, for the log.</returns>
    public static IReadOnlyList<string> CleanupStaleDirectory(string directory, bool keepLockdownTable = false, IReadOnlyList<string>? nftCommand = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var report = new List<string>();
        if (!Directory.Exists(directory)) return report;
        foreach (var file in Directory.EnumerateFiles(directory, "*.state").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(file);
            try
            {
                if (name.StartsWith("dns-", StringComparison.Ordinal))
                {
                    var existed = File.Exists(file);
                    if (ResolvConfDnsConfigurator.RestoreStale(file, ownProcessIsLive: true)) report.Add($"{name}: restored the original resolv.conf");
                    else if (existed && !File.Exists(file)) report.Add($"{name}: resolv.conf was no longer ours; left as it is");
                }
                else
                {
                    foreach (var r in CleanupStale(file, keepLockdownTable, nftCommand, ownProcessIsLive: true)) report.Add($"{name}: removed {r}");
                }
            }
            catch (Exception e) when (e is VpnPlatformException or IOException or UnauthorizedAccessException)
            {
                report.Add($"{name}: cleanup failed: {e.Message}");
            }
        }
        return report;
    }

    /// <summary>
    /// Removes resources in the safe order (rules first so traffic stops using the table, then routes, then
    /// devices). <paramref name="keepDevice"/> is left to the caller (an fd close removes a live TUN);
    /// <paramref name="keep"/> says which resources must stay (a rule another live tunnel still uses).
    /// </summary>
    internal static List<string> Remove(RtNetlink netlink, IReadOnlyList<LinuxNetworkResource> resources, string? keepDevice,
        Func<LinuxNetworkResource, bool>? keep = null)
    {
        var removed = new List<string>();
        foreach (var r in resources.OfType<LinuxNetworkResource.Rule>())
        {
            if (keep?.Invoke(r) == true) continue;
            if (Tolerate(() => netlink.Rule(true, r.Family, r.Priority, r.Table, r.Mark))) removed.Add(r.ToString());
        }
        foreach (var r in resources.OfType<LinuxNetworkResource.Route>())
            if (Tolerate(() => netlink.Route(true, r.Destination, r.Type, r.Table, 0))) removed.Add(r.ToString());
        foreach (var d in resources.OfType<LinuxNetworkResource.Device>())
        {
            if (d.Name == keepDevice) continue;
            var index = Libc.IfNameToIndex(d.Name);
            if (index != 0 && Tolerate(() => netlink.DeleteLink((int)index))) removed.Add(d.ToString());
        }
        return removed;
    }

    /// <summary>Runs a removal; "no such entry" answers mean it is already gone (false), other errors throw.</summary>
    private static bool Tolerate(Action removal)
    {
        try
        {
            removal();
            return true;
        }
        catch (NetlinkException e) when (e.ErrorCode is Libc.ENOENT or Libc.ESRCH or Libc.ENODEV)
        {
            return false;
        }
    }
}
