using FluentAssertions;
using Ikev2Client.Protocol.Ike;
using Ikev2Client.Protocol.Wire;
using Xunit;

namespace Ikev2Client.Tests.Ike;

public sealed class IkeInformationalTests
{
    private static IkeTestPair Established()
    {
        var pair = new IkeTestPair(IkeTestPair.InitiatorOptions(), IkeTestPair.ResponderOptions());
        pair.Connect();
        pair.Run();
        pair.Initiator.State.Should().Be(IkeSessionState.Established);
        return pair;
    }

    [Fact]
    public void Initiator_deletes_the_ike_sa()
    {
        using var pair = Established();
        pair.Absorb(pair.Initiator.Close(), true);
        pair.Initiator.State.Should().Be(IkeSessionState.Deleting);
        pair.Run();
        pair.Initiator.State.Should().Be(IkeSessionState.Closed);
        pair.Responder.State.Should().Be(IkeSessionState.Closed);
        pair.InitiatorEvents.OfType<IkeEvent.Deleted>().Single().ByPeer.Should().BeFalse();
        pair.ResponderEvents.OfType<IkeEvent.Deleted>().Single().ByPeer.Should().BeTrue();
        pair.InitiatorEvents.OfType<IkeEvent.ChildSaDeleted>().Should().ContainSingle();
        pair.ResponderEvents.OfType<IkeEvent.ChildSaDeleted>().Should().ContainSingle();
        pair.InitiatorTrace.Last(t => t.Sent).Payloads.Should().Be("D");
        pair.InitiatorTimers.Last(t => t.Timer == IkeTimer.Retransmit).DueAt.Should().BeNull("the retransmit timer is cancelled");
    }

    [Fact]
    public void Responder_deletes_the_ike_sa()
    {
        using var pair = Established();
        pair.Absorb(pair.Responder.Close(), false);
        pair.Run();
        pair.Initiator.State.Should().Be(IkeSessionState.Closed);
        pair.Responder.State.Should().Be(IkeSessionState.Closed);
        pair.InitiatorEvents.OfType<IkeEvent.Deleted>().Single().ByPeer.Should().BeTrue();
        // The responder's first own request uses its own message ID 0 (RFC 7296 §2.2).
        pair.ResponderTrace.Single(t => t.Sent && !t.IsResponse).MessageId.Should().Be(0);
    }

    [Fact]
    public void Child_sa_delete_in_both_directions()
    {
        using var pair = Established();
        var spi = pair.Initiator.ChildSas.Single().InboundSpi;
        pair.Absorb(pair.Initiator.DeleteChildSa(spi), true);
        pair.Run();
        pair.Initiator.ChildSas.Should().BeEmpty();
        pair.Responder.ChildSas.Should().BeEmpty();
        pair.InitiatorEvents.OfType<IkeEvent.ChildSaDeleted>().Single().ChildSa.InboundSpi.Should().Be(spi);
        pair.ResponderEvents.OfType<IkeEvent.ChildSaDeleted>().Single().ChildSa.OutboundSpi.Should().Be(spi);
        pair.Initiator.State.Should().Be(IkeSessionState.Established);

        using var other = Established();
        var rspi = other.Responder.ChildSas.Single().InboundSpi;
        other.Absorb(other.Responder.DeleteChildSa(rspi), false);
        other.Run();
        other.Initiator.ChildSas.Should().BeEmpty();
        other.InitiatorEvents.OfType<IkeEvent.ChildSaDeleted>().Single().ByPeer.Should().BeTrue();
    }

    [Fact]
    public void Liveness_checks_in_both_directions()
    {
        using var pair = Established();
        pair.Absorb(pair.Initiator.CheckLiveness(), true);
        pair.Run();
        pair.Absorb(pair.Responder.CheckLiveness(), false);
        pair.Run();
        pair.InitiatorTrace.Where(t => t.Exchange == ExchangeType.Informational).Select(t => (t.Sent, t.IsResponse))
            .Should().Equal((true, false), (false, true), (false, false), (true, true));
        pair.Initiator.State.Should().Be(IkeSessionState.Established);
        pair.Responder.State.Should().Be(IkeSessionState.Established);
    }

    [Fact]
    public void Commands_queue_behind_the_exchange_in_flight()
    {
        using var pair = Established();
        pair.Absorb(pair.Initiator.CheckLiveness(), true);
        pair.Absorb(pair.Initiator.Close(), true);
        pair.ToResponder.Should().ContainSingle("window size 1: the DELETE waits for the DPD answer");
        pair.Run();
        pair.Initiator.State.Should().Be(IkeSessionState.Closed);
        pair.Responder.State.Should().Be(IkeSessionState.Closed);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Child_sa_rekey_replaces_the_sa_and_deletes_the_old_one(bool initiatorRekeys)
    {
        using var pair = Established();
        var oldI = pair.Initiator.ChildSas.Single();
        var rekeyer = initiatorRekeys ? pair.Initiator : pair.Responder;
        pair.Absorb(rekeyer.RekeyChildSa(rekeyer.ChildSas.Single().InboundSpi), initiatorRekeys);
        pair.Run();

        var ri = pair.InitiatorEvents.OfType<IkeEvent.ChildSaRekeyed>().Single();
        var rr = pair.ResponderEvents.OfType<IkeEvent.ChildSaRekeyed>().Single();
        ri.Old.Should().Be(oldI);
        ri.New.InboundSpi.Should().Be(rr.New.OutboundSpi);
        ri.New.OutboundSpi.Should().Be(rr.New.InboundSpi);
        ri.New.Keys.OutboundEncryptionKey.Should().Equal(rr.New.Keys.InboundEncryptionKey);
        ri.New.Keys.InboundEncryptionKey.Should().Equal(rr.New.Keys.OutboundEncryptionKey);
        ri.New.Keys.OutboundEncryptionKey.Should().NotEqual(oldI.Keys.OutboundEncryptionKey);
        ri.New.LocalTrafficSelectors.Should().Equal(oldI.LocalTrafficSelectors);
        pair.Initiator.ChildSas.Should().ContainSingle().Which.Should().Be(ri.New);
        pair.Responder.ChildSas.Should().ContainSingle().Which.Should().Be(rr.New);
        pair.InitiatorEvents.OfType<IkeEvent.ChildSaDeleted>().Single().ChildSa.Should().Be(oldI);
        pair.InitiatorTrace.Where(t => t.Exchange == ExchangeType.CreateChildSa).Should().HaveCount(2);
    }
}
