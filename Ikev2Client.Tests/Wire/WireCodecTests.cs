using System.Net;
using FluentAssertions;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;
using Xunit;

namespace Ikev2Client.Tests.Wire;

public sealed class WireCodecTests
{
    [Fact]
    public void IkeSaInit_round_trips_byte_for_byte_and_keeps_every_field()
    {
        var bytes = IkeMessageCodec.Encode(SampleMessages.IkeSaInitRequest());
        IkeMessageCodec.TryDecode(bytes, out var m, out var err).Should().BeTrue(err?.ToString());
        IkeMessageCodec.Encode(m!).Should().Equal(bytes);

        m!.Header.SpiI.Should().Be(0x1122334455667788);
        m.Header.Length.Should().Be((uint)bytes.Length);
        var sa = m.Get<SaPayload>()!;
        sa.Proposals.Should().HaveCount(2);
        sa.Proposals[0].Transforms[0].Id.Should().Be((ushort)EncrId.AesGcm16);
        sa.Proposals[0].Transforms[0].KeyLength.Should().Be(256);
        sa.Proposals[1].OfType(TransformType.Integrity).Single().Id.Should().Be((ushort)IntegId.HmacSha2_256_128);
        m.Get<KePayload>()!.Group.Should().Be(KeGroup.Curve25519);
        m.Get<NoncePayload>()!.Data.Should().HaveCount(32);
        m.Notify(NotifyType.SignatureHashAlgorithms)!.GetHashAlgorithms().Should().Equal((ushort)2, (ushort)3, (ushort)4);
        m.Notify(NotifyType.NatDetectionDestinationIp)!.Data.Should().AllBeEquivalentTo((byte)7);
        PayloadRules.Check(m).Should().BeNull();
    }

    [Fact]
    public void Hand_assembled_ke_payload_decodes_to_its_fields()
    {
        // IKE header (28) + KE payload: next=0, flags=0, length=4+4+4, group 31, reserved, data 01020304
        var bytes = Convert.FromHexString(
            "0102030405060708" + "0000000000000000" + "22" + "20" + "22" + "08" + "00000000" + "00000028" +
            "00" + "00" + "000c" + "001f" + "0000" + "01020304");
        IkeMessageCodec.TryDecode(bytes, out var m, out var err).Should().BeTrue(err?.ToString());
        var ke = m!.Get<KePayload>()!;
        ke.Group.Should().Be(KeGroup.Curve25519);
        ke.Data.Should().Equal(1, 2, 3, 4);
        m.Header.ExchangeType.Should().Be(ExchangeType.IkeSaInit);
        m.Header.IsInitiator.Should().BeTrue();
        IkeMessageCodec.Encode(m).Should().Equal(bytes);
    }

    [Fact]
    public void Encrypted_ike_auth_round_trips_through_sk()
    {
        var msg = SampleMessages.IkeAuthRequest();
        var protector = new TestProtector();
        var bytes = IkeMessageCodec.EncodeEncrypted(msg, protector, new SeededRandom(1));

        IkeMessageCodec.TryDecode(bytes, out var outer, out var err).Should().BeTrue(err?.ToString());
        PayloadRules.CheckOuter(outer!).Should().BeNull();
        outer!.Payloads.Should().ContainSingle().Which.Should().BeOfType<EncryptedPayload>();
        IkeMessageCodec.Encode(outer).Should().Equal(bytes, "the outer message re-encodes byte for byte");

        IkeMessageCodec.TryDecrypt(bytes, outer, protector, out var inner, out err).Should().BeTrue(err?.ToString());
        PayloadRules.Check(inner!).Should().BeNull();
        inner!.Payloads.Select(p => p.Type).Should().Equal(msg.Payloads.Select(p => p.Type));
        inner.IdI!.DisplayValue.Should().Be("carol@example.org");
        inner.IdR!.DisplayValue.Should().Be("vpn.example.org");
        inner.TsI!.Selectors.Should().HaveCount(2);
        inner.TsR!.Selectors.Single().Should().Be(new TrafficSelector(TrafficSelectorType.Ipv4AddrRange, 6, 443, 443, IPAddress.Parse("10.1.0.0"), IPAddress.Parse("10.1.255.255")));
        var cp = inner.Get<ConfigPayload>()!;
        cp.Attributes.Select(a => a.Type).Should().Contain(ConfigAttributeType.InternalIp6Dns);
        cp.Attributes.Last().PrefixLength.Should().Be(16);
        inner.Get<EapPayload>()!.EapType.Should().Be(1);
        inner.Notify(NotifyType.RekeySa)!.SpiValue.Should().Be(0x01020304);
        inner.Get<CertReqPayload>()!.KeyHashes.Should().HaveCount(2);

        // The inner payloads re-encode to the same plaintext chain.
        IkeMessageCodec.Encode(inner).AsSpan(IkeHeader.Size).ToArray().Should().Equal(IkeMessageCodec.Encode(msg).AsSpan(IkeHeader.Size).ToArray());
    }

    [Fact]
    public void Tampered_sk_payload_is_an_integrity_failure()
    {
        var protector = new TestProtector();
        var bytes = IkeMessageCodec.EncodeEncrypted(SampleMessages.IkeAuthRequest(), protector, new SeededRandom(2));
        bytes[60] ^= 1;
        IkeMessageCodec.TryDecode(bytes, out var outer, out _).Should().BeTrue();
        IkeMessageCodec.TryDecrypt(bytes, outer!, protector, out _, out var err).Should().BeFalse();
        err!.Code.Should().Be(IkeParseErrorCode.IntegrityCheckFailed);
        err.SuggestedNotify.Should().BeNull("unauthenticated messages are dropped silently");
    }

