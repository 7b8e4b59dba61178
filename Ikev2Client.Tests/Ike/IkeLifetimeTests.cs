using FluentAssertions;
using Ikev2Client.Protocol;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Ike;
using Ikev2Client.Protocol.Wire;
using Xunit;

namespace Ikev2Client.Tests.Ike;

/// <summary>Rekey timers, IKE SA rekeying in both directions and simultaneous rekeys (RFC 7296 §2.8, §2.18).</summary>
public sealed class IkeLifetimeTests
{
    private static IkeTestPair Established(Action<IkeSessionOptionsBuilder>? initiator = null, Action<IkeSessionOptionsBuilder>? responder = null)
    {
        var pair = new IkeTestPair(IkeTestPair.InitiatorOptions(configure: initiator), IkeTestPair.ResponderOptions(configure: responder));
        pair.Connect();
        pair.Run();
        pair.Initiator.State.Should().Be(IkeSessionState.Established);
        pair.Responder.State.Should().Be(IkeSessionState.Established);
        return pair;
    }

    private static void Fire(IkeTestPair pair, bool initiator, IkeTimer timer)
    {
        var s = initiator ? pair.Initiator : pair.Responder;
        pair.Absorb(s.HandleTimer(timer), initiator);
    }

    private static DateTimeOffset? LastDue(List<ArmedTimer> timers, IkeTimer timer) => timers.Last(t => t.Timer == timer).DueAt;

    private static void AssertPaired(IkeTestPair pair)
    {
        pair.Initiator.SpiI.Should().Be(pair.Responder.SpiI);
        pair.Initiator.SpiR.Should().Be(pair.Responder.SpiR);
        var ci = pair.Initiator.ChildSas.Should().ContainSingle().Subject;
        var cr = pair.Responder.ChildSas.Should().ContainSingle().Subject;
        ci.InboundSpi.Should().Be(cr.OutboundSpi);
        ci.OutboundSpi.Should().Be(cr.InboundSpi);
        ci.Keys.OutboundEncryptionKey.Should().Equal(cr.Keys.InboundEncryptionKey);
        ci.Keys.InboundEncryptionKey.Should().Equal(cr.Keys.OutboundEncryptionKey);
    }

    /// <summary>A liveness check over the current IKE SA succeeds (proves both ends agree on SPIs, keys and message IDs).</summary>
    private static void AssertIkeSaWorks(IkeTestPair pair, bool fromInitiator)
    {
        var s = fromInitiator ? pair.Initiator : pair.Responder;
        int before = (fromInitiator ? pair.InitiatorTrace : pair.ResponderTrace).Count(t => !t.Sent && t.IsResponse && t.Exchange == ExchangeType.Informational);
        pair.Absorb(s.CheckLiveness(), fromInitiator);
        pair.Run();
        (fromInitiator ? pair.InitiatorTrace : pair.ResponderTrace).Count(t => !t.Sent && t.IsResponse && t.Exchange == ExchangeType.Informational)
            .Should().Be(before + 1);
        pair.Initiator.State.Should().Be(IkeSessionState.Established);
        pair.Responder.State.Should().Be(IkeSessionState.Established);
    }

