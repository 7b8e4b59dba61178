using System.Text.Json;
using FluentAssertions;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;
using Xunit;

namespace Ikev2Client.Tests.Wire;

/// <summary>
/// Real IKE_SA_INIT, IKE_AUTH (plain and fragmented) and INFORMATIONAL exchanges captured from strongSwan 5.9.8
/// (Fixtures/strongswan, made by Interop/scripts/capture-strongswan.sh with charon's `ike 4` key log).
/// </summary>
public sealed class StrongSwanCaptureTests
{
    public static TheoryData<string> Scenarios => new() { "psk-gcm", "psk-cbc", "cert-fragmented" };

    private static string Dir(string scenario) => Path.Combine(CapturedMessages.Root, scenario);

    private static byte[] Msg(string scenario, string pattern) =>
        Convert.FromHexString(string.Concat(File.ReadAllText(Directory.GetFiles(Dir(scenario), pattern).Single()).Where(Uri.IsHexDigit)));

    private static JsonElement Keys(string scenario) => JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir(scenario), "keys.json"))).RootElement;

    private static byte[] Hex(JsonElement e, string name) => Convert.FromHexString(e.GetProperty(name).GetString()!);

    [Fact]
    public void The_captures_are_present()
    {
        foreach (var s in new[] { "psk-gcm", "psk-cbc", "cert-fragmented" })
            Directory.GetFiles(Dir(s), "msg-*.hex").Should().HaveCountGreaterThanOrEqualTo(6, s);
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Every_captured_message_decodes_and_reencodes_byte_for_byte(string scenario)
    {
        foreach (var file in Directory.GetFiles(Dir(scenario), "msg-*.hex"))
        {
            var bytes = Convert.FromHexString(string.Concat(File.ReadAllText(file).Where(Uri.IsHexDigit)));
            IkeMessageCodec.TryDecode(bytes, out var m, out var err).Should().BeTrue($"{file}: {err}");
            PayloadRules.CheckOuter(m!).Should().BeNull(file);
            IkeMessageCodec.Encode(m!).Should().Equal(bytes, $"{file} must re-encode byte for byte");
        }
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Key_derivation_matches_strongswan(string scenario)
    {
        var k = Keys(scenario);
        IkeMessageCodec.TryDecode(Msg(scenario, "msg-01-*"), out var init, out _).Should().BeTrue();
        IkeMessageCodec.TryDecode(Msg(scenario, "msg-02-*"), out var resp, out _).Should().BeTrue();
        var chosen = resp!.Get<SaPayload>()!.Proposals.Single();
        CryptoRegistry.TryGetPrf((PrfId)chosen.OfType(TransformType.Prf).Single().Id, out var prf).Should().BeTrue();
        var encrT = chosen.OfType(TransformType.Encryption).Single();
        CryptoRegistry.TryGetEncryption((EncrId)encrT.Id, encrT.KeyLength, out var encr).Should().BeTrue();
        IIkeIntegrity? integ = null;
        if (chosen.OfType(TransformType.Integrity).FirstOrDefault() is { } it) CryptoRegistry.TryGetIntegrity((IntegId)it.Id, out integ);

        var ni = init!.Get<NoncePayload>()!.Data;
        var nr = resp.Get<NoncePayload>()!.Data;
        var skeyseed = KeyDerivation.ComputeSkeyseed(prf!, ni, nr, Hex(k, "gir"));
        skeyseed.Should().Equal(Hex(k, "skeyseed"));
        var keys = KeyDerivation.DeriveIkeSaKeys(prf!, encr!, integ, skeyseed, ni, nr, init.SpiI, resp.SpiR);
        keys.SkD.Should().Equal(Hex(k, "skD"));
        keys.SkEi.Should().Equal(Hex(k, "skEi"));
        keys.SkEr.Should().Equal(Hex(k, "skEr"));
        keys.SkAi.Should().Equal(Hex(k, "skAi"));
        keys.SkAr.Should().Equal(Hex(k, "skAr"));
        keys.SkPi.Should().Equal(Hex(k, "skPi"));
        keys.SkPr.Should().Equal(Hex(k, "skPr"));

        var child = k.GetProperty("child");
        var ei = Hex(child, "encrInitiator");
        var ai = Hex(child, "integInitiator");
        var childKeys = KeyDerivation.DeriveChildSaKeys(prf!, keys.SkD, ReadOnlySpan<byte>.Empty, ni, nr, ei.Length, ai.Length);
        childKeys.EncrKeyI.Should().Equal(ei);
        childKeys.EncrKeyR.Should().Equal(Hex(child, "encrResponder"));
        childKeys.IntegKeyI.Should().Equal(ai);
        childKeys.IntegKeyR.Should().Equal(Hex(child, "integResponder"));
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Ike_auth_decrypts_and_the_inner_payloads_reencode_to_the_plaintext(string scenario)
    {
        var k = Keys(scenario);
        IkeMessageCodec.TryDecode(Msg(scenario, "msg-02-*"), out var resp, out _);
        var chosen = resp!.Get<SaPayload>()!.Proposals.Single();
        var encrT = chosen.OfType(TransformType.Encryption).Single();
        CryptoRegistry.TryGetEncryption((EncrId)encrT.Id, encrT.KeyLength, out var encr);
        IIkeIntegrity? integ = null;
        if (chosen.OfType(TransformType.Integrity).FirstOrDefault() is { } it) CryptoRegistry.TryGetIntegrity((IntegId)it.Id, out integ);
        using var fromI = SkCipher.Create(encr!, integ, Hex(k, "skEi"), integ == null ? default : Hex(k, "skAi"));
        using var fromR = SkCipher.Create(encr!, integ, Hex(k, "skEr"), integ == null ? default : Hex(k, "skAr"));

        var request = Decrypt(scenario, "request", fromI);
        var response = Decrypt(scenario, "response", fromR);

        request.IdI.Should().NotBeNull();
        request.IdI!.DisplayValue.Should().Be("client.test");
        request.IdR!.DisplayValue.Should().Be("gw.test");
        request.Get<AuthPayload>().Should().NotBeNull();
        request.Get<SaPayload>()!.Proposals.Single().ProtocolId.Should().Be(ProtocolId.Esp);
        request.TsI.Should().NotBeNull();
        request.Get<ConfigPayload>()!.ConfigType.Should().Be(ConfigType.Request);
        PayloadRules.Check(request).Should().BeNull();

        response.IdR!.DisplayValue.Should().Be("gw.test");
        response.Get<AuthPayload>().Should().NotBeNull();
        response.TsI!.Selectors.Single().StartAddress.ToString().Should().Be("10.3.0.1");
        response.TsR!.Selectors.Single().ToString().Should().Be("10.1.0.0-10.1.0.255");
        var cp = response.Get<ConfigPayload>()!;
        cp.ConfigType.Should().Be(ConfigType.Reply);
        cp.Attributes.Single(a => a.Type == ConfigAttributeType.InternalIp4Address).AsAddress()!.ToString().Should().Be("10.3.0.1");
        cp.Attributes.Single(a => a.Type == ConfigAttributeType.InternalIp4Dns).AsAddress()!.ToString().Should().Be("10.1.0.53");
        PayloadRules.Check(response).Should().BeNull();
        if (scenario == "cert-fragmented") response.All<CertPayload>().Should().HaveCountGreaterThanOrEqualTo(1);
    }

    private static IkeMessage Decrypt(string scenario, string direction, SkCipher sk)
    {
        var files = Directory.GetFiles(Dir(scenario), $"msg-*-IKE_AUTH-{direction}*.hex").OrderBy(f => f, StringComparer.Ordinal).ToList();
        files.Should().NotBeEmpty();
        var reassembler = new FragmentReassembler();
        foreach (var file in files)
        {
            var bytes = Convert.FromHexString(string.Concat(File.ReadAllText(file).Where(Uri.IsHexDigit)));
            IkeMessageCodec.TryDecode(bytes, out var outer, out var err).Should().BeTrue(err?.ToString());
            if (outer!.Payloads[^1] is EncryptedPayload sk1)
            {
                IkeMessageCodec.TryDecrypt(bytes, outer, sk, out var inner, out err).Should().BeTrue(err?.ToString());
                sk.TryOpen(bytes, bytes.Length - sk1.Body.Length, out var plain).Should().BeTrue();
                var chain = new byte[PayloadChain.GetLength(inner!.Payloads)];
                PayloadChain.Write(inner.Payloads, chain);
                chain.Should().Equal(plain, "decrypted payloads re-encode byte for byte");
                return inner;
            }
            IkeMessageCodec.TryDecryptFragment(bytes, outer, sk, out var skf, out var part, out err).Should().BeTrue(err?.ToString());
            var status = reassembler.Add(outer.Header, skf!, part!, out var whole, out var first, out _);
            if (status == FragmentReassembler.Status.Complete)
            {
                IkeMessageCodec.TryParseInner(outer.Header, first, whole!, Array.Empty<Payload>(), out var inner, out err).Should().BeTrue(err?.ToString());
                var chain = new byte[PayloadChain.GetLength(inner!.Payloads)];
                PayloadChain.Write(inner.Payloads, chain);
                chain.Should().Equal(whole, "reassembled payloads re-encode byte for byte");
                return inner;
            }
        }
        throw new Xunit.Sdk.XunitException($"{scenario} {direction}: fragments never completed");
    }
}
