using FluentAssertions;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Ike;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;
using Xunit;

namespace Ikev2Client.Tests.Ike;

/// <summary>
/// Hybrid post-quantum IKE: a classical key exchange in IKE_SA_INIT plus ML-KEM in additional key exchanges (RFC 9370),
/// each in an IKE_INTERMEDIATE exchange (RFC 9242) whose messages are bound into AUTH (IntAuth) and after which every key
/// is updated. Stepped message by message between an in-memory initiator and responder.
/// </summary>
public sealed class IkePostQuantumTests
{
    private static IReadOnlyList<ProposalSpec> Ike(string text)
    {
        ProposalSyntax.TryParse(text, false, out var proposals, out var error).Should().BeTrue(error);
        return proposals;
    }

    private static IkeTestPair Pair(string initiatorIke, string responderIke, int maxMessageSize = 1280) => new(
        IkeTestPair.InitiatorOptions(configure: b => { b.Ike = Ike(initiatorIke); b.MaxMessageSize = maxMessageSize; }),
        IkeTestPair.ResponderOptions(configure: b => { b.Ike = Ike(responderIke); b.MaxMessageSize = maxMessageSize; }));

    private static IkeMessage Decode(OutgoingDatagram d)
    {
        IkeMessageCodec.TryDecode(d.Data, out var m, out var error).Should().BeTrue(error?.Message);
        return m!;
    }

    [Fact]
    public void X25519_plus_MlKem768_runs_one_IKE_INTERMEDIATE_between_IKE_SA_INIT_and_IKE_AUTH()
    {
        const string hybrid = "aes256gcm16-prfsha384-x25519-ke1_mlkem768";
        using var pair = Pair(hybrid, hybrid);
        pair.Connect();

        // IKE_SA_INIT: the initiator announces IKE_INTERMEDIATE and offers ADDKE1 = ML-KEM-768 (transform type 6, ID 36).
        var init = Decode(pair.ToResponder.Peek());
        init.HasNotify(NotifyType.IntermediateExchangeSupported).Should().BeTrue();
        init.Get<SaPayload>()!.Proposals[0].OfType(TransformType.AdditionalKeyExchange1).Should().ContainSingle().Which.Id.Should().Be(36);
        init.Get<KePayload>()!.Group.Should().Be(KeGroup.Curve25519);
        pair.StepToResponder().Should().BeTrue();
        var initResponse = Decode(pair.ToInitiator.Peek());
        initResponse.HasNotify(NotifyType.IntermediateExchangeSupported).Should().BeTrue();
        initResponse.Get<SaPayload>()!.Proposals[0].OfType(TransformType.AdditionalKeyExchange1).Single().Id.Should().Be(36);
        pair.StepToInitiator().Should().BeTrue();

        // IKE_INTERMEDIATE, message ID 1: the encapsulation key (1184 bytes) goes out, protected, in one datagram at 1280.
        var intermediate = Decode(pair.ToResponder.Peek());
        intermediate.Exchange.Should().Be(ExchangeType.IkeIntermediate);
        intermediate.MessageId.Should().Be(1u);
        intermediate.Payloads.Should().ContainSingle().Which.Should().BeOfType<EncryptedPayload>();
        pair.Initiator.State.Should().Be(IkeSessionState.Authenticating);
        pair.StepToResponder().Should().BeTrue();
        Decode(pair.ToInitiator.Peek()).Exchange.Should().Be(ExchangeType.IkeIntermediate);
        pair.StepToInitiator().Should().BeTrue();

        // IKE_AUTH follows with message ID 2, under the updated keys; AUTH covers IntAuth on both sides.
        var auth = Decode(pair.ToResponder.Peek());
        auth.Exchange.Should().Be(ExchangeType.IkeAuth);
        auth.MessageId.Should().Be(2u);
        pair.Run();

        pair.Initiator.State.Should().Be(IkeSessionState.Established, string.Join("\n", pair.InitiatorEvents));
        pair.Responder.State.Should().Be(IkeSessionState.Established, string.Join("\n", pair.ResponderEvents));
        pair.InitiatorTrace.Where(t => t.Sent && !t.Retransmission).Select(t => t.Exchange)
            .Should().Equal(ExchangeType.IkeSaInit, ExchangeType.IkeIntermediate, ExchangeType.IkeAuth);
        pair.Initiator.Algorithms!.Group.Should().Be(KeGroup.Curve25519);
        pair.Initiator.Algorithms.AdditionalKeyExchanges.Should().Equal(KeGroup.MlKem768);
        pair.Initiator.Algorithms.ToString().Should().Contain("CURVE_25519").And.Contain("ML-KEM-768");
        pair.InitiatorEvents.OfType<IkeEvent.IkeSaEstablished>().Single().Sa.Algorithms.AdditionalKeyExchanges.Should().Equal(KeGroup.MlKem768);

        var ci = pair.Initiator.ChildSas.Should().ContainSingle().Subject;
        var cr = pair.Responder.ChildSas.Should().ContainSingle().Subject;
        ci.Keys.OutboundEncryptionKey.Should().Equal(cr.Keys.InboundEncryptionKey);
        ci.Keys.InboundEncryptionKey.Should().Equal(cr.Keys.OutboundEncryptionKey);
    }