    [Fact]
    public void Child_sa_is_rekeyed_when_its_soft_lifetime_expires()
    {
        using var pair = Established(i => i.ChildLifetime = new SaLifetime(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20)));
        var old = pair.Initiator.ChildSas.Single();
        LastDue(pair.InitiatorTimers, IkeTimer.Lifetime).Should().Be(pair.Clock.GetUtcNow() + TimeSpan.FromSeconds(10));
        pair.Clock.Advance(TimeSpan.FromSeconds(10));
        Fire(pair, true, IkeTimer.Lifetime);
        pair.Run();
        pair.InitiatorEvents.OfType<IkeEvent.ChildSaRekeyed>().Single().Old.Should().Be(old);
        pair.InitiatorEvents.OfType<IkeEvent.ChildSaDeleted>().Single().ChildSa.Should().Be(old);
        AssertPaired(pair);
        LastDue(pair.InitiatorTimers, IkeTimer.Lifetime).Should().Be(pair.Clock.GetUtcNow() + TimeSpan.FromSeconds(10), "the new CHILD SA gets its own schedule");
    }

    [Fact]
    public void Repeated_rekey_requests_for_one_child_sa_rekey_it_once_and_a_peer_rekeyed_sa_is_not_rekeyed_again()
    {
        // The data plane asks again while an SA's sequence or volume limit stays reached: one rekey, not several.
        using var pair = Established(i => i.ChildLifetime = null, r => r.ChildLifetime = null);
        var old = pair.Initiator.ChildSas.Single();
        pair.Absorb(pair.Initiator.RekeyChildSa(old.InboundSpi), true);
        pair.Absorb(pair.Initiator.RekeyChildSa(old.InboundSpi), true); // queued behind the first, while the old SA still exists
        pair.Absorb(pair.Initiator.RekeyChildSa(old.InboundSpi), true);
        pair.Run();
        pair.InitiatorTrace.Count(t => t.Sent && !t.IsResponse && t.Exchange == ExchangeType.CreateChildSa).Should().Be(1);
        var rekeyed = pair.InitiatorEvents.OfType<IkeEvent.ChildSaRekeyed>().Single();
        rekeyed.ByPeer.Should().BeFalse();
        pair.ResponderEvents.OfType<IkeEvent.ChildSaRekeyed>().Single().ByPeer.Should().BeTrue();
        pair.Initiator.ChildSas.Should().ContainSingle().Which.Should().Be(rekeyed.New);

        AssertPaired(pair);

        // The peer rekeys; before the initiator deletes the old SA, the responder's own data plane asks to rekey that
        // same SA (its limit was reached too): it is already replaced, so nothing is sent.
        var current = pair.Initiator.ChildSas.Single();
        pair.Absorb(pair.Initiator.RekeyChildSa(current.InboundSpi), true);
        pair.StepToResponder().Should().BeTrue(); // CREATE_CHILD_SA request → the responder installs the new SA
        pair.ResponderEvents.OfType<IkeEvent.ChildSaRekeyed>().Should().HaveCount(2);
        pair.Absorb(pair.Responder.RekeyChildSa(current.OutboundSpi), false);
        pair.Run();
        pair.ResponderTrace.Count(t => t.Sent && !t.IsResponse && t.Exchange == ExchangeType.CreateChildSa).Should().Be(0);
        pair.InitiatorEvents.OfType<IkeEvent.ChildSaRekeyed>().Should().HaveCount(2);
        AssertPaired(pair);
    }

    [Fact]
    public void Child_sa_rekey_with_pfs_carries_ke_payloads()
    {
        var esp = new[] { ProposalSpec.Parse("aes256gcm16-x25519", esp: true) };
        using var pair = Established(i => { i.Esp = esp; i.ChildLifetime = new SaLifetime(TimeSpan.FromSeconds(5)); }, r => r.Esp = esp);
        pair.Clock.Advance(TimeSpan.FromSeconds(5));
        Fire(pair, true, IkeTimer.Lifetime);
        pair.Run();
        pair.InitiatorTrace.First(t => t.Sent && t.Exchange == ExchangeType.CreateChildSa).Payloads.Should().Contain("KE");
        pair.ResponderTrace.First(t => t.Sent && t.Exchange == ExchangeType.CreateChildSa).Payloads.Should().Contain("KE");
        pair.InitiatorEvents.OfType<IkeEvent.ChildSaRekeyed>().Should().ContainSingle();
        AssertPaired(pair);
    }

    [Fact]
    public void Deadlines_further_than_a_day_are_armed_a_day_at_a_time()
    {
        // Owners' timers take at most ~49 days (Task.Delay); a 60-day lifetime must still rekey on time.
        var sixtyDays = TimeSpan.FromDays(60);
        using var pair = Established(i => i.ChildLifetime = new SaLifetime(sixtyDays, sixtyDays + TimeSpan.FromDays(1), TimeSpan.Zero));
        var established = pair.Clock.GetUtcNow();
        int firings = 0;
        while (pair.InitiatorTrace.Count(t => t.Sent && t.Exchange == ExchangeType.CreateChildSa) == 0 && firings < 100)
        {
            var due = LastDue(pair.InitiatorTimers, IkeTimer.Lifetime)!.Value;
            (due - pair.Clock.GetUtcNow()).Should().BeLessThanOrEqualTo(TimeSpan.FromDays(1));
            pair.Clock.SetUtcNow(due);
            Fire(pair, true, IkeTimer.Lifetime);
            firings++;
        }
        firings.Should().Be(60, "one firing a day, and the 60th is the rekey");
        (pair.Clock.GetUtcNow() - established).Should().Be(sixtyDays);
        pair.Run();
        pair.InitiatorEvents.OfType<IkeEvent.ChildSaRekeyed>().Should().ContainSingle();
    }

    [Fact]
    public void Child_sa_that_cannot_be_rekeyed_is_deleted_at_its_hard_lifetime()
    {
        using var pair = Established(i => i.ChildLifetime = new SaLifetime(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(12)));
        pair.Clock.Advance(TimeSpan.FromSeconds(10));
        Fire(pair, true, IkeTimer.Lifetime);
        pair.ToResponder.Clear(); // the rekey request is lost ...
        pair.Clock.Advance(TimeSpan.FromSeconds(2));
        Fire(pair, true, IkeTimer.Lifetime); // ... and the hard lifetime passes: a DELETE is queued behind it
        pair.Clock.Advance(TimeSpan.FromSeconds(0.5));
        Fire(pair, true, IkeTimer.Retransmit);
        pair.Run();
        pair.Initiator.ChildSas.Should().ContainSingle("the retransmitted rekey succeeded before the DELETE of the expired SA");
        pair.InitiatorEvents.OfType<IkeEvent.ChildSaDeleted>().Should().ContainSingle();
        AssertPaired(pair);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Ike_sa_rekey_moves_child_sas_and_deletes_the_old_ike_sa(bool initiatorRekeys)
    {
        using var pair = Established();
        ulong oldI = pair.Initiator.SpiI, oldR = pair.Initiator.SpiR;
        var child = pair.Initiator.ChildSas.Single();
        var rekeyer = initiatorRekeys ? pair.Initiator : pair.Responder;
        pair.Absorb(rekeyer.RekeyIkeSa(), initiatorRekeys);
        pair.Run();

        pair.Initiator.SpiI.Should().NotBe(oldI);
        pair.Initiator.SpiR.Should().NotBe(oldR);
        AssertPaired(pair);
        pair.Initiator.ChildSas.Single().Should().Be(child, "CHILD SAs move to the new IKE SA unchanged");
        pair.Initiator.IkeSaRekeys.Should().Be(1);
        pair.Responder.IkeSaRekeys.Should().Be(1);
        var ev = pair.InitiatorEvents.OfType<IkeEvent.IkeSaRekeyed>().Single();
        (ev.OldSpiI, ev.OldSpiR).Should().Be((oldI, oldR));
        // The rekey initiator deleted the old IKE SA and got the answer.
        var rekeyerTrace = initiatorRekeys ? pair.InitiatorTrace : pair.ResponderTrace;
        rekeyerTrace.Should().Contain(t => t.Sent && t.Exchange == ExchangeType.Informational && t.Payloads == "D");
        rekeyerTrace.Last().Should().Match<IkeEvent.MessageTraced>(t => !t.Sent && t.IsResponse && t.Exchange == ExchangeType.Informational);
        pair.ToInitiator.Should().BeEmpty();
        // The new IKE SA carries exchanges both ways from message ID 0, and rekeys again.
        AssertIkeSaWorks(pair, true);
        AssertIkeSaWorks(pair, false);
        pair.Absorb(pair.Initiator.RekeyChildSa(pair.Initiator.ChildSas.Single().InboundSpi), true);
        pair.Run();
        AssertPaired(pair);
        pair.Absorb(rekeyer.RekeyIkeSa(), initiatorRekeys);
        pair.Run();
        pair.Initiator.IkeSaRekeys.Should().Be(2);
        AssertPaired(pair);
        AssertIkeSaWorks(pair, !initiatorRekeys);
    }

    [Fact]
    public void Ike_sa_is_rekeyed_by_timer()
    {
        using var pair = Established(i => i.IkeLifetime = new SaLifetime(TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(40)));
        ulong oldI = pair.Initiator.SpiI;
        pair.Clock.Advance(TimeSpan.FromSeconds(25));
        Fire(pair, true, IkeTimer.Lifetime);
        pair.Run();
        pair.Initiator.SpiI.Should().NotBe(oldI);
        AssertPaired(pair);
        LastDue(pair.InitiatorTimers, IkeTimer.Lifetime).Should().Be(pair.Clock.GetUtcNow() + TimeSpan.FromSeconds(25));
    }

    [Fact]
    public void Ike_sa_that_is_never_rekeyed_fails_recoverably_at_its_hard_lifetime()
    {
        using var pair = Established(i => i.IkeLifetime = new SaLifetime(TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(30)));
        pair.Clock.Advance(TimeSpan.FromSeconds(25));
        Fire(pair, true, IkeTimer.Lifetime);
        pair.ToResponder.Clear();
        pair.Clock.Advance(TimeSpan.FromSeconds(5));
        Fire(pair, true, IkeTimer.Lifetime);
        pair.Initiator.State.Should().Be(IkeSessionState.Failed);
        pair.Initiator.Error!.Recoverable.Should().BeTrue();
        pair.Initiator.Error.Kind.Should().Be(IkeErrorKind.ProtocolTimeout);
    }

    [Fact]
    public void Simultaneous_ike_sa_rekeys_settle_on_one_new_ike_sa()
    {
        using var pair = Established();
        ulong oldI = pair.Initiator.SpiI;
        pair.Absorb(pair.Initiator.RekeyIkeSa(), true);
        pair.Absorb(pair.Responder.RekeyIkeSa(), false);
        // Both requests cross: each side answers the other's before it sees the answer to its own.
        pair.StepToResponder();
        pair.StepToInitiator();
        pair.Run();
        pair.Initiator.SpiI.Should().NotBe(oldI);
        AssertPaired(pair);
        pair.Initiator.IkeSaRekeys.Should().Be(1);
        pair.Responder.IkeSaRekeys.Should().Be(1);
        AssertIkeSaWorks(pair, true);
        AssertIkeSaWorks(pair, false);
        pair.Absorb(pair.Responder.RekeyChildSa(pair.Responder.ChildSas.Single().InboundSpi), false);
        pair.Run();
        AssertPaired(pair);
    }

    [Fact]
    public void Simultaneous_child_sa_rekeys_leave_one_child_sa_pair()
    {
        using var pair = Established();
        pair.Absorb(pair.Initiator.RekeyChildSa(pair.Initiator.ChildSas.Single().InboundSpi), true);
        pair.Absorb(pair.Responder.RekeyChildSa(pair.Responder.ChildSas.Single().InboundSpi), false);
        pair.StepToResponder();
        pair.StepToInitiator();
        pair.Run();
        AssertPaired(pair);
        AssertIkeSaWorks(pair, true);
        // Exactly one side reports a rekey for its own exchange; the redundant SA was removed by its creator.
        var survivors = pair.Initiator.ChildSas.Single();
        pair.InitiatorEvents.OfType<IkeEvent.ChildSaRekeyed>().Should().Contain(r => r.New == survivors);
    }

    [Fact]
    public void Peer_ike_rekey_during_our_exchange_is_refused_with_temporary_failure_and_retried()
    {
        using var pair = Established();
        pair.Absorb(pair.Initiator.CheckLiveness(), true); // our INFORMATIONAL is outstanding
        pair.Absorb(pair.Responder.RekeyIkeSa(), false);
        pair.StepToInitiator(); // the peer's rekey arrives first
        pair.Run();
        pair.ResponderTrace.Should().Contain(t => !t.Sent && t.IsResponse && t.Exchange == ExchangeType.CreateChildSa && t.Payloads == "N(TemporaryFailure)");
        pair.Responder.IkeSaRekeys.Should().Be(0);
        pair.Absorb(pair.Responder.RekeyIkeSa(), false);
        pair.Run();
        pair.Responder.IkeSaRekeys.Should().Be(1);
        AssertPaired(pair);
    }

    [Fact]
    public void Rekey_delay_lies_within_the_jitter()
    {
        var lifetime = new SaLifetime(TimeSpan.FromSeconds(100), null, TimeSpan.FromSeconds(10));
        var delays = Enumerable.Range(0, 200).Select(_ => lifetime.NextRekeyDelay(SystemRandomSource.Instance)).ToList();
        delays.Should().OnlyContain(d => d >= TimeSpan.FromSeconds(90) && d <= TimeSpan.FromSeconds(100));
        delays.Distinct().Count().Should().BeGreaterThan(100);
        lifetime.EffectiveHardLifetime.Should().Be(TimeSpan.FromSeconds(170));
        new SaLifetime(TimeSpan.FromSeconds(10)).NextRekeyDelay(SystemRandomSource.Instance).Should().Be(TimeSpan.FromSeconds(10));
    }
}
