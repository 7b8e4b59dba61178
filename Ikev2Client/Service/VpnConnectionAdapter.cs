using System.Net.Sockets;
using Ikev2Client.Connection;
using Ikev2Client.Platform;
using Ikev2Client.Profiles;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ConnectionInfo = Ikev2Client.Connection.TunnelInfo;
using EngineException = Ikev2Client.Connection.VpnConnectionException;

namespace Ikev2Client.Service;

/// <summary>
/// Creates <see cref="VpnConnectionAdapter"/>s (the full connection: IKE, TUN, routes, ESP data plane) on the platform
/// the composition root chose, with the connection settings it was given (DNS, full tunnel, state directory).
/// </summary>
public sealed class VpnConnectionAdapterFactory(ConnectionPlatform platform, IOptions<ProfileConnectionSettings> settings, ILoggerFactory? loggers = null)
    : IVpnConnectionFactory
{
    /// <inheritdoc/>
    public IVpnConnection Create(Ikev2VpnProfile profile) => new VpnConnectionAdapter(platform, settings.Value, loggers);
}

/// <summary>
/// The service's view (<see cref="IVpnConnection"/>) of the engine's <see cref="VpnConnection"/>: maps its states,
/// progress, info, counters and errors (<see cref="VpnErrorMapper"/>) and reports how it ended. The engine connects
/// on the calling thread (so a caller inside a network namespace keeps its sockets and interface there).
/// </summary>
public sealed class VpnConnectionAdapter(ConnectionPlatform platform, ProfileConnectionSettings settings, ILoggerFactory? loggers = null) : IVpnConnection
{
    private VpnConnection? _connection;
    private volatile bool _closing;
    private int _reported;

    /// <inheritdoc/>
    public event Action<VpnConnectionEvent>? EventRaised;

    /// <inheritdoc/>
    public VpnState State => _connection?.State ?? VpnState.Disconnected;

    /// <inheritdoc/>
    public DataPlaneStatistics Statistics => _connection?.Statistics ?? DataPlaneStatistics.Empty;

    /// <inheritdoc/>
    public Task<VpnConnectionInfo> ConnectAsync(Ikev2VpnProfile profile, CancellationToken cancellationToken)
    {
        VpnConnectionOptions options;
        try { options = ProfileConnection.CreateOptions(profile, settings, platform, gateway => EventRaised?.Invoke(new VpnConnectionEvent.Contacting(gateway))); }
        catch (EngineException e) { return Failed(Map(e)); }
        catch (Exception e) when (e is FormatException or ArgumentException or SocketException) { return Failed(VpnErrorMapper.FromException(e)); }
        var connection = new VpnConnection(options, loggers);
        _connection = connection;
        connection.Progressed += p => EventRaised?.Invoke(new VpnConnectionEvent.Connecting(p.Detail));
        connection.HealthChanged += (health, reason) => EventRaised?.Invoke(health == ConnectionHealth.Up
            ? new VpnConnectionEvent.Restored()
            : new VpnConnectionEvent.Degraded(reason ?? health.ToString()));
        try { connection.Connect(cancellationToken); }
        catch (EngineException e) { return Failed(Map(e)); }
        var info = Describe(connection);
        EventRaised?.Invoke(new VpnConnectionEvent.Connected(info));
        _ = connection.Closed.ContinueWith(_ => OnClosed(connection), TaskScheduler.Default);
        return Task.FromResult(info);
    }

    /// <inheritdoc/>
    public Task DisconnectAsync()
    {
        _closing = true;
        var c = _connection;
        return c is null ? Task.CompletedTask : Task.Run(c.Disconnect);
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        _closing = true;
        _connection?.Dispose();
        return ValueTask.CompletedTask;
    }

    private static Task<VpnConnectionInfo> Failed(VpnError error) =>
        Task.FromException<VpnConnectionInfo>(new VpnErrorException(error));

    private void OnClosed(VpnConnection c)
    {
        if (Interlocked.Exchange(ref _reported, 1) != 0) return;
        if (_closing && c.State == VpnState.Disconnected)
            EventRaised?.Invoke(new VpnConnectionEvent.Disconnected(false, "closed"));
        else if (c.Error is { } ike)
            EventRaised?.Invoke(new VpnConnectionEvent.Failed(VpnErrorMapper.FromIkeError(ike)));
        else if (c.State == VpnState.Failed)
            EventRaised?.Invoke(new VpnConnectionEvent.Failed(VpnError.Network(VpnErrorCodes.ErrorCodeNetworkLost, c.EndReason ?? "the connection failed")));
        else
            EventRaised?.Invoke(new VpnConnectionEvent.Disconnected(true, c.EndReason ?? "deleted by the gateway"));
    }

    /// <summary>The engine's exception as a service error.</summary>
    internal static VpnError Map(EngineException e)
    {
        if (e.IkeError is { } ike) return VpnErrorMapper.FromIkeError(ike);
        if (e.InnerException is SocketException s) return VpnErrorMapper.FromException(s);
        if (e.InnerException is VpnPlatformException p) return VpnErrorMapper.FromPlatform(e.Message, p);
        var m = e.Message;
        if (m.StartsWith("no answer from", StringComparison.Ordinal))
            return VpnError.Network(VpnErrorCodes.ErrorCodeNetworkProtocolTimeout, m, "Check that the gateway is reachable (UDP 500 and 4500).");
        if (m.Contains("unknown host", StringComparison.Ordinal))
            return VpnError.Network(VpnErrorCodes.ErrorCodeNetworkUnknownHost, m, "Check the server address in the profile and this host's DNS.");
        if (m.StartsWith("profile '", StringComparison.Ordinal)) return VpnError.Profile(m);
        return VpnError.Internal(m);
    }

    private static VpnConnectionInfo Describe(VpnConnection c)
    {
        ConnectionInfo info = c.Info!;
        var session = c.Driver?.Session;
        return new VpnConnectionInfo
        {
            Gateway = info.RemoteEndPoint.ToString(),
            LocalEndpoint = info.LocalEndPoint.ToString(),
            VirtualAddresses = info.VirtualAddresses.Select(a => a.ToString()).ToList(),
            DnsServers = info.DnsServers.Select(a => a.ToString()).ToList(),
            Routes = info.Routes.Select(r => r.ToString()).ToList(),
            BlockedFamilies = info.BlockedFamilies.Select(TunnelPlan.Name).ToList(),
            DnsDomains = session?.Configuration?.DnsDomains.ToList() ?? [],
            IkeAlgorithms = session?.Algorithms?.ToString(),
            EspAlgorithms = info.ChildSa.Algorithms.ToString(),
            IkeSpiInitiator = session?.SpiI.ToString("x16"),
            IkeSpiResponder = session?.SpiR.ToString("x16"),
            EspSpiIn = info.ChildSa.InboundSpi.ToString("x8"),
            EspSpiOut = info.ChildSa.OutboundSpi.ToString("x8"),
            UdpEncapsulation = info.ChildSa.UdpEncapsulation,
            ConnectedAt = DateTimeOffset.UtcNow,
            InterfaceName = info.InterfaceName,
        };
    }
}
