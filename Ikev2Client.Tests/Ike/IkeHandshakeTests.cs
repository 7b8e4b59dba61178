using System.Net;
using FluentAssertions;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Esp;
using Ikev2Client.Protocol.Ike;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;
using Xunit;


namespace Ikev2Client.Tests.Ike;

public sealed class IkeHandshakeTests
{
    private static IkeTestPair Establish(IkeTestPair pair)
    {
        pair.Connect();
        pair.Run();
        pair.Initiator.State.Should().Be(IkeSessionState.Established, string.Join("\n", pair.InitiatorEvents));
        pair.Responder.State.Should().Be(IkeSessionState.Established, string.Join("\n", pair.ResponderEvents));
        return pair;
    }

    [Fact]
    public void Full_handshake_with_defaults_establishes_matching_child_sas()
    {
        using var pair = Establish(new IkeTestPair(IkeTestPair.InitiatorOptions(), IkeTestPair.ResponderOptions()));

        // IKE_SA_INIT (X25519 guess accepted) + IKE_AUTH: exactly two requests from the initiator.
        pair.InitiatorTrace.Where(t => t.Sent).Select(t => t.Exchange).Should().Equal(ExchangeType.IkeSaInit, ExchangeType.IkeAuth);
        pair.Initiator.Algorithms!.Encryption.Id.Should().Be(EncrId.AesGcm16);
        pair.Initiator.Algorithms.Encryption.KeyBits.Should().Be(256);
        pair.Initiator.Algorithms.Group.Should().Be(KeGroup.Curve25519);

        var ci = pair.Initiator.ChildSas.Should().ContainSingle().Subject;
        var cr = pair.Responder.ChildSas.Should().ContainSingle().Subject;
        ci.InboundSpi.Should().Be(cr.OutboundSpi);
        ci.OutboundSpi.Should().Be(cr.InboundSpi);
        ci.Keys.OutboundEncryptionKey.Should().Equal(cr.Keys.InboundEncryptionKey);
        ci.Keys.InboundEncryptionKey.Should().Equal(cr.Keys.OutboundEncryptionKey);
        ci.Keys.OutboundEncryptionKey.Should().NotEqual(ci.Keys.InboundEncryptionKey);
        ci.Algorithms.Encryption.Id.Should().Be(EncrId.AesGcm16);
        ci.Mode.Should().Be(EspMode.Tunnel);

        // Forced encapsulation: the responder sees a NAT, both use UDP encapsulation, IKE_AUTH went to 4500.
        ci.UdpEncapsulation.Should().BeTrue();
        cr.UdpEncapsulation.Should().BeTrue();
        pair.InitiatorTrace.Single(t => t.Sent && t.Exchange == ExchangeType.IkeAuth).NonEspMarker.Should().BeTrue();
        pair.Initiator.RemoteEndPoint.Port.Should().Be(4500);

        // Virtual IP from the pool, DNS, subnets; TSi narrowed to the virtual IP.
        var config = pair.InitiatorEvents.OfType<IkeEvent.ConfigReceived>().Single().Configuration;
        config.VirtualAddresses.Should().ContainSingle().Which.Should().Be(IPNetwork.Parse("10.10.0.1/32"));
        config.DnsServers.Should().BeEquivalentTo(new[] { IPAddress.Parse("10.10.0.53"), IPAddress.Parse("fd00::53") });
        config.Subnets.Should().ContainSingle().Which.Should().Be(IPNetwork.Parse("192.168.50.0/24"));
        ci.LocalTrafficSelectors.Should().ContainSingle().Which.StartAddress.Should().Be(IPAddress.Parse("10.10.0.1"));
        ci.LocalTrafficSelectors[0].EndAddress.Should().Be(IPAddress.Parse("10.10.0.1"));
        cr.RemoteTrafficSelectors.Should().Equal(ci.LocalTrafficSelectors);

        var sa = pair.InitiatorEvents.OfType<IkeEvent.IkeSaEstablished>().Single().Sa;
        sa.RemoteIdentity.Should().Be(IkeIdentity.Parse("@gw.example.org"));
        sa.Fragmentation.Should().BeTrue();
        sa.PeerSupportsMobike.Should().BeTrue();
        pair.ResponderEvents.OfType<IkeEvent.IkeSaEstablished>().Single().Sa.RemoteIdentity.Should().Be(IkeIdentity.Parse("client@example.org"));
    }

    public static TheoryData<string, string> Proposals => new()
    {
        { "aes256gcm16-prfsha256-x25519", "aes256gcm16" },
        { "aes128gcm16-prfsha384-ecp256", "aes128gcm16" },
        { "aes256gcm16-prfsha512-ecp384", "aes256gcm16" },
        { "aes256-sha256-modp3072", "aes256-sha256" },
        { "aes128-sha384-modp2048", "aes128-sha384" },
        { "aes256-sha512-x25519", "aes256-sha512" },
    };

