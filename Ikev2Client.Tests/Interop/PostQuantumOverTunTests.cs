using System.Net;
using System.Net.Sockets;
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
/// Hybrid post-quantum IKE C# to C#: our client (client namespace, TUN) against the <c>ikev2 responder</c> code,
/// <see cref="ResponderHost"/> (gateway namespace, TUN), both configured with <c>aes256gcm16-prfsha384-x25519-ke1_mlkem768</c>
/// as a profile's <c>ikeProposal</c> and the responder's <c>ikeProposals</c> would be. strongSwan 5.9.8 has no ML-KEM,
/// which is why this runs against our own responder. Traffic crosses the tunnel; the IKE algorithms that
/// <c>ikev2 status</c> shows name ML-KEM-768. Needs root (namespaces, TUN).
/// </summary>
[Trait("Requires", "root")]
public sealed class PostQuantumOverTunTests(ITestOutputHelper output)
{
    private const string Hybrid = "aes256gcm16-prfsha384-x25519-ke1_mlkem768";

    [Fact]
    public void X25519_plus_MlKem768_handshake_carries_traffic_through_the_responder_over_tun()
    {
        using var topo = InteropTopology.Create();
        var responderLog = new List<string>();
        var pair = new ResponderOverTun(topo, output, "pq", Hybrid, line => { lock (responderLog) responderLog.Add(line); });
        var (host, connection) = (pair.Host, pair.Connection);
        try
        {
            topo.Client.Run(() => connection.Connect());
            var algorithms = connection.Driver!.Session.Algorithms!;
            algorithms.Group.Should().Be(KeGroup.Curve25519);
            algorithms.AdditionalKeyExchanges.Should().Equal(KeGroup.MlKem768);
            // What `ikev2 status` prints in its IKE row (VpnConnectionInfo.IkeAlgorithms).
            algorithms.ToString().Should().Contain("CURVE_25519").And.Contain("ML-KEM-768");
            lock (responderLog) responderLog.Should().Contain(l => l.Contains("IKE SA established") && l.Contains("ML-KEM-768"));

            var lost = topo.Client.Run(() => DataPlaneInteropTests.PingMany(IPAddress.Parse(InteropTopology.ServerAddress), 50, TimeSpan.FromMilliseconds(5)));
            output.WriteLine($"pings lost {lost}; client {connection.Statistics}; responder {host.Statistics}");
            lost.Should().Be(0);
            connection.Statistics.PacketsReceived.Should().BeGreaterThanOrEqualTo(50);
            connection.Statistics.TotalDrops.Should().Be(0);
        }
        finally { pair.Dispose(); }

        connection.State.Should().Be(VpnState.Disconnected, connection.EndReason);
    }
}