    [Fact]
    public void Delete_payloads_round_trip()
    {
        var bytes = IkeMessageCodec.Encode(SampleMessages.InformationalDelete());
        IkeMessageCodec.TryDecode(bytes, out var m, out var err).Should().BeTrue(err?.ToString());
        var deletes = m!.All<DeletePayload>().ToList();
        deletes[0].SpiValues.Should().Equal(0xc1000001u, 0xc1000002u);
        deletes[1].ProtocolId.Should().Be(ProtocolId.Ike);
        IkeMessageCodec.Encode(m).Should().Equal(bytes);
    }

    [Fact]
    public void Unknown_critical_payload_yields_unsupported_critical_payload()
    {
        var bytes = HeaderWith(0x80, payloadType: 200);
        IkeMessageCodec.TryDecode(bytes, out _, out var err).Should().BeFalse();
        err!.Code.Should().Be(IkeParseErrorCode.UnsupportedCriticalPayload);
        err.UnsupportedPayloadType.Should().Be(200);
        err.SuggestedNotify.Should().Be(NotifyType.UnsupportedCriticalPayload);
    }

    [Fact]
    public void Unknown_non_critical_payload_is_skipped_and_kept()
    {
        var bytes = HeaderWith(0x00, payloadType: 200);
        IkeMessageCodec.TryDecode(bytes, out var m, out var err).Should().BeTrue(err?.ToString());
        m!.Payloads.Single().Should().BeOfType<UnknownPayload>().Which.Body.Should().Equal(0xDE, 0xAD);
        IkeMessageCodec.Encode(m).Should().Equal(bytes);
    }

    private static byte[] HeaderWith(byte flags, byte payloadType)
    {
        var hex = "0102030405060708" + "0000000000000000" + payloadType.ToString("x2") + "20" + "22" + "08" + "00000000" + "00000022" +
                  "00" + flags.ToString("x2") + "0006" + "dead";
        return Convert.FromHexString(hex);
    }

    [Fact]
    public void Wrong_major_version_is_typed()
    {
        var bytes = IkeMessageCodec.Encode(SampleMessages.IkeSaInitRequest());
        bytes[17] = 0x30;
        IkeMessageCodec.TryDecode(bytes, out _, out var err).Should().BeFalse();
        err!.Code.Should().Be(IkeParseErrorCode.InvalidMajorVersion);
        err.SuggestedNotify.Should().Be(NotifyType.InvalidMajorVersion);
    }

    [Fact]
    public void Every_truncation_of_a_valid_message_is_a_typed_error()
    {
        var bytes = IkeMessageCodec.Encode(SampleMessages.IkeSaInitRequest());
        for (int len = 0; len < bytes.Length; len++)
        {
            IkeMessageCodec.TryDecode(bytes.AsSpan(0, len), out var m, out var err).Should().BeFalse($"length {len}");
            m.Should().BeNull();
            err!.Code.Should().BeOneOf(IkeParseErrorCode.Truncated, IkeParseErrorCode.InvalidLength);
        }
    }

    [Fact]
    public void Nonce_outside_16_to_256_bytes_is_invalid_syntax()
    {
        var m = new IkeMessage(1, 0, ExchangeType.IkeSaInit, IkeHeaderFlags.Initiator, 0, new Payload[] { new NoncePayload(new byte[15]) });
        IkeMessageCodec.TryDecode(IkeMessageCodec.Encode(m), out _, out var err).Should().BeFalse();
        err!.Code.Should().Be(IkeParseErrorCode.InvalidSyntax);
        err.Payload.Should().Be(PayloadType.Nonce);
    }

    [Fact]
    public void Payload_rules_reject_missing_and_repeated_payloads_but_accept_error_responses()
    {
        var noKe = SampleMessages.IkeSaInitRequest();
        noKe.Payloads.RemoveAll(p => p is KePayload);
        PayloadRules.Check(noKe)!.Message.Should().Contain("KeyExchange");

        var twoSa = SampleMessages.IkeSaInitRequest();
        twoSa.Payloads.Add(twoSa.Get<SaPayload>()!);
        PayloadRules.Check(twoSa)!.Code.Should().Be(IkeParseErrorCode.PayloadRuleViolation);

        var error = new IkeMessage(1, 2, ExchangeType.IkeSaInit, IkeHeaderFlags.Response, 0, new Payload[] { new NotifyPayload(NotifyType.NoProposalChosen) });
        PayloadRules.Check(error).Should().BeNull();

        var authInInit = SampleMessages.IkeSaInitRequest();
        authInInit.Payloads.Add(new AuthPayload(IkeAuthMethod.SharedKeyMessageIntegrityCode, new byte[32]));
        PayloadRules.Check(authInInit)!.Payload.Should().Be(PayloadType.Authentication);

        var plainAuth = SampleMessages.IkeAuthRequest();
        PayloadRules.CheckOuter(plainAuth)!.Message.Should().Contain("SK");
    }

    [Fact]
    public void Invalid_ke_payload_notify_carries_the_group()
    {
        var n = new NotifyPayload(NotifyType.InvalidKePayload, new byte[] { 0, 19 });
        n.TryGetAcceptedGroup(out var g).Should().BeTrue();
        g.Should().Be(KeGroup.Ecp256);
        n.IsError.Should().BeTrue();
    }
}
