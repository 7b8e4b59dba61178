using FluentAssertions;
using Ikev2Client.Inspect;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Tests.Ike;
using Xunit;

namespace Ikev2Client.Tests.Inspect;

/// <summary>
/// <c>ikev2 inspect</c> on a capture of a hybrid handshake (x25519 + ML-KEM-768 + ML-KEM-1024): IKE_INTERMEDIATE is named,
/// and with one key set per key generation (RFC 9370 updates every key after each IKE_INTERMEDIATE) each message is
/// decrypted with the generation that protected it, fragments included.
/// </summary>
public sealed class IntermediateInspectTests
{
    [Fact]
    public void A_hybrid_handshake_capture_decodes_and_decrypts_each_IKE_INTERMEDIATE_with_its_key_generation()
    {
        const string hybrid = "aes256gcm16-prfsha256-x25519-ke1_mlkem768-ke2_mlkem1024";
        ProposalSyntax.TryParse(hybrid, false, out var ike, out var error).Should().BeTrue(error);
        using var pair = new IkeTestPair(
            IkeTestPair.InitiatorOptions(configure: b => b.Ike = ike),
            IkeTestPair.ResponderOptions(configure: b => b.Ike = ike));
        pair.Initiator.RecordKeysForTests();
        pair.Connect();
        var frames = new List<byte[]>();
        for (int i = 0; i < 100 && (pair.ToResponder.Count > 0 || pair.ToInitiator.Count > 0); i++)
        {
            bool toResponder = pair.ToResponder.Count > 0;
            var d = toResponder ? pair.ToResponder.Peek() : pair.ToInitiator.Peek();
            var (src, dst) = toResponder
                ? (d.NonEspMarker ? IkeTestPair.InitiatorNatT : IkeTestPair.InitiatorIke, d.NonEspMarker ? IkeTestPair.ResponderNatT : IkeTestPair.ResponderIke)
                : (d.NonEspMarker ? IkeTestPair.ResponderNatT : IkeTestPair.ResponderIke, d.NonEspMarker ? IkeTestPair.InitiatorNatT : IkeTestPair.InitiatorIke);
            var payload = d.NonEspMarker ? new byte[4].Concat(d.Data).ToArray() : d.Data;
            frames.Add(CaptureWriter.Frame(1, CaptureWriter.Udp(src, dst, payload)));
            if (toResponder) pair.StepToResponder(); else pair.StepToInitiator();
        }
        pair.Initiator.State.Should().Be(Protocol.Ike.IkeSessionState.Established);
        var generations = pair.Initiator.KeyLogForTests;
        generations.Should().HaveCount(3, "IKE_SA_INIT and two updates");
        var keys = generations.Select(g => new IkeSaSecrets(pair.Initiator.SpiI, pair.Initiator.SpiR, g[0], g[1], g[2], g[3])).ToList();

        var report = new IkeInspector(keys).Inspect("hybrid.pcap", CaptureWriter.Pcap(1, frames));
        var intermediate = report.Packets.Where(p => p.Exchange == "IKE_INTERMEDIATE").ToList();
        intermediate.Should().NotBeEmpty();
        var complete = intermediate.Where(p => p.Decryption!.StartsWith("decrypted") || p.Decryption.StartsWith("reassembled")).ToList();
        complete.Should().HaveCount(4, "two requests and two responses");
        complete.Take(2).Should().OnlyContain(p => p.Decryption!.Contains("key generation 1 of 3"));
        complete.Skip(2).Should().OnlyContain(p => p.Decryption!.Contains("key generation 2 of 3") && p.Decryption.StartsWith("reassembled"));
        string Describe(InspectedPacket p) => string.Join(" ", p.Payloads!.SelectMany(n => (n.Children ?? []).Select(c => c.Summary)));
        Describe(complete[0]).Should().Contain("ML-KEM-768, 1184 bytes");
        Describe(complete[1]).Should().Contain("ML-KEM-768, 1088 bytes");
        Describe(complete[2]).Should().Contain("ML-KEM-1024, 1568 bytes");
        report.Packets.Where(p => p.Exchange == "IKE_AUTH").Should().OnlyContain(p => p.Decryption!.Contains("key generation 3 of 3"));
        static IEnumerable<string> All(PayloadNode n) => new[] { n.Summary ?? "" }.Concat((n.Children ?? []).SelectMany(All));
        report.Packets.First(p => p.Exchange == "IKE_SA_INIT").Payloads!.SelectMany(All).Should().Contain(s => s.Contains("ADDKE1=ML-KEM-768"));
    }
}
