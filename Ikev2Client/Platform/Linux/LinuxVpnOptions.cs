namespace Ikev2Client.Platform.Linux;

/// <summary>Linux specifics for <see cref="LinuxVpnInterfaceBuilder"/>; the defaults suit one client per host.</summary>
public sealed class LinuxVpnOptions
{
    /// <summary>TUN name or pattern; <c>%d</c> lets the kernel pick the number. At most 15 bytes.</summary>
    public string InterfaceName { get; init; } = "ikev2tun%d";

    /// <summary>Routing table that holds the tunnel routes (and throw routes for exclusions).</summary>
    public uint RouteTable { get; init; } = 2300;

    /// <summary>Firewall mark that <see cref="IVpnInterface.Protect"/> puts on sockets; marked traffic skips the tunnel table.</summary>
    public uint FwMark { get; init; } = 0x2300;

    /// <summary>Priority of the "not fwmark lookup table" rule (before main at 32766).</summary>
    public uint RulePriority { get; init; } = 32000;

    /// <summary>
    /// Where to record what was created (device, routes, rules) so <see cref="LinuxNetworkCleanup.CleanupStale"/> can
    /// remove leftovers after a crash. Null: no record (tests, or a caller that never crashes).
    /// </summary>
    public string? StateFile { get; init; }

    /// <summary>
    /// Receives the DNS settings at establish (with the interface index; every query for a full tunnel, the search
    /// domains only for a split tunnel that has some) and is reverted at dispose; null reports nowhere.
    /// </summary>
    public IDnsConfigurator? Dns { get; init; }

    /// <summary>
    /// Opens the TUN with IFF_VNET_HDR and enables checksum and TCP segmentation offload (TUNSETOFFLOAD): the kernel
    /// then hands over 64 KB TCP super-segments, which the interface cuts into MTU-sized packets itself, and runs of
    /// TCP segments written back are coalesced into super-segments (userspace GSO/GRO, as wireguard-go does). The
    /// packets seen through <see cref="IVpnInterface"/> stay plain MTU-sized IP packets either way.
    /// </summary>
    public bool Offload { get; init; } = true;

    /// <summary>Where the interface logs what it installs and removes (none by default).</summary>
    public Microsoft.Extensions.Logging.ILogger? Logger { get; init; }
}
