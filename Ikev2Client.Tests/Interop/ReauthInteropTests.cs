using System.Net;
using System.Net.Sockets;
using FluentAssertions;
using Ikev2Client.Connection;
using Ikev2Client.Platform.Linux;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Ike;
using Xunit;
using Xunit.Abstractions;
using Ikev2Client.Protocol.Crypto;

namespace Ikev2Client.Tests.Interop;

/// <summary>
/// Reauthentication (RFC 4478) against strongSwan: a gateway with <c>reauth_time = 20s</c> sends N(AUTH_LIFETIME) in
/// IKE_AUTH, and <see cref="VpnConnection"/> builds a new IKE SA + CHILD SA before it runs out, then deletes the old
/// one, while pings go on. Needs root; fails loudly without it.
/// </summary>
[Trait("Requires", "root")]
[Trait("Requires", "strongswan")]
public sealed class ReauthInteropTests(ITestOutputHelper output)
{
    [Fact]
    public void Pings_carry_on_across_make_before_break_reauthentication_demanded_by_the_gateway()
    {
        using var gw = StrongSwanGateway.Start(SwanctlConfigs.PskGateway(extraConnectionOptions: "reauth_time = 20s\n                rand_time = 0s\n                over_time = 10s"));
        var connection = new VpnConnection(new VpnConnectionOptions
        {
            IpSecManager = new Ikev2Client.Platform.Userspace.UserspaceIpSecManager(),
            Server = new IPEndPoint(IPAddress.Parse(gw.GatewayAddress), 500),
            Session = new IkeSessionOptions
            {
                LocalIdentity = IkeIdentity.Parse(SwanctlConfigs.ClientId),
                RemoteIdentity = IkeIdentity.Parse(SwanctlConfigs.GatewayId),
                Authenticator = new PskAuthenticator(SwanctlConfigs.DefaultPsk),
                IkeProposals = [ProposalSpec.Parse(SwanctlConfigs.DefaultIkeProposals)],
                EspProposals = [ProposalSpec.Parse(SwanctlConfigs.DefaultEspProposals, esp: true)],
                RequestedAddressFamilies = [AddressFamily.InterNetwork],
            },
            InterfaceBuilderFactory = () => new LinuxVpnInterfaceBuilder(new LinuxVpnOptions { InterfaceName = "ikvr%d" }),
        }, new Ikev2Client.Tests.Infrastructure.TestLog(line => output.WriteLine(line)));
        var reauths = new List<IkeSaInfo>();
        connection.Reauthenticated += sa => { lock (reauths) reauths.Add(sa); };
        try
        {
            gw.ClientNamespace.Run(() => connection.Connect());
            output.WriteLine($"AUTH_LIFETIME from the gateway: {connection.AuthLifetime}");
            connection.AuthLifetime.Should().NotBeNull("strongSwan sends AUTH_LIFETIME when reauth_time is set\n" + gw.Gateway.LogTail(60));
            var firstSpiI = connection.Driver!.Session.SpiI;
            var firstVip = connection.Info!.VirtualAddresses.Single();

            var lost = gw.ClientNamespace.Run(() => DataPlaneInteropTests.PingMany(IPAddress.Parse(gw.ServerAddress), 150, TimeSpan.FromMilliseconds(200)));
            output.WriteLine($"pings lost: {lost}; reauthentications {connection.Reauthentications}; {connection.Statistics}");
            connection.State.Should().Be(VpnState.Connected, connection.EndReason);
            lock (reauths) reauths.Should().NotBeEmpty(gw.Gateway.LogTail(80));
            connection.Driver!.Session.SpiI.Should().NotBe(firstSpiI);
            lost.Should().BeLessThanOrEqualTo(1, $"{connection.Statistics}\n{gw.Gateway.LogTail(80)}");
            connection.Info!.VirtualAddresses.Single().Should().Be(firstVip);
            gw.Gateway.WaitForSas(s => s.IkeSaCount == 1).IkeSaCount.Should().Be(1, "the old IKE SA was deleted");
        }
        finally
        {
            connection.Disconnect();
        }
        connection.State.Should().Be(VpnState.Disconnected, connection.EndReason);
        gw.Gateway.WaitForSas(s => s.IkeSaCount == 0).IkeSaCount.Should().Be(0);
    }
}
