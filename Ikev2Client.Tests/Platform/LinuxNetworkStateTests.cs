using System.Net;
using FluentAssertions;
using Ikev2Client.Platform;
using Ikev2Client.Platform.Linux;
using Xunit;

namespace Ikev2Client.Tests.Platform;

/// <summary>State-file parsing (no root) and the resolv.conf configurator on a private path (never /etc).</summary>
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
    [InlineData("route unicast 10.0.0.0/33 2300", false)]
    [InlineData("route multicast 10.0.0.0/8 2300", false)]
    [InlineData("rule ipx 1 2 3", false)]
    [InlineData("rule inet -1 2 3", false)]
    [InlineData("device averyveryverylongname", false)]
    [InlineData("", false)]
    [InlineData("# comment", false)]
    public void StateLines_ParseOrAreIgnored(string line, bool valid)
    {
        var r = LinuxNetworkResource.Parse(line);
        (r != null).Should().Be(valid);
        if (r != null) r.ToString().Should().Be(line, "a parsed line writes back identically");
    }

    [Fact]
    public void ResolvConf_ApplyThenRevert_RestoresTheOriginalBytes()
    {
        var path = Path.Combine(_dir, "resolv.conf");
        const string original = "nameserver 192.0.2.1\noptions edns0\n";
        File.WriteAllText(path, original);
        var dns = new ResolvConfDnsConfigurator(path);

        dns.Apply("ikev2tun0", [IPAddress.Parse("10.98.0.53"), IPAddress.Parse("fd00::53")], ["corp.example", "lab.example"]);

        var text = File.ReadAllText(path);
        text.Should().Contain("nameserver 10.98.0.53\nnameserver fd00::53\nsearch corp.example lab.example\n");
        File.ReadAllText(dns.BackupPath).Should().Be(original);
        dns.Servers.Should().HaveCount(2);

        dns.Apply("ikev2tun0", [IPAddress.Parse("10.98.0.54")], []);
        File.ReadAllText(dns.BackupPath).Should().Be(original, "a second apply keeps the first backup");

        dns.Revert();
        File.ReadAllText(path).Should().Be(original);
        File.Exists(dns.BackupPath).Should().BeFalse();
        dns.Servers.Should().BeEmpty();
    }

    [Fact]
    public void ResolvConf_SymlinkStaysASymlink_AndStaleBackupIsRestored()
    {
        var target = Path.Combine(_dir, "stub-resolv.conf");
        File.WriteAllText(target, "nameserver 127.0.0.53\n");
        var path = Path.Combine(_dir, "resolv.conf");
        File.CreateSymbolicLink(path, target);

        new ResolvConfDnsConfigurator(path).Apply("t0", [IPAddress.Parse("10.1.1.1")], []); // then "crash"
        new FileInfo(path).LinkTarget.Should().BeNull("the VPN's file replaced the link");
        File.ReadAllText(target).Should().Be("nameserver 127.0.0.53\n", "the link target is never written");

        ResolvConfDnsConfigurator.RestoreStale(path, path + ".ikev2-backup").Should().BeTrue();
        new FileInfo(path).LinkTarget.Should().Be(target);
        ResolvConfDnsConfigurator.RestoreStale(path, path + ".ikev2-backup").Should().BeFalse();
    }

    [Fact]
    public void ResolvConf_MissingOriginal_IsMissingAgainAfterRevert()
    {
        var path = Path.Combine(_dir, "resolv.conf");
        var dns = new ResolvConfDnsConfigurator(path);
        dns.Apply("t0", [IPAddress.Parse("10.1.1.1")], []);
        File.Exists(path).Should().BeTrue();
        dns.Revert();
        File.Exists(path).Should().BeFalse();
    }

    [Fact]
    public void ReportingConfigurator_ReportsWithoutTouchingAnything()
    {
        var dns = new ReportingDnsConfigurator();
        string? seen = null;
        dns.Changed += (name, servers, _) => seen = $"{name}:{servers.Count}";
        dns.Apply("t0", [IPAddress.Parse("10.1.1.1")], ["x.example"]);
        seen.Should().Be("t0:1");
        dns.SearchDomains.Should().Equal("x.example");
        dns.Revert();
        dns.Servers.Should().BeEmpty();
        seen.Should().Be(":0");
    }
}
