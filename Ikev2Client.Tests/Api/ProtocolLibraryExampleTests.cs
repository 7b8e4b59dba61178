using System.Net;
using System.Net.Sockets;
using FluentAssertions;
using Ikev2Client.Connection;
using Ikev2Client.Platform.InMemory;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Ike;
using Ikev2Client.Tests.DataPlane;
using Ikev2Client.Tests.Infrastructure;
using IkeSessionClient;
using Xunit;

namespace Ikev2Client.Tests.Api;

/// <summary>
/// The usage example of docs/protocol-library.md (samples/IkeSessionClient, which sees only the public API) runs against
/// the in-process responder (the <c>ikev2 responder</c> code with an in-memory TUN) over loopback UDP: it connects (UDP
/// 500, then 4500 with the non-ESP marker), carries IP packets both ways in ESP, rekeys its CHILD SA and closes. And the
/// code shown in the document is the code that runs.
/// </summary>
public sealed class ProtocolLibraryExampleTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Example_client_connects_carries_packets_both_ways_rekeys_and_closes()
    {
        using var gateway = InProcessGateway.Start();
        var options = new IkeSessionOptions
        {
            LocalIdentity = IkeIdentity.Parse("client.test"),
            RemoteIdentity = IkeIdentity.Parse("gw.test"),
            Authenticator = new PskAuthenticator(InProcessGateway.Psk),
            RemoteNatTPort = gateway.Config.NatTPort,
            RequestedAddressFamilies = [AddressFamily.InterNetwork],
        };
        await using var client = new ExampleVpnClient(options, IPAddress.Loopback);
        var events = new List<IkeEvent>();
        client.EventRaised += e => { lock (events) events.Add(e); };

        var child = await client.ConnectAsync(gateway.IkeEndPoint).WaitAsync(Wait);
        child.UdpEncapsulation.Should().BeTrue("forced encapsulation: IKE_AUTH and ESP go to the NAT-T port");
        child.RemoteEndPoint.Port.Should().Be(gateway.Config.NatTPort);
        lock (events)
        {
            var sent = events.OfType<IkeEvent.MessageTraced>().Where(t => t.Sent).ToList();
            sent.First().Should().Match<IkeEvent.MessageTraced>(t => !t.NonEspMarker && t.Peer.Port == gateway.Config.ListenPort, "IKE_SA_INIT goes to port 500");
            sent.Skip(1).Should().OnlyContain(t => t.NonEspMarker && t.Peer.Port == gateway.Config.NatTPort, "then UDP 4500 with the non-ESP marker");
        }
        var virtualIp = client.Configuration!.VirtualAddresses.Single().BaseAddress;
        IPNetwork.Parse("10.3.0.0/24").Contains(virtualIp).Should().BeTrue();

        await RoundTrip(client, gateway, virtualIp, 1);

        client.RekeyChildSa();
        var rekeyed = await Eventually(() => { lock (events) return events.OfType<IkeEvent.ChildSaRekeyed>().FirstOrDefault(); });
        rekeyed.New.OutboundSpi.Should().NotBe(child.OutboundSpi);
        await Eventually(() => { lock (events) return events.OfType<IkeEvent.ChildSaDeleted>().FirstOrDefault(d => d.ChildSa.InboundSpi == child.InboundSpi); });
        await RoundTrip(client, gateway, virtualIp, 2);

        var end = await client.CloseAsync().WaitAsync(Wait);
        end.Should().BeOfType<IkeEvent.Deleted>().Which.ByPeer.Should().BeFalse();
        (await client.SendAsync(PumpTestSupport.Ipv4Udp(virtualIp.ToString(), InProcessGateway.ServerAddress))).Should().BeFalse("the CHILD SA is gone");
    }

    [Fact]
    public void The_example_in_the_docs_is_the_code_that_runs()
    {
        var source = File.ReadAllText(RepositoryFiles.Path("samples", "IkeSessionClient", "ExampleVpnClient.cs")).ReplaceLineEndings("\n");
        var code = Between(source, "// <example>\n", "// </example>").TrimEnd('\n');
        var doc = File.ReadAllText(RepositoryFiles.Path("docs", "protocol-library.md")).ReplaceLineEndings("\n");
        var block = Between(doc[doc.IndexOf("<!-- example: samples/IkeSessionClient/ExampleVpnClient.cs -->", StringComparison.Ordinal)..], "```csharp\n", "```").TrimEnd('\n');
        Assert.True(block == code,
            "docs/protocol-library.md must show samples/IkeSessionClient/ExampleVpnClient.cs (between its // <example> markers) " +
            "unchanged; copy the file's code into the document's csharp block after the example marker.");
    }

    /// <summary>One IPv4/UDP packet each way: ours must come out of the gateway's TUN, its answer out of our tunnel.</summary>
    private static async Task RoundTrip(ExampleVpnClient client, InProcessGateway gateway, IPAddress virtualIp, byte mark)
    {
        var packet = PumpTestSupport.Ipv4Udp(virtualIp.ToString(), InProcessGateway.ServerAddress, 100, fill: mark);
        (await client.SendAsync(packet)).Should().BeTrue();
        var atGateway = await gateway.Tun.TakeWrittenAsync(new CancellationTokenSource(Wait).Token);
        atGateway.Should().Equal(packet, "the gateway decrypted what the example sealed");

        var reply = PumpTestSupport.Ipv4Udp(InProcessGateway.ServerAddress, virtualIp.ToString(), 100, fill: (byte)(mark + 0x40));
        gateway.Tun.InjectPacket(reply).Should().BeTrue();
        var received = await client.Received.ReadAsync(new CancellationTokenSource(Wait).Token);
        received.Should().Equal(reply, "the example decrypted what the gateway sealed");
    }

    private static async Task<T> Eventually<T>(Func<T?> probe) where T : class
    {
        var deadline = DateTime.UtcNow + Wait;
        while (DateTime.UtcNow < deadline)
        {
            if (probe() is { } found) return found;
            await Task.Delay(20);
        }
        throw new Xunit.Sdk.XunitException($"no {typeof(T).Name} within {Wait.TotalSeconds} s");
    }

    private static string Between(string text, string start, string end)
    {
        int a = text.IndexOf(start, StringComparison.Ordinal);
        Assert.True(a >= 0, $"'{start.Trim()}' not found");
        a += start.Length;
        int b = text.IndexOf(end, a, StringComparison.Ordinal);
        Assert.True(b >= 0, $"'{end.Trim()}' not found");
        return text[a..b];
    }

    /// <summary>The `ikev2 responder` code on a random loopback address with an in-memory TUN; serves 10.1.0.0/24.</summary>
    private sealed class InProcessGateway : IDisposable
    {
        public const string Psk = "protocol-library-example";
        public const string ServerAddress = "10.1.0.10";
        private readonly ResponderHost _host;
        private readonly CancellationTokenSource _stop = new();
        private readonly Thread _thread;
        private InMemoryVpnInterfaceBuilder? _builder;

        private InProcessGateway(ResponderConfig config)
        {
            Config = config;
            _host = new ResponderHost(config, () => _builder = new InMemoryVpnInterfaceBuilder("rsp0"), new Ikev2Client.Platform.Userspace.UserspaceIpSecManager());
            _host.Start();
            _thread = new Thread(() => _host.Run(_stop.Token)) { IsBackground = true, Name = "example-gateway" };
            _thread.Start();
        }

        public ResponderConfig Config { get; }
        public IPEndPoint IkeEndPoint => new(IPAddress.Parse(Config.ListenAddress), Config.ListenPort);
        public InMemoryVpnInterface Tun => _builder?.Established ?? throw new InvalidOperationException("no client connected yet");

        public static InProcessGateway Start()
        {
            var address = $"127.{Random.Shared.Next(1, 250)}.{Random.Shared.Next(1, 250)}.{Random.Shared.Next(2, 250)}";
            return new InProcessGateway(new ResponderConfig
            {
                ListenAddress = address, ListenPort = FreeUdpPort(address), NatTPort = FreeUdpPort(address),
                Psk = Psk, LocalId = "gw.test", RemoteId = "client.test",
                AddressPool = "10.3.0.0/24", LocalSubnets = ["10.1.0.0/24"], Mtu = 1400, InterfaceName = "unused",
            });
        }

        private static int FreeUdpPort(string address)
        {
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(IPAddress.Parse(address), 0));
            return ((IPEndPoint)s.LocalEndPoint!).Port;
        }

        public void Dispose()
        {
            _stop.Cancel();
            _thread.Join(TimeSpan.FromSeconds(10));
            _host.Dispose();
            _stop.Dispose();
        }
    }
}