    [Theory]
    [MemberData(nameof(Proposals))]
    public void Each_default_proposal_is_negotiated(string ike, string esp)
    {
        var ikeSpec = ProposalSpec.Parse(ike);
        var espSpec = ProposalSpec.Parse(esp, esp: true);
        using var pair = Establish(new IkeTestPair(IkeTestPair.InitiatorOptions(),
            IkeTestPair.ResponderOptions(configure: b => { b.Ike = new[] { ikeSpec }; b.Esp = new[] { espSpec }; })));
        var a = pair.Initiator.Algorithms!;
        a.Encryption.Id.Should().Be(ikeSpec.Encryption[0].Id);
        a.Encryption.KeyBits.Should().Be(ikeSpec.Encryption[0].KeyBits);
        a.Prf.Should().Be(ikeSpec.Prfs[0]);
        a.Group.Should().Be(ikeSpec.KeGroups[0]);
        a.Integrity.Should().Be(ikeSpec.Integrity.FirstOrDefault());
        var child = pair.Initiator.ChildSas.Single();
        child.Algorithms.Encryption.Id.Should().Be(espSpec.Encryption[0].Id);
        child.Algorithms.Integrity.Should().Be(espSpec.Integrity.FirstOrDefault());
        child.Keys.OutboundIntegrityKey.Length.Should().Be(child.Algorithms.IntegrityKeyLength);
    }

    [Fact]
    public void Invalid_ke_payload_retries_with_the_group_the_responder_names()
    {
        using var pair = Establish(new IkeTestPair(IkeTestPair.InitiatorOptions(),
            IkeTestPair.ResponderOptions(configure: b => b.Ike = new[] { ProposalSpec.Parse("aes256gcm16-prfsha256-modp3072") })));
        var inits = pair.InitiatorTrace.Where(t => t.Exchange == ExchangeType.IkeSaInit).ToList();
        inits.Select(t => t.Sent).Should().Equal(true, false, true, false);
        inits[1].Payloads.Should().Be("N(InvalidKePayload)");
        inits[2].Payloads.Should().Contain("KE");
        pair.Initiator.Algorithms!.Group.Should().Be(KeGroup.Modp3072);
    }

    [Fact]
    public void Cookie_challenge_is_answered_with_the_cookie_first()
    {
        using var pair = Establish(new IkeTestPair(IkeTestPair.InitiatorOptions(), IkeTestPair.ResponderOptions(configure: b => b.RequireCookie = true)));
        var inits = pair.InitiatorTrace.Where(t => t.Exchange == ExchangeType.IkeSaInit).ToList();
        inits[1].Payloads.Should().Be("N(Cookie)");
        inits[2].Payloads.Should().StartWith("N(Cookie) SA KE No");
    }

    [Fact]
    public void No_proposal_chosen_is_a_typed_failure_on_both_sides()
    {
        using var pair = new IkeTestPair(IkeTestPair.InitiatorOptions(),
            IkeTestPair.ResponderOptions(configure: b => b.Ike = new[] { ProposalSpec.Parse("aes256-sha1-modp2048") }));
        pair.Connect();
        pair.Run();
        pair.Initiator.State.Should().Be(IkeSessionState.Failed);
        pair.Initiator.Error!.Kind.Should().Be(IkeErrorKind.NoProposalChosen);
        pair.Initiator.Error.NotifyType.Should().Be(NotifyType.NoProposalChosen);
        pair.Initiator.Error.Message.Should().Contain("NO_PROPOSAL_CHOSEN");
        pair.Responder.Error!.Kind.Should().Be(IkeErrorKind.NoProposalChosen);
        pair.InitiatorEvents.OfType<IkeEvent.Failed>().Should().ContainSingle();
    }

    [Fact]
    public void Wrong_psk_fails_with_authentication_failed_on_both_sides()
    {
        using var pair = new IkeTestPair(IkeTestPair.InitiatorOptions("wrong key"), IkeTestPair.ResponderOptions("right key"));
        pair.Connect();
        pair.Run();
        pair.Initiator.Error!.Kind.Should().Be(IkeErrorKind.AuthenticationFailed);
        pair.Initiator.Error.NotifyType.Should().Be(NotifyType.AuthenticationFailed);
        pair.Responder.Error!.Kind.Should().Be(IkeErrorKind.AuthenticationFailed);
        pair.Initiator.Error.Message.Should().NotContain("wrong key").And.NotContain("right key");
        pair.Responder.Error.Message.Should().NotContain("wrong key").And.NotContain("right key");
        pair.Initiator.ChildSas.Should().BeEmpty();
    }

    [Fact]
    public void Responder_identity_other_than_configured_is_an_identity_mismatch()
    {
        using var pair = new IkeTestPair(
            IkeTestPair.InitiatorOptions(configure: b => { b.Remote = IkeIdentity.Parse("@other.example.org"); b.SendRemoteIdentity = false; }),
            IkeTestPair.ResponderOptions());
        pair.Connect();
        pair.Run();
        pair.Initiator.Error!.Kind.Should().Be(IkeErrorKind.IdentityMismatch);
        pair.Initiator.Error.Message.Should().Contain("fqdn:gw.example.org").And.Contain("fqdn:other.example.org");
        // The initiator tells the responder, which then holds nothing.
        pair.ResponderEvents.OfType<IkeEvent.Deleted>().Should().ContainSingle().Which.ByPeer.Should().BeTrue();
        pair.Responder.ChildSas.Should().BeEmpty();
    }

