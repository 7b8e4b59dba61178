using System.Net;
using FluentAssertions;
using Ikev2Client.Protocol.Ike;
using Ikev2Client.Protocol.Wire;
using Xunit;

namespace Ikev2Client.Tests.Ike;

/// <summary>MOBIKE address updates (RFC 4555 §3.5) between our initiator and responder in memory.</summary>
public sealed class IkeMobikeTests
{
    private static readonly IPEndPoint NewInitiatorNatT = new(IPAddress.Parse("10.0.7.9"), 40001);

    private static IkeTestPair Established(bool mobike = true)
    {
        var pair = new IkeTestPair(IkeTestPair.InitiatorOptions(), IkeTestPair.ResponderOptions(configure: b => b.Mobike = mobike));
        pair.Connect();
        pair.Run();
        pair.Initiator.State.Should().Be(IkeSessionState.Established);
        return pair;
    }

    /// <summary>Delivers everything queued for the responder as if it came from <paramref name="from"/>.</summary>
    private static void DeliverFrom(IkeTestPair pair, IPEndPoint from)
    {
        while (pair.ToResponder.TryDequeue(out var d))
            pair.Absorb(pair.Responder.HandleDatagram(d.Data, from, IkeTestPair.ResponderNatT, d.NonEspMarker), fromInitiator: false);
    }

    [Fact]
    public void Address_update_moves_the_sa_and_keeps_the_spis()
    {
        using var pair = Established();
        pair.Initiator.MobikeNegotiated.Should().BeTrue();
        var (spiI, spiR) = (pair.Initiator.SpiI, pair.Initiator.SpiR);
        var child = pair.Initiator.ChildSas.Single();

        pair.Absorb(pair.Initiator.UpdateLocalAddress(NewInitiatorNatT), fromInitiator: true);
        var sent = pair.InitiatorTrace.Last(t => t.Sent);
        sent.Exchange.Should().Be(ExchangeType.Informational);
        sent.Payloads.Should().Contain("N(UpdateSaAddresses)").And.Contain("N(NatDetectionSourceIp)")
            .And.Contain("N(NatDetectionDestinationIp)").And.Contain("N(Cookie2)");
        sent.NonEspMarker.Should().BeTrue();

        DeliverFrom(pair, NewInitiatorNatT);
        pair.Responder.RemoteEndPoint.Should().Be(NewInitiatorNatT);
        pair.ResponderEvents.OfType<IkeEvent.AddressesUpdated>().Single().Remote.Should().Be(NewInitiatorNatT);
        pair.ResponderTrace.Last(t => t.Sent).Payloads.Should().Contain("N(Cookie2)").And.Contain("N(NatDetectionSourceIp)");
        pair.Run();

        var updated = pair.InitiatorEvents.OfType<IkeEvent.AddressesUpdated>().Single();
        updated.Local.Should().Be(NewInitiatorNatT);
        updated.LocalBehindNat.Should().BeFalse("the gateway saw the address we announced");
        pair.Initiator.LocalEndPoint.Should().Be(NewInitiatorNatT);
        (pair.Initiator.SpiI, pair.Initiator.SpiR).Should().Be((spiI, spiR));
        pair.Initiator.ChildSas.Single().Should().Be(child);
        pair.Responder.ChildSas.Should().ContainSingle();

        // The SA keeps working from the new address.
        pair.Absorb(pair.Initiator.CheckLiveness(), fromInitiator: true);
        DeliverFrom(pair, NewInitiatorNatT);
        pair.Run();
        pair.Initiator.State.Should().Be(IkeSessionState.Established);
        pair.Responder.State.Should().Be(IkeSessionState.Established);
    }

    [Fact]
    public void Update_behind_a_nat_is_detected()
    {
        using var pair = Established();
        pair.Absorb(pair.Initiator.UpdateLocalAddress(NewInitiatorNatT), fromInitiator: true);
        var mapped = new IPEndPoint(IPAddress.Parse("203.0.113.5"), 61000);
        DeliverFrom(pair, mapped); // a NAT rewrote the source
        pair.Run();
        pair.Responder.RemoteEndPoint.Should().Be(mapped);
        pair.ResponderEvents.OfType<IkeEvent.AddressesUpdated>().Single().RemoteBehindNat.Should().BeTrue();
        pair.InitiatorEvents.OfType<IkeEvent.AddressesUpdated>().Single().LocalBehindNat.Should().BeTrue();
    }

    [Fact]
    public void Without_mobike_an_address_change_sends_a_liveness_check()
    {
        using var pair = Established(mobike: false);
        pair.Initiator.MobikeNegotiated.Should().BeFalse();
        pair.Absorb(pair.Initiator.UpdateLocalAddress(NewInitiatorNatT), fromInitiator: true);
        pair.InitiatorTrace.Last(t => t.Sent).Payloads.Should().BeEmpty();
        DeliverFrom(pair, NewInitiatorNatT);
        pair.Run();
        pair.Responder.RemoteEndPoint.Should().Be(NewInitiatorNatT, "the responder follows the authenticated request's source");
        pair.InitiatorEvents.OfType<IkeEvent.AddressesUpdated>().Should().BeEmpty();
        pair.Initiator.State.Should().Be(IkeSessionState.Established);
    }

    [Fact]
    public void Update_is_ignored_before_the_sa_is_established()
    {
        using var pair = new IkeTestPair(IkeTestPair.InitiatorOptions(), IkeTestPair.ResponderOptions());
        pair.Connect();
        pair.Initiator.UpdateLocalAddress(NewInitiatorNatT).Datagrams.Should().BeEmpty();
    }

    [Fact]
    public void Lost_update_is_retransmitted_then_times_out_recoverably()
    {
        using var pair = Established();
        pair.Absorb(pair.Initiator.UpdateLocalAddress(NewInitiatorNatT), fromInitiator: true);
        pair.ToResponder.Clear();
        for (int i = 0; i < 6; i++)
        {
            pair.Clock.Advance(TimeSpan.FromSeconds(10));
            pair.Absorb(pair.Initiator.HandleTimer(IkeTimer.Retransmit), fromInitiator: true);
        }
        pair.Initiator.State.Should().Be(IkeSessionState.Failed);
        pair.Initiator.Error!.Kind.Should().Be(IkeErrorKind.ProtocolTimeout);
        pair.Initiator.Error.Recoverable.Should().BeTrue();
    }
}