    [Fact]
    public void Two_additional_exchanges_with_MlKem1024_are_fragmented_and_both_sides_agree()
    {
        const string hybrid = "aes256gcm16-prfsha256-ecp256-ke1_mlkem768-ke2_mlkem1024";
        using var pair = Pair(hybrid, hybrid);
        pair.Connect();
        pair.Run();

        pair.Initiator.State.Should().Be(IkeSessionState.Established, string.Join("\n", pair.InitiatorEvents));
        pair.Responder.State.Should().Be(IkeSessionState.Established, string.Join("\n", pair.ResponderEvents));
        pair.Initiator.Algorithms!.AdditionalKeyExchanges.Should().Equal(KeGroup.MlKem768, KeGroup.MlKem1024);
        var sent = pair.InitiatorTrace.Where(t => t.Sent && !t.Retransmission).ToList();
        sent.Select(t => t.Exchange).Should().Equal(ExchangeType.IkeSaInit, ExchangeType.IkeIntermediate, ExchangeType.IkeIntermediate, ExchangeType.IkeAuth);
        sent.Select(t => t.MessageId).Should().Equal(0u, 1u, 2u, 3u);
        // The 1568-byte ML-KEM-1024 encapsulation key does not fit 1280 bytes: RFC 7383 fragments, each within the limit.
        sent[2].Fragments.Should().BeGreaterThan(1);
        var responses = pair.ResponderTrace.Where(t => t.Sent && t.Exchange == ExchangeType.IkeIntermediate).ToList();
        responses[1].Fragments.Should().BeGreaterThan(1, "the 1568-byte ciphertext is fragmented too");
        pair.Initiator.ChildSas.Single().Keys.OutboundEncryptionKey.Should().Equal(pair.Responder.ChildSas.Single().Keys.InboundEncryptionKey);
    }

    [Fact]
    public void A_retransmitted_IKE_INTERMEDIATE_request_is_answered_from_the_cache_under_the_old_keys()
    {
        const string hybrid = "aes256gcm16-prfsha384-x25519-ke1_mlkem768";
        using var pair = Pair(hybrid, hybrid);
        pair.Connect();
        pair.StepToResponder();
        pair.StepToInitiator();
        var request = pair.ToResponder.Dequeue();
        pair.DeliverToResponder(request);
        pair.ToInitiator.Clear(); // the response is lost; the responder has already moved to the next keys
        pair.Clock.Advance(TimeSpan.FromSeconds(5));
        pair.Absorb(pair.Initiator.HandleTimer(IkeTimer.Retransmit), fromInitiator: true);
        pair.ToResponder.Should().ContainSingle().Which.Data.Should().Equal(request.Data);
        pair.Run();

        pair.Initiator.State.Should().Be(IkeSessionState.Established, string.Join("\n", pair.InitiatorEvents));
        pair.Responder.State.Should().Be(IkeSessionState.Established, string.Join("\n", pair.ResponderEvents));
    }

    [Fact]
    public void Hybrid_first_and_classical_second_falls_back_to_classical_against_a_classical_responder()
    {
        using var pair = Pair("aes256gcm16-prfsha384-x25519-ke1_mlkem768,aes256gcm16-prfsha384-x25519", "aes256gcm16-prfsha384-x25519");
        pair.Connect();
        pair.Run();

        pair.Initiator.State.Should().Be(IkeSessionState.Established, string.Join("\n", pair.InitiatorEvents));
        pair.Initiator.Algorithms!.AdditionalKeyExchanges.Should().BeEmpty();
        pair.InitiatorTrace.Where(t => t.Sent).Select(t => t.Exchange).Should().Equal(ExchangeType.IkeSaInit, ExchangeType.IkeAuth);
    }

