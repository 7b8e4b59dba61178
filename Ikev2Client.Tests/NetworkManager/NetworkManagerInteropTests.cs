using FluentAssertions;
using Ikev2Client.NetworkManager;
using Ikev2Client.Profiles;
using Ikev2Client.Tests.Infrastructure;
using Ikev2Client.Tests.Interop;
using Xunit;
using static Ikev2Client.Tests.NetGuard.NetGuardInteropTests;

namespace Ikev2Client.Tests.NetworkManager;

/// <summary>
/// The NetworkManager plugin for real: Debian's NetworkManager on a private system bus in the client namespace
/// (<see cref="PrivateNetworkManager"/>), our <c>.name</c> file, a connection exported by <see cref="NmKeyfile"/> from a
/// default profile, and <c>nmcli connection up/down</c> against the strongSwan gateway (full tunnel, a DNS server pushed).
/// </summary>
[Trait("Requires", "root")]
[Trait("Requires", "strongswan")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class NetworkManagerInteropTests
{
    private const string OriginalResolvConf = "# the namespace's own resolver (test)\nnameserver 192.0.2.53\n";

    [Fact]
    public void NmcliUp_PingsThroughTheTunnel_DnsSetByNetworkManager_NmcliDownLeavesNothing()
    {
        using var gw = StrongSwanGateway.Start(FullTunnelGateway());
        var ns = gw.ClientNamespace;
        PrivateNetworkManager? nm = null;
        try
        {
            var resolv = NamespaceResolvConf(ns.Name, OriginalResolvConf);
            nm = PrivateNetworkManager.Start(ns);
            nm.ActivateUplink(gw.Topology.ClientDevice);
            var profile = Profile();
            var keyfile = NmKeyfile.Create(profile);
            keyfile.Should().NotContain(SwanctlConfigs.DefaultPsk, "secrets never go into NetworkManager's connection file");
            nm.AddConnection("lab", keyfile);
            var passwd = Path.Combine(nm.PluginHome, "lab.passwd");
            File.WriteAllText(passwd, NmKeyfile.PasswdFile(profile));

            var up = nm.Nmcli($"--wait 60 connection up lab passwd-file {passwd}", TimeSpan.FromSeconds(90));
            up.ExitCode.Should().Be(0, $"nmcli connection up: {up.Output}\n{nm.LogText}\n{gw.LogText}");

            var state = nm.Nmcli("-t -f GENERAL.STATE,IP4.ADDRESS,IP4.DNS connection show lab");
            state.StdOut.Should().Contain("activated", state.Output);
            state.StdOut.Should().Contain("10.3.0.", "NetworkManager shows the virtual address from the gateway's pool");
            var tun = ns.Exec("ip -o link show type tun").Trim();
            tun.Should().NotBeEmpty("the plugin's TUN device exists");

            ns.Exec($"ping -c 3 -W 2 {InteropTopology.ServerAddress}").Should().Contain("3 received", "traffic goes through the tunnel");
            gw.ListSas().EstablishedCount.Should().Be(1);
            try
            {
                WaitUntil(() => nm.ResolvConf.Contains($"nameserver {GatewayDns}", StringComparison.Ordinal),
                    "NetworkManager to put the VPN's DNS server into its resolv.conf", TimeSpan.FromSeconds(15));
            }
            catch (TimeoutException e)
            {
                throw new TimeoutException($"{e.Message}: it is\n{nm.ResolvConf}\n{nm.Diagnose()}\n{nm.LogText}");
            }
            var firstServer = nm.ResolvConf.Split('\n').First(l => l.StartsWith("nameserver", StringComparison.Ordinal));
            firstServer.Should().Be($"nameserver {GatewayDns}", "the VPN's server comes first (NetworkManager's VPN DNS priority)");
            File.ReadAllText(resolv).Should().Be(OriginalResolvConf, "the plugin itself does not touch the resolver");
            nm.ResolvConf.Should().Contain($"nameserver {PrivateNetworkManager.UplinkDns}", "NetworkManager keeps the uplink's server after the VPN's");

            var down = nm.Nmcli("--wait 30 connection down lab", TimeSpan.FromSeconds(60));
            down.ExitCode.Should().Be(0, down.Output + nm.LogText);
            WaitUntil(() => ns.Exec("ip -o link show type tun").Trim().Length == 0, "the TUN device to go");
            RuleCount(ns).Should().Be(0, "no policy rule of ours is left");
            ns.Exec("ip route show table all").Should().NotContain("ikev2tun", "no route of ours is left");
            WaitUntil(() => !nm.ResolvConf.Contains(GatewayDns, StringComparison.Ordinal), "NetworkManager to remove the VPN's DNS");
            nm.ResolvConf.Should().Contain($"nameserver {PrivateNetworkManager.UplinkDns}");
            nm.LogText.Should().Contain("ikev2-nm: disconnected");
            var stateDir = Path.Combine(nm.PluginHome, "state", "nm-network");
            (Directory.Exists(stateDir) ? Directory.GetFiles(stateDir, "*.state") : []).Should().BeEmpty("the plugin left no state file");
            WaitUntil(() => gw.ListSas().IkeSaCount == 0, "the gateway to drop the IKE SA (our DELETE)");
        }
        finally
        {
            nm?.Dispose();
            RemoveNamespaceResolvConf(ns.Name);
        }
    }

    [Fact]
    public void WrongPreSharedKey_NmcliUpFails_WithNetworkManagersLoginFailedReason_AndLeavesNothing()
    {
        using var gw = StrongSwanGateway.Start(FullTunnelGateway());
        var ns = gw.ClientNamespace;
        PrivateNetworkManager? nm = null;
        try
        {
            nm = PrivateNetworkManager.Start(ns);
            nm.ActivateUplink(gw.Topology.ClientDevice);
            var wrong = Profile().ToBuilder().SetAuthPsk("not-the-gateways-key"u8.ToArray()).Build();
            nm.AddConnection("lab", NmKeyfile.Create(wrong));
            var passwd = Path.Combine(nm.PluginHome, "lab.passwd");
            File.WriteAllText(passwd, NmKeyfile.PasswdFile(wrong));

            var up = nm.Nmcli($"--wait 60 connection up lab passwd-file {passwd}", TimeSpan.FromSeconds(90));
            up.ExitCode.Should().NotBe(0, up.Output);
            up.Output.Should().MatchRegex("(?i)invalid secrets|login failed", $"NetworkManager's reason for our LOGIN_FAILED failure: {up.Output}\n{nm.LogText}");
            up.Output.Should().NotContain("not-the-gateways-key");
            nm.LogText.Should().Contain("AUTHENTICATION_FAILED", "the plugin logs the IKE reason").And.NotContain("not-the-gateways-key");
            WaitUntil(() => ns.Exec("ip -o link show type tun").Trim().Length == 0, "no TUN device");
            RuleCount(ns).Should().Be(0);
        }
        finally
        {
            nm?.Dispose();
        }
    }
}
