using FluentAssertions;
using Ikev2Client.Protocol.Ike;
using Xunit;
using Xunit.Abstractions;

namespace Ikev2Client.Tests.DataPlane;

/// <summary>
/// Issue 14 item 4: <see cref="Platform.IpSecTransform.NeedsRekey"/> drives a CHILD SA rekey before the sequence space
/// runs out, and byte/packet lifetimes (strongSwan's rekey_/life_bytes and _packets) rekey or stop an SA — all with
/// our initiator against the real responder code in process (<see cref="InProcessTunnel"/>), traffic both ways, and
/// not one packet lost. The SA is moved near 2^32 with the EspSa test hook, not by sending four billion packets.
/// </summary>
public sealed class SequenceAndVolumeRekeyTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ClientSaNearSequenceExhaustion_is_rekeyed_before_it_runs_out_and_no_packet_is_lost()
    {
        using var t = InProcessTunnel.Create(esp: "aes256gcm16");
        t.Start();
        t.StartEcho();
        var first = t.Client.ChildSas.Single();
        first.Child.Algorithms.Esn.Should().Be(Protocol.Crypto.EsnId.NoEsn);
        var old = first.Outbound.Sa;
        old.SetLastSentSequence(old.RekeyThreshold - 100);
        var rekeyed = t.Client.Driver!.WaitForAsync<IkeEvent.ChildSaRekeyed>();

        var back = TunnelTraffic.EchoRoundTrip(t, 0, 800);
        var r = await rekeyed.WaitAsync(Wait);
        output.WriteLine(TunnelTraffic.Describe(t));

        back.Should().HaveCount(800, TunnelTraffic.Describe(t));
        r.Old.InboundSpi.Should().Be(first.Child.InboundSpi);
        r.ByPeer.Should().BeFalse("our outbound SA hit the limit, so we started the rekey");
        old.LastSentSequence.Should().BeGreaterThanOrEqualTo(old.RekeyThreshold).And.BeLessThan(uint.MaxValue, "it never ran out");
        TunnelTraffic.Drops(t.Client.Statistics).Should().Be(0, TunnelTraffic.Describe(t));
        TunnelTraffic.Drops(t.Responder.Statistics).Should().Be(0, TunnelTraffic.Describe(t));
        TunnelTraffic.WaitUntil(() => t.Client.ChildSas.Count == 1 && t.Client.ChildSas[0].Child.InboundSpi == r.New.InboundSpi, Wait)
            .Should().BeTrue("the old CHILD SA is deleted after the rekey");
        t.Client.ChildSas[0].Outbound.Counters.Packets.Should().BeGreaterThan(0, "traffic moved to the new SA");
        t.Log.Should().Contain(l => l.Contains("nears the end of its space") && l.Contains("rekeying CHILD SA"));
    }

    [Fact]
    public async Task ResponderSaNearSequenceExhaustion_is_rekeyed_by_the_responder_and_the_client_switches_only_after_the_delete()
    {
        using var t = InProcessTunnel.Create(esp: "aes128-sha256");
        t.Start();
        t.StartEcho();
        var theirs = t.Responder.ChildSas.Single().Outbound.Sa;
        theirs.SetLastSentSequence(theirs.RekeyThreshold - 100);
        var rekeyed = t.Client.Driver!.WaitForAsync<IkeEvent.ChildSaRekeyed>();

        var back = TunnelTraffic.EchoRoundTrip(t, 0, 800);
        var r = await rekeyed.WaitAsync(Wait);
        output.WriteLine(TunnelTraffic.Describe(t));

        back.Should().HaveCount(800, TunnelTraffic.Describe(t));
        r.ByPeer.Should().BeTrue("the responder's outbound SA hit the limit");
        theirs.LastSentSequence.Should().BeLessThan(uint.MaxValue);
        TunnelTraffic.Drops(t.Client.Statistics).Should().Be(0, TunnelTraffic.Describe(t));
        TunnelTraffic.Drops(t.Responder.Statistics).Should().Be(0, TunnelTraffic.Describe(t));
        t.Log.Should().Contain(l => l.StartsWith("client: CHILD SA rekeyed by the gateway", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0L, 150L)]
    [InlineData(25_000L, 0L)]
    public async Task ClientVolumeLimits_rekey_every_few_hundred_packets_with_no_packet_lost(long rekeyBytes, long rekeyPackets)
    {
        var lifetime = SaLifetime.DefaultChild with { RekeyBytes = rekeyBytes, LifeBytes = 100_000_000, RekeyPackets = rekeyPackets, LifePackets = 100_000_000 };
        using var t = InProcessTunnel.Create(esp: "aes128ctr-aesxcbc", clientLifetime: lifetime);
        t.Start();
        t.StartEcho();
        int rekeys = 0;
        t.Client.Driver!.EventRaised += e => { if (e is IkeEvent.ChildSaRekeyed) Interlocked.Increment(ref rekeys); };

        var back = TunnelTraffic.EchoRoundTrip(t, 0, 900);
        int sent = 900;
        // On a loaded machine one CREATE_CHILD_SA round trip can outlast the rest of a burst (the next SA then carries
        // the remainder without reaching its limit): traffic goes on until the limit was passed three times.
        while (!TunnelTraffic.WaitUntil(() => Volatile.Read(ref rekeys) >= 3, TimeSpan.FromSeconds(1)) && sent < 3000)
        {
            back.UnionWith(TunnelTraffic.EchoRoundTrip(t, sent, 300));
            sent += 300;
        }
        output.WriteLine(TunnelTraffic.Describe(t));

        back.Should().HaveCount(sent, TunnelTraffic.Describe(t));
        TunnelTraffic.WaitUntil(() => Volatile.Read(ref rekeys) >= 3, Wait).Should().BeTrue($"{sent} packets each way at ~200 bytes pass the limit several times; {TunnelTraffic.Describe(t)}");
        TunnelTraffic.Drops(t.Client.Statistics).Should().Be(0, TunnelTraffic.Describe(t));
        TunnelTraffic.Drops(t.Responder.Statistics).Should().Be(0, TunnelTraffic.Describe(t));
        t.Client.ChildSas.Should().OnlyContain(c => c.Outbound.Lifetime.SoftPackets == rekeyPackets && c.Outbound.Lifetime.SoftBytes == rekeyBytes);
    }

    [Fact]
    public async Task ResponderConfigPacketLimit_makes_the_responder_rekey_with_no_packet_lost()
    {
        using var t = InProcessTunnel.Create(esp: "aes192gcm12", responderRekeyPackets: 200, responderLifePackets: 100_000);
        t.Start();
        t.StartEcho();
        var byPeer = 0;
        t.Client.Driver!.EventRaised += e => { if (e is IkeEvent.ChildSaRekeyed { ByPeer: true }) Interlocked.Increment(ref byPeer); };

        var back = TunnelTraffic.EchoRoundTrip(t, 0, 700);
        output.WriteLine(TunnelTraffic.Describe(t));

        back.Should().HaveCount(700, TunnelTraffic.Describe(t));
        TunnelTraffic.WaitUntil(() => Volatile.Read(ref byPeer) >= 2, Wait).Should().BeTrue(TunnelTraffic.Describe(t));
        TunnelTraffic.Drops(t.Client.Statistics).Should().Be(0);
        TunnelTraffic.Drops(t.Responder.Statistics).Should().Be(0);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task AHardPacketLimitWithoutRekey_stops_the_sa_and_deletes_the_child_sa_but_not_the_ike_sa()
    {
        var lifetime = SaLifetime.DefaultChild with { LifePackets = 50 };
        using var t = InProcessTunnel.Create(esp: "aes256-sha1", clientLifetime: lifetime);
        t.Start();
        var child = t.Client.ChildSas.Single();
        child.Outbound.Lifetime.Should().Be(new Protocol.Esp.EspLifetime(HardPackets: 50));
        var deleted = t.Client.Driver!.WaitForAsync<IkeEvent.ChildSaDeleted>();

        for (int i = 0; i < 80; i++)
        {
            t.ClientTun.InjectPacket(t.Packet(i));
            if (i % 10 == 9) Thread.Sleep(5);
        }

        var d = await deleted.WaitAsync(Wait);
        d.ChildSa.InboundSpi.Should().Be(child.Child.InboundSpi);
        d.ByPeer.Should().BeFalse("we deleted it when its hard limit was reached");
        TunnelTraffic.WaitUntil(() => t.Client.Statistics.NoSaDrops == 30, Wait).Should().BeTrue(TunnelTraffic.Describe(t));
        int received = 0;
        while (t.ResponderTun.TakeWritten() != null) received++;
        received.Should().Be(50, "exactly the packets under the hard limit got through");
        child.Outbound.IsExpired.Should().BeTrue();
        t.Client.Driver.Session.State.Should().Be(IkeSessionState.Established, "only the CHILD SA ends");
        t.Log.Should().Contain(l => l.Contains("expired") && l.Contains("deleting CHILD SA"));
    }
}
