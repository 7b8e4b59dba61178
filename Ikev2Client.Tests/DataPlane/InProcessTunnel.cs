using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Ikev2Client.Connection;
using Ikev2Client.Platform;
using Ikev2Client.Platform.InMemory;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Ike;

namespace Ikev2Client.Tests.DataPlane;

/// <summary>
/// Our initiator (<see cref="VpnConnection"/>, tunnel mode) against the real <c>ikev2 responder</c> code
/// (<see cref="ResponderHost"/>) over loopback UDP, both with in-memory TUNs (no root). Packets injected into one TUN
/// come out of the other after IKE, ESP-in-UDP and both packet pumps; <see cref="StartEcho"/> turns the responder side
/// into an echo so traffic flows both ways. The responder serves 10.1.0.0/24 and hands out 10.3.0.x.
/// </summary>
internal sealed class InProcessTunnel : IDisposable
{
    public const string ServerAddress = "10.1.0.10";
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _responderThread;
    private InMemoryVpnInterfaceBuilder? _responderBuilder;
    private InMemoryVpnInterfaceBuilder? _clientBuilder;
    private Task? _echo;

    private InProcessTunnel(ResponderConfig config, Func<ResponderConfig, Func<IVpnInterfaceBuilder>, VpnConnectionOptions> client)
    {
        Responder = new ResponderHost(config, () => _responderBuilder = new InMemoryVpnInterfaceBuilder("rsp0"), new Ikev2Client.Platform.Userspace.UserspaceIpSecManager(),
            new Ikev2Client.Tests.Infrastructure.TestLog(line => Log.Enqueue("responder: " + line)));
        Responder.Start();
        _responderThread = new Thread(() => Responder.Run(_stop.Token)) { IsBackground = true, Name = "in-process-responder" };
        _responderThread.Start();
        var options = client(config, () => _clientBuilder = new InMemoryVpnInterfaceBuilder("cli0"));
        Client = new VpnConnection(options, new Ikev2Client.Tests.Infrastructure.TestLog(line => Log.Enqueue("client: " + line)));
    }

    public ResponderHost Responder { get; }
    public VpnConnection Client { get; }
    public InMemoryVpnInterface ClientTun => _clientBuilder?.Established ?? throw new InvalidOperationException("not connected");
    public InMemoryVpnInterface ResponderTun => _responderBuilder?.Established ?? throw new InvalidOperationException("not started");
    public ConcurrentQueue<string> Log { get; } = new();
    public IPAddress VirtualAddress => Client.Info!.VirtualAddresses[0].BaseAddress;

    /// <summary>
    /// Starts a responder and creates the client; <see cref="Start"/> connects. <paramref name="esp"/>: both sides' ESP
    /// proposals (null: the defaults, which prefer ESN); <paramref name="clientLifetime"/>: the client's CHILD SA lifetime
    /// (null: the default); the responder's byte/packet limits as in its config.
    /// </summary>
    public static InProcessTunnel Create(string? esp = null, SaLifetime? clientLifetime = null, long responderRekeyPackets = 0,
        long responderLifePackets = 0)
    {
        var address = $"127.{Random.Shared.Next(1, 250)}.{Random.Shared.Next(1, 250)}.{Random.Shared.Next(2, 250)}";
        var config = new ResponderConfig
        {
            ListenAddress = address, ListenPort = FreeUdpPort(address), NatTPort = FreeUdpPort(address),
            Psk = "in-process-tunnel-psk", LocalId = "gw.test", RemoteId = "client.test",
            AddressPool = "10.3.0.0/24", LocalSubnets = ["10.1.0.0/24"], Mtu = 1400, InterfaceName = "unused",
            EspProposals = esp, RekeyPackets = responderRekeyPackets, LifePackets = responderLifePackets,
        };
        var tunnel = new InProcessTunnel(config, (c, builder) =>
        {
            var s = new IkeSessionOptions
            {
                LocalIdentity = IkeIdentity.Parse("client.test"),
                RemoteIdentity = IkeIdentity.Parse("gw.test"),
                Authenticator = new PskAuthenticator(c.Psk),
                RemoteNatTPort = c.NatTPort,
                RequestedAddressFamilies = [AddressFamily.InterNetwork],
                EspProposals = esp == null ? ProposalSpec.DefaultEsp : ProposalConversion.ForProfile(esp, isEsp: true, null),
                ChildLifetime = clientLifetime ?? SaLifetime.DefaultChild,
            };
            return new VpnConnectionOptions
            {
                IpSecManager = new Ikev2Client.Platform.Userspace.UserspaceIpSecManager(),
                Server = new IPEndPoint(IPAddress.Parse(c.ListenAddress), c.ListenPort),
                LocalAddress = IPAddress.Loopback,
                Session = s,
                ConnectTimeout = TimeSpan.FromSeconds(20),
                DisconnectTimeout = TimeSpan.FromSeconds(3),
                AddressCheckInterval = null,
                InterfaceBuilderFactory = builder,
                Pump = new PacketPumpOptions { SaLimitRetryInterval = TimeSpan.FromSeconds(1) },
                NatT = new Ikev2Client.Platform.Userspace.NatTSocketOptions { KeepaliveInterval = null },
            };
        });
        return tunnel;
    }

    /// <summary>Connects (the client's interface is an in-memory one this tunnel keeps).</summary>
    public void Start() => Client.Connect();

    /// <summary>Echoes every packet the responder's TUN receives back to its sender (addresses swapped).</summary>
    public void StartEcho()
    {
        var tun = ResponderTun;
        _echo = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var p = await tun.TakeWrittenAsync(_stop.Token);
                    var reply = (byte[])p.Clone();
                    p.AsSpan(12, 4).CopyTo(reply.AsSpan(16));
                    p.AsSpan(16, 4).CopyTo(reply.AsSpan(12));
                    tun.InjectPacket(reply);
                }
            }
            catch (OperationCanceledException) { }
            catch (ChannelClosedException) { }
        });
    }

    /// <summary>An IPv4/UDP packet from the client's virtual IP to the server carrying <paramref name="id"/>.</summary>
    public byte[] Packet(int id, int payloadLength = 200)
    {
        var p = PumpTestSupport.Ipv4Udp(VirtualAddress.ToString(), ServerAddress, payloadLength);
        BinaryPrimitives.WriteInt32BigEndian(p.AsSpan(28), id);
        return p;
    }

    public static int IdOf(byte[] packet) => BinaryPrimitives.ReadInt32BigEndian(packet.AsSpan(28));

    private static int FreeUdpPort(string address)
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Parse(address), 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    public void Dispose()
    {
        try { Client.Dispose(); } catch (Exception) { }
        _stop.Cancel();
        _responderThread.Join(TimeSpan.FromSeconds(10));
        try { _echo?.Wait(TimeSpan.FromSeconds(2)); } catch (AggregateException) { }
        Responder.Dispose();
        _stop.Dispose();
    }
}
