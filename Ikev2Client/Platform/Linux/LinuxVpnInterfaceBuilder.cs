using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Ikev2Client.Platform.Linux;

/// <summary>
/// <see cref="IVpnInterfaceBuilder"/> for Linux: a TUN device from /dev/net/tun, configured over rtnetlink (no
/// external tools). Needs CAP_NET_ADMIN. Acts on the network namespace of the thread that calls
/// <see cref="Establish"/>.
/// </summary>
/// <remarks>
/// <para><b>Routing design.</b> Tunnel routes go into their own table (<see cref="LinuxVpnOptions.RouteTable"/>),
/// reached through the policy rule "not fwmark M lookup T". <see cref="IVpnInterface.Protect"/> sets SO_MARK M on
/// the IKE/ESP socket, so that socket never sees the tunnel table and keeps following the main table. This was
/// chosen over SO_BINDTODEVICE because binding pins the socket to one underlying interface, which breaks when the
/// default route moves (Wi-Fi to wired, MOBIKE) and requires knowing that interface; the mark follows whatever
/// the main table says. It is the scheme wg-quick uses. A full tunnel is simply 0.0.0.0/0 (::/0) in the table;
/// the main table is untouched, so removing the rule restores the host exactly.</para>
/// <para><b>Split tunnelling.</b> Only the added prefixes are routed to the TUN; <c>ExcludeRoute</c> prefixes
/// become throw routes in the same table, which send the lookup on to the main table.</para>
/// <para><b>Blocked families</b> (<see cref="VpnInterfaceConfiguration.BlockedFamilies"/>: no address, route or DNS
/// server of the family and no <c>AllowFamily</c>, as on Android) get an <c>unreachable 0.0.0.0/0</c> or
/// <c>unreachable ::/0</c> route in the same table behind the same rule: applications fail at once with
/// EHOSTUNREACH (and fall back to the other family) instead of leaking outside the tunnel or timing out; protected
/// sockets are not affected. See docs/dataplane.md, "Family blocking".</para>
/// <para><b>Android-only settings.</b> <c>AddAllowedApplication</c>/<c>AddDisallowedApplication</c> throw
/// <see cref="VpnFeatureNotSupportedException"/> (Linux has no per-application routing without cgroup setup);
/// <c>AllowBypass</c> and <c>SetMetered</c> are recorded in the configuration and have no effect (any process
/// with CAP_NET_ADMIN can bypass with the mark; Linux has no metered flag); <c>SetSession</c> becomes the
/// interface alias (<c>ip link</c> shows it).</para>
/// </remarks>
public sealed class LinuxVpnInterfaceBuilder : VpnInterfaceBuilderBase
{
    private const nuint TUNSETIFF = 0x400454ca;
    private const nuint TUNSETOFFLOAD = 0x400454d0;
    private const short IFF_TUN = 0x0001, IFF_NO_PI = 0x1000, IFF_VNET_HDR = 0x4000;
    private const uint TUN_F_CSUM = 1, TUN_F_TSO4 = 2, TUN_F_TSO6 = 4;
    private readonly LinuxVpnOptions _options;

    /// <summary>Creates a builder with the given Linux options (defaults when null).</summary>
    public LinuxVpnInterfaceBuilder(LinuxVpnOptions? options = null)
    {
        _options = options ?? new LinuxVpnOptions();
        if (Encoding.UTF8.GetByteCount(_options.InterfaceName) is 0 or > 15)
            throw new ArgumentException("interface name must be 1..15 bytes", nameof(options));
    }

    /// <summary>Not supported on Linux: throws <see cref="VpnFeatureNotSupportedException"/>.</summary>
    public override IVpnInterfaceBuilder AddAllowedApplication(string packageName) =>
        throw new VpnFeatureNotSupportedException(nameof(AddAllowedApplication), "Linux has no per-application VPN routing");

    /// <summary>Not supported on Linux: throws <see cref="VpnFeatureNotSupportedException"/>.</summary>
    public override IVpnInterfaceBuilder AddDisallowedApplication(string packageName) =>
        throw new VpnFeatureNotSupportedException(nameof(AddDisallowedApplication), "Linux has no per-application VPN routing");

    /// <summary>
    /// Cleans up a stale state file, creates the TUN, sets MTU/alias/up, adds addresses, routes and rules, applies
    /// DNS. On failure everything created so far is removed before the exception propagates.
    /// </summary>
    /// <remarks>
    /// Setting up is idempotent towards what a killed process of ours left: the policy rule is exactly ours (priority,
    /// mark, table), so an existing one (EEXIST) is taken over and recorded; a throw route in our table survives its
    /// process (it has no device) and is replaced. A unicast route in our table can only exist through a live device
    /// (the kernel deletes routes with their device), so EEXIST there is a real conflict with another tunnel and fails.
    /// </remarks>
    /// <exception cref="NetlinkException">the kernel refused a setting (errno in ErrorCode).</exception>
    /// <exception cref="VpnPlatformException">/dev/net/tun could not be opened or configured.</exception>
    /// <exception cref="DnsConfigurationException">the DNS settings could not be applied.</exception>
    public override IVpnInterface Establish()
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("LinuxVpnInterfaceBuilder needs Linux");
        Configuration.Freeze();
        if (_options.StateFile != null) LinuxNetworkCleanup.CleanupStale(_options.StateFile);