    [Fact]
    public void An_optional_additional_exchange_is_skipped_when_the_responder_has_none()
    {
        using var pair = Pair("aes256gcm16-prfsha384-x25519-ke1_mlkem768-ke1_none", "aes256gcm16-prfsha384-x25519");
        pair.Connect();
        pair.Run();

        pair.Initiator.State.Should().Be(IkeSessionState.Established, string.Join("\n", pair.InitiatorEvents));
        pair.Initiator.Algorithms!.AdditionalKeyExchanges.Should().BeEmpty();
    }

    [Fact]
    public void A_post_quantum_only_profile_refuses_a_classical_gateway_with_a_typed_error()
    {
        using var pair = Pair("aes256gcm16-prfsha384-x25519-ke1_mlkem768", "aes256gcm16-prfsha384-x25519");
        pair.Connect();
        pair.Run();

        pair.Initiator.State.Should().Be(IkeSessionState.Failed);
        pair.Initiator.Error!.Kind.Should().Be(IkeErrorKind.NoProposalChosen);
        pair.Initiator.Error.NotifyType.Should().Be(NotifyType.NoProposalChosen);
        pair.Initiator.Error.Message.Should().Contain("post-quantum").And.Contain("ML-KEM-768").And.Contain("classical IKE proposal");
    }

    [Fact]
    public void A_gateway_that_ignores_the_ADDKE_types_and_picks_the_classical_part_is_refused_by_a_post_quantum_only_profile()
    {
        // What a responder without RFC 9370 that skips unknown transform types would answer.
        using var pair = Pair("aes256gcm16-prfsha384-x25519-ke1_mlkem768", "aes256gcm16-prfsha384-x25519");
        pair.Connect();
        var request = Decode(pair.ToResponder.Dequeue());
        var proposal = request.Get<SaPayload>()!.Proposals[0];
        proposal.Transforms.RemoveAll(t => t.Type == TransformType.AdditionalKeyExchange1);
        request.Payloads.RemoveAll(p => p is NotifyPayload { NotifyType: NotifyType.IntermediateExchangeSupported });
        pair.DeliverToResponder(new OutgoingDatagram(IkeMessageCodec.Encode(request), IkeTestPair.ResponderIke, false));
        pair.Run();

        pair.Initiator.State.Should().Be(IkeSessionState.Failed);
        pair.Initiator.Error!.Kind.Should().Be(IkeErrorKind.NoProposalChosen);
        pair.Initiator.Error.Message.Should().Contain("post-quantum");
    }

    [Fact]
    public void A_classical_initiator_is_served_by_a_hybrid_responder_that_also_offers_classical()
    {
        using var pair = Pair("aes256gcm16-prfsha384-x25519", "aes256gcm16-prfsha384-x25519-ke1_mlkem768,aes256gcm16-prfsha384-x25519");
        pair.Connect();
        pair.Run();
        pair.Initiator.State.Should().Be(IkeSessionState.Established, string.Join("\n", pair.InitiatorEvents));
        pair.Responder.Algorithms!.AdditionalKeyExchanges.Should().BeEmpty();
    }

    private static IkeTestPair EstablishedWithPfs()
    {
        const string ike = "aes256gcm16-prfsha384-x25519-ke1_mlkem768";
        const string esp = "aes256gcm16-x25519-ke1_mlkem768";
        ProposalSyntax.TryParse(esp, true, out var espProposals, out var error).Should().BeTrue(error);
        var pair = new IkeTestPair(
            IkeTestPair.InitiatorOptions(configure: b => { b.Ike = Ike(ike); b.Esp = espProposals; }),
            IkeTestPair.ResponderOptions(configure: b => { b.Ike = Ike(ike); b.Esp = espProposals; }));
        pair.Connect();
        pair.Run();
        pair.Initiator.State.Should().Be(IkeSessionState.Established, string.Join("\n", pair.InitiatorEvents));
        // IKE_AUTH creates the first CHILD SA from the IKE SA's keys: no key exchange of its own.
        pair.Initiator.ChildSas.Single().Algorithms.AdditionalKeyExchanges.Should().BeEmpty();
        return pair;
    }

