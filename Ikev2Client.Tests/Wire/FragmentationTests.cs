using FluentAssertions;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;
using Xunit;

namespace Ikev2Client.Tests.Wire;

public sealed class FragmentationTests
{
    private static IkeMessage BigAuth()
    {
        var m = SampleMessages.IkeAuthRequest();
        m.Payloads.Insert(1, new CertPayload(Ikev2Client.Protocol.Wire.CertEncoding.X509Signature, Enumerable.Range(0, 3000).Select(i => (byte)i).ToArray()));
        return m;
    }

    [Theory]
    [InlineData(576)]
    [InlineData(1280)]
    public void Fragments_fit_the_size_and_reassemble_in_any_order(int max)
    {
        var msg = BigAuth();
        var protector = new TestProtector();
        var fragments = IkeMessageCodec.EncodeFragmented(msg, protector, new SeededRandom(3), max);
        fragments.Should().HaveCountGreaterThan(1);
        fragments.Should().OnlyContain(f => f.Length <= max);

        var reassembler = new FragmentReassembler();
        var status = FragmentReassembler.Status.Pending;
        byte[]? plain = null;
        PayloadType first = PayloadType.None;
        IkeHeader header = default;
        foreach (var f in Enumerable.Reverse(fragments))
        {
            IkeMessageCodec.TryDecode(f, out var outer, out var err).Should().BeTrue(err?.ToString());
            PayloadRules.CheckOuter(outer!).Should().BeNull();
            IkeMessageCodec.TryDecryptFragment(f, outer!, protector, out var skf, out var part, out err).Should().BeTrue(err?.ToString());
            header = outer!.Header;
            status = reassembler.Add(header, skf!, part!, out plain, out first, out _);
            if (status == FragmentReassembler.Status.Complete) break;
            status.Should().Be(FragmentReassembler.Status.Pending);
            reassembler.Add(header, skf!, part!, out _, out _, out _).Should().Be(FragmentReassembler.Status.Ignored, "a duplicate fragment is ignored");
        }
        status.Should().Be(FragmentReassembler.Status.Complete);
        IkeMessageCodec.TryParseInner(header, first, plain, Array.Empty<Payload>(), out var inner, out var error).Should().BeTrue(error?.ToString());
        inner!.Payloads.Select(p => p.Type).Should().Equal(msg.Payloads.Select(p => p.Type));
        inner.Get<CertPayload>()!.Data.Should().HaveCount(3000);
    }

    [Fact]
    public void Tampered_fragment_fails_integrity()
    {
        var protector = new TestProtector();
        var f = IkeMessageCodec.EncodeFragmented(BigAuth(), protector, new SeededRandom(4), 600)[1];
        f[^1] ^= 0x80;
        IkeMessageCodec.TryDecode(f, out var outer, out _).Should().BeTrue();
        IkeMessageCodec.TryDecryptFragment(f, outer!, protector, out _, out _, out var err).Should().BeFalse();
        err!.Code.Should().Be(IkeParseErrorCode.IntegrityCheckFailed);
    }

    [Fact]
    public void Reassembly_limits_are_enforced()
    {
        var r = new FragmentReassembler(maxFragments: 4, maxBytes: 100);
        var header = new IkeHeader { MessageId = 1 };
        r.Add(header, new EncryptedFragmentPayload { FragmentNumber = 1, TotalFragments = 5 }, new byte[10], out _, out _, out var reason)
            .Should().Be(FragmentReassembler.Status.Rejected);
        reason.Should().Contain("limit");
        r.Add(header, new EncryptedFragmentPayload { FragmentNumber = 1, TotalFragments = 3 }, new byte[60], out _, out _, out _)
            .Should().Be(FragmentReassembler.Status.Pending);
        r.Add(header, new EncryptedFragmentPayload { FragmentNumber = 2, TotalFragments = 3 }, new byte[60], out _, out _, out reason)
            .Should().Be(FragmentReassembler.Status.Rejected);
        reason.Should().Contain("100 bytes");
    }

    [Fact]
    public void A_larger_total_restarts_reassembly_and_a_smaller_one_is_ignored()
    {
        var r = new FragmentReassembler();
        var header = new IkeHeader { MessageId = 7 };
        r.Add(header, new EncryptedFragmentPayload { FragmentNumber = 1, TotalFragments = 2, FirstInnerPayload = PayloadType.IdInitiator }, new byte[] { 1 }, out _, out _, out _)
            .Should().Be(FragmentReassembler.Status.Pending);
        r.Add(header, new EncryptedFragmentPayload { FragmentNumber = 1, TotalFragments = 3, FirstInnerPayload = PayloadType.IdInitiator }, new byte[] { 1 }, out _, out _, out _)
            .Should().Be(FragmentReassembler.Status.Pending);
        r.Add(header, new EncryptedFragmentPayload { FragmentNumber = 2, TotalFragments = 2 }, new byte[] { 2 }, out _, out _, out _)
            .Should().Be(FragmentReassembler.Status.Ignored);
        r.Add(header, new EncryptedFragmentPayload { FragmentNumber = 2, TotalFragments = 3 }, new byte[] { 2 }, out _, out _, out _)
            .Should().Be(FragmentReassembler.Status.Pending);
        r.Add(header, new EncryptedFragmentPayload { FragmentNumber = 3, TotalFragments = 3 }, new byte[] { 3 }, out var plain, out var first, out _)
            .Should().Be(FragmentReassembler.Status.Complete);
        plain.Should().Equal(1, 2, 3);
        first.Should().Be(PayloadType.IdInitiator);
    }
}