        var state = new LinuxNetworkState(_options.StateFile);
        var netlink = new RtNetlink();
        Microsoft.Win32.SafeHandles.SafeFileHandle? tun = null;
        string? name = null;
        bool dnsApplied = false;
        try
        {
            tun = OpenTun(out name);
            state.Record(new LinuxNetworkResource.Device(name));
            var index = (int)Libc.IfNameToIndex(name);
            if (index == 0) throw new VpnPlatformException($"interface {name} vanished after creation", Libc.Errno);

            netlink.ConfigureLink(index, Configuration.Mtu, Configuration.Session);
            foreach (var a in Configuration.Addresses) netlink.AddAddress(index, a);

            var table = _options.RouteTable;
            foreach (var r in Configuration.Routes)
            {
                Create(state, new LinuxNetworkResource.Route(r, RtNetlink.RTN_UNICAST, table),
                    () => netlink.Route(false, r, RtNetlink.RTN_UNICAST, table, index));
            }
            foreach (var r in Configuration.ExcludedRoutes)
            {
                Create(state, new LinuxNetworkResource.Route(r, RtNetlink.RTN_THROW, table),
                    () => netlink.Route(false, r, RtNetlink.RTN_THROW, table, 0, replace: true));
            }
            var blocked = Configuration.BlockedFamilies;
            foreach (var family in blocked)
            {
                var all = new IpPrefix(family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
                Create(state, new LinuxNetworkResource.Route(all, RtNetlink.RTN_UNREACHABLE, table),
                    () => netlink.Route(false, all, RtNetlink.RTN_UNREACHABLE, table, 0, replace: true)); // a leftover or shared block is taken over
            }
            foreach (var family in new[] { AddressFamily.InterNetwork, AddressFamily.InterNetworkV6 })
            {
                var v6 = family == AddressFamily.InterNetworkV6;
                if (!Configuration.Routes.Any(r => r.IsIPv6 == v6) && !blocked.Contains(family)) continue;
                var rule = new LinuxNetworkResource.Rule(family, _options.RulePriority, table, _options.FwMark);
                Create(state, rule, () =>
                {
                    try { netlink.Rule(false, family, rule.Priority, rule.Table, rule.Mark); }
                    catch (NetlinkException e) when (e.ErrorCode == Libc.EEXIST)
                    {
                        // The identical rule (left by a killed process, or shared with another live tunnel): take it over.
                    }
                });
            }
            if (_options.Dns is { } dns)
            {
                bool full = Configuration.Routes.Any(r => r.PrefixLength == 0);
                var domains = Configuration.SearchDomains;
                dns.Apply(new DnsSettings(name, Configuration.DnsServers, domains)
                {
                    InterfaceIndex = index, Exclusive = full, DefaultRoute = full || domains.Count == 0,
                });
                dnsApplied = true;
            }
            if (_options.Logger is { } log)
            {
                PlatformLog.InterfaceUp(log, name, index, string.Join(", ", Configuration.Addresses), string.Join(", ", Configuration.Routes), Configuration.Mtu);
                PlatformLog.InterfaceDetails(log, name, string.Join(", ", blocked), string.Join(", ", Configuration.ExcludedRoutes));
            }
            return new LinuxTunInterface(tun, name, index, netlink, state, _options, Configuration, _options.Offload);
        }
        catch
        {
            if (dnsApplied)
            {
                try { _options.Dns!.Revert(); }
                catch (VpnPlatformException) { /* the original error matters more; a resolv.conf change is in its state file */ }
            }
            try { LinuxNetworkCleanup.Remove(netlink, state.Resources, keepDevice: name, keep: state.HeldByAnotherLiveOwner); }
            catch (NetlinkException) { /* the original error matters more; the state file keeps the rest */ }
            tun?.Dispose();
            netlink.Dispose();
            state.Delete();
            throw;
        }
    }

    /// <summary>
    /// Write-ahead: the resource is in the state file before the kernel has it (a crash in between leaves a record,
    /// never an unrecorded resource); if the kernel refuses it, it is forgotten again, because an EEXIST means the
    /// existing entry belongs to someone else and must survive our rollback.
    /// </summary>
    private static void Create(LinuxNetworkState state, LinuxNetworkResource resource, Action create)
    {
        state.Record(resource);
        try { create(); }
        catch (NetlinkException)
        {
            state.Forget(resource);
            throw;
        }
    }

    private unsafe Microsoft.Win32.SafeHandles.SafeFileHandle OpenTun(out string name)
    {
        var fd = Libc.Open("/dev/net/tun", Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        if (fd < 0)
        {
            var errno = Libc.Errno;
            throw new VpnPlatformException($"cannot open /dev/net/tun: {Libc.Describe(errno)}", errno);
        }
        var handle = Libc.Own(fd);
        var ifr = stackalloc byte[40]; // struct ifreq: char name[16]; short flags; padding
        var span = new Span<byte>(ifr, 40);
        span.Clear();
        Encoding.UTF8.GetBytes(_options.InterfaceName, span[..15]);
        *(short*)(ifr + 16) = (short)(IFF_TUN | IFF_NO_PI | (_options.Offload ? IFF_VNET_HDR : 0));
        if (Libc.Ioctl(fd, TUNSETIFF, ifr) != 0)
        {
            var errno = Libc.Errno;
            handle.Dispose();
            throw new VpnPlatformException($"TUNSETIFF {_options.InterfaceName} failed: {Libc.Describe(errno)}", errno);
        }
        if (_options.Offload)
        {
            // Without TUNSETOFFLOAD (old kernel) the headers stay all-zero and packets come unsegmented: still correct.
            nuint offload = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
            _ = Libc.Ioctl(fd, TUNSETOFFLOAD, (void*)offload);
        }
        var len = span[..16].IndexOf((byte)0);
        name = Encoding.UTF8.GetString(span[..(len < 0 ? 16 : len)]);
        return handle;
    }
}
