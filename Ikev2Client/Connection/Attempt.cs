using System.Net;
using System.Net.Sockets;
using Ikev2Client.Platform;
using Ikev2Client.Platform.Userspace;
using Ikev2Client.Protocol.Ike;

namespace Ikev2Client.Connection;

/// <summary>
/// One IKE SA on an attempt's NAT-T socket: the session, its driver and the SPI allocator its CHILD SAs reserve from.
/// An attempt has one (its <see cref="Attempt.Current"/>); a reauthentication briefly has a second.
/// </summary>
internal sealed class IkeSaRun : IDisposable
{
    public IkeSaRun(IkeSession session, IkeUdpDriver driver, IpSecSpiAllocator spis)
    {
        Session = session;
        Driver = driver;
        Spis = spis;
    }

    public IkeSession Session { get; }
    public IkeUdpDriver Driver { get; }
    public IpSecSpiAllocator Spis { get; }

    /// <summary>True while the session can still send (a DELETE, say) and has not ended.</summary>
    public bool IsLive => Session.State is not (IkeSessionState.Closed or IkeSessionState.Failed);

    /// <summary>Stops the driver (its routes on the shared socket go), releases untaken SPIs and the session.</summary>
    public void Dispose()
    {
        Driver.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5));
        Spis.Dispose();
        Session.Dispose();
    }
}

/// <summary>
/// One contact with one gateway: the source address towards it, the lockdown hook, the NAT-T socket (protected, in the
/// connection's network namespace) and the IKE session with its driver on the connection's loop. A redirect releases
/// the whole attempt and starts a new one towards the named gateway. Everything here runs on the connection's loop.
/// </summary>
internal sealed class Attempt : IDisposable
{
    private Attempt(IPEndPoint server, IPAddress localAddress, NatTSocket socket, IkeSaRun current)
    {
        Server = server;
        LocalAddress = localAddress;
        Socket = socket;
        Current = current;
    }

    /// <summary>The gateway's IKE endpoint.</summary>
    public IPEndPoint Server { get; }

    /// <summary>Our source address towards the gateway (updated by <see cref="Mobility"/>).</summary>
    public IPAddress LocalAddress { get; set; }

    /// <summary>The NAT-T socket: IKE after IKE_SA_INIT, ESP, keepalives; shared by every IKE SA of the attempt.</summary>
    public NatTSocket Socket { get; }

    /// <summary>The IKE SA that carries the connection.</summary>
    public IkeSaRun Current { get; private set; }

    /// <summary>The first CHILD SA, once IKE_AUTH completed (the data path is installed from it).</summary>
    public ChildSaInfo? FirstChild { get; set; }

    /// <summary>What the gateway's CP reply configured (virtual IPs, DNS).</summary>
    public IkeConfiguration? Configuration { get; set; }

    /// <summary>Where the gateway redirects us (RFC 5685), once it did.</summary>
    public GatewayIdentity? Redirect { get; set; }

    /// <summary>
    /// Contacts <paramref name="server"/>: the source address (through the protector: a full tunnel's routes would answer
    /// with the TUN), the <see cref="VpnConnectionOptions.BeforeContact"/> hook, the NAT-T socket, and IKE_SA_INIT from a
    /// new session whose events go to <paramref name="onEvent"/> on <paramref name="loop"/>.
    /// </summary>
    /// <exception cref="SocketException">no route to the gateway, or a socket could not be bound.</exception>
    public static Attempt Start(VpnConnectionOptions options, IIpSecManager manager, SocketProtector protector, ConnectionLoop loop,
        IPEndPoint server, IPAddress? redirectedFrom, Action<IkeUdpDriver, IkeEvent> onEvent)
    {
        var localAddress = IsWildcard(options.LocalAddress) ? protector.SourceAddressFor(server) : options.LocalAddress;
        options.BeforeContact?.Invoke(server);
        var bind = SocketProtector.BindAddress(options.LocalAddress, server.AddressFamily); // IPv4 or IPv6 gateway
        var socket = NatTSocket.Open(new IPEndPoint(bind, 0), options.NatT, protector.Protect);
        try
        {
            var sessionOptions = redirectedFrom == null ? options.Session : options.Session.WithRedirectedFrom(redirectedFrom);
            var current = OpenRun(sessionOptions, manager, protector, loop, socket, server.AddressFamily, options.LocalAddress, localAddress, onEvent);
            socket.DefaultIkeHandler = current.Driver.ReceiveNatT;
            var attempt = new Attempt(server, localAddress, socket, current);
            current.Driver.Connect(server);
            return attempt;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>A second IKE SA on this attempt's socket (reauthentication), connecting at once.</summary>
    public IkeSaRun OpenSecond(VpnConnectionOptions options, IkeSessionOptions sessionOptions, IIpSecManager manager, SocketProtector protector,
        ConnectionLoop loop, Action<IkeUdpDriver, IkeEvent> onEvent)
    {
        var run = OpenRun(sessionOptions, manager, protector, loop, Socket, Server.AddressFamily, options.LocalAddress, LocalAddress, onEvent);
        run.Driver.Connect(Server);
        return run;
    }

    /// <summary>Makes <paramref name="next"/> the IKE SA that carries the connection; returns the one it replaces.</summary>
    public IkeSaRun Replace(IkeSaRun next)
    {
        var old = Current;
        Current = next;
        Socket.DefaultIkeHandler = next.Driver.ReceiveNatT;
        return old;
    }

    private static IkeSaRun OpenRun(IkeSessionOptions sessionOptions, IIpSecManager manager, SocketProtector protector, ConnectionLoop loop,
        NatTSocket socket, AddressFamily family, IPAddress configuredLocal, IPAddress localAddress, Action<IkeUdpDriver, IkeEvent> onEvent)
    {
        var spis = new IpSecSpiAllocator(manager, localAddress);
        var session = new IkeSession(sessionOptions, spiAllocator: spis);
        try
        {
            var driver = new IkeUdpDriver(session, new IkeUdpDriverOptions
            {
                LocalIkeEndPoint = new IPEndPoint(SocketProtector.BindAddress(configuredLocal, family), 0),
                NatTSocket = socket,
                NatKeepaliveInterval = null, // the NAT-T socket sends keepalives when it has been idle
                ProtectSocket = protector.Protect, // an IKE_SA_INIT on port 500 during a full tunnel must not enter it
                Loop = loop,
            });
            driver.EventRaised += e => onEvent(driver, e);
            return new IkeSaRun(session, driver, spis);
        }
        catch
        {
            session.Dispose();
            spis.Dispose();
            throw;
        }
    }

    private static bool IsWildcard(IPAddress a) => a.Equals(IPAddress.Any) || a.Equals(IPAddress.IPv6Any);

    /// <summary>Stops the driver, closes the NAT-T socket (its receive thread ends), releases SPIs and the session.</summary>
    public void Dispose()
    {
        var errors = new List<Exception>();
        try { Current.Driver.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5)); }
        catch (Exception e) { errors.Add(e); }
        try { Socket.Dispose(); }
        catch (Exception e) { errors.Add(e); }
        try { Current.Spis.Dispose(); }
        catch (Exception e) { errors.Add(e); }
        try { Current.Session.Dispose(); }
        catch (Exception e) { errors.Add(e); }
        if (errors.Count > 0) throw new AggregateException(errors);
    }
}
