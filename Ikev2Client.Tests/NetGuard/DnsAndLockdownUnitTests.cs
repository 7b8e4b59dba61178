using System.Net;
using FluentAssertions;
using Ikev2Client.Connection;
using Ikev2Client.Platform;
using Ikev2Client.Platform.Linux;
using Ikev2Client.Protocol.Ike;
using Ikev2Client.Protocol.Ike.Tasks;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;
using Ikev2Client.Service;
using Tmds.DBus.Protocol;
using Xunit;

namespace Ikev2Client.Tests.NetGuard;

/// <summary>
/// No root: the systemd-resolved call sequence (against a recording fake of the D-Bus API), the nftables lockdown
/// ruleset, split-DNS domains from the CP payload (RFC 8598), and error advice keyed off the cause.
/// </summary>
public sealed class DnsAndLockdownUnitTests
{
    private sealed class RecordingResolved : IResolvedApi
    {
        public List<string> Calls { get; } = [];
        public int NoSuchLinkAnswers { get; set; }
        public DBusErrorReplyException? FailDomains { get; set; }

        public void SetLinkDns(int ifIndex, IReadOnlyList<IPAddress> servers)
        {
            if (NoSuchLinkAnswers-- > 0) throw new DBusErrorReplyException("org.freedesktop.resolve1.NoSuchLink", $"Link {ifIndex} not known");
            Calls.Add($"SetLinkDNS {ifIndex} {string.Join(",", servers)}");
        }
        public void SetLinkDomains(int ifIndex, IReadOnlyList<(string Domain, bool RoutingOnly)> domains)
        {
            if (FailDomains is { } e) throw e;
            Calls.Add($"SetLinkDomains {ifIndex} {string.Join(",", domains.Select(d => (d.RoutingOnly ? "~" : "") + d.Domain))}");
        }
        public void SetLinkDefaultRoute(int ifIndex, bool enable) => Calls.Add($"SetLinkDefaultRoute {ifIndex} {enable}");
        public void RevertLink(int ifIndex) => Calls.Add($"RevertLink {ifIndex}");
        public void Dispose() => Calls.Add("close");
    }

    private static readonly IPAddress[] Servers = [IPAddress.Parse("10.1.0.53"), IPAddress.Parse("fd00:1::53")];

    [Fact]
    public void Resolved_full_tunnel_routes_every_name_through_the_tunnel_link()
    {
        var api = new RecordingResolved();
        var dns = new ResolvedDnsConfigurator(() => api, TimeSpan.FromSeconds(1));
        dns.Apply(new DnsSettings("ikev2tun0", Servers, ["corp.example"]) { InterfaceIndex = 7, Exclusive = true, DefaultRoute = true });
        dns.Revert();
        api.Calls.Should().Equal(
            "SetLinkDNS 7 10.1.0.53,fd00:1::53", "SetLinkDomains 7 corp.example,~.", "SetLinkDefaultRoute 7 True", "close",
            "RevertLink 7", "close");
        dns.Servers.Should().BeEmpty();
    }

    [Fact]
    public void Resolved_split_tunnel_with_domains_sends_only_those_names_to_the_vpn()
    {
        var api = new RecordingResolved();
        var dns = new ResolvedDnsConfigurator(() => api, TimeSpan.FromSeconds(1));
        dns.Apply(new DnsSettings("ikev2tun0", Servers, ["corp.example.", "lab.example"]) { InterfaceIndex = 9, DefaultRoute = false });
        api.Calls.Should().Equal("SetLinkDNS 9 10.1.0.53,fd00:1::53", "SetLinkDomains 9 corp.example,lab.example", "SetLinkDefaultRoute 9 False", "close");
    }

