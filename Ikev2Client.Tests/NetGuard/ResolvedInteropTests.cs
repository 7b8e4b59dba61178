using FluentAssertions;
using Ikev2Client.Profiles;
using Ikev2Client.Tests.Interop;
using Xunit;
using static Ikev2Client.Tests.NetGuard.NetGuardInteropTests;

namespace Ikev2Client.Tests.NetGuard;

/// <summary>
/// DNS through systemd-resolved's per-link D-Bus API, for real: the daemon in the client namespace, whose
/// resolv.conf points at resolved's stub (so it chooses resolved), a real systemd-resolved on a private bus
/// (<see cref="PrivateResolved"/>), and strongSwan pushing a DNS server and INTERNAL_DNS_DOMAIN (RFC 8598).
/// Asserted with <c>resolvectl status</c> against that resolved.
/// </summary>
[Trait("Requires", "root")]
[Trait("Requires", "strongswan")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ResolvedInteropTests
{
    private const string StubResolvConf = "nameserver 127.0.0.53\noptions edns0 trust-ad\n";

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TunnelDnsGoesOnTheTunLink_full_tunnel_takes_every_name_split_tunnel_only_its_domains(bool fullTunnel)
    {
        using var gw = StrongSwanGateway.Start(FullTunnelGateway(fullTunnel ? "0.0.0.0/0" : InteropTopology.ServerSubnet, "25 = corp.example"));
        var ns = gw.ClientNamespace;
        var home = ServiceHome();
        PrivateResolved? resolved = null;
        NamespacedIkev2? ikev2 = null;
        try
        {
            var resolv = NamespaceResolvConf(ns.Name, StubResolvConf);
            resolved = PrivateResolved.Start(ns);
            ikev2 = new NamespacedIkev2(ns, home, new Dictionary<string, string> { ["DBUS_SYSTEM_BUS_ADDRESS"] = resolved.BusAddress });
            new ProfileStore(home).Save(Profile());
            ikev2.StartDaemon();
            var connect = ikev2.Cli("connect", "lab");
            connect.Code.Should().Be(0, connect.Err + ikev2.Log + gw.LogText);
            var connection = ikev2.Status("lab")["connection"]!;
            var tun = connection["interfaceName"]!.GetValue<string>();
            connection["dnsDomains"]!.AsArray().Select(n => n!.GetValue<string>()).Should().Equal(["corp.example"], "status reports the split-DNS domains");

            var link = resolved.Resolvectl($"status {tun}");
            link.StdOut.Should().Contain($"({tun})", link.Output + resolved.LogText);
            link.StdOut.Should().MatchRegex(@"DNS Servers?: 10\.1\.0\.53", "the gateway's server is on the TUN link");
            if (fullTunnel)
            {
                link.StdOut.Should().MatchRegex(@"DNS Domain: corp\.example ~\.", "a full tunnel routes every name (~.) to the tunnel");
                link.StdOut.Should().Contain("+DefaultRoute");
            }
            else
            {
                link.StdOut.Should().MatchRegex(@"DNS Domain: corp\.example\s*$", "a split tunnel sends only the gateway's domains (RFC 8598)");
                link.StdOut.Should().Contain("-DefaultRoute");
            }
            File.ReadAllText(resolv).Should().Be(StubResolvConf, "with resolved nothing global is rewritten");
            ikev2.Log.Should().NotContain("crash recovery");

            ikev2.Cli("disconnect").Code.Should().Be(0);
            var log = resolved.LogText;
            var revert = log.IndexOf("member=RevertLink", StringComparison.Ordinal);
            revert.Should().BePositive("the daemon called RevertLink");
            log.IndexOf($"Removing link", revert, StringComparison.Ordinal).Should().BeGreaterThan(revert, "RevertLink came while the link still existed");
            log.Should().Contain($"{tun}: Bus client set DNS server list to: 10.1.0.53");
            resolved.Resolvectl("status").StdOut.Should().NotContain("10.1.0.53", "nothing of the tunnel is left in resolved");
            File.ReadAllText(resolv).Should().Be(StubResolvConf);
            Directory.GetFiles(ikev2.StateDirectory, "*.state").Should().BeEmpty();
        }
        finally
        {
            ikev2?.StopDaemon();
            resolved?.Dispose();
            RemoveNamespaceResolvConf(ns.Name);
            Directory.Delete(home, recursive: true);
        }
    }
}
