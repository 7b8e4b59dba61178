using System.Net;
using System.Text;
using FluentAssertions;
using Ikev2Client.Platform;
using Ikev2Client.Platform.Linux;
using Xunit;

namespace Ikev2Client.Tests.Platform;

/// <summary>
/// State files and their owners (no root), and the resolv.conf configurator on a private path (never /etc):
/// apply/revert, symlinks, a missing file, someone else's rewrite, and restoring after a "crash" from the state file.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LinuxNetworkStateTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ikev2-dns-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("device ikev2tun0", true)]
    [InlineData("rule inet 32000 2300 8960", true)]
    [InlineData("rule inet6 32000 2300 8960", true)]
    [InlineData("route throw 10.98.7.0/24 2300", true)]
    [InlineData("route unicast fd00::/48 2300", true)]
    [InlineData("route unreachable ::/0 2300", true)]
    [InlineData("route unreachable 0.0.0.0/0 2300", true)]
    [InlineData("nft inet ikev2_lockdown", true)]
    [InlineData("nft inet bad;name", false)]
    [InlineData("nft arp ikev2_lockdown", false)]
    [InlineData("nft inet 9table", false)]
    [InlineData("route unicast 10.0.0.0/33 2300", false)]
    [InlineData("route multicast 10.0.0.0/8 2300", false)]
    [InlineData("rule ipx 1 2 3", false)]
    [InlineData("rule inet -1 2 3", false)]
    [InlineData("device averyveryverylongname", false)]
    [InlineData("", false)]
    [InlineData("# comment", false)]
    public void StateLines_parse_or_are_ignored(string line, bool valid)
    {
        var r = LinuxNetworkResource.Parse(line);
        (r != null).Should().Be(valid);
        if (r != null) r.ToString().Should().Be(line, "a parsed line writes back identically");
    }

    [Fact]
    public void Owner_round_trips_and_tells_a_live_process_from_a_dead_or_rebooted_one()
    {
        var me = StateOwner.Current();
        me.Pid.Should().Be(Environment.ProcessId);
        me.StartTime.Should().BeGreaterThan(0UL);
        me.NetworkNamespace.Should().BeGreaterThan(0UL);
        StateOwner.Parse(me.ToLine()).Should().Be(me);
        me.IsAlive.Should().BeTrue();
        me.IsCurrentNetworkNamespace.Should().BeTrue();

        (me with { StartTime = me.StartTime + 1 }).IsAlive.Should().BeFalse("a reused pid has another start time");
        (me with { BootId = "00000000-0000-0000-0000-000000000000" }).IsAlive.Should().BeFalse("a reboot ended every process");
        (me with { NetworkNamespace = me.NetworkNamespace + 1 }).IsCurrentNetworkNamespace.Should().BeFalse();
        StateOwner.Parse("# owner pid=x start=1 boot=b netns=2").Should().BeNull();
        StateOwner.Parse("device ikev2tun0").Should().BeNull();
    }

    [Fact]
    public void ResolvConf_apply_then_revert_restores_the_original_bytes_and_mode_and_removes_its_record()
    {
        var path = Path.Combine(_dir, "resolv.conf");
        var state = Path.Combine(_dir, "dns-1.state");
        const string original = "nameserver 192.0.2.1\noptions edns0\n";
        File.WriteAllText(path, original);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var dns = new ResolvConfDnsConfigurator(path, state);

        dns.Apply(new DnsSettings("ikev2tun0", [IPAddress.Parse("10.98.0.53"), IPAddress.Parse("fd00::53")], ["corp.example", "lab.example"]));

        var text = File.ReadAllText(path);
        text.Should().StartWith(ResolvConfDnsConfigurator.Marker)
            .And.Contain("nameserver 10.98.0.53\nnameserver fd00::53\nsearch corp.example lab.example\n");
        dns.OriginalKind.Should().Be(ResolvConfKind.File);
        File.GetUnixFileMode(path).Should().HaveFlag(UnixFileMode.OtherRead, "resolvers running as any user must read it");
        var record = File.ReadAllText(state);
        record.Should().Contain("# owner pid=" + Environment.ProcessId).And.Contain("kind file")
            .And.Contain("original " + Convert.ToBase64String(Encoding.UTF8.GetBytes(original)), "the original is recorded before the file changes");
        dns.Servers.Should().HaveCount(2);

        dns.Apply(new DnsSettings("ikev2tun0", [IPAddress.Parse("10.98.0.54")], []));
        File.ReadAllText(path).Should().Contain("nameserver 10.98.0.54").And.NotContain("10.98.0.53");
        File.ReadAllText(state).Should().Contain("original " + Convert.ToBase64String(Encoding.UTF8.GetBytes(original)), "a second apply keeps the first original");

        dns.Revert();
        File.ReadAllText(path).Should().Be(original);
        File.Exists(state).Should().BeFalse();
        dns.Servers.Should().BeEmpty();
        Directory.GetFiles(_dir).Select(Path.GetFileName).Should().BeEquivalentTo(["resolv.conf"], "no temporary file is left");
    }

    [Fact]
    public void ResolvConf_symlink_stays_a_symlink_and_a_crash_is_undone_from_the_state_file()
    {
        var target = Path.Combine(_dir, "stub-resolv.conf");
        File.WriteAllText(target, "nameserver 127.0.0.53\n");
        var path = Path.Combine(_dir, "resolv.conf");
        var state = Path.Combine(_dir, "dns-2.state");
        File.CreateSymbolicLink(path, target);

        new ResolvConfDnsConfigurator(path, state).Apply("t0", [IPAddress.Parse("10.1.1.1")], []); // then "crash"
        new FileInfo(path).LinkTarget.Should().BeNull("the VPN's file replaced the link");
        File.ReadAllText(target).Should().Be("nameserver 127.0.0.53\n", "the link target is never written");

        ResolvConfDnsConfigurator.RestoreStale(state).Should().BeTrue();
        new FileInfo(path).LinkTarget.Should().Be(target);
        File.Exists(state).Should().BeFalse();
        ResolvConfDnsConfigurator.RestoreStale(state).Should().BeFalse("nothing is left to restore");
    }

    [Fact]
    public void ResolvConf_missing_original_is_missing_again_after_revert()
    {
        var path = Path.Combine(_dir, "resolv.conf");
        var dns = new ResolvConfDnsConfigurator(path);
        dns.Apply("t0", [IPAddress.Parse("10.1.1.1")], []);
        File.Exists(path).Should().BeTrue();
        dns.OriginalKind.Should().Be(ResolvConfKind.Absent);
        dns.Revert();
        File.Exists(path).Should().BeFalse();
    }

    [Fact]
    public void ResolvConf_rewritten_by_someone_else_is_left_alone()
    {
        var path = Path.Combine(_dir, "resolv.conf");
        var state = Path.Combine(_dir, "dns-3.state");
        File.WriteAllText(path, "nameserver 192.0.2.1\n");
        var dns = new ResolvConfDnsConfigurator(path, state);
        dns.Apply("t0", [IPAddress.Parse("10.1.1.1")], []);
        File.WriteAllText(path, "nameserver 198.51.100.7\n"); // a DHCP client renewed its lease meanwhile

        dns.Revert();
        File.ReadAllText(path).Should().Be("nameserver 198.51.100.7\n", "the newer file of someone else wins over our stale original");
        File.Exists(state).Should().BeFalse();
    }

    [Fact]
    public void ResolvConf_that_cannot_be_written_is_a_typed_error_and_leaves_no_record()
    {
        var path = Path.Combine(_dir, "no-such-dir", "resolv.conf");
        var state = Path.Combine(_dir, "dns-4.state");
        var dns = new ResolvConfDnsConfigurator(path, state);
        var act = () => dns.Apply("t0", [IPAddress.Parse("10.1.1.1")], []);
        act.Should().Throw<DnsConfigurationException>().WithMessage("*could not write*");
        File.Exists(state).Should().BeFalse("nothing was changed, so nothing needs restoring");
        dns.Servers.Should().BeEmpty();
        dns.Revert(); // harmless
    }

    [Fact]
    public void DirectorySweep_restores_resolv_conf_of_a_dead_owner_and_leaves_a_live_owners_record()
    {
        var path = Path.Combine(_dir, "resolv.conf");
        File.WriteAllText(path, "nameserver 192.0.2.1\n");
        var states = Directory.CreateDirectory(Path.Combine(_dir, "network")).FullName;
        var dead = Path.Combine(states, "dns-100-1.state");
        new ResolvConfDnsConfigurator(path, dead).Apply("t0", [IPAddress.Parse("10.1.1.1")], []);
        var me = StateOwner.Current();
        File.WriteAllText(dead, File.ReadAllText(dead).Replace(me.ToLine(), (me with { Pid = 1, StartTime = 1 }).ToLine()));

        var report = LinuxNetworkCleanup.CleanupStaleDirectory(states);

        report.Should().ContainSingle().Which.Should().Contain("restored the original resolv.conf");
        File.ReadAllText(path).Should().Be("nameserver 192.0.2.1\n");
        File.Exists(dead).Should().BeFalse();

        var live = Path.Combine(states, "dns-101-1.state");
        var dns = new ResolvConfDnsConfigurator(path, live);
        dns.Apply("t0", [IPAddress.Parse("10.1.1.2")], []);
        LinuxNetworkCleanup.CleanupStaleDirectory(states).Should().BeEmpty("a running connection's record is not touched");
        File.ReadAllText(path).Should().Contain("10.1.1.2");
        dns.Revert();
    }

    [Fact]
    public void SystemChooser_recognises_a_resolv_conf_managed_by_systemd_resolved()
    {
        var stub = Path.Combine(_dir, "stub");
        File.WriteAllText(stub, "nameserver 10.0.0.1\n");
        var link = Path.Combine(_dir, "link");
        File.CreateSymbolicLink(link, "/run/systemd/resolve/stub-resolv.conf");
        SystemDnsConfigurator.UsesResolved(link).Should().BeTrue();
        var withStub = Path.Combine(_dir, "with-stub");
        File.WriteAllText(withStub, "# managed\nnameserver\t127.0.0.53\noptions edns0 trust-ad\n");
        SystemDnsConfigurator.UsesResolved(withStub).Should().BeTrue();
        SystemDnsConfigurator.UsesResolved(stub).Should().BeFalse();
        SystemDnsConfigurator.UsesResolved(Path.Combine(_dir, "missing")).Should().BeFalse();

        // Not resolved: the chooser writes the file (and says so).
        var chooser = new SystemDnsConfigurator(Path.Combine(_dir, "dns-9.state"), busAddress: "unix:path=" + Path.Combine(_dir, "no-bus"), resolvConf: stub);
        chooser.Apply(new DnsSettings("t0", [IPAddress.Parse("10.1.1.1")], []) { Exclusive = true });
        chooser.Backend.Should().Be("resolv.conf");
        File.ReadAllText(stub).Should().Contain("nameserver 10.1.1.1");
        chooser.Revert();
        File.ReadAllText(stub).Should().Be("nameserver 10.0.0.1\n");
    }

    [Fact]
    public void ReportingConfigurator_reports_without_touching_anything()
    {
        var dns = new ReportingDnsConfigurator();
        string? seen = null;
        dns.Changed += (name, servers, _) => seen = $"{name}:{servers.Count}";
        dns.Apply("t0", [IPAddress.Parse("10.1.1.1")], ["x.example"]);
        seen.Should().Be("t0:1");
        dns.SearchDomains.Should().Equal("x.example");
        dns.Last!.Exclusive.Should().BeTrue();
        dns.Revert();
        dns.Servers.Should().BeEmpty();
        seen.Should().Be(":0");
    }
}
