using System.Diagnostics;
using FluentAssertions;
using Ikev2Client.Profiles;
using Ikev2Client.Tests.Infrastructure;
using Ikev2Client.Tests.Interop;
using Xunit;

namespace Ikev2Client.Tests.NetGuard;

/// <summary>
/// The real <c>ikev2</c> daemon in the client namespace against strongSwan 5.9.8 with a full tunnel
/// (<c>local_ts = 0.0.0.0/0</c>) that pushes a DNS server: DNS applied to the namespace's own resolv.conf
/// (<c>ip netns exec</c> bind-mounts <c>/etc/netns/NAME/resolv.conf</c>) and restored after disconnect and after
/// <c>kill -9</c>; a killed daemon's leftovers removed by the next start and the next connect working; lockdown
/// letting no plaintext packet out during a gateway outage (tcpdump on the underlay) and the network back after
/// disconnect. Needs root and strongSwan; fails loudly without them.
/// </summary>
[Trait("Requires", "root")]
[Trait("Requires", "strongswan")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class NetGuardInteropTests
{
    internal const string GatewayDns = "10.1.0.53";

    /// <summary>A full-tunnel PSK gateway: every destination through the tunnel, a virtual IP, a DNS server and extra pool attributes.</summary>
    internal static string FullTunnelGateway(string localTs = "0.0.0.0/0", string extraPool = "") =>
        SwanctlConfigs.PskGateway(localTs: localTs, dns4: GatewayDns, pool4Attributes: extraPool);

    /// <summary>A default profile (no tuned DPD or lifetimes) for the gateway above.</summary>
    internal static Ikev2VpnProfile Profile(bool alwaysOn = false, bool lockdown = false, int? dpdSeconds = null)
    {
        var b = new Ikev2VpnProfile.Builder().SetName("lab").SetServer(InteropTopology.GatewayAddress, 500)
            .SetUserIdentity(SwanctlConfigs.ClientId).SetRemoteIdentity(SwanctlConfigs.GatewayId)
            .SetAuthPsk(System.Text.Encoding.UTF8.GetBytes(SwanctlConfigs.DefaultPsk))
            .SetAlwaysOn(alwaysOn, lockdown);
        if (dpdSeconds is { } d) b.SetDpdSeconds(d);
        return b.Build();
    }

    private const string OriginalResolvConf = "# the namespace's own resolver (test)\nnameserver 192.0.2.53\noptions timeout:1\n";

    [Fact]
    public void Kill9WhileConnected_next_start_restores_everything_connect_works_and_disconnect_leaves_nothing()
    {
        using var gw = StrongSwanGateway.Start(FullTunnelGateway());
        var ns = gw.ClientNamespace;
        var home = ServiceHome();
        using var ikev2 = new NamespacedIkev2(ns, home);
        try
        {
            var resolv = NamespaceResolvConf(ns.Name, OriginalResolvConf);
            new ProfileStore(home).Save(Profile());
            ikev2.StartDaemon();

            var connect = ikev2.Cli("connect", "lab");
            connect.Code.Should().Be(0, connect.Err + ikev2.Log + gw.LogText);
            AssertConnectedOnce(gw, ikev2, resolv, "first connect");

            // The crash: the TUN goes with the process (no IFF_PERSIST), its routes with the TUN; the policy rule and
            // our resolv.conf stay until someone cleans up.
            ikev2.KillDaemon();
            WaitUntil(() => !ns.Exec("ip -o link show").Contains("ikev2tun"), "the TUN to vanish with its process");
            RuleCount(ns).Should().Be(2, "a killed daemon leaves its policy rules behind, one per family (the reported EEXIST)");
            File.ReadAllText(resolv).Should().Contain("nameserver " + GatewayDns, "a killed daemon cannot restore resolv.conf itself");

            ikev2.StartDaemon();
            File.ReadAllText(resolv).Should().Be(OriginalResolvConf, "the next start restores the original resolver");
            RuleCount(ns).Should().Be(0, "the next start removes the dead daemon's rules");
            ikev2.Log.Should().Contain("crash recovery");

            connect = ikev2.Cli("connect", "lab");
            connect.Code.Should().Be(0, connect.Err + ikev2.Log + gw.LogText);
            AssertConnectedOnce(gw, ikev2, resolv, "connect after the crash");

            var disconnect = ikev2.Cli("disconnect");
            disconnect.Code.Should().Be(0, disconnect.Err);
            AssertNothingLeft(ns, ikev2, resolv);
            gw.Gateway.WaitForSas(s => s.IkeSaCount == 0).IkeSaCount.Should().Be(0);

            // A restored file is not touched again by the next start.
            ikev2.StopDaemon();
            ikev2.StartDaemon();
            File.ReadAllText(resolv).Should().Be(OriginalResolvConf);
        }
        finally
        {
            ikev2.StopDaemon();
            RemoveNamespaceResolvConf(ns.Name);
            Directory.Delete(home, recursive: true);
        }
    }

    [Fact]
    public void DnsIsAppliedByDefault_connect_foreground_and_no_dns_leaves_resolv_conf_alone()
    {
        using var gw = StrongSwanGateway.Start(FullTunnelGateway());
        var ns = gw.ClientNamespace;
        var home = ServiceHome();
        using var ikev2 = new NamespacedIkev2(ns, home);
        try
        {
            var resolv = NamespaceResolvConf(ns.Name, OriginalResolvConf);
            new ProfileStore(home).Save(Profile());
            var profileDns = "10.1.0.54"; // the profile's dnsServers override the gateway's
            new ProfileStore(home).Save(new Ikev2VpnProfile.Builder(Profile()).SetName("own").SetDnsServers([profileDns]).Build());

            // connect --foreground holds the tunnel in its own process until SIGTERM.
            var fg = Process.Start(ForegroundPsi(ns, home, "lab"))!;
            try
            {
                WaitUntil(() => File.ReadAllText(resolv).Contains("nameserver " + GatewayDns), "--foreground to apply the gateway's DNS",
                    TimeSpan.FromSeconds(60));
                // The resolver is written as the tunnel comes up; its first packets may still meet a CHILD SA being installed.
                WaitUntil(() => ns.TryExec($"ping -c 1 -W 1 {InteropTopology.ServerAddress}").ExitCode == 0, "traffic through the tunnel",
                    TimeSpan.FromSeconds(15));
                ns.Exec("ping -c 2 -W 2 " + InteropTopology.ServerAddress).Should().Contain("2 received");
            }
            finally
            {
                Process.Start("kill", ["-TERM", fg.Id.ToString()])!.WaitForExit();
                fg.WaitForExit(30_000).Should().BeTrue();
            }
            File.ReadAllText(resolv).Should().Be(OriginalResolvConf, "SIGTERM disconnects cleanly and restores the resolver");

            ikev2.StartDaemon();
            ikev2.Cli("connect", "own").Code.Should().Be(0, ikev2.Log);
            var text = File.ReadAllText(resolv);
            text.Should().Contain("nameserver " + profileDns).And.NotContain(GatewayDns, "the profile's dnsServers win");
            ikev2.Status("own")["connection"]!["dnsServers"]!.AsArray().Select(n => n!.GetValue<string>()).Should().Equal(profileDns);
            ikev2.Cli("disconnect").Code.Should().Be(0);
            File.ReadAllText(resolv).Should().Be(OriginalResolvConf);
            ikev2.StopDaemon();

            ikev2.StartDaemon("--no-dns");
            ikev2.Cli("connect", "lab").Code.Should().Be(0, ikev2.Log);
            File.ReadAllText(resolv).Should().Be(OriginalResolvConf, "--no-dns only reports the servers");
            ikev2.Status("lab")["connection"]!["dnsServers"]!.AsArray().Select(n => n!.GetValue<string>()).Should().Equal(GatewayDns);
            ikev2.Cli("disconnect").Code.Should().Be(0);
        }
        finally
        {
            ikev2.StopDaemon();
            RemoveNamespaceResolvConf(ns.Name);
            Directory.Delete(home, recursive: true);
        }
    }

    [Fact]
    public void Lockdown_no_plaintext_packet_leaves_during_a_gateway_outage_and_the_network_works_again_after_disconnect()
    {
        using var gw = StrongSwanGateway.Start(FullTunnelGateway());
        var ns = gw.ClientNamespace;
        // A default route on the underlay: without lockdown, traffic would go out there in plaintext whenever the tunnel is down.
        ns.Exec($"ip route replace default via {InteropTopology.GatewayAddress}");
        var home = ServiceHome();
        using var ikev2 = new NamespacedIkev2(ns, home);
        var capture = Path.Combine(home, "outage.pcap");
        try
        {
            // DPD every 20 s (the shortest a profile allows) so that the outage is noticed and the tunnel torn down well inside it: the hard case for
            // lockdown is the reconnect phase without a TUN, which the default liveness check reaches only later.
            new ProfileStore(home).Save(Profile(alwaysOn: true, lockdown: true, dpdSeconds: 20));
            ikev2.StartDaemon();
            var connect = ikev2.Cli("connect", "lab");
            connect.Code.Should().Be(0, connect.Err + ikev2.Log + gw.LogText);
            var status = ikev2.Status("lab");
            status["lockdownActive"]!.GetValue<bool>().Should().BeTrue();
            var tun = status["connection"]!["interfaceName"]!.GetValue<string>();
            ns.Exec("nft list table inet ikev2_lockdown").Should().Contain($"oifname \"{tun}\" accept").And.Contain("policy drop");
            ns.Exec($"ping -c 2 -W 2 {InteropTopology.ServerAddress}").Should().Contain("2 received", "the tunnel carries traffic under lockdown");
            ikev2.Cli("status", "lab").Out.Should().Contain("everything outside the tunnel is blocked");

            using (var dump = TcpDump.Start(ns, gw.Topology.ClientDevice, capture))
            {
                gw.Stop();
                var outageStart = DateTime.UtcNow;
                bool sawBlocking = false;
                DateTime? blockingSince = null;
                int probes = 0;
                while (DateTime.UtcNow - outageStart < TimeSpan.FromSeconds(20)
                       || (blockingSince is null || DateTime.UtcNow - blockingSince < TimeSpan.FromSeconds(5)) && DateTime.UtcNow - outageStart < TimeSpan.FromSeconds(90))
                {
                    ns.TryExec($"ping -c 1 -W 1 {InteropTopology.ServerAddress}");
                    ns.TryExec($"timeout 1 bash -c 'echo x > /dev/tcp/{InteropTopology.ServerAddress}/80'");
                    probes++;
                    var s = ikev2.Status("lab");
                    if (s["state"]!.GetValue<string>() != "CONNECTED" && s["lockdownActive"]!.GetValue<bool>())
                    {
                        sawBlocking = true;
                        blockingSince ??= DateTime.UtcNow;
                        ikev2.Cli("status", "lab").Out.Should().Contain("ALL traffic is blocked");
                        ns.Exec("ip -o link show").Should().NotContain(tun, "the tunnel is down while blocking");
                    }
                }
                sawBlocking.Should().BeTrue("status says when all traffic is blocked (the outage was noticed):\n" + ikev2.Log);
                probes.Should().BeGreaterThanOrEqualTo(5, "pings and TCP connects were tried all through the outage");
                dump.Stop();
            }
            var leaked = TcpDump.Count(capture, $"host {InteropTopology.ServerAddress}");
            leaked.Should().Be(0, "no ping or TCP packet of the user's left the underlay in plaintext during the outage");
            TcpDump.Count(capture, $"src host {InteropTopology.ClientAddress} and not (udp port 500 or udp port 4500)")
                .Should().Be(0, "only IKE (and ESP in UDP) to the gateway left the host");
            TcpDump.Count(capture, $"src host {InteropTopology.ClientAddress} and (udp port 500 or udp port 4500)")
                .Should().BeGreaterThan(0, "the client kept trying to reach the gateway (the capture saw its packets)");

            gw.Start();
            WaitUntil(() => ikev2.Status("lab")["state"]!.GetValue<string>() == "CONNECTED", "always-on to reconnect under lockdown",
                TimeSpan.FromSeconds(150));
            ns.Exec($"ping -c 2 -W 2 {InteropTopology.ServerAddress}").Should().Contain("2 received");

            ikev2.Cli("disconnect").Code.Should().Be(0);
            ns.TryExec("nft list table inet ikev2_lockdown").ExitCode.Should().NotBe(0, "disconnect removes the lockdown table");
            var after = Path.Combine(home, "after.pcap");
            using (var dump = TcpDump.Start(ns, gw.Topology.ClientDevice, after))
            {
                ns.Exec($"ping -c 2 -W 2 {InteropTopology.ServerAddress}").Should().Contain("2 received", "the network works again after disconnect");
                dump.Stop();
            }
            TcpDump.Count(after, $"icmp and host {InteropTopology.ServerAddress}").Should().BeGreaterThan(0,
                "control: the same capture does see plaintext packets when nothing blocks them");
            AssertNothingLeft(ns, ikev2, resolvConf: null);
        }
        finally
        {
            ikev2.StopDaemon();
            Directory.Delete(home, recursive: true);
        }
    }

    [Fact]
    public async Task Lockdown_survives_a_kill9_of_the_daemon_the_restart_takes_it_over_and_disconnect_lifts_it()
    {
        using var gw = StrongSwanGateway.Start(FullTunnelGateway());
        var ns = gw.ClientNamespace;
        ns.Exec($"ip route replace default via {InteropTopology.GatewayAddress}");
        var home = ServiceHome();
        using var ikev2 = new NamespacedIkev2(ns, home);
        try
        {
            new ProfileStore(home).Save(Profile(alwaysOn: true, lockdown: true));
            ikev2.StartDaemon(); // always-on: the daemon starts the profile itself
            WaitUntil(() => ikev2.Status("lab")["state"]!.GetValue<string>() == "CONNECTED", "the always-on lockdown profile to connect",
                TimeSpan.FromSeconds(60));
            ns.Exec($"ping -c 2 -W 2 {InteropTopology.ServerAddress}").Should().Contain("2 received");

            // From the crash until the restarted daemon is connected again, the table must never be missing.
            using var stop = new CancellationTokenSource();
            int missing = 0, looks = 0;
            var prober = Task.Run(() =>
            {
                while (!stop.IsCancellationRequested)
                {
                    if (ns.TryExec("nft list table inet ikev2_lockdown").ExitCode == 0) Interlocked.Increment(ref looks);
                    else Interlocked.Increment(ref missing);
                    Thread.Sleep(50);
                }
            });
            ikev2.KillDaemon();
            WaitUntil(() => !ns.Exec("ip -o link show").Contains("ikev2tun"), "the TUN to vanish with its process");
            ns.TryExec($"ping -c 1 -W 1 {InteropTopology.ServerAddress}").ExitCode.Should().NotBe(0,
                "with the service dead, lockdown still blocks: fail closed, nothing goes out in plaintext");

            ikev2.StartDaemon();
            WaitUntil(() => ikev2.Status("lab")["state"]!.GetValue<string>() == "CONNECTED", "the restarted daemon to reconnect",
                TimeSpan.FromSeconds(60));
            stop.Cancel();
            await prober;
            missing.Should().Be(0, $"the lockdown table was there at each of {looks} looks across the crash and the restart");
            ikev2.Log.Should().Contain("kept for the lockdown profile");
            RuleCount(ns).Should().Be(2, "one rule per family: IPv4 routed, IPv6 blocked");
            ns.Exec("nft list tables").Split('\n').Count(l => l.Contains("ikev2_lockdown")).Should().Be(1);
            ns.Exec($"ping -c 2 -W 2 {InteropTopology.ServerAddress}").Should().Contain("2 received");

            ikev2.Cli("disconnect").Code.Should().Be(0);
            AssertNothingLeft(ns, ikev2, resolvConf: null);
            ns.Exec($"ping -c 2 -W 2 {InteropTopology.ServerAddress}").Should().Contain("2 received", "the network works again after disconnect");
        }
        finally
        {
            ikev2.StopDaemon();
            Directory.Delete(home, recursive: true);
        }
    }

    // ---- helpers ----

    private static void AssertConnectedOnce(StrongSwanGateway gw, NamespacedIkev2 ikev2, string resolv, string because)
    {
        var ns = gw.ClientNamespace;
        RuleCount(ns).Should().Be(2, $"exactly one policy rule per family: IPv4 routed, IPv6 blocked ({because})");
        var routes = ns.Exec("ip route show table 2300").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        routes.Should().ContainSingle($"one route set: the full tunnel's default route ({because})").Which.Should().StartWith("default dev ikev2tun");
        ns.Exec("ip -o link show").Split('\n').Count(l => l.Contains("ikev2tun")).Should().Be(1);
        var text = File.ReadAllText(resolv);
        text.Should().StartWith("# Generated by ikev2");
        text.Split('\n').Count(l => l.StartsWith("nameserver", StringComparison.Ordinal)).Should().Be(1, $"one resolver config ({because})");
        text.Should().Contain("nameserver " + GatewayDns);
        ns.Exec($"ping -c 3 -W 2 {InteropTopology.ServerAddress}").Should().Contain("3 received", $"traffic passes ({because})");
        Directory.GetFiles(ikev2.StateDirectory, "*.state").Should().HaveCount(2, "one record for the interface, one for resolv.conf");
    }

    private static void AssertNothingLeft(NetworkNamespace ns, NamespacedIkev2 ikev2, string? resolvConf)
    {
        RuleCount(ns).Should().Be(0, "no policy rule of ours is left");
        Table(ns, "").Should().BeEmpty("no route of ours is left");
        Table(ns, "-6").Should().BeEmpty();
        ns.Exec("ip -o link show").Should().NotContain("ikev2tun");
        ns.Exec("nft list tables").Should().NotContain("ikev2", "no nftables table of ours is left");
        if (resolvConf is not null) File.ReadAllText(resolvConf).Should().Be(OriginalResolvConf, "the resolver is back as it was");
        (Directory.Exists(ikev2.StateDirectory) ? Directory.GetFiles(ikev2.StateDirectory, "*.state") : []).Should().BeEmpty("nothing is recorded as installed");
    }

    /// <summary>The routes in table 2300 ("" when the kernel has no such table, which is what we want).</summary>
    private static string Table(NetworkNamespace ns, string family)
    {
        var r = ns.TryExec($"ip {family} route show table 2300");
        return r.ExitCode == 0 ? r.StdOut.Trim() : r.Output.Contains("does not exist") ? "" : throw new InvalidOperationException(r.Output);
    }

    internal static int RuleCount(NetworkNamespace ns) =>
        ns.Exec("ip rule show").Split('\n').Count(l => l.Contains("lookup 2300")) + ns.Exec("ip -6 rule show").Split('\n').Count(l => l.Contains("lookup 2300"));

    internal static string ServiceHome()
    {
        var dir = Path.Combine("/tmp", "ikv2n-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary><c>/etc/netns/NAME/resolv.conf</c>: what <c>ip netns exec NAME</c> bind-mounts over /etc/resolv.conf.</summary>
    internal static string NamespaceResolvConf(string ns, string content)
    {
        var dir = Path.Combine("/etc/netns", ns);
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "resolv.conf");
        File.WriteAllText(path, content);
        return path;
    }

    internal static void RemoveNamespaceResolvConf(string ns)
    {
        try { Directory.Delete(Path.Combine("/etc/netns", ns), recursive: true); }
        catch (DirectoryNotFoundException) { }
    }

    private static ProcessStartInfo ForegroundPsi(NetworkNamespace ns, string home, string profile)
    {
        var psi = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = false };
        foreach (var a in (string[])["netns", "exec", ns.Name, "env", "-u", "IKEV2_SOCKET", $"IKEV2_HOME={home}", "IKEV2_NO_AUTOSTART=1",
                     NamespacedIkev2.Program, "connect", profile, "--foreground"])
            psi.ArgumentList.Add(a);
        return psi;
    }

    internal static void WaitUntil(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting for {what}");
            Thread.Sleep(200);
        }
    }
}

