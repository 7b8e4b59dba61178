using System.Net;
using FluentAssertions;
using Ikev2Client.Connection;
using Ikev2Client.Protocol.Ike;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Tests.Ike;
using Xunit;

namespace Ikev2Client.Tests.DataPlane;

/// <summary><see cref="VpnConnection"/> following IKE_SA_INIT redirects over loopback (no root: nothing is installed).</summary>
public sealed class VpnConnectionRedirectTests
{
    private static readonly IkeUdpDriverOptions Loopback = new()
    {
        LocalIkeEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
        LocalNatTEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
    };

    [Fact]
    public async Task A_gateway_redirecting_to_itself_ends_with_TooManyRedirects_after_the_limit()
    {
        // A stateless IKE_SA_INIT redirect leaves the responder session idle, so one session answers every attempt.
        using var gatewaySession = new IkeSession(IkeTestPair.ResponderOptions(configure: b => b.RedirectTo = GatewayIdentity.FromAddress(IPAddress.Loopback)));
        await using var gateway = new IkeUdpDriver(gatewaySession, Loopback);
        var initsSeen = 0;
        var redirectedFrom = 0;
        gateway.EventRaised += e =>
        {
            if (e is IkeEvent.MessageTraced { Sent: false, Exchange: ExchangeType.IkeSaInit } t)
            {
                Interlocked.Increment(ref initsSeen);
                if (t.Payloads.Contains("N(RedirectedFrom)")) Interlocked.Increment(ref redirectedFrom);
            }
        };
        gateway.Start();
        var progress = new List<string>();
        using var connection = new VpnConnection(new VpnConnectionOptions
        {
            IpSecManager = new Ikev2Client.Platform.Userspace.UserspaceIpSecManager(),
            Server = gateway.IkeLocalEndPoint,
            Session = IkeTestPair.InitiatorOptions(),
            LocalAddress = IPAddress.Loopback,
            MaxRedirects = 3,
            ConnectTimeout = TimeSpan.FromSeconds(20),
        }, new Ikev2Client.Tests.Infrastructure.TestLog(line => { lock (progress) progress.Add(line); }));

        var act = () => connection.Connect();
        var thrown = act.Should().Throw<VpnConnectionException>().Which;
        thrown.IkeError!.Kind.Should().Be(IkeErrorKind.TooManyRedirects);
        thrown.Message.Should().Contain("redirects in a row");
        connection.State.Should().Be(VpnState.Failed);
        connection.Error!.Kind.Should().Be(IkeErrorKind.TooManyRedirects);
        connection.IsRecoverableFailure.Should().BeFalse();
        Volatile.Read(ref initsSeen).Should().Be(4, "the first attempt and three redirects");
        lock (progress) progress.Count(l => l.StartsWith("redirected to 127.0.0.1")).Should().Be(3);
        Volatile.Read(ref redirectedFrom).Should().Be(3, "every attempt after a redirect names the gateway it came from");
    }
}
