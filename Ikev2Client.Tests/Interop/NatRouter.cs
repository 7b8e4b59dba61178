using System.Text.RegularExpressions;
using Ikev2Client.Tests.Infrastructure;

namespace Ikev2Client.Tests.Interop;

/// <summary>
/// Puts a NAT router namespace between the client and the gateway of an <see cref="InteropTopology"/>:
/// <c>client</c> (192.168.77.2) —veth— (192.168.77.1) <c>router</c> (192.0.2.2, the client's old uplink moved here)
/// —veth— (192.0.2.1) <c>gateway</c>. The router masquerades everything leaving towards the gateway (nftables) and
/// counts forwarded NAT keepalives (UDP to port 4500 with one octet of payload). <see cref="Remap"/> simulates a NAT
/// that lost its state: new flows go to a fresh conntrack zone and get an SNAT port from another range.
/// </summary>
public sealed partial class NatRouter : IDisposable
{
    public const string ClientInsideAddress = "192.168.77.2";
    public const string RouterInsideAddress = "192.168.77.1";
    private readonly string _outside;

    public NetworkNamespace Router { get; }
    /// <summary>The router's public address (what the gateway sees).</summary>
    public string PublicAddress => InteropTopology.ClientAddress;

    private NatRouter(NetworkNamespace router, string outside)
    {
        Router = router;
        _outside = outside;
    }

    /// <summary>Builds the router into <paramref name="topology"/> (after the gateway started). Needs root.</summary>
    public static NatRouter Insert(InteropTopology topology)
    {
        var p = InteropTopology.Prefix + topology.Id;
        var router = NetworkNamespace.Create($"{p}r");
        var nat = new NatRouter(router, topology.ClientDevice);
        try
        {
            var client = topology.Client.Name;
            var t = TimeSpan.FromSeconds(15);
            Shell.ShOk($"ip -n {client} link set {topology.ClientDevice} netns {router.Name}", t);
            Shell.ShOk($"ip -n {router.Name} addr add {InteropTopology.ClientAddress}/24 dev {topology.ClientDevice} && ip -n {router.Name} link set {topology.ClientDevice} up", t);
            Shell.ShOk($"ip -n {client} link add {p}cr type veth peer name {p}rc netns {router.Name}", t);
            Shell.ShOk($"ip -n {client} addr add {ClientInsideAddress}/24 dev {p}cr && ip -n {client} link set {p}cr up", t);
            Shell.ShOk($"ip -n {client} route add default via {RouterInsideAddress}", t);
            Shell.ShOk($"ip -n {router.Name} addr add {RouterInsideAddress}/24 dev {p}rc && ip -n {router.Name} link set {p}rc up", t);
            router.Exec("sysctl -qw net.ipv4.ip_forward=1", t);
            nat.Nft($$"""
                table ip nat {
                    chain snat_out { type nat hook postrouting priority srcnat; oifname "{{nat._outside}}" masquerade; }
                }
                table ip watch {
                    chain keepalives { type filter hook forward priority 0; oifname "{{nat._outside}}" udp dport 4500 udp length 9 counter; }
                }
                """);
            return nat;
        }
        catch
        {
            router.Dispose();
            throw;
        }
    }

    /// <summary>NAT keepalives (RFC 3948: one 0xFF octet to port 4500) forwarded towards the gateway so far.</summary>
    public long KeepalivesForwarded
    {
        get
        {
            var m = Counter().Match(Router.Exec("nft list table ip watch"));
            return m.Success ? long.Parse(m.Groups[1].Value) : throw new InvalidOperationException("no counter in the watch table");
        }
    }

    /// <summary>
    /// The NAT "reboots": its masquerade rule becomes an SNAT to ports <paramref name="ports"/> (e.g. "20000-20999"),
    /// and every packet is tracked in a new conntrack zone, so no existing mapping applies any more (no conntrack tool
    /// needed). Packets from the gateway to the old mapping are dropped at the router.
    /// </summary>
    public void Remap(string ports) => Nft($$"""
        delete table ip nat
        table ip nat {
            chain snat_out { type nat hook postrouting priority srcnat; oifname "{{_outside}}" meta l4proto udp snat to {{PublicAddress}}:{{ports}}; oifname "{{_outside}}" snat to {{PublicAddress}}; }
        }
        table ip zone {
            chain zone_in { type filter hook prerouting priority raw; ct zone set 1; }
            chain zone_local { type filter hook output priority raw; ct zone set 1; }
        }
        """);

    private void Nft(string ruleset)
    {
        var file = Path.Combine(Path.GetTempPath(), $"nat-{Router.Name}-{Guid.NewGuid():n}.nft");
        File.WriteAllText(file, ruleset + "\n");
        try { Router.Exec($"nft -f {file}"); }
        finally { File.Delete(file); }
    }

    public void Dispose() => Router.Dispose();

    [GeneratedRegex(@"counter packets (\d+)")]
    private static partial Regex Counter();
}