/// <summary>tcpdump on an interface inside a namespace, writing a pcap; <see cref="Count"/> reads it back with a filter.</summary>
internal sealed class TcpDump : IDisposable
{
    private readonly Process _process;
    private readonly string _file;

    private TcpDump(Process process, string file)
    {
        _process = process;
        _file = file;
    }

    public static TcpDump Start(NetworkNamespace ns, string device, string file)
    {
        var psi = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in (string[])["netns", "exec", ns.Name, "tcpdump", "-i", device, "-n", "-U", "-Z", "root", "-w", file, "not arp"])
            psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        var listening = new ManualResetEventSlim();
        p.ErrorDataReceived += (_, e) => { if (e.Data?.Contains("listening on", StringComparison.Ordinal) == true) listening.Set(); };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        if (!listening.Wait(TimeSpan.FromSeconds(15)))
        {
            try { p.Kill(); } catch (InvalidOperationException) { }
            throw new InvalidOperationException($"tcpdump on {device} did not start");
        }
        return new TcpDump(p, file);
    }

    /// <summary>Stops the capture (SIGINT flushes the file).</summary>
    public void Stop()
    {
        if (_process.HasExited) return;
        Process.Start("kill", ["-INT", _process.Id.ToString()])!.WaitForExit();
        if (!_process.WaitForExit(10_000)) _process.Kill();
    }

    /// <summary>Packets in <paramref name="file"/> that match <paramref name="filter"/>.</summary>
    public static int Count(string file, string filter)
    {
        var r = Shell.Run("tcpdump", ["-r", file, "-n", filter], TimeSpan.FromSeconds(30));
        if (r.ExitCode != 0) throw new InvalidOperationException($"tcpdump -r {file} '{filter}' failed: {r.StdErr}");
        return r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
    }

    public void Dispose()
    {
        Stop();
        _process.Dispose();
        _ = _file;
    }
}