    [Fact]
    public void Idr_that_the_responder_does_not_own_is_refused()
    {
        using var pair = new IkeTestPair(IkeTestPair.InitiatorOptions(configure: b => b.Remote = IkeIdentity.Parse("@other.example.org")),
            IkeTestPair.ResponderOptions());
        pair.Connect();
        pair.Run();
        pair.Initiator.Error!.Kind.Should().Be(IkeErrorKind.AuthenticationFailed);
        pair.Responder.Error!.Kind.Should().Be(IkeErrorKind.IdentityMismatch);
    }

    public static TheoryData<string> Identities => new()
    {
        "192.0.2.7", "2001:db8::7", "@client.example.org", "client@example.org", "keyid:0102030405", "CN=client, O=Example",
    };

    [Theory]
    [MemberData(nameof(Identities))]
    public void Every_identity_type_authenticates(string identity)
    {
        var id = IkeIdentity.Parse(identity);
        using var pair = Establish(new IkeTestPair(IkeTestPair.InitiatorOptions(configure: b => b.Local = id),
            IkeTestPair.ResponderOptions(configure: b => b.Remote = id)));
        pair.ResponderEvents.OfType<IkeEvent.IkeSaEstablished>().Single().Sa.RemoteIdentity.Should().Be(id);
    }

    [Fact]
    public void Transport_mode_is_negotiated_with_use_transport_mode()
    {
        using var pair = Establish(new IkeTestPair(IkeTestPair.InitiatorOptions(configure: b => b.Mode = EspMode.Transport), IkeTestPair.ResponderOptions()));
        pair.Initiator.ChildSas.Single().Mode.Should().Be(EspMode.Transport);
        pair.Responder.ChildSas.Single().Mode.Should().Be(EspMode.Transport);
    }

    [Fact]
    public void Large_ike_auth_is_fragmented_and_reassembled()
    {
        var many = Enumerable.Range(1, 60).Select(i => TrafficSelector.FromNetwork(IPNetwork.Parse($"172.16.{i}.0/24"))).ToArray();
        using var pair = Establish(new IkeTestPair(IkeTestPair.InitiatorOptions(configure: b => { b.MaxMessageSize = 400; b.LocalTs = many; }),
            IkeTestPair.ResponderOptions(configure: b => b.Pool = new IkeAddressPool(IPNetwork.Parse("172.16.5.0/24")))));
        var auth = pair.InitiatorTrace.Single(t => t.Sent && t.Exchange == ExchangeType.IkeAuth);
        auth.Fragments.Should().BeGreaterThan(2);
        pair.ToResponder.Should().BeEmpty();
        pair.Initiator.ChildSas.Single().LocalTrafficSelectors.Should().ContainSingle().Which.StartAddress.Should().Be(IPAddress.Parse("172.16.5.1"));
    }

    [Fact]
    public void Secrets_do_not_appear_in_to_string()
    {
        using var pair = Establish(new IkeTestPair(IkeTestPair.InitiatorOptions("hunter2-secret"), IkeTestPair.ResponderOptions("hunter2-secret")));
        var child = pair.Initiator.ChildSas.Single();
        var text = string.Join("\n", pair.InitiatorEvents.Concat(pair.ResponderEvents).Select(e => e.ToString())) + child + child.Keys;
        text.Should().NotContain("hunter2");
        text.Should().NotContain(Convert.ToHexString(child.Keys.OutboundEncryptionKey));
    }

    [Fact]
    public void Invalid_ke_payload_naming_a_group_we_did_not_offer_fails_clearly()
    {
        using var pair = new IkeTestPair(IkeTestPair.InitiatorOptions(configure: b => b.Ike = new[] { ProposalSpec.Parse("aes256gcm16-prfsha256-x25519") }),
            IkeTestPair.ResponderOptions());
        pair.Connect();
        pair.ToResponder.Clear();
        var forged = new IkeMessage(pair.Initiator.SpiI, 0, ExchangeType.IkeSaInit, IkeHeaderFlags.Response, 0);
        forged.Payloads.Add(new Protocol.Wire.Payloads.NotifyPayload(NotifyType.InvalidKePayload, new byte[] { 0, (byte)KeGroup.Ecp384 }));
        pair.DeliverToInitiator(new OutgoingDatagram(IkeMessageCodec.Encode(forged), IkeTestPair.InitiatorIke, false));
        pair.Initiator.Error!.Kind.Should().Be(IkeErrorKind.InvalidKeGroup);
        pair.Initiator.Error.Message.Should().Contain("ECP_384");
    }
}
