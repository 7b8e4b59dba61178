using System.Net;
using System.Net.Sockets;
using Ikev2Client.Platform;
using Ikev2Client.Platform.Linux;
using Ikev2Client.Profiles;
using Ikev2Client.Protocol.Ike;
using IkeSpec = Ikev2Client.Protocol.Ike.ProposalSpec;

namespace Ikev2Client.Connection;

/// <summary>How a connection hands its DNS servers to the system.</summary>
public enum DnsMode
{
    /// <summary>
    /// Apply them (the default): systemd-resolved's per-link API where resolved manages /etc/resolv.conf, else
    /// /etc/resolv.conf itself, restored on disconnect and after a crash (<see cref="SystemDnsConfigurator"/>).
    /// </summary>
    System,
    /// <summary>Only report them (status shows them; the resolver is not touched).</summary>
    Off,
}

/// <summary>Choices a caller adds to a profile when it connects (CLI flags, service settings).</summary>
public sealed class ProfileConnectionSettings
{
    /// <summary>
    /// Whether the DNS servers are applied to the system resolver or only reported. The <c>ikev2</c> commands (daemon,
    /// <c>connect</c>, <c>connect --foreground</c>) apply them unless told <c>--no-dns</c>; this library default only
    /// reports, so code that connects in-process (tests in a network namespace) never rewrites the host's resolver by accident.
    /// </summary>
    public DnsMode Dns { get; init; } = DnsMode.Off;
    /// <summary>Route everything into the tunnel regardless of the traffic selectors.</summary>
    public bool ForceFullTunnel { get; init; }
    /// <summary>
    /// Where connections record what they install (TUN, routes, rules, resolv.conf) so the next start can remove it after
    /// a crash (<see cref="LinuxNetworkCleanup.CleanupStaleDirectory"/>); null keeps no record.
    /// </summary>
    public string? StateDirectory { get; init; }
    /// <summary>The system bus address for systemd-resolved (null: the default system bus; tests use a private bus).</summary>
    public string? DnsBusAddress { get; init; }
    /// <summary>The resolver file (default /etc/resolv.conf).</summary>
    public string ResolvConfPath { get; init; } = "/etc/resolv.conf";
    /// <summary>Overrides the interface builder (tests); Linux TUN when null.</summary>
    public Func<IVpnInterfaceBuilder>? InterfaceBuilderFactory { get; init; }
}

/// <summary>Turns an <see cref="Ikev2VpnProfile"/> into <see cref="VpnConnectionOptions"/> (authentication: <see cref="ProfileAuthentication"/>).</summary>
public static class ProfileConnection
{
    private static int s_stateFiles;

    /// <summary>Builds the options; throws <see cref="VpnConnectionException"/> with a one-line reason when the profile cannot be used.</summary>
    public static VpnConnectionOptions CreateOptions(Ikev2VpnProfile profile, ProfileConnectionSettings? settings = null) =>
        CreateOptions(profile, settings, beforeContact: null);

    /// <summary>As <see cref="CreateOptions(Ikev2VpnProfile, ProfileConnectionSettings?)"/>, with a hook called before each gateway is contacted.</summary>
    public static VpnConnectionOptions CreateOptions(Ikev2VpnProfile profile, ProfileConnectionSettings? settings, Action<IPEndPoint>? beforeContact)
    {
        ArgumentNullException.ThrowIfNull(profile);
        settings ??= new ProfileConnectionSettings();
        var auth = ProfileAuthentication.Create(profile);
        var server = ResolveServer(profile.ServerAddr, profile.ServerPort);
        IReadOnlyList<IkeSpec> ike = IkeSpec.DefaultIke, esp = IkeSpec.DefaultEsp;
        if (profile.IkeProposal is { Length: > 0 } ip && !ProposalConversion.TryParse(ip, false, out ike, out var e1))
            throw new VpnConnectionException($"profile '{profile.Name}': ikeProposal: {e1}");
        if (profile.EspProposal is { Length: > 0 } ep && !ProposalConversion.TryParse(ep, true, out esp, out var e2))
            throw new VpnConnectionException($"profile '{profile.Name}': espProposal: {e2}");
        var local = profile.UserIdentity is { Length: > 0 } u ? IkeIdentity.Parse(u) : auth.LocalIdentity ?? IkeIdentity.FromAddress(SourceAddressFor(server));
        var session = new IkeSessionOptions
        {
            LocalIdentity = local,
            RemoteIdentity = profile.RemoteIdentity is { Length: > 0 } r ? IkeIdentity.Parse(r) : null,
            SendRemoteIdentity = profile.RemoteIdentity is { Length: > 0 },
            Authenticator = auth.Local,
            PeerAuthenticator = auth.Peer,
            IkeProposals = ike,
            EspProposals = esp,
            LivenessInterval = profile.DpdSeconds is > 0 and var d ? TimeSpan.FromSeconds(d) : null,
            RequestedAddressFamilies = [AddressFamily.InterNetwork],
        };
        string? StateFile(string kind) => settings.StateDirectory is { } dir
            ? Path.Combine(dir, $"{kind}-{Environment.ProcessId}-{Interlocked.Increment(ref s_stateFiles)}.state") : null;
        var netState = StateFile("net");
        IDnsConfigurator dns = settings.Dns == DnsMode.Off
            ? new ReportingDnsConfigurator()
            : new SystemDnsConfigurator(StateFile("dns"), settings.DnsBusAddress, settings.ResolvConfPath);
        var dnsOverride = profile.DnsServers.Select(d => IPAddress.TryParse(d, out var a) ? a : null).OfType<IPAddress>().ToArray();
        return new VpnConnectionOptions
        {
            Server = server,
            Session = session,
            Mtu = Math.Clamp(profile.MaxMtu, Ikev2VpnProfile.MinimumMtu, 1400),
            ForceFullTunnel = settings.ForceFullTunnel,
            SessionName = profile.Name,
            InterfaceBuilderFactory = settings.InterfaceBuilderFactory
                ?? (() => new LinuxVpnInterfaceBuilder(new LinuxVpnOptions { Dns = dns, StateFile = netState })),
            DnsServers = dnsOverride.Length > 0 ? dnsOverride : null,
            BeforeContact = beforeContact,
            Pump = new PacketPumpOptions
            {
                KeepaliveInterval = TimeSpan.FromSeconds(profile.NatKeepaliveSeconds ?? 20),
            },
        };
    }

    private static IPEndPoint ResolveServer(string host, int port)
    {
        if (IPAddress.TryParse(host, out var address)) return new IPEndPoint(address, port);
        try
        {
            var addresses = Dns.GetHostAddresses(host);
            var pick = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault();
            return pick != null ? new IPEndPoint(pick, port) : throw new VpnConnectionException($"unknown host '{host}'");
        }
        catch (SocketException e)
        {
            throw new VpnConnectionException($"unknown host '{host}': {e.Message}");
        }
    }

    private static IPAddress SourceAddressFor(IPEndPoint remote)
    {
        using var probe = new Socket(remote.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        probe.Connect(remote);
        return ((IPEndPoint)probe.LocalEndPoint!).Address;
    }
}
