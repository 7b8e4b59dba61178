namespace Ikev2Client.Platform.Linux;

/// <summary>
/// Removes what a crashed or killed VPN interface left behind, from the state file it kept
/// (<see cref="LinuxVpnOptions.StateFile"/>). Acts on the network namespace of the calling thread.
/// </summary>
public static class LinuxNetworkCleanup
{
    /// <summary>
    /// Deletes every rule, route and device listed in <paramref name="stateFile"/> that still exists, then the
    /// file. Missing resources are fine (the kernel already removed routes with their device). Lines it does not
    /// understand are ignored.
    /// </summary>
    /// <returns>What was removed, one description per resource (for the log).</returns>
    /// <exception cref="NetlinkException">the kernel refused a removal for another reason than "not there".</exception>
    public static IReadOnlyList<string> CleanupStale(string stateFile)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateFile);
        var resources = LinuxNetworkState.Load(stateFile);
        var removed = new List<string>();
        if (resources.Count > 0)
        {
            using var netlink = new RtNetlink();
            removed.AddRange(Remove(netlink, resources, keepDevice: null));
        }
        File.Delete(stateFile);
        return removed;
    }

    /// <summary>
    /// Removes resources in the safe order (rules first so traffic stops using the table, then routes, then
    /// devices). <paramref name="keepDevice"/> is left to the caller (an fd close removes a live TUN).
    /// </summary>
    internal static List<string> Remove(RtNetlink netlink, IReadOnlyList<LinuxNetworkResource> resources, string? keepDevice)
    {
        var removed = new List<string>();
        foreach (var r in resources.OfType<LinuxNetworkResource.Rule>())
            if (Tolerate(() => netlink.Rule(true, r.Family, r.Priority, r.Table, r.Mark))) removed.Add(r.ToString());
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
