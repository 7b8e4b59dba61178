using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ikev2Client.Connection;
using Ikev2Client.Platform.Linux;
using Ikev2Client.Profiles;
using Ikev2Client.Tests.Infrastructure;

namespace Ikev2Client.Tests.Interop;

/// <summary>
/// Shared pieces of the dual-stack, full-tunnel and leak interop tests: strongSwan gateway configs with IPv4 and IPv6
/// pools, our client built from a <b>default profile</b> (what users have: both families asked for, full-tunnel
/// selectors, no tuned DPD or lifetimes), ping/iperf3/TCP probes in the client namespace, and the gateway's SA byte
/// counters.
/// </summary>
internal static partial class DualStackInterop
{
    /// <summary>The IPv6 pool (strongSwan hands out fd00:3::1 first).</summary>
    public const string Pool6Subnet = SwanctlConfigs.Pool6Subnet;
    /// <summary>The IPv6 DNS server the IPv6 pool hands out.</summary>
    public const string Dns6Address = SwanctlConfigs.Dns6Address;

    /// <summary>
    /// PSK gateway "gw" with child "net": <paramref name="localTs"/> (e.g. "0.0.0.0/0,::/0"), <paramref name="pools"/>
    /// (any of "pool4", "pool6"), listening on <paramref name="localAddrs"/> (default: its IPv4 and IPv6 underlay
    /// addresses). <paramref name="extra"/> goes into the connection (e.g. reauth_time).
    /// </summary>
    public static string Gateway(string localTs, string pools, string? localAddrs = null, string extra = "") =>
        SwanctlConfigs.PskGateway(localTs: localTs, pools: pools, extraConnectionOptions: extra,
            localAddrs: localAddrs ?? $"{InteropTopology.GatewayAddress},{InteropTopology.GatewayAddress6}");

    /// <summary>A default PSK profile for the interop gateway at <paramref name="server"/> (nothing tuned).</summary>
    public static Ikev2VpnProfile Profile(string server = InteropTopology.GatewayAddress) =>
        new Ikev2VpnProfile.Builder(server, null)
            .SetName("interop")
            .SetUserIdentity(SwanctlConfigs.ClientId)
            .SetRemoteIdentity(SwanctlConfigs.GatewayId)
            .SetAuthPsk(System.Text.Encoding.UTF8.GetBytes(SwanctlConfigs.DefaultPsk))
            .Build();

    /// <summary>Connection options from <paramref name="profile"/>, with a TUN named <paramref name="tunName"/>.</summary>
    public static VpnConnectionOptions Options(Ikev2VpnProfile profile, string tunName = "ikvd%d") =>
        ProfileConnection.CreateOptions(profile, new ProfileConnectionSettings(), Ikev2Client.Tests.Infrastructure.TestPlatform.LinuxTun(tunName));

    /// <summary>Pings <paramref name="target"/> (either family) <paramref name="count"/> times from <paramref name="ns"/>; replies received.</summary>
    public static int Ping(NetworkNamespace ns, string target, int count, double interval = 0.05)
    {
        var r = ns.TryExec($"ping -n -c {count} -i {interval.ToString(System.Globalization.CultureInfo.InvariantCulture)} -W 2 {target}",
            TimeSpan.FromSeconds(count * (interval + 0.5) + 15));
        var m = Received().Match(r.Output);
        return m.Success ? int.Parse(m.Groups[1].Value) : 0;
    }

    /// <summary>One ping's outcome text (for "fails at once" checks).</summary>
    public static ShellResult PingOnce(NetworkNamespace ns, string target) => ns.TryExec($"ping -n -c 1 -W 2 {target}", TimeSpan.FromSeconds(10));

