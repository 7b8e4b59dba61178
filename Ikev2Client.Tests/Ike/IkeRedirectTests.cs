using System.Net;
using FluentAssertions;
using Ikev2Client.Protocol.Ike;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;
using Xunit;

namespace Ikev2Client.Tests.Ike;

/// <summary>IKEv2 redirect (RFC 5685) between our initiator and responder in memory.</summary>
public sealed class IkeRedirectTests
{
    private static IkeMessage FirstRequest(IkeTestPair pair)
    {
        IkeMessageCodec.TryDecode(pair.ToResponder.Peek().Data, out var m, out _).Should().BeTrue();
        return m!;
    }

    [Fact]
    public void Initiator_sends_redirect_supported_in_ike_sa_init()
    {
        using var pair = new IkeTestPair(IkeTestPair.InitiatorOptions(), IkeTestPair.ResponderOptions());
        pair.Connect();
        var init = FirstRequest(pair);
        init.HasNotify(NotifyType.RedirectSupported).Should().BeTrue();
        init.HasNotify(NotifyType.RedirectedFrom).Should().BeFalse();
        pair.Run();
        pair.Initiator.State.Should().Be(IkeSessionState.Established);
        pair.Responder.PeerSupportsRedirect.Should().BeTrue();
    }

    [Fact]
    public void Redirected_initiator_sends_redirected_from_with_the_old_gateway()
    {
        using var pair = new IkeTestPair(IkeTestPair.InitiatorOptions(configure: b => b.RedirectedFrom = IPAddress.Parse("198.51.100.7")),
            IkeTestPair.ResponderOptions());
        pair.Connect();
        var init = FirstRequest(pair);
        init.HasNotify(NotifyType.RedirectSupported).Should().BeFalse();
        GatewayIdentity.TryDecode(init.Notify(NotifyType.RedirectedFrom)!.Data, out var from, out var rest, out _).Should().BeTrue();
        from!.Address.Should().Be(IPAddress.Parse("198.51.100.7"));
        rest.Should().BeEmpty();
    }

    [Fact]
    public void Redirects_can_be_turned_off()
    {
        using var pair = new IkeTestPair(IkeTestPair.InitiatorOptions(configure: b => b.FollowRedirects = false),
            IkeTestPair.ResponderOptions(configure: b => b.RedirectTo = GatewayIdentity.Parse("192.0.2.50")));
        pair.Connect();
        FirstRequest(pair).HasNotify(NotifyType.RedirectSupported).Should().BeFalse();
        pair.Run();
        pair.Initiator.State.Should().Be(IkeSessionState.Established, "a responder never redirects an initiator that did not announce support");
    }

    [Theory]
    [InlineData("192.0.2.50", GatewayIdentityType.Ipv4)]
    [InlineData("2001:db8::50", GatewayIdentityType.Ipv6)]
    [InlineData("vpn2.example.org", GatewayIdentityType.Fqdn)]
    public void Redirect_in_ike_sa_init_names_the_new_gateway(string target, GatewayIdentityType type)
    {
        using var pair = new IkeTestPair(IkeTestPair.InitiatorOptions(), IkeTestPair.ResponderOptions(configure: b => b.RedirectTo = GatewayIdentity.Parse(target)));
        pair.Connect();
        pair.Run();
        var redirect = pair.InitiatorEvents.OfType<IkeEvent.Redirected>().Single();
        redirect.Exchange.Should().Be(ExchangeType.IkeSaInit);
        redirect.Target.Type.Should().Be(type);
        redirect.Target.ToString().Should().Be(target);
        pair.Initiator.State.Should().Be(IkeSessionState.Failed);
        pair.Initiator.Error!.Kind.Should().Be(IkeErrorKind.Redirected);
        pair.Initiator.Error.Recoverable.Should().BeTrue();
        pair.Responder.State.Should().Be(IkeSessionState.Idle, "the IKE_SA_INIT redirect is stateless");
        pair.InitiatorTrace.Count(t => t.Sent).Should().Be(1, "no DELETE: the gateway holds no state");
    }

    [Fact]
    public void Redirect_with_a_wrong_nonce_is_dropped()
    {
        using var pair = new IkeTestPair(IkeTestPair.InitiatorOptions(), IkeTestPair.ResponderOptions());
        pair.Connect();
        var request = FirstRequest(pair);
        var identity = GatewayIdentity.Parse("203.0.113.66").Encode();
        var forged = new IkeMessage(request.SpiI, 0, ExchangeType.IkeSaInit, IkeHeaderFlags.Response, 0);
        forged.Payloads.Add(new NotifyPayload(NotifyType.Redirect, identity.Concat(new byte[32]).ToArray()));
        pair.DeliverToInitiator(new OutgoingDatagram(IkeMessageCodec.Encode(forged), IkeTestPair.InitiatorIke, false));
        pair.Initiator.State.Should().Be(IkeSessionState.Connecting);
        pair.InitiatorEvents.OfType<IkeEvent.Redirected>().Should().BeEmpty();
        pair.Run();
        pair.Initiator.State.Should().Be(IkeSessionState.Established, "the genuine response still completes the handshake");
    }

