using System.Net;
using System.Net.Sockets;
using Tmds.DBus.Protocol;

namespace Ikev2Client.Platform.Linux;

/// <summary>The calls <see cref="ResolvedDnsConfigurator"/> makes on <c>org.freedesktop.resolve1.Manager</c>.</summary>
internal interface IResolvedApi : IDisposable
{
    /// <summary><c>SetLinkDNS(i ifindex, a(iay) addresses)</c>.</summary>
    void SetLinkDns(int ifIndex, IReadOnlyList<IPAddress> servers);
    /// <summary><c>SetLinkDomains(i ifindex, a(sb) domains)</c>: (name, routing-only).</summary>
    void SetLinkDomains(int ifIndex, IReadOnlyList<(string Domain, bool RoutingOnly)> domains);
    /// <summary><c>SetLinkDefaultRoute(i ifindex, b enable)</c> (systemd 240+).</summary>
    void SetLinkDefaultRoute(int ifIndex, bool enable);
    /// <summary><c>RevertLink(i ifindex)</c>.</summary>
    void RevertLink(int ifIndex);
}

/// <summary>
/// Applies VPN DNS through systemd-resolved's per-link D-Bus API (<c>org.freedesktop.resolve1.Manager</c> on the system
/// bus): the servers (both families) and domains go on the tunnel's link only, so nothing global is rewritten.
/// <list type="bullet">
/// <item>full tunnel (<see cref="DnsSettings.Exclusive"/>): the domains plus the routing domain <c>~.</c> and
/// DefaultRoute on — every name is resolved through the tunnel and no other link is asked;</item>
/// <item>split tunnel with domains (RFC 8598 INTERNAL_DNS_DOMAIN): those domains, DefaultRoute off — only names under
/// them go to the VPN's servers;</item>
/// <item>split tunnel without domains: DefaultRoute on, no <c>~.</c> — the VPN's servers are one more default.</item>
/// </list>
/// <see cref="Revert"/> calls <c>RevertLink</c>. Nothing needs recording for a crash: resolved forgets a link's settings
/// when the link goes away, and the TUN goes with the process that holds it.
/// </summary>
public sealed class ResolvedDnsConfigurator : IDnsConfigurator
{
    /// <summary>The bus name of systemd-resolved.</summary>
    public const string BusName = "org.freedesktop.resolve1";
    private readonly Func<IResolvedApi> _connect;
    private readonly object _gate = new();
    private readonly TimeSpan _linkWait;
    private int _ifIndex;
    private IReadOnlyList<IPAddress> _servers = [];
    private IReadOnlyList<string> _domains = [];

    /// <summary>A configurator on the system bus, or on <paramref name="busAddress"/> (a D-Bus address, for tests).</summary>
    public ResolvedDnsConfigurator(string? busAddress = null) : this(() => new ResolvedDBus(busAddress), TimeSpan.FromSeconds(3)) { }

    internal ResolvedDnsConfigurator(Func<IResolvedApi> connect, TimeSpan linkWait)
    {
        _connect = connect;
        _linkWait = linkWait;
    }

    /// <inheritdoc />
    public IReadOnlyList<IPAddress> Servers { get { lock (_gate) return _servers; } }

    /// <inheritdoc />
    public IReadOnlyList<string> SearchDomains { get { lock (_gate) return _domains; } }

    /// <inheritdoc />
    public void Apply(DnsSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var index = settings.InterfaceIndex != 0 ? settings.InterfaceIndex : (int)Libc.IfNameToIndex(settings.InterfaceName);
        if (index == 0) throw new DnsConfigurationException($"systemd-resolved: no interface {settings.InterfaceName}");
        var domains = settings.Domains.Select(d => (d.TrimEnd('.'), false)).Where(d => d.Item1.Length > 0).ToList();
        if (settings.Exclusive) domains.Add((".", true));
        lock (_gate)
        {
            Call($"configure {settings.InterfaceName}", api =>
            {
                // resolved learns about a new link from rtnetlink a moment after it appears: wait for it.
                var deadline = DateTime.UtcNow + _linkWait;
                while (true)
                {
                    try
                    {
                        api.SetLinkDns(index, settings.Servers);
                        break;
                    }
                    catch (DBusErrorReplyException e) when (e.ErrorName == "org.freedesktop.resolve1.NoSuchLink" && DateTime.UtcNow < deadline)
                    {
                        Thread.Sleep(50);
                    }
                }
                api.SetLinkDomains(index, domains);
                try { api.SetLinkDefaultRoute(index, settings.DefaultRoute); }
                catch (DBusErrorReplyException e) when (e.ErrorName == "org.freedesktop.DBus.Error.UnknownMethod")
                {
                    // systemd < 240 has no per-link default route; "~." alone still routes everything for a full tunnel.
                }
            });
            _ifIndex = index;
            _servers = settings.Servers.ToArray();
            _domains = settings.Domains.ToArray();
        }
    }

    /// <summary>Applies servers and search domains for every query.</summary>
    public void Apply(string interfaceName, IReadOnlyList<IPAddress> servers, IReadOnlyList<string> searchDomains) =>
        Apply(new DnsSettings(interfaceName, servers, searchDomains) { Exclusive = true });