    /// <summary>A TCP connect from <paramref name="ns"/>; null when it connected, else the socket error.</summary>
    public static SocketError? TcpConnect(NetworkNamespace ns, string address, int port, TimeSpan timeout) => ns.Run(() =>
    {
        var ip = IPAddress.Parse(address);
        using var s = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            var task = s.ConnectAsync(new IPEndPoint(ip, port));
            if (!task.Wait(timeout)) return SocketError.TimedOut;
            return (SocketError?)null;
        }
        catch (AggregateException e) when (e.InnerException is SocketException se) { return se.SocketErrorCode; }
        catch (SocketException se) { return se.SocketErrorCode; }
    });

    /// <summary>A UDP datagram from <paramref name="ns"/> (e.g. to port 53); null when the kernel took it, else the error.</summary>
    public static SocketError? UdpSend(NetworkNamespace ns, string address, int port) => ns.Run(() =>
    {
        var ip = IPAddress.Parse(address);
        using var s = new Socket(ip.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            s.SendTo(new byte[32], new IPEndPoint(ip, port));
            return (SocketError?)null;
        }
        catch (SocketException se) { return se.SocketErrorCode; }
    });

    /// <summary>
    /// A TCP listener on <paramref name="address"/>:<paramref name="port"/> inside <paramref name="ns"/> that accepts and
    /// closes connections until disposed; <see cref="TcpSink.Accepted"/> counts them.
    /// </summary>
    public static TcpSink Listen(NetworkNamespace ns, string address, int port) => ns.Run(() => new TcpSink(IPAddress.Parse(address), port));

    /// <summary>iperf3 server in the server namespace on <paramref name="server"/>, client in the client namespace; Mbit/s received.</summary>
    public static double Iperf(StrongSwanGateway gw, string server, int seconds)
    {
        gw.ServerNamespace.Exec($"iperf3 -s -1 -D -B {server}");
        Thread.Sleep(300);
        var json = gw.ClientNamespace.Exec($"iperf3 -c {server} -t {seconds} -J", TimeSpan.FromSeconds(seconds + 30));
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("end").GetProperty("sum_received").GetProperty("bits_per_second").GetDouble() / 1e6;
    }

    /// <summary>The gateway's CHILD SA byte counters (in, out), summed over the CHILD SAs listed.</summary>
    public static (long In, long Out) ChildBytes(StrongSwanGateway gw)
    {
        long i = 0, o = 0;
        foreach (Match m in ChildCounters().Matches(gw.ListSas().Raw))
        {
            if (m.Groups[1].Value == "in") i += long.Parse(m.Groups[2].Value);
            else o += long.Parse(m.Groups[2].Value);
        }
        return (i, o);
    }

    /// <summary>Waits until the connection's info satisfies <paramref name="condition"/> or the deadline passes.</summary>
    public static bool WaitFor(Func<bool> condition, TimeSpan timeout)
    {
        var end = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < end)
        {
            if (condition()) return true;
            Thread.Sleep(100);
        }
        return condition();
    }

    [GeneratedRegex(@"(\d+) (?:packets )?received")]
    private static partial Regex Received();

    [GeneratedRegex(@"\b(in|out)\s+[0-9a-f]{8}[^,\n]*,\s+(\d+) bytes")]
    private static partial Regex ChildCounters();
}

/// <summary>A TCP listener that accepts and closes connections in the background.</summary>
internal sealed class TcpSink : IDisposable
{
    private readonly Socket _listener;
    private readonly List<IPAddress> _remotes = [];
    private int _accepted;

    public TcpSink(IPAddress address, int port)
    {
        _listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(address, port));
        _listener.Listen(16);
        _ = Task.Run(async () =>
        {
            while (true)
            {
                try
                {
                    using var s = await _listener.AcceptAsync();
                    lock (_remotes) _remotes.Add(((IPEndPoint)s.RemoteEndPoint!).Address);
                    Interlocked.Increment(ref _accepted);
                }
                catch (ObjectDisposedException) { return; }
                catch (SocketException) { return; }
            }
        });
    }

    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Where the accepted connections came from.</summary>
    public IReadOnlyList<IPAddress> Remotes { get { lock (_remotes) return [.. _remotes]; } }

    public void Dispose() => _listener.Dispose();
}