    [Fact]
    public void Redirect_in_ike_auth_comes_after_the_gateway_authenticated_and_the_sa_is_deleted()
    {
        using var pair = new IkeTestPair(IkeTestPair.InitiatorOptions(), IkeTestPair.ResponderOptions(configure: b =>
        {
            b.RedirectTo = GatewayIdentity.Parse("vpn2.example.org");
            b.RedirectIn = ExchangeType.IkeAuth;
        }));
        pair.Connect();
        pair.Run();
        var redirect = pair.InitiatorEvents.OfType<IkeEvent.Redirected>().Single();
        redirect.Exchange.Should().Be(ExchangeType.IkeAuth);
        redirect.Target.Fqdn.Should().Be("vpn2.example.org");
        pair.InitiatorEvents.IndexOf(pair.InitiatorEvents.OfType<IkeEvent.IkeSaEstablished>().Single())
            .Should().BeLessThan(pair.InitiatorEvents.IndexOf(redirect), "the gateway's AUTH is verified before the redirect is followed");
        pair.Initiator.Error!.Kind.Should().Be(IkeErrorKind.Redirected);
        pair.InitiatorEvents.OfType<IkeEvent.ChildSaEstablished>().Should().BeEmpty();
        pair.Responder.State.Should().Be(IkeSessionState.Closed, "the initiator deleted the redirected IKE SA");
    }

    [Fact]
    public void Redirect_in_informational_makes_the_initiator_delete_the_sa()
    {
        using var pair = new IkeTestPair(IkeTestPair.InitiatorOptions(), IkeTestPair.ResponderOptions());
        pair.Connect();
        pair.Run();
        pair.Absorb(pair.Responder.Redirect(GatewayIdentity.Parse("2001:db8::7")), fromInitiator: false);
        pair.Run();
        var redirect = pair.InitiatorEvents.OfType<IkeEvent.Redirected>().Single();
        redirect.Exchange.Should().Be(ExchangeType.Informational);
        redirect.Target.Address.Should().Be(IPAddress.Parse("2001:db8::7"));
        pair.Initiator.State.Should().Be(IkeSessionState.Closed);
        pair.Responder.State.Should().Be(IkeSessionState.Closed);
        pair.InitiatorEvents.OfType<IkeEvent.ChildSaDeleted>().Should().ContainSingle();
    }

    [Fact]
    public void Informational_redirect_is_not_sent_to_an_initiator_without_support()
    {
        using var pair = new IkeTestPair(IkeTestPair.InitiatorOptions(configure: b => b.FollowRedirects = false), IkeTestPair.ResponderOptions());
        pair.Connect();
        pair.Run();
        pair.Responder.Redirect(GatewayIdentity.Parse("192.0.2.9")).Datagrams.Should().BeEmpty();
    }

    [Theory]
    [InlineData("")]
    [InlineData("01")]
    [InlineData("0104c000")]
    [InlineData("0203c0000201")]
    [InlineData("0300")]
    [InlineData("030261")]
    [InlineData("0302610a")]
    [InlineData("0904c0000201")]
    public void Malformed_gateway_identities_are_typed_errors(string hex)
    {
        GatewayIdentity.TryDecode(Convert.FromHexString(hex), out var id, out _, out var error).Should().BeFalse();
        id.Should().BeNull();
        error.Should().NotBeNullOrEmpty();
    }

    [Fact]
    public void Gateway_identity_round_trips_and_keeps_the_nonce_apart()
    {
        var encoded = GatewayIdentity.Parse("192.0.2.1").Encode();
        encoded.Should().Equal(1, 4, 192, 0, 2, 1);
        GatewayIdentity.TryDecode(encoded.Concat(new byte[] { 9, 9 }).ToArray(), out var id, out var rest, out _).Should().BeTrue();
        id.Should().Be(GatewayIdentity.Parse("192.0.2.1"));
        rest.Should().Equal(9, 9);
        GatewayIdentity.Parse("gw.example").Encode().Should().Equal(new byte[] { 3, 10 }.Concat("gw.example"u8.ToArray()));
    }

    [Fact]
    public void Random_redirect_notifies_never_throw()
    {
        var rng = new Random(5685);
        for (int i = 0; i < 2000; i++)
        {
            var data = new byte[rng.Next(0, 40)];
            rng.NextBytes(data);
            if (data.Length > 0 && rng.Next(2) == 0) data[0] = (byte)rng.Next(1, 4);
            if (data.Length > 1 && rng.Next(2) == 0) data[1] = (byte)rng.Next(0, data.Length);
            var ok = GatewayIdentity.TryDecode(data, out var id, out _, out var error);
            (ok ? id != null : error != null).Should().BeTrue();
        }
    }
}
