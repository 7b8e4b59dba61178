using System.Net;
using System.Net.Sockets;
using Ikev2Client.Connection;
using Ikev2Client.Profiles;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Ike;
using Ikev2Client.Protocol.Crypto;

namespace Ikev2Client.Service;

/// <summary>Creates <see cref="IkeControlPlaneConnection"/>s.</summary>
public sealed class IkeControlPlaneConnectionFactory : IVpnConnectionFactory
{
    /// <inheritdoc/>
    public IVpnConnection Create(Ikev2VpnProfile profile) => new IkeControlPlaneConnection();
}

/// <summary>
/// An <see cref="IVpnConnection"/> that negotiates the IKE SA and the first CHILD SA with <see cref="IkeUdpDriver"/>
/// and reports them (gateway, virtual IP, DNS, algorithms, SPIs), but installs no tunnel interface: the interim
/// connection (IKEV2_DATAPLANE=none). Every authentication method of the profile, through ProfileAuthentication.
/// </summary>
public sealed class IkeControlPlaneConnection : IVpnConnection
{
    /// <summary>Upper bound of one attempt (IKE_SA_INIT + IKE_AUTH with all retransmissions); then ERROR_CODE_NETWORK_PROTOCOL_TIMEOUT.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    private readonly object _gate = new();
    private IkeUdpDriver? _driver;
    private IkeSession? _session;
    private ProfileAuthenticators? _auth;
    private IkeSaInfo? _sa;
    private IkeConfiguration? _config;
    private int _ended;

    /// <inheritdoc/>
    public event Action<VpnConnectionEvent>? EventRaised;

    /// <inheritdoc/>
    public VpnState State { get; private set; } = VpnState.Disconnected;

    /// <inheritdoc/>
    public VpnConnectionStatistics Statistics => VpnConnectionStatistics.Empty;

    /// <inheritdoc/>
    public async Task<VpnConnectionInfo> ConnectAsync(Ikev2VpnProfile profile, CancellationToken cancellationToken)
    {
        State = VpnState.Connecting;
        Raise(new VpnConnectionEvent.Connecting("resolving " + profile.ServerAddr));
        IPAddress address;
        try
        {
            address = IPAddress.TryParse(profile.ServerAddr, out var literal) ? literal
                : (await Dns.GetHostAddressesAsync(profile.ServerAddr, cancellationToken).ConfigureAwait(false))
                    .OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1).First();
        }
        catch (SocketException e) { throw new VpnConnectionException(VpnErrorMapper.FromException(e)); }
        catch (InvalidOperationException) { throw new VpnConnectionException(VpnErrorMapper.FromException(new SocketException((int)SocketError.HostNotFound))); }
        var remote = new IPEndPoint(address, profile.ServerPort);

        IkeSessionOptions options;
        try
        {
            _auth = ProfileAuthentication.Create(profile);
            options = new IkeSessionOptions
            {
                LocalIdentity = profile.UserIdentity is { Length: > 0 } u ? IkeIdentity.Parse(u)
                    : _auth.LocalIdentity ?? IkeIdentity.FromAddress(SourceAddressFor(remote)),
                RemoteIdentity = profile.RemoteIdentity is { Length: > 0 } r ? IkeIdentity.Parse(r) : null,
                SendRemoteIdentity = profile.RemoteIdentity is { Length: > 0 },
                Authenticator = _auth.Local,
                PeerAuthenticator = _auth.Peer,
                IkeProposals = Connection.ProposalConversion.ForProfile(profile.IkeProposal, isEsp: false, profile.AllowedAlgorithms),
                EspProposals = Connection.ProposalConversion.ForProfile(profile.EspProposal, isEsp: true, profile.AllowedAlgorithms),
                LivenessInterval = profile.DpdSeconds is > 0 and var d ? TimeSpan.FromSeconds(d) : null,
            };
        }
        catch (Exception e) when (e is FormatException or ArgumentException or NotSupportedException)
        {
            throw new VpnConnectionException(VpnError.Profile($"the profile cannot be used: {e.Message}"));
        }
        catch (Ikev2Client.Connection.VpnConnectionException e)
        {
            throw new VpnConnectionException(VpnConnectionAdapter.Map(e));
        }
        catch (SocketException e) { throw new VpnConnectionException(VpnErrorMapper.FromException(e)); }