    private static void AssertChildPaired(IkeTestPair pair)
    {
        var ci = pair.Initiator.ChildSas.Should().ContainSingle().Subject;
        var cr = pair.Responder.ChildSas.Should().ContainSingle().Subject;
        ci.InboundSpi.Should().Be(cr.OutboundSpi);
        ci.Keys.OutboundEncryptionKey.Should().Equal(cr.Keys.InboundEncryptionKey);
        ci.Keys.InboundEncryptionKey.Should().Equal(cr.Keys.OutboundEncryptionKey);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_CHILD_SA_rekey_with_PFS_runs_ML_KEM_in_an_IKE_FOLLOWUP_KE(bool initiatorRekeys)
    {
        using var pair = EstablishedWithPfs();
        var old = pair.Initiator.ChildSas.Single();
        var rekeyer = initiatorRekeys ? pair.Initiator : pair.Responder;
        pair.Absorb(rekeyer.RekeyChildSa(rekeyer.ChildSas.Single().InboundSpi), initiatorRekeys);

        // CREATE_CHILD_SA {N(REKEY_SA), SA, Ni, KEi(x25519), TSi, TSr} -> {SA, Nr, KEr, TSi, TSr, N(ADDITIONAL_KEY_EXCHANGE)}
        var toPeer = initiatorRekeys ? pair.ToResponder : pair.ToInitiator;
        Decode(toPeer.Peek()).Exchange.Should().Be(ExchangeType.CreateChildSa);
        if (initiatorRekeys) { pair.StepToResponder(); pair.StepToInitiator(); } else { pair.StepToInitiator(); pair.StepToResponder(); }
        rekeyer.ChildSas.Should().ContainSingle("the new CHILD SA does not exist before its additional key exchange");
        // IKE_FOLLOWUP_KE {N(ADDITIONAL_KEY_EXCHANGE), KEi(ML-KEM-768)} -> {KEr(ML-KEM-768)}
        Decode(toPeer.Peek()).Exchange.Should().Be(ExchangeType.IkeFollowupKe);
        pair.Run();

        AssertChildPaired(pair);
        var fresh = pair.Initiator.ChildSas.Single();
        fresh.InboundSpi.Should().NotBe(old.InboundSpi);
        fresh.Algorithms.Group.Should().Be(KeGroup.Curve25519);
        fresh.Algorithms.AdditionalKeyExchanges.Should().Equal(KeGroup.MlKem768);
        fresh.Keys.OutboundEncryptionKey.Should().NotEqual(old.Keys.OutboundEncryptionKey);
        var trace = (initiatorRekeys ? pair.InitiatorTrace : pair.ResponderTrace).Where(t => t.Sent && !t.IsResponse).Select(t => t.Exchange).ToList();
        trace.Should().ContainInOrder(ExchangeType.CreateChildSa, ExchangeType.IkeFollowupKe, ExchangeType.Informational);
        pair.InitiatorEvents.OfType<IkeEvent.ChildSaRekeyed>().Should().ContainSingle();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void An_IKE_SA_rekey_runs_its_additional_key_exchange_and_the_new_IKE_SA_works(bool initiatorRekeys)
    {
        using var pair = EstablishedWithPfs();
        ulong oldSpiI = pair.Initiator.SpiI;
        var rekeyer = initiatorRekeys ? pair.Initiator : pair.Responder;
        pair.Absorb(rekeyer.RekeyIkeSa(), initiatorRekeys);
        pair.Run();

        pair.Initiator.IkeSaRekeys.Should().Be(1);
        pair.Responder.IkeSaRekeys.Should().Be(1);
        pair.Initiator.SpiI.Should().NotBe(oldSpiI);
        pair.Initiator.SpiI.Should().Be(pair.Responder.SpiI);
        pair.Initiator.SpiR.Should().Be(pair.Responder.SpiR);
        pair.Initiator.Algorithms!.AdditionalKeyExchanges.Should().Equal(KeGroup.MlKem768);
        (initiatorRekeys ? pair.InitiatorTrace : pair.ResponderTrace).Where(t => t.Sent && !t.IsResponse).Select(t => t.Exchange)
            .Should().ContainInOrder(ExchangeType.CreateChildSa, ExchangeType.IkeFollowupKe, ExchangeType.Informational);

        // The new IKE SA's keys agree: a CHILD SA rekey (itself with an IKE_FOLLOWUP_KE) runs over it.
        pair.Absorb(pair.Initiator.RekeyChildSa(pair.Initiator.ChildSas.Single().InboundSpi), true);
        pair.Run();
        AssertChildPaired(pair);
        pair.Initiator.State.Should().Be(IkeSessionState.Established);
        pair.Responder.State.Should().Be(IkeSessionState.Established);
    }

    [Fact]
    public void An_IKE_FOLLOWUP_KE_that_no_CREATE_CHILD_SA_waits_for_is_answered_STATE_NOT_FOUND()
    {
        using var pair = EstablishedWithPfs();
        var bogus = pair.Initiator.EncodeProtectedRequestForTests(ExchangeType.IkeFollowupKe, pair.Initiator.NextMessageIdForTests,
            [new NotifyPayload(NotifyType.AdditionalKeyExchange, new byte[16]), new KePayload(KeGroup.MlKem768, new byte[1184])]);
        var output = pair.DeliverToResponder(new OutgoingDatagram(bogus, IkeTestPair.ResponderNatT, true));
        output.Events.OfType<IkeEvent.MessageTraced>().Should().Contain(t => t.Sent && t.Payloads.Contains("StateNotFound"));
        pair.Responder.State.Should().Be(IkeSessionState.Established);
    }

    [Fact]
    public void The_IKE_AUTH_CHILD_SA_ignores_additional_key_exchanges_and_a_rekey_needs_them_on_both_sides()
    {
        ProposalSyntax.TryParse("aes256gcm16-x25519-ke1_mlkem768", true, out var pq, out _).Should().BeTrue();
        ProposalSyntax.TryParse("aes256gcm16-x25519", true, out var classical, out _).Should().BeTrue();
        using var pair = new IkeTestPair(
            IkeTestPair.InitiatorOptions(configure: b => b.Esp = pq),
            IkeTestPair.ResponderOptions(configure: b => b.Esp = classical));
        pair.Connect();
        pair.Run();
        // IKE_AUTH: no key exchange for the first CHILD SA, so the ADDKE transforms do not stand in the way.
        pair.Initiator.State.Should().Be(IkeSessionState.Established, string.Join("\n", pair.InitiatorEvents));
        var old = pair.Initiator.ChildSas.Single();

        // A rekey needs ML-KEM, which the responder does not offer: NO_PROPOSAL_CHOSEN, and the old CHILD SA stays.
        pair.Absorb(pair.Initiator.RekeyChildSa(old.InboundSpi), true);
        pair.Run();
        pair.ResponderTrace.Should().Contain(t => t.Sent && t.Exchange == ExchangeType.CreateChildSa && t.Payloads.Contains("NoProposalChosen"));
        pair.Initiator.ChildSas.Should().ContainSingle().Which.InboundSpi.Should().Be(old.InboundSpi);
        pair.Initiator.State.Should().Be(IkeSessionState.Established);
    }

    [Fact]
    public void A_malformed_ML_KEM_encapsulation_key_is_answered_INVALID_SYNTAX_and_both_sides_fail_with_typed_errors()
    {
        const string hybrid = "aes256gcm16-prfsha384-x25519-ke1_mlkem768";
        using var pair = Pair(hybrid, hybrid);
        pair.Connect();
        pair.StepToResponder();
        pair.StepToInitiator();
        pair.ToResponder.Dequeue(); // the real IKE_INTERMEDIATE request is replaced by one with a short encapsulation key
        var forged = pair.Initiator.EncodeProtectedRequestForTests(ExchangeType.IkeIntermediate, 1, [new KePayload(KeGroup.MlKem768, new byte[1183])]);
        pair.DeliverToResponder(new OutgoingDatagram(forged, IkeTestPair.ResponderNatT, true));
        pair.Run();

        pair.Responder.State.Should().Be(IkeSessionState.Failed);
        pair.Responder.Error!.Kind.Should().Be(IkeErrorKind.InvalidMessage);
        pair.Responder.Error.Message.Should().Contain("ML-KEM-768").And.Contain("1184 bytes");
        pair.ResponderTrace.Should().Contain(t => t.Sent && t.Exchange == ExchangeType.IkeIntermediate && t.Payloads.Contains("InvalidSyntax"));
        pair.Initiator.State.Should().Be(IkeSessionState.Failed);
        pair.Initiator.Error!.NotifyType.Should().Be(NotifyType.InvalidSyntax);
    }

    [Fact]
    public void ML_KEM_alone_in_IKE_SA_INIT_works_in_both_roles()
    {
        // draft-ietf-ipsecme-ikev2-mlkem allows ML-KEM as the key exchange of IKE_SA_INIT: the responder answers the
        // encapsulation key with the ciphertext in its KE payload.
        using var pair = Pair("aes256gcm16-prfsha256-mlkem768", "aes256gcm16-prfsha256-mlkem768");
        pair.Connect();
        pair.Run();
        pair.Initiator.State.Should().Be(IkeSessionState.Established, string.Join("\n", pair.InitiatorEvents));
        pair.Initiator.Algorithms!.Group.Should().Be(KeGroup.MlKem768);
        pair.InitiatorTrace.Where(t => t.Sent).Select(t => t.Exchange).Should().Equal(ExchangeType.IkeSaInit, ExchangeType.IkeAuth);
        pair.ResponderTrace.First(t => t.Sent).Bytes.Should().BeGreaterThan(1088, "the ciphertext travels in the IKE_SA_INIT response");
    }
}
