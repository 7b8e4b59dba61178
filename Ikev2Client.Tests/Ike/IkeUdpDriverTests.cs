using System.Net;
using FluentAssertions;
using Ikev2Client.Connection;
using Ikev2Client.Protocol.Ike;
using Xunit;

namespace Ikev2Client.Tests.Ike;

/// <summary>Two drivers over real loopback UDP sockets (no root needed).</summary>
public sealed class IkeUdpDriverTests
{
    private static IkeUdpDriverOptions Loopback => new()
    {
        LocalIkeEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
        LocalNatTEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
    };

    [Fact]
    public async Task Handshake_and_delete_over_loopback_sockets()
    {
        using var responderSession = new IkeSession(IkeTestPair.ResponderOptions());
        await using var responder = new IkeUdpDriver(responderSession, Loopback);
        var initiatorOptions = IkeTestPair.InitiatorOptions();
        using var initiatorSession = new IkeSession(new IkeSessionOptions
        {
            LocalIdentity = initiatorOptions.LocalIdentity, RemoteIdentity = initiatorOptions.RemoteIdentity,
            Authenticator = initiatorOptions.Authenticator, RemoteNatTPort = responder.NatTLocalEndPoint.Port,
        });
        await using var initiator = new IkeUdpDriver(initiatorSession, Loopback);
        responder.Start();

        var child = initiator.WaitForAsync<IkeEvent.ChildSaEstablished>();
        var responderChild = responder.WaitForAsync<IkeEvent.ChildSaEstablished>();
        initiator.Connect(responder.IkeLocalEndPoint);
        var ci = (await child.WaitAsync(TimeSpan.FromSeconds(10))).ChildSa;
        var cr = (await responderChild.WaitAsync(TimeSpan.FromSeconds(10))).ChildSa;
        ci.InboundSpi.Should().Be(cr.OutboundSpi);
        ci.RemoteEndPoint.Should().Be(responder.NatTLocalEndPoint, "IKE_AUTH moved to the NAT-T socket");
        cr.RemoteEndPoint.Should().Be(initiator.NatTLocalEndPoint);

        initiator.Close();
        (await initiator.Completion.WaitAsync(TimeSpan.FromSeconds(10))).Should().BeOfType<IkeEvent.Deleted>();
        (await responder.Completion.WaitAsync(TimeSpan.FromSeconds(10))).Should().BeOfType<IkeEvent.Deleted>().Which.ByPeer.Should().BeTrue();
    }

    [Fact]
    public async Task Unreachable_peer_ends_in_protocol_timeout()
    {
        var options = IkeTestPair.InitiatorOptions();
        using var session = new IkeSession(new IkeSessionOptions
        {
            LocalIdentity = options.LocalIdentity, Authenticator = options.Authenticator,
            RetransmitTimeouts = new[] { TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(100) },
        });
        await using var driver = new IkeUdpDriver(session, Loopback);
        using var silent = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        driver.Connect((IPEndPoint)silent.Client.LocalEndPoint!);
        var end = await driver.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        end.Should().BeOfType<IkeEvent.Failed>().Which.Error.Kind.Should().Be(IkeErrorKind.ProtocolTimeout);
        var act = () => driver.WaitForAsync<IkeEvent.ChildSaEstablished>();
        await act.Should().ThrowAsync<IkeSessionEndedException>();
    }
}