    [Fact]
    public void Resolved_waits_for_a_new_link_and_reports_a_refusal_as_a_dns_error()
    {
        var api = new RecordingResolved { NoSuchLinkAnswers = 3 };
        var dns = new ResolvedDnsConfigurator(() => api, TimeSpan.FromSeconds(5));
        dns.Apply(new DnsSettings("ikev2tun0", Servers, []) { InterfaceIndex = 4 });
        api.Calls[0].Should().Be("SetLinkDNS 4 10.1.0.53,fd00:1::53", "resolved learns about a fresh TUN a moment later; we retry");

        var refusing = new RecordingResolved { FailDomains = new DBusErrorReplyException("org.freedesktop.DBus.Error.AccessDenied", "not allowed") };
        var act = () => new ResolvedDnsConfigurator(() => refusing, TimeSpan.FromSeconds(1)).Apply(new DnsSettings("t0", Servers, []) { InterfaceIndex = 4 });
        act.Should().Throw<DnsConfigurationException>().WithMessage("*AccessDenied*not allowed*");
        refusing.Calls.Should().EndWith("close", "the bus connection is closed on failure too");
    }

    [Fact]
    public void Resolved_no_bus_is_not_running()
    {
        ResolvedDnsConfigurator.IsRunning("unix:path=/nonexistent/ikev2-test-bus").Should().BeFalse();
    }

    [Fact]
    public void Lockdown_ruleset_allows_only_loopback_tunnel_and_ike_esp_to_the_gateways_in_one_replacing_transaction()
    {
        var policy = new LockdownPolicy([IPAddress.Parse("192.0.2.1"), IPAddress.Parse("2001:db8::1"), IPAddress.Parse("::ffff:192.0.2.1")], [500, 4500, 4500], "ikev2tun0");
        var script = NftablesLockdownFirewall.Ruleset("ikev2_lockdown", policy);
        var lines = script.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()).ToList();
        lines.Take(3).Should().Equal("table inet ikev2_lockdown", "delete table inet ikev2_lockdown", "table inet ikev2_lockdown {");
        lines.Should().Contain("type filter hook output priority filter; policy drop;")
            .And.Contain("oifname \"lo\" accept")
            .And.Contain("oifname \"ikev2tun0\" accept")
            .And.Contain("ip daddr { 192.0.2.1 } udp dport { 500, 4500 } accept", "a v4-mapped address is the same gateway")
            .And.Contain("ip daddr { 192.0.2.1 } meta l4proto esp accept")
            .And.Contain("ip6 daddr { 2001:db8::1 } udp dport { 500, 4500 } accept")
            .And.Contain("type filter hook forward priority filter; policy drop;");
        lines.Count(l => l.EndsWith("accept", StringComparison.Ordinal) && !l.Contains("daddr") && !l.Contains("oifname") && !l.Contains("iifname"))
            .Should().Be(3, "besides the gateway, loopback and tunnel only DHCPv4, DHCPv6 and IPv6 neighbour/router discovery get out");

        var reconnecting = NftablesLockdownFirewall.Ruleset("ikev2_lockdown", policy with { TunnelInterface = null, Gateways = [] });
        reconnecting.Should().NotContain("ikev2tun0").And.NotContain("daddr").And.Contain("policy drop");

