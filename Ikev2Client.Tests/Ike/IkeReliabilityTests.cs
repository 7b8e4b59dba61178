using FluentAssertions;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Ike;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;
using Xunit;

namespace Ikev2Client.Tests.Ike;

public sealed class IkeReliabilityTests
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
    public void Unanswered_request_is_retransmitted_with_exponential_backoff_then_times_out()
    {
        using var pair = new IkeTestPair(IkeTestPair.InitiatorOptions(), IkeTestPair.ResponderOptions());
        pair.Connect();
        var first = pair.ToResponder.Dequeue().Data;
        var delays = new List<double>();
        var start = pair.Clock.GetUtcNow();
        for (int i = 0; i < 10 && pair.Initiator.State != IkeSessionState.Failed; i++)
        {
            var arm = pair.InitiatorTimers.Last(t => t.Timer == IkeTimer.Retransmit);
            arm.DueAt.Should().NotBeNull();
            delays.Add((arm.DueAt!.Value - pair.Clock.GetUtcNow()).TotalSeconds);
            // Firing early sends nothing and re-arms the timer for the time that is left.
            pair.Clock.SetUtcNow(arm.DueAt.Value - TimeSpan.FromMilliseconds(1));
            pair.Absorb(pair.Initiator.HandleTimer(IkeTimer.Retransmit), true);
            pair.ToResponder.Should().BeEmpty();
            pair.InitiatorTimers.Last().Should().Be(arm, "an early firing re-arms the same deadline");
            pair.Clock.SetUtcNow(arm.DueAt.Value);
            pair.Absorb(pair.Initiator.HandleTimer(IkeTimer.Retransmit), true);
            if (pair.ToResponder.Count > 0) pair.ToResponder.Dequeue().Data.Should().Equal(first, "a retransmission repeats the same bytes");
        }
        delays.Should().Equal(0.5, 1, 2, 4, 8);
        (pair.Clock.GetUtcNow() - start).TotalSeconds.Should().Be(15.5);
        pair.Initiator.State.Should().Be(IkeSessionState.Failed);
        pair.Initiator.Error!.Kind.Should().Be(IkeErrorKind.ProtocolTimeout);
        pair.Initiator.Error.Recoverable.Should().BeTrue();
        pair.InitiatorTrace.Count(t => t.Sent).Should().Be(5);
    }

    [Fact]
    public void Retransmission_schedule_is_configurable()
    {
        using var pair = new IkeTestPair(new IkeSessionOptions
        {
            LocalIdentity = IkeIdentity.Parse("@c"), Authenticator = new PskAuthenticator("k"),
            RetransmitTimeouts = new[] { TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3) },
        }, IkeTestPair.ResponderOptions());
        pair.Connect();
        pair.InitiatorTimers.Last().DueAt.Should().Be(pair.Clock.GetUtcNow() + TimeSpan.FromSeconds(2));
        pair.Clock.Advance(TimeSpan.FromSeconds(2));
        pair.Absorb(pair.Initiator.HandleTimer(IkeTimer.Retransmit), true);
        pair.InitiatorTimers.Last().DueAt.Should().Be(pair.Clock.GetUtcNow() + TimeSpan.FromSeconds(3));
        pair.Clock.Advance(TimeSpan.FromSeconds(3));
        pair.Absorb(pair.Initiator.HandleTimer(IkeTimer.Retransmit), true);
        pair.Initiator.Error!.Kind.Should().Be(IkeErrorKind.ProtocolTimeout);
    }

    [Fact]
    public void Lost_response_is_recovered_from_the_responders_cache()
    {
        using var pair = new IkeTestPair(IkeTestPair.InitiatorOptions(), IkeTestPair.ResponderOptions());
        pair.Connect();
        pair.Run(maxSteps: 2); // IKE_SA_INIT both ways
        var authRequest = pair.ToResponder.Peek();
        pair.StepToResponder();
        var response = pair.ToInitiator.Dequeue(); // lost
        int childEvents = pair.ResponderEvents.OfType<IkeEvent.ChildSaEstablished>().Count();

        // The initiator retransmits; the responder answers from its cache without processing again.
        pair.Clock.SetUtcNow(pair.InitiatorTimers.Last(t => t.Timer == IkeTimer.Retransmit).DueAt!.Value);
        pair.Absorb(pair.Initiator.HandleTimer(IkeTimer.Retransmit), true);
        pair.ToResponder.Single().Data.Should().Equal(authRequest.Data);
        var output = pair.DeliverToResponder(pair.ToResponder.Dequeue());
        output.Datagrams.Single().Data.Should().Equal(response.Data);
        pair.ResponderEvents.OfType<IkeEvent.ChildSaEstablished>().Count().Should().Be(childEvents);
        pair.Run();
        pair.Initiator.State.Should().Be(IkeSessionState.Established);
        pair.Initiator.ChildSas.Should().ContainSingle();
    }

    [Fact]
    public void Duplicate_ike_sa_init_request_gets_the_same_response()
    {
        using var pair = new IkeTestPair(IkeTestPair.InitiatorOptions(), IkeTestPair.ResponderOptions());
        pair.Connect();
        var request = pair.ToResponder.Peek();
        pair.StepToResponder();
        var firstResponse = pair.ToInitiator.Peek().Data;
        pair.DeliverToResponder(request).Datagrams.Single().Data.Should().Equal(firstResponse);
    }

    [Fact]
    public void Garbage_and_unauthenticated_datagrams_are_dropped_without_state_change()
    {
        using var pair = Established();
        var ci = pair.Initiator.ChildSas.Single();
        var before = (pair.Initiator.State, pair.Responder.State, pair.ResponderEvents.Count);
        var garbage = new List<byte[]> { Array.Empty<byte>(), new byte[] { 1, 2, 3 }, Enumerable.Range(0, 200).Select(i => (byte)(i * 7)).ToArray() };

        // A genuine request with one flipped ciphertext bit fails the ICV.
        var info = pair.Initiator.EncodeProtectedRequestForTests(ExchangeType.Informational, pair.Initiator.NextMessageIdForTests, Array.Empty<Payload>());
        info[^5] ^= 0x40;
        garbage.Add(info);
        // Wrong SPI, right shape.
        var wrongSpi = (byte[])pair.InitiatorTrace.First().Payloads.Select(_ => (byte)0).ToArray().Concat(new byte[40]).ToArray();
        garbage.Add(wrongSpi);
        // A response nobody asked for.
        var unsolicited = pair.Initiator.EncodeProtectedRequestForTests(ExchangeType.Informational, 99, Array.Empty<Payload>());
        unsolicited[19] |= 0x20;
        garbage.Add(unsolicited);

        foreach (var g in garbage)
        {
            foreach (var natT in new[] { false, true })
            {
                pair.Responder.HandleDatagram(g, IkeTestPair.InitiatorNatT, IkeTestPair.ResponderNatT, natT).IsEmpty.Should().BeTrue();
                pair.Initiator.HandleDatagram(g, IkeTestPair.ResponderNatT, IkeTestPair.InitiatorNatT, natT).IsEmpty.Should().BeTrue();
            }
        }
        (pair.Initiator.State, pair.Responder.State, pair.ResponderEvents.Count).Should().Be(before);

        // The SA still works: a liveness check goes through.
        pair.Absorb(pair.Initiator.CheckLiveness(), true);
        pair.Run();
        pair.InitiatorTrace.Last().Should().Match<IkeEvent.MessageTraced>(t => !t.Sent && t.IsResponse && t.Exchange == ExchangeType.Informational);
        pair.Initiator.ChildSas.Single().Should().Be(ci);
    }

    [Fact]
    public void Authenticated_malformed_request_is_answered_with_invalid_syntax()
    {
        using var pair = Established();
        // An SA payload is not allowed in INFORMATIONAL (RFC 7296 §1.4).
        var bad = pair.Initiator.EncodeProtectedRequestForTests(ExchangeType.Informational, pair.Initiator.NextMessageIdForTests,
            new Payload[] { new SaPayload(new[] { ProposalSpec.DefaultEsp[0].ToWire(1, ProtocolId.Esp, new byte[4]) }) });
        var output = pair.Responder.HandleDatagram(bad, IkeTestPair.InitiatorNatT, IkeTestPair.ResponderNatT, true);
        output.Datagrams.Should().ContainSingle();
        output.Events.OfType<IkeEvent.MessageTraced>().Single().Payloads.Should().Be("N(InvalidSyntax)");
        pair.Responder.State.Should().Be(IkeSessionState.Established);
    }

    [Fact]
    public void Liveness_timer_sends_dpd_and_a_silent_peer_times_out()
    {
        using var pair = new IkeTestPair(IkeTestPair.InitiatorOptions(configure: b => b.Liveness = TimeSpan.FromSeconds(30)), IkeTestPair.ResponderOptions());
        pair.Connect();
        pair.Run();
        var live = pair.InitiatorTimers.Last(t => t.Timer == IkeTimer.Liveness);
        live.DueAt.Should().Be(pair.Clock.GetUtcNow() + TimeSpan.FromSeconds(30));
        pair.Clock.SetUtcNow(live.DueAt!.Value);
        pair.Absorb(pair.Initiator.HandleTimer(IkeTimer.Liveness), true);
        pair.Run();
        pair.ResponderTrace.Last().Should().Match<IkeEvent.MessageTraced>(t => t.Sent && t.IsResponse && t.Exchange == ExchangeType.Informational && t.Payloads == "");
        pair.InitiatorTimers.Last().Timer.Should().Be(IkeTimer.Liveness, "the next check is armed after the answer");

        // Now the responder goes silent.
        pair.Clock.SetUtcNow(pair.InitiatorTimers.Last().DueAt!.Value);
        pair.Absorb(pair.Initiator.HandleTimer(IkeTimer.Liveness), true);
        for (int i = 0; i < 6 && pair.Initiator.State == IkeSessionState.Established; i++)
        {
            pair.ToResponder.Clear();
            pair.Clock.SetUtcNow(pair.InitiatorTimers.Last(t => t.Timer == IkeTimer.Retransmit).DueAt!.Value);
            pair.Absorb(pair.Initiator.HandleTimer(IkeTimer.Retransmit), true);
        }
        pair.Initiator.Error!.Kind.Should().Be(IkeErrorKind.ProtocolTimeout);
        pair.InitiatorEvents.OfType<IkeEvent.ChildSaDeleted>().Should().ContainSingle("the data plane must drop the CHILD SA of a dead peer");
    }
}
