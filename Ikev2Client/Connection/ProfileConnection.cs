using System.Net;
using System.Net.Sockets;
using Ikev2Client.Platform;
using Ikev2Client.Platform.Linux;
using Ikev2Client.Profiles;
using Ikev2Client.Protocol.Ike;
using IkeSpec = Ikev2Client.Protocol.Ike.ProposalSpec;

namespace Ikev2Client.Connection;

/// <summary>Choices a caller adds to a profile when it connects (CLI flags, service settings).</summary>
public sealed class ProfileConnectionSettings
{
    /// <summary>Hand the DNS servers to the system resolver (resolv.conf); otherwise they are only reported.</summary>
    public bool ApplyDns { get; init; }
    /// <summary>Route everything into the tunnel regardless of the traffic selectors.</summary>
    public bool ForceFullTunnel { get; init; }
    /// <summary>Crash-cleanup state file for the Linux interface; null keeps none.</summary>
    public string? StateFile { get; init; }
    /// <summary>Overrides the interface builder (tests); Linux TUN when null.</summary>
    public Func<IVpnInterfaceBuilder>? InterfaceBuilderFactory { get; init; }
}

/// <summary>Turns an <see cref="Ikev2VpnProfile"/> into <see cref="VpnConnectionOptions"/> (authentication: <see cref="ProfileAuthentication"/>).</summary>
public static class ProfileConnection
{
    /// <summary>Builds the options; throws <see cref="VpnConnectionException"/> with a one-line reason when the profile cannot be used.</summary>
    public static VpnConnectionOptions CreateOptions(Ikev2VpnProfile profile, ProfileConnectionSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(profile);
        settings ??= new ProfileConnectionSettings();
        var auth = ProfileAuthentication.Create(profile);
        var server = ResolveServer(profile.ServerAddr, profile.ServerPort);
        IReadOnlyList<IkeSpec> ike, esp;
        try { ike = ProposalConversion.ForProfile(profile.IkeProposal, isEsp: false, profile.AllowedAlgorithms); }
        catch (ArgumentException e) { throw new VpnConnectionException($"profile '{profile.Name}': ikeProposal: {e.Message}"); }
        try { esp = ProposalConversion.ForProfile(profile.EspProposal, isEsp: true, profile.AllowedAlgorithms); }
        catch (ArgumentException e) { throw new VpnConnectionException($"profile '{profile.Name}': espProposal: {e.Message}"); }
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
            ChildLifetime = SaLifetime.DefaultChild with
            {
                RekeyBytes = profile.ChildRekeyBytes ?? 0, LifeBytes = profile.ChildLifeBytes ?? 0,
                RekeyPackets = profile.ChildRekeyPackets ?? 0, LifePackets = profile.ChildLifePackets ?? 0,
            },
        };
        IDnsConfigurator dns = settings.ApplyDns ? new ResolvConfDnsConfigurator() : new ReportingDnsConfigurator();
        return new VpnConnectionOptions
        {
            Server = server,
            Session = session,
            Mtu = Math.Clamp(profile.MaxMtu, Ikev2VpnProfile.MinimumMtu, 1400),
            ForceFullTunnel = settings.ForceFullTunnel,
            SessionName = profile.Name,
            InterfaceBuilderFactory = settings.InterfaceBuilderFactory
                ?? (() => new LinuxVpnInterfaceBuilder(new LinuxVpnOptions { Dns = dns, StateFile = settings.StateFile })),
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
