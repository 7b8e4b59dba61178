using System.Net;
using FluentAssertions;
using Ikev2Client.Protocol;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Ike;
using Ikev2Client.Protocol.Traffic;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;
using Xunit;

namespace Ikev2Client.Tests.Ike;

/// <summary>
/// An IKE SA is never left without the CHILD SA it exists for: a CHILD SA the gateway creates with CREATE_CHILD_SA
/// { SA, Ni, [KEi], TSi, TSr } is accepted (strongSwan re-creates one this way after deleting an expired CHILD SA), and
/// when the last CHILD SA is gone the client creates one itself (RFC 7296 §1.3.1), or ends the session so it reconnects.
/// Stepped message by message on a fake clock.
/// </summary>
public sealed class IkeChildSaContinuityTests
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

    private static void Fire(IkeTestPair pair, bool initiator, IkeTimer timer) =>
        pair.Absorb((initiator ? pair.Initiator : pair.Responder).HandleTimer(timer), initiator);

    private static DateTimeOffset? LastDue(List<ArmedTimer> timers, IkeTimer timer) => timers.Where(t => t.Timer == timer).Select(t => t.DueAt).LastOrDefault();

    private static void AssertPaired(ChildSaInfo initiator, ChildSaInfo responder)
    {
        initiator.InboundSpi.Should().Be(responder.OutboundSpi);
        initiator.OutboundSpi.Should().Be(responder.InboundSpi);
        initiator.Keys.OutboundEncryptionKey.Should().Equal(responder.Keys.InboundEncryptionKey);
        initiator.Keys.InboundEncryptionKey.Should().Equal(responder.Keys.OutboundEncryptionKey);
        initiator.Keys.OutboundIntegrityKey.Should().Equal(responder.Keys.InboundIntegrityKey);
    }

    /// <summary>The responder (playing the gateway) deletes its CHILD SA: INFORMATIONAL { D(ESP, spi) }.</summary>
    private static void GatewayDeletesChild(IkeTestPair pair)
    {
        var spi = pair.Responder.ChildSas.Single().InboundSpi;
        pair.Absorb(pair.Responder.DeleteChildSa(spi), fromInitiator: false);
        pair.Run();
        pair.Initiator.ChildSas.Should().BeEmpty();
        pair.Responder.ChildSas.Should().BeEmpty();
    }

    [Fact]
    public void Gateway_created_child_sa_is_accepted_for_our_virtual_ip_and_installed()
    {
        using var pair = Established();
        var first = pair.Initiator.ChildSas.Single();
        // CREATE_CHILD_SA { SA, Ni, TSi, TSr } --> from the gateway (the exchange initiator is the IKE responder)
        pair.Absorb(pair.Responder.CreateChildSa(), fromInitiator: false);
        pair.StepToInitiator();
        pair.InitiatorTrace.Last().Should().Match<IkeEvent.MessageTraced>(t => t.Sent && t.IsResponse && t.Exchange == ExchangeType.CreateChildSa);
        pair.InitiatorTrace.Last().Payloads.Should().Contain("SA").And.NotContain("N(NoAdditionalSas)");
        // <-- { SA, Nr, TSi, TSr }
        pair.StepToResponder();

        var created = pair.InitiatorEvents.OfType<IkeEvent.ChildSaEstablished>().Last().ChildSa;
        created.Should().NotBe(first);
        pair.Initiator.ChildSas.Should().HaveCount(2);
        var mirror = pair.Responder.ChildSas.Single(c => c.InboundSpi == created.OutboundSpi);
        AssertPaired(created, mirror);
        created.LocalTrafficSelectors.Should().BeEquivalentTo(first.LocalTrafficSelectors, "our side is narrowed to the virtual IP");
        created.RemoteTrafficSelectors.Should().BeEquivalentTo(first.RemoteTrafficSelectors);
        created.Keys.OutboundEncryptionKey.Should().NotEqual(first.Keys.OutboundEncryptionKey, "new nonces, new keys");
    }

    [Fact]
    public void Gateway_child_sa_for_selectors_outside_ours_is_refused_with_ts_unacceptable()
    {
        using var pair = Established(i => i.LocalTs = new[] { TrafficSelector.Any(System.Net.Sockets.AddressFamily.InterNetwork) });
        // The gateway asks for a CHILD SA covering only an IPv6 address on our side: we hold only IPv4 (the virtual IP).
        var v6 = TrafficSelector.FromNetwork(IPNetwork.Parse("fd99::1/128"));
        var request = pair.Responder.EncodeProtectedRequestForTests(ExchangeType.CreateChildSa, pair.Responder.NextMessageIdForTests, new Payload[]
        {
            new SaPayload(new[] { ProposalSpec.DefaultEsp[0].ToWire(1, ProtocolId.Esp, new byte[] { 1, 2, 3, 4 }) }),
            new NoncePayload(new byte[32]),
            new TsPayload(true, new[] { TrafficSelector.Any(System.Net.Sockets.AddressFamily.InterNetworkV6) }),
            new TsPayload(false, new[] { v6 }),
        });
        pair.DeliverToInitiator(new OutgoingDatagram(request, IkeTestPair.InitiatorNatT, true));
        pair.InitiatorTrace.Last().Payloads.Should().Contain("N(TsUnacceptable)");
        pair.Initiator.ChildSas.Should().ContainSingle();
        pair.Initiator.State.Should().Be(IkeSessionState.Established);
    }

    [Fact]
    public void Last_child_sa_deleted_by_the_gateway_is_created_again_after_the_grace_delay()
    {
        using var pair = Established();
        var template = pair.Initiator.ChildSas.Single();
        GatewayDeletesChild(pair);
        LastDue(pair.InitiatorTimers, IkeTimer.Lifetime).Should().Be(pair.Clock.GetUtcNow() + TimeSpan.FromSeconds(1),
            "the client waits a moment for the gateway to create one itself");
        pair.ToResponder.Should().BeEmpty();

        pair.Clock.Advance(TimeSpan.FromSeconds(1));
        Fire(pair, true, IkeTimer.Lifetime);
        // CREATE_CHILD_SA { SA, Ni, TSi, TSr } --> without N(REKEY_SA)
        pair.ToResponder.Should().ContainSingle();
        pair.Run();
        pair.InitiatorTrace.First(t => t.Sent && t.Exchange == ExchangeType.CreateChildSa).Payloads.Should().NotContain("RekeySa");
        var created = pair.InitiatorEvents.OfType<IkeEvent.ChildSaEstablished>().Last().ChildSa;
        created.LocalTrafficSelectors.Should().BeEquivalentTo(template.LocalTrafficSelectors, "TSi asks for our virtual IP");
        created.RemoteTrafficSelectors.Should().BeEquivalentTo(template.RemoteTrafficSelectors);
        AssertPaired(pair.Initiator.ChildSas.Single(), pair.Responder.ChildSas.Single());
        pair.Initiator.State.Should().Be(IkeSessionState.Established);
    }

    [Fact]
    public void A_child_sa_the_gateway_creates_within_the_grace_delay_cancels_ours()
    {
        using var pair = Established();
        GatewayDeletesChild(pair);
        pair.Absorb(pair.Responder.CreateChildSa(), fromInitiator: false); // the gateway re-creates it at once
        pair.Run();
        pair.Initiator.ChildSas.Should().ContainSingle();
        LastDue(pair.InitiatorTimers, IkeTimer.Lifetime).Should().NotBe(pair.Clock.GetUtcNow() + TimeSpan.FromSeconds(1));

        pair.Clock.Advance(TimeSpan.FromSeconds(1));
        Fire(pair, true, IkeTimer.Lifetime);
        pair.Run();
        pair.InitiatorTrace.Where(t => t.Sent && !t.IsResponse && t.Exchange == ExchangeType.CreateChildSa).Should().BeEmpty("no duplicate CHILD SA");
        AssertPaired(pair.Initiator.ChildSas.Single(), pair.Responder.ChildSas.Single());
    }

    [Fact]
    public void Gateway_refusing_a_new_child_sa_ends_the_session_with_a_recoverable_error()
    {
        // A peer that takes no new CHILD SAs (NO_ADDITIONAL_SAS) after deleting the only one: reconnecting is the way out.
        var responder = IkeTestPair.ResponderOptions();
        responder = CopyWith(responder, acceptPeerChildSas: false);
        using var pair = new IkeTestPair(IkeTestPair.InitiatorOptions(), responder);
        pair.Connect();
        pair.Run();
        GatewayDeletesChild(pair);
        pair.Clock.Advance(TimeSpan.FromSeconds(1));
        Fire(pair, true, IkeTimer.Lifetime);
        pair.Run();
        pair.Initiator.State.Should().Be(IkeSessionState.Failed);
        var failed = pair.InitiatorEvents.OfType<IkeEvent.Failed>().Single().Error;
        failed.Recoverable.Should().BeTrue();
        failed.NotifyType.Should().Be(NotifyType.NoAdditionalSas);
        failed.Message.Should().Contain("NO_ADDITIONAL_SAS");
        pair.Responder.State.Should().Be(IkeSessionState.Closed, "the client deleted the useless IKE SA");
    }

    [Fact]
    public void Temporary_failure_on_a_new_child_sa_is_retried()
    {
        using var pair = Established();
        GatewayDeletesChild(pair);
        // The gateway starts an IKE SA rekey just as our CREATE_CHILD_SA goes out: it answers ours with
        // TEMPORARY_FAILURE (RFC 7296 §2.25) and we try again a little later, on the new IKE SA.
        pair.Absorb(pair.Responder.RekeyIkeSa(), fromInitiator: false);
        var gatewayRekey = pair.ToInitiator.Dequeue();
        pair.Clock.Advance(TimeSpan.FromSeconds(1));
        Fire(pair, true, IkeTimer.Lifetime);
        pair.StepToResponder();
        pair.StepToInitiator();
        pair.InitiatorTrace.Last(t => !t.Sent).Payloads.Should().Contain("N(TemporaryFailure)");
        pair.Initiator.State.Should().Be(IkeSessionState.Established);
        pair.DeliverToInitiator(gatewayRekey);
        pair.Run();
        pair.Initiator.IkeSaRekeys.Should().Be(1);
        pair.Initiator.ChildSas.Should().BeEmpty();

        var start = pair.Clock.GetUtcNow();
        while (pair.Initiator.ChildSas.Count == 0 && LastDue(pair.InitiatorTimers, IkeTimer.Lifetime) is { } due && due <= start + TimeSpan.FromSeconds(10))
        {
            pair.Clock.SetUtcNow(due);
            Fire(pair, true, IkeTimer.Lifetime);
            pair.Run();
        }
        pair.Clock.GetUtcNow().Should().BeAfter(start, "the retry waits a moment");
        AssertPaired(pair.Initiator.ChildSas.Single(), pair.Responder.ChildSas.Single());
    }

    [Fact]
    public void Child_sa_with_pfs_follows_the_group_the_gateway_asks_for()
    {
        // We offer x25519 first and ecp256 second for PFS; the gateway accepts only ecp256 and says so with
        // INVALID_KE_PAYLOAD: the CREATE_CHILD_SA is sent again with a KE payload of that group (RFC 7296 §1.3).
        var ours = new[] { ProposalSpec.Parse("aes256gcm16-x25519-ecp256", esp: true) };
        var theirs = new[] { ProposalSpec.Parse("aes256gcm16-ecp256", esp: true) };
        using var pair = Established(i => i.Esp = ours, r => r.Esp = theirs);
        GatewayDeletesChild(pair);
        pair.Clock.Advance(TimeSpan.FromSeconds(1));
        Fire(pair, true, IkeTimer.Lifetime);
        pair.Run();
        var sent = pair.InitiatorTrace.Where(t => t.Sent && !t.IsResponse && t.Exchange == ExchangeType.CreateChildSa).ToList();
        sent.Should().HaveCount(2);
        sent[1].MessageId.Should().Be(sent[0].MessageId + 1, "the retry is a new exchange");
        pair.InitiatorTrace.Any(t => !t.Sent && t.Payloads.Contains("N(InvalidKePayload)")).Should().BeTrue();
        pair.Initiator.ChildSas.Should().ContainSingle();
        AssertPaired(pair.Initiator.ChildSas.Single(), pair.Responder.ChildSas.Single());
    }

    [Fact]
    public void Recreate_delay_null_leaves_the_ike_sa_without_child_sa()
    {
        using var pair = Established(i => i.ChildRecreateDelay = null);
        GatewayDeletesChild(pair);
        pair.Clock.Advance(TimeSpan.FromSeconds(5));
        Fire(pair, true, IkeTimer.Lifetime);
        pair.Run();
        pair.Initiator.ChildSas.Should().BeEmpty();
        pair.InitiatorTrace.Where(t => t.Sent && t.Exchange == ExchangeType.CreateChildSa).Should().BeEmpty();
    }

    private static IkeSessionOptions CopyWith(IkeSessionOptions o, bool acceptPeerChildSas) => new()
    {
        Role = o.Role, LocalIdentity = o.LocalIdentity, RemoteIdentity = o.RemoteIdentity, Authenticator = o.Authenticator,
        IkeProposals = o.IkeProposals, EspProposals = o.EspProposals, LocalTrafficSelectors = o.LocalTrafficSelectors,
        Responder = o.Responder, AcceptPeerChildSas = acceptPeerChildSas, ChildLifetime = null, IkeLifetime = null,
    };
}