        var any = address.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any;
        _session = new IkeSession(options);
        _driver = new IkeUdpDriver(_session, new IkeUdpDriverOptions
        {
            LocalIkeEndPoint = new IPEndPoint(any, 0), LocalNatTEndPoint = new IPEndPoint(any, 0),
            NatKeepaliveInterval = TimeSpan.FromSeconds(profile.NatKeepaliveSeconds ?? 20),
        });
        _driver.EventRaised += OnIkeEvent;
        Raise(new VpnConnectionEvent.Connecting("IKE_SA_INIT"));
        _driver.Connect(remote);
        IkeEvent.ChildSaEstablished child;
        try
        {
            child = await _driver.WaitForAsync<IkeEvent.ChildSaEstablished>(null, cancellationToken).WaitAsync(ConnectTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await DisconnectAsync().ConfigureAwait(false);
            State = VpnState.Failed;
            throw new VpnConnectionException(VpnError.Network(VpnErrorCodes.ErrorCodeNetworkProtocolTimeout,
                $"The gateway {remote} did not complete the handshake within {ConnectTimeout.TotalSeconds:0} s.",
                "Check that the gateway is reachable (UDP 500 and 4500) and that its address is right."));
        }
        catch (IkeSessionEndedException e)
        {
            State = VpnState.Failed;
            Interlocked.Exchange(ref _ended, 1);
            throw new VpnConnectionException(e.Error is { } err ? VpnErrorMapper.FromIkeError(err) : VpnErrorMapper.DeletedByPeer(e.Message));
        }
        catch (OperationCanceledException)
        {
            await DisconnectAsync().ConfigureAwait(false);
            throw;
        }
        var info = Describe(remote, child.ChildSa);
        State = VpnState.Connected;
        Raise(new VpnConnectionEvent.Connected(info));
        _ = _driver.Completion.ContinueWith(t => OnEnded(t.Result), TaskScheduler.Default);
        return info;
    }

    /// <inheritdoc/>
    public async Task DisconnectAsync()
    {
        var driver = _driver;
        if (driver is null || Interlocked.Exchange(ref _ended, 1) != 0) return;
        State = VpnState.Disconnecting;
        driver.Close();
        try { await driver.Completion.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false); }
        catch (TimeoutException) { }
        State = VpnState.Disconnected;
        Raise(new VpnConnectionEvent.Disconnected(false, "closed by the user"));
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        Interlocked.Exchange(ref _ended, 1);
        if (_driver is { } d) await d.DisposeAsync().ConfigureAwait(false);
        _session?.Dispose();
        (_auth?.Local as IDisposable)?.Dispose();
        (_auth?.Peer as IDisposable)?.Dispose();
    }

    private void OnIkeEvent(IkeEvent e)
    {
        switch (e)
        {
            case IkeEvent.IkeSaEstablished sa:
                lock (_gate) _sa = sa.Sa;
                Raise(new VpnConnectionEvent.Connecting("IKE SA established"));
                break;
            case IkeEvent.ConfigReceived c:
                lock (_gate) _config = c.Configuration;
                break;
            case IkeEvent.MessageTraced { Sent: true, IsResponse: false, Retransmission: false } m when State == VpnState.Connecting:
                Raise(new VpnConnectionEvent.Connecting(m.Exchange.ToString()));
                break;
        }
    }

    private void OnEnded(IkeEvent final)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0) return;
        State = final is IkeEvent.Failed ? VpnState.Failed : VpnState.Disconnected;
        Raise(final switch
        {
            IkeEvent.Failed f => new VpnConnectionEvent.Failed(VpnErrorMapper.FromIkeError(f.Error)),
            IkeEvent.Deleted d => new VpnConnectionEvent.Disconnected(d.ByPeer, d.Reason),
            _ => new VpnConnectionEvent.Disconnected(false, "ended"),
        });
    }

    private VpnConnectionInfo Describe(IPEndPoint remote, ChildSaInfo child)
    {
        IkeSaInfo? sa;
        IkeConfiguration? config;
        lock (_gate) { sa = _sa; config = _config; }
        return new VpnConnectionInfo
        {
            Gateway = (sa?.RemoteEndPoint ?? child.RemoteEndPoint ?? remote).ToString(),
            LocalEndpoint = (sa?.LocalEndPoint ?? child.LocalEndPoint)?.ToString(),
            VirtualAddresses = config?.VirtualAddresses.Select(a => a.ToString()).ToList() ?? [],
            DnsServers = config?.DnsServers.Select(a => a.ToString()).ToList() ?? [],
            IkeAlgorithms = sa?.Algorithms.ToString(),
            EspAlgorithms = child.Algorithms.ToString(),
            IkeSpiInitiator = sa is null ? null : sa.SpiI.ToString("x16"),
            IkeSpiResponder = sa is null ? null : sa.SpiR.ToString("x16"),
            EspSpiIn = child.InboundSpi.ToString("x8"),
            EspSpiOut = child.OutboundSpi.ToString("x8"),
            UdpEncapsulation = child.UdpEncapsulation,
            ConnectedAt = DateTimeOffset.UtcNow,
        };
    }

    private static IPAddress SourceAddressFor(IPEndPoint remote)
    {
        using var probe = new Socket(remote.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        probe.Connect(remote);
        return ((IPEndPoint)probe.LocalEndPoint!).Address;
    }

    private void Raise(VpnConnectionEvent e) => EventRaised?.Invoke(e);
}
