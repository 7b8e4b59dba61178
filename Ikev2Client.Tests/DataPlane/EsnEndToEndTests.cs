using FluentAssertions;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Ike;
using Xunit;
using Xunit.Abstractions;

namespace Ikev2Client.Tests.DataPlane;

/// <summary>
/// Extended sequence numbers (RFC 4304, transform type 5 value 1) end to end between our initiator and the real
/// responder code (strongSwan's libipsec has no ESN, so this is C# to C#): negotiated when both offer it, then traffic
/// both ways across the 2^32 boundary of the sequence number (both outbound SAs moved just below it with the EspSa
/// test hook) — nothing lost, the receivers reconstruct the high 32 bits, and no rekey is needed.
/// </summary>
public sealed class EsnEndToEndTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(null, EsnId.Esn)]                       // both use the defaults, which offer ESN first
    [InlineData("aes128ctr-aescmac-esn", EsnId.Esn)]     // both name ESN
    [InlineData("aes256gcm16-esn-noesn", EsnId.Esn)]
    [InlineData("aes256gcm16", EsnId.NoEsn)]             // without the esn keyword a proposal means noesn
    public void Esn_is_negotiated_exactly_when_both_offer_it(string? esp, EsnId expected)
    {
        using var t = InProcessTunnel.Create(esp: esp);
        t.Start();
        t.Client.ChildSas.Single().Child.Algorithms.Esn.Should().Be(expected);
        t.Responder.ChildSas.Single().Child.Algorithms.Esn.Should().Be(expected);
        t.Client.ChildSas.Single().Outbound.Sa.ExtendedSequenceNumbers.Should().Be(expected == EsnId.Esn);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("aes128ctr-aesxcbc-esn")]
    [InlineData("aes192gcm8-esn")]
    [InlineData("aes256-sha1-esn")]
    public void TrafficCrossesTheSequenceHighWordBoundaryBothWays_with_esn_and_nothing_is_lost(string? esp)
    {
        using var t = InProcessTunnel.Create(esp: esp);
        t.Start();
        t.StartEcho();
        var ours = t.Client.ChildSas.Single();
        var theirs = t.Responder.ChildSas.Single();
        ours.Child.Algorithms.Esn.Should().Be(EsnId.Esn);
        const ulong start = (1UL << 32) - 150;
        ours.Outbound.Sa.SetLastSentSequence(start);
        theirs.Outbound.Sa.SetLastSentSequence(start);

        var back = TunnelTraffic.EchoRoundTrip(t, 0, 500);
        output.WriteLine(TunnelTraffic.Describe(t));

        back.Should().HaveCount(500, TunnelTraffic.Describe(t));
        ours.Outbound.Sa.LastSentSequence.Should().Be(start + 500, "one sequence number per packet, no rekey");
        theirs.Outbound.Sa.LastSentSequence.Should().Be(start + 500);
        ours.Inbound.Sa.ReplayWindow.Highest.Should().Be(start + 500, "the client reconstructed the high word of the responder's numbers");
        theirs.Inbound.Sa.ReplayWindow.Highest.Should().Be(start + 500);
        ours.Outbound.NeedsRekey.Should().BeFalse("with ESN 2^32 is not a limit");
        t.Client.ChildSas.Should().ContainSingle().Which.Should().BeSameAs(ours);
        TunnelTraffic.Drops(t.Client.Statistics).Should().Be(0, TunnelTraffic.Describe(t));
        TunnelTraffic.Drops(t.Responder.Statistics).Should().Be(0, TunnelTraffic.Describe(t));
    }
}