        var badTable = () => NftablesLockdownFirewall.Ruleset("x; flush ruleset", policy);
        badTable.Should().Throw<ArgumentException>();
        var badInterface = () => NftablesLockdownFirewall.Ruleset("t", policy with { TunnelInterface = "tun\" accept" });
        badInterface.Should().Throw<ArgumentException>();
        policy.Should().Be(policy with { Gateways = [.. policy.Gateways.Reverse()], IkePorts = [4500, 500] }, "order does not matter");
    }

    [Fact]
    public void SplitDnsDomains_are_requested_and_only_valid_ones_kept()
    {
        var cp = new ConfigPayload(ConfigType.Reply,
        [
            ConfigAttribute.Address(ConfigAttributeType.InternalIp4Address, IPAddress.Parse("10.3.0.1")),
            Domain("Corp.Example."), Domain("corp.example"), Domain("lab.example"), Domain("printer.local"), Domain("."),
            Domain("bad domain"), Domain("-x.example"), Domain(new string('a', 64) + ".example"), Domain("ünï.example"),
        ]);
        ConfigTask.Parse(cp).DnsDomains.Should().Equal("corp.example", "lab.example");

        var request = new IkeMessage();
        var random = new Esp.EspTestSupport.SeededRandom(1);
        using var sa = new IkeSa(Ike.IkeTestPair.InitiatorOptions(), random, TimeProvider.System, new RandomSpiAllocator(random), _ => { });
        new ConfigTask(sa).BuildRequest(request);
        request.Get<ConfigPayload>()!.Attributes.Should().Contain(a => a.Type == ConfigAttributeType.InternalDnsDomain && a.Value.Length == 0,
            "RFC 8598 §3.1: an empty INTERNAL_DNS_DOMAIN asks the gateway for its split-DNS domains");
    }

    private static ConfigAttribute Domain(string name) => new(ConfigAttributeType.InternalDnsDomain, System.Text.Encoding.UTF8.GetBytes(name));

    [Theory]
    [InlineData(17, "already exists", "root")]
    [InlineData(1, "root or CAP_NET_ADMIN", null)]
    [InlineData(13, "root or CAP_NET_ADMIN", null)]
    [InlineData(19, "modprobe tun", "root")]
    [InlineData(16, "in use", "root")]
    public void PlatformErrors_get_advice_that_matches_the_errno(int errno, string expected, string? mustNotMention)
    {
        var e = VpnErrorMapper.FromPlatform("netlink: add rule 32000: not fwmark 0x2300 lookup 2300 failed", new NetlinkException("add rule", errno));
        e.CodeName.Should().Be("ERROR_CODE_INTERNAL");
        e.Advice.Should().Contain(expected);
        if (mustNotMention is not null) e.Advice.Should().NotContain(mustNotMention);
    }

    [Fact]
    public void DnsAndFirewallFailures_say_what_to_check()
    {
        VpnErrorMapper.FromPlatform("x", new LockdownFirewallException("nft missing", missing: true)).Advice.Should().Contain("install").And.Contain("nftables");
        VpnErrorMapper.FromPlatform("x", new LockdownFirewallException("refused")).Advice.Should().Contain("nf_tables");
        VpnErrorMapper.FromPlatform("x", new DnsConfigurationException("resolv.conf read-only")).Advice.Should().Contain("--no-dns");
        VpnErrorMapper.FromException(new NetlinkException("add rule", 17)).Advice.Should().NotContain("root");
    }

    [Fact]
    public void StateJson_carries_lockdown_active_and_the_interface_and_status_says_what_is_blocked()
    {
        var state = new VpnProfileState
        {
            Name = "office", State = VpnState.Failed, Lockdown = true, LockdownActive = true, AlwaysOn = true,
            Connection = null,
        };
        var json = StateJson.ToJson(state);
        json["lockdownActive"]!.GetValue<bool>().Should().BeTrue();
        StateJson.FromJson(json)!.LockdownActive.Should().BeTrue();
        global::Ikev2Client.Cli.StatusRenderer.Blocking(state).Should().Contain("ALL traffic is blocked").And.Contain("ikev2 disconnect office");
        global::Ikev2Client.Cli.StatusRenderer.Line(state).Should().Contain("[lockdown: all traffic blocked]");
        global::Ikev2Client.Cli.StatusRenderer.Blocking(state with { State = VpnState.Connected }).Should().Contain("outside the tunnel");
        global::Ikev2Client.Cli.StatusRenderer.Blocking(state with { LockdownActive = false }).Should().BeNull();

        var connected = state with { State = VpnState.Connected, Connection = Tests.Service.ServiceTestData.Info() with { InterfaceName = "ikev2tun0" } };
        StateJson.FromJson(StateJson.ToJson(connected))!.Connection!.InterfaceName.Should().Be("ikev2tun0");
    }
}
