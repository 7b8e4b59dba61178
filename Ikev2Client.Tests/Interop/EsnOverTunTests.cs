using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using FluentAssertions;
using Ikev2Client.Connection;
using Ikev2Client.Platform.Linux;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Ike;
using Xunit;
using Xunit.Abstractions;

namespace Ikev2Client.Tests.Interop;

/// <summary>
/// Extended sequence numbers over real TUN devices: our client (client namespace) against the <c>ikev2 responder</c>
/// code, <see cref="ResponderHost"/> (gateway namespace, Linux TUN routing the pool), with the default proposals on both
/// sides so ESN is negotiated. Both outbound SAs are moved 200 packets below 2^32 with the EspSa test hook; 300 pings to
/// the server behind the gateway and a short iperf3 then cross the high-word boundary both ways. strongSwan's libipsec
/// has no ESN, which is why this runs C# to C#. Needs root (namespaces, TUN).
/// </summary>
[Trait("Requires", "root")]
public sealed class EsnOverTunTests(ITestOutputHelper output)
{
    [Fact]
    public void PingAndIperfCrossTheSequenceHighWord_both_ways_through_the_responder_over_tun()
    {
        using var topo = InteropTopology.Create();
        var pair = new ResponderOverTun(topo, output, "esn");
        var (host, connection) = (pair.Host, pair.Connection);
        try
        {
            topo.Client.Run(() => connection.Connect());
            var ours = connection.ChildSas.Single();
            var theirs = host.ChildSas.Single();
            ours.Child.Algorithms.Esn.Should().Be(EsnId.Esn, "both sides offer ESN by default");
            theirs.Child.Algorithms.Esn.Should().Be(EsnId.Esn);
            const ulong start = (1UL << 32) - 200;
            ours.Outbound.Sa.SetLastSentSequence(start);
            theirs.Outbound.Sa.SetLastSentSequence(start);

            var lost = topo.Client.Run(() => DataPlaneInteropTests.PingMany(IPAddress.Parse(InteropTopology.ServerAddress), 300, TimeSpan.FromMilliseconds(5)));
            output.WriteLine($"pings lost {lost}; client {connection.Statistics}; responder {host.Statistics}");
            lost.Should().Be(0);
            ours.Outbound.Sa.LastSentSequence.Should().BeGreaterThan(1UL << 32, "the client's sequence numbers crossed 2^32");
            theirs.Outbound.Sa.LastSentSequence.Should().BeGreaterThan(1UL << 32, "the responder's too");
            ours.Inbound.Sa.ReplayWindow.Highest.Should().BeGreaterThan(1UL << 32, "the client reconstructed the high word");
            theirs.Inbound.Sa.ReplayWindow.Highest.Should().BeGreaterThan(1UL << 32);

            topo.Server.Exec("iperf3 -s -1 -D");
            Thread.Sleep(300);
            var json = topo.Client.Exec($"iperf3 -c {InteropTopology.ServerAddress} -t 2 -J", TimeSpan.FromSeconds(40));
            using var doc = JsonDocument.Parse(json);
            var mbps = doc.RootElement.GetProperty("end").GetProperty("sum_received").GetProperty("bits_per_second").GetDouble() / 1e6;
            output.WriteLine($"iperf3 {mbps:0.0} Mbit/s; client {connection.Statistics}; responder {host.Statistics}");
            mbps.Should().BeGreaterThan(5);

            connection.ChildSas.Should().ContainSingle().Which.Should().BeSameAs(ours, "ESN needs no rekey at 2^32");
            foreach (var s in new[] { connection.Statistics, host.Statistics })
                (s.ReplayDrops + s.AuthenticationDrops + s.MalformedDrops).Should().Be(0, s.ToString());
        }
        finally { pair.Dispose(); }

        connection.State.Should().Be(VpnState.Disconnected, connection.EndReason);
    }
}