    /// <inheritdoc />
    public void Revert()
    {
        lock (_gate)
        {
            if (_ifIndex == 0) return;
            var index = _ifIndex;
            _ifIndex = 0;
            _servers = [];
            _domains = [];
            Call("revert", api =>
            {
                try { api.RevertLink(index); }
                catch (DBusErrorReplyException e) when (e.ErrorName == "org.freedesktop.resolve1.NoSuchLink") { } // the link is gone, and its settings with it
            });
        }
    }

    private void Call(string what, Action<IResolvedApi> action)
    {
        try
        {
            using var api = _connect();
            action(api);
        }
        catch (DBusErrorReplyException e)
        {
            throw new DnsConfigurationException($"systemd-resolved refused to {what}: {e.ErrorName}: {e.ErrorMessage}", e);
        }
        catch (Exception e) when (e is DBusConnectionException or DBusConnectFailedException or IOException or SocketException or TimeoutException)
        {
            throw new DnsConfigurationException($"systemd-resolved: could not {what} over D-Bus: {e.Message}", e);
        }
    }

    /// <summary>True when systemd-resolved owns its name on the bus (<paramref name="busAddress"/>, or the system bus).</summary>
    public static bool IsRunning(string? busAddress = null)
    {
        try { return ResolvedDBus.NameHasOwner(busAddress, BusName); }
        catch (Exception e) when (e is DBusConnectionException or DBusConnectFailedException or DBusErrorReplyException or IOException
                                      or SocketException or TimeoutException)
        {
            return false;
        }
    }
}

/// <summary><see cref="IResolvedApi"/> over Tmds.DBus.Protocol (no reflection; NativeAOT-friendly).</summary>
internal sealed class ResolvedDBus : IResolvedApi
{
    private const string Path = "/org/freedesktop/resolve1", Interface = "org.freedesktop.resolve1.Manager";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private readonly DBusConnection _connection;

    public ResolvedDBus(string? busAddress)
    {
        _connection = new DBusConnection(busAddress ?? DBusAddress.System ?? "unix:path=/run/dbus/system_bus_socket");
        try { _connection.ConnectAsync().AsTask().WaitAsync(Timeout).GetAwaiter().GetResult(); }
        catch
        {
            _connection.Dispose();
            throw;
        }
    }

    public static bool NameHasOwner(string? busAddress, string name)
    {
        using var bus = new ResolvedDBus(busAddress);
        MessageBuffer message;
        using (var w = bus._connection.GetMessageWriter())
        {
            w.WriteMethodCallHeader("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameHasOwner", "s");
            w.WriteString(name);
            message = w.CreateMessage();
        }
        return bus._connection.CallMethodAsync(message, static (Message m, object? _) => m.GetBodyReader().ReadBool())
            .WaitAsync(Timeout).GetAwaiter().GetResult();
    }

    public void SetLinkDns(int ifIndex, IReadOnlyList<IPAddress> servers)
    {
        using var w = _connection.GetMessageWriter();
        w.WriteMethodCallHeader(ResolvedDnsConfigurator.BusName, Path, Interface, "SetLinkDNS", "ia(iay)");
        w.WriteInt32(ifIndex);
        var array = w.WriteArrayStart(DBusType.Struct);
        foreach (var s in servers)
        {
            w.WriteStructureStart();
            w.WriteInt32(s.AddressFamily == AddressFamily.InterNetworkV6 ? 10 : 2); // AF_INET6 / AF_INET
            w.WriteArray(s.GetAddressBytes());
        }
        w.WriteArrayEnd(array);
        Send(w.CreateMessage());
    }

    public void SetLinkDomains(int ifIndex, IReadOnlyList<(string Domain, bool RoutingOnly)> domains)
    {
        using var w = _connection.GetMessageWriter();
        w.WriteMethodCallHeader(ResolvedDnsConfigurator.BusName, Path, Interface, "SetLinkDomains", "ia(sb)");
        w.WriteInt32(ifIndex);
        var array = w.WriteArrayStart(DBusType.Struct);
        foreach (var (domain, routingOnly) in domains)
        {
            w.WriteStructureStart();
            w.WriteString(domain);
            w.WriteBool(routingOnly);
        }
        w.WriteArrayEnd(array);
        Send(w.CreateMessage());
    }

    public void SetLinkDefaultRoute(int ifIndex, bool enable)
    {
        using var w = _connection.GetMessageWriter();
        w.WriteMethodCallHeader(ResolvedDnsConfigurator.BusName, Path, Interface, "SetLinkDefaultRoute", "ib");
        w.WriteInt32(ifIndex);
        w.WriteBool(enable);
        Send(w.CreateMessage());
    }

    public void RevertLink(int ifIndex)
    {
        using var w = _connection.GetMessageWriter();
        w.WriteMethodCallHeader(ResolvedDnsConfigurator.BusName, Path, Interface, "RevertLink", "i");
        w.WriteInt32(ifIndex);
        Send(w.CreateMessage());
    }

    private void Send(MessageBuffer message) => _connection.CallMethodAsync(message).WaitAsync(Timeout).GetAwaiter().GetResult();

    public void Dispose() => _connection.Dispose();
}
