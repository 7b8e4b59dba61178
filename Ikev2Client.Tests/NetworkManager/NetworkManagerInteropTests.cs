using FluentAssertions;
using Ikev2Client.NetworkManager;
using Ikev2Client.Profiles;
using Ikev2Client.Tests.Infrastructure;
using Ikev2Client.Tests.Interop;
using Ikev2Client.Tests.NetGuard;
using System.Text.Json.Nodes;
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
    public void Nmcli_up_pings_through_the_tunnel_with_DNS_set_by_NetworkManager_and_down_leaves_nothing()
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
            WaitUntil(() => nm.LogText.Contains("ikev2-nm: disconnected", StringComparison.Ordinal), "the plugin to log its disconnect");
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
    public void An_imported_and_exported_sswan_fails_as_a_login_failure_with_a_wrong_password_and_connects_with_the_right_one()
    {
        var pki = AuthInteropPki.Create("rsa");
        using var gw = StrongSwanGateway.Start(AuthSwanctlConfigs.Gateway("eap-mschapv2", extraRemote: "eap_id = %any"), files: pki.GatewayFiles);
        var ns = gw.ClientNamespace;
        var home = ServiceHome();
        PrivateNetworkManager? nm = null;
        try
        {
            // A .sswan without its password, imported and exported with the real CLI, as a user does.
            var cli = new NamespacedIkev2(ns, home);
            var sswan = Path.Combine(home, "lab.sswan");
            File.WriteAllText(sswan, new JsonObject
            {
                ["uuid"] = "5f3a2b1c-0d4e-4f6a-8b7c-9d0e1f2a3b4c", ["name"] = "lab", ["type"] = "ikev2-eap",
                ["remote"] = new JsonObject { ["addr"] = gw.GatewayAddress, ["id"] = SwanctlConfigs.GatewayId, ["cert"] = Convert.ToBase64String(pki.Ca.RawData) },
                ["local"] = new JsonObject { ["eap_id"] = AuthSwanctlConfigs.EapUser },
            }.ToJsonString());
            var import = cli.Cli("profile", "import", sswan);
            import.Code.Should().Be(0, import.Err);
            var keyfilePath = Path.Combine(home, "lab.nmconnection");
            var export = cli.Cli("nm-export", "lab", "-o", keyfilePath);
            export.Code.Should().Be(0, export.Err);
            File.GetUnixFileMode(keyfilePath).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
            var keyfile = File.ReadAllText(keyfilePath);
            keyfile.Should().Contain("password-flags=1").And.NotContain(AuthSwanctlConfigs.EapPassword);

            nm = PrivateNetworkManager.Start(ns);
            nm.ActivateUplink(gw.Topology.ClientDevice);
            nm.AddConnection("lab", keyfile);
            var passwd = Path.Combine(home, "lab.passwd");

            File.WriteAllText(passwd, "vpn.secrets.password:not-alices-password\n");
            var wrong = nm.Nmcli($"--wait 60 connection up lab passwd-file {passwd}", TimeSpan.FromSeconds(90));
            wrong.ExitCode.Should().NotBe(0, wrong.Output);
            wrong.Output.Should().MatchRegex("(?i)invalid secrets|login failed", $"NetworkManager's reason for our LOGIN_FAILED failure: {wrong.Output}\n{nm.LogText}");
            nm.LogText.Should().Contain("AUTHENTICATION_FAILED", "the plugin logs the IKE reason").And.NotContain("not-alices-password");
            WaitUntil(() => ns.Exec("ip -o link show type tun").Trim().Length == 0, "no TUN device after the failure");
            RuleCount(ns).Should().Be(0);

            File.WriteAllText(passwd, $"vpn.secrets.password:{AuthSwanctlConfigs.EapPassword}\n");
            var right = nm.Nmcli($"--wait 60 connection up lab passwd-file {passwd}", TimeSpan.FromSeconds(90));
            right.ExitCode.Should().Be(0, $"{right.Output}\n{nm.LogText}\n{gw.LogText}");
            var sas = gw.Gateway.WaitForSas(s => s.EstablishedCount == 1);
            sas.Raw.Should().Contain(AuthSwanctlConfigs.EapUser, "the gateway authenticated alice with EAP-MSCHAPv2");
            ns.Exec($"ping -c 2 -W 2 {InteropTopology.ServerAddress}").Should().Contain("2 received");
            nm.Nmcli("--wait 30 connection down lab", TimeSpan.FromSeconds(60)).ExitCode.Should().Be(0);
            WaitUntil(() => ns.Exec("ip -o link show type tun").Trim().Length == 0, "the TUN device to go");
            nm.LogText.Should().NotContain(AuthSwanctlConfigs.EapPassword, "secrets never reach the log");
        }
        finally
        {
            nm?.Dispose();
            Directory.Delete(home, recursive: true);
        }
    }

    [Fact]
    public void A_gateway_killed_without_DELETE_is_found_by_liveness_and_NetworkManager_deactivates_the_VPN_leaving_nothing()
    {
        using var gw = StrongSwanGateway.Start(FullTunnelGateway());
        var ns = gw.ClientNamespace;
        PrivateNetworkManager? nm = null;
        string? pingPid = null;
        try
        {
            nm = PrivateNetworkManager.Start(ns);
            nm.ActivateUplink(gw.Topology.ClientDevice);
            var profile = Profile(); // default liveness: no dpdSeconds
            nm.AddConnection("lab", NmKeyfile.Create(profile));
            var passwd = Path.Combine(nm.PluginHome, "lab.passwd");
            File.WriteAllText(passwd, NmKeyfile.PasswdFile(profile));
            var up = nm.Nmcli($"--wait 60 connection up lab passwd-file {passwd}", TimeSpan.FromSeconds(90));
            up.ExitCode.Should().Be(0, $"{up.Output}\n{nm.LogText}");

            Shell.ShOk($"kill -KILL {gw.Gateway.Pid}"); // no DELETE: only liveness can tell
            // The user's traffic goes unanswered: the traffic-driven check (5 s + retransmissions) finds the gateway dead.
            pingPid = Shell.ShOk($"ip netns exec {ns.Name} ping -w 60 -i 0.5 {InteropTopology.ServerAddress} >/dev/null 2>&1 & echo $!", TimeSpan.FromSeconds(5)).Trim();
            WaitUntil(() => !nm.Nmcli("-t -f NAME connection show --active").StdOut.Split('\n').Contains("lab"),
                "NetworkManager to deactivate the VPN after the plugin's Failure", TimeSpan.FromSeconds(90));
            nm.LogText.Should().Contain("ikev2-nm: connection lost").And.Contain("ikev2-nm: state: Stopped");
            WaitUntil(() => ns.Exec("ip -o link show type tun").Trim().Length == 0, "the TUN device to go");
            RuleCount(ns).Should().Be(0, "no policy rule of ours is left");
        }
        finally
        {
            if (pingPid is { Length: > 0 }) Shell.Sh($"kill {pingPid} 2>/dev/null", TimeSpan.FromSeconds(5));
            nm?.Dispose();
        }
    }

    [Fact]
    public void NetworkManager_moving_the_uplink_address_moves_the_SAs_with_MOBIKE_and_the_VPN_stays_up()
    {
        const string newAddress = "192.0.2.3";
        using var gw = StrongSwanGateway.Start(FullTunnelGateway());
        var ns = gw.ClientNamespace;
        PrivateNetworkManager? nm = null;
        try
        {
            nm = PrivateNetworkManager.Start(ns);
            nm.ActivateUplink(gw.Topology.ClientDevice);
            var profile = Profile();
            nm.AddConnection("lab", NmKeyfile.Create(profile));
            var passwd = Path.Combine(nm.PluginHome, "lab.passwd");
            File.WriteAllText(passwd, NmKeyfile.PasswdFile(profile));
            var up = nm.Nmcli($"--wait 60 connection up lab passwd-file {passwd}", TimeSpan.FromSeconds(90));
            up.ExitCode.Should().Be(0, $"{up.Output}\n{nm.LogText}");
            var spiBefore = gw.ListSas().Raw;
            spiBefore.Should().Contain($"@ {InteropTopology.ClientAddress}[");

            // NetworkManager changes the uplink's address (as on a new DHCP lease), without taking the link down.
            var modify = nm.Nmcli($"connection modify uplink ipv4.addresses {newAddress}/24 ipv4.gateway {InteropTopology.GatewayAddress}");
            modify.ExitCode.Should().Be(0, modify.Output);
            var reapply = nm.Nmcli($"device reapply {gw.Topology.ClientDevice}");
            reapply.ExitCode.Should().Be(0, reapply.Output);

            var after = gw.Gateway.WaitForSas(x => x.Raw.Contains($"@ {newAddress}[", StringComparison.Ordinal), TimeSpan.FromSeconds(30)).Raw;
            after.Should().Contain($"@ {newAddress}[", $"MOBIKE moved the IKE SA to the new address\n{nm.LogText}");
            gw.ListSas().IkeSaCount.Should().Be(1, "the same IKE SA, not a new one");
            nm.Nmcli("-t -f NAME connection show --active").StdOut.Split('\n').Should().Contain("lab", "the VPN stays up in NetworkManager");
            // strongSwan's kernel-libipsec rekeys the CHILD SA right after the update (MobilityInteropTests): a packet may go.
            WaitUntil(() => ns.TryExec($"ping -c 1 -W 2 {InteropTopology.ServerAddress}").ExitCode == 0, "traffic through the tunnel after the move");
            ns.Exec($"ping -c 3 -W 2 {InteropTopology.ServerAddress}").Should().Contain("3 received", "traffic flows after the move");
            nm.Nmcli("--wait 30 connection down lab", TimeSpan.FromSeconds(60)).ExitCode.Should().Be(0);
        }
        finally
        {
            nm?.Dispose();
        }
    }

    [Fact]
    public void A_store_backed_export_connects_with_nmcli_up_and_no_secret_agent()
    {
        using var gw = StrongSwanGateway.Start(FullTunnelGateway());
        var ns = gw.ClientNamespace;
        PrivateNetworkManager? nm = null;
        try
        {
            nm = PrivateNetworkManager.Start(ns);
            nm.ActivateUplink(gw.Topology.ClientDevice);
            // The plugin's store (its IKEV2_HOME, as /etc/ikev2 is for the installed plugin) holds the profile and its PSK.
            new ProfileStore(nm.PluginHome).Save(Profile());
            var export = new NamespacedIkev2(ns, nm.PluginHome).Cli("nm-export", "lab", "--secrets", "store");
            export.Code.Should().Be(0, export.Err);
            export.Out.Should().Contain("store-profile=lab").And.NotContain("psk-flags").And.NotContain(SwanctlConfigs.DefaultPsk);
            nm.AddConnection("lab", export.Out);

            // No passwd-file, no --ask: what the desktop VPN switch does.
            var up = nm.Nmcli("--wait 60 connection up lab", TimeSpan.FromSeconds(90));
            up.ExitCode.Should().Be(0, $"{up.Output}\n{nm.LogText}");
            ns.Exec($"ping -c 2 -W 2 {InteropTopology.ServerAddress}").Should().Contain("2 received");
            nm.Nmcli("--wait 30 connection down lab", TimeSpan.FromSeconds(60)).ExitCode.Should().Be(0);
            WaitUntil(() => ns.Exec("ip -o link show type tun").Trim().Length == 0, "the TUN device to go");
        }
        finally
        {
            nm?.Dispose();
        }
    }
}
