using System.Net;
using System.Net.Sockets;
using Ikev2Client.Connection;
using Ikev2Client.Platform.Linux;
using Ikev2Client.Platform.Userspace;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Ike;
using Ikev2Client.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Ikev2Client.Tests.Interop;

/// <summary>
/// C# to C# over real TUN devices: the <c>ikev2 responder</c> code (<see cref="ResponderHost"/>, gateway namespace, the
/// pool routed through its TUN) serving on its own thread, and our <see cref="VpnConnection"/> in the client namespace,
/// both with PSK and the topology's identities. For what strongSwan 5.9.8 can't do (ESN in libipsec, ML-KEM).
/// Dispose disconnects the client, then stops and disposes the responder.
/// </summary>
internal sealed class ResponderOverTun : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _serving;
    private readonly PskAuthenticator _psk = new(SwanctlConfigs.DefaultPsk);

    public ResponderHost Host { get; }
    public VpnConnection Connection { get; }

    /// <param name="ikeProposals">both sides' IKE proposals (a profile's <c>ikeProposal</c>); null: the defaults.</param>
    public ResponderOverTun(InteropTopology topo, ITestOutputHelper output, string name, string? ikeProposals = null,
        Action<string>? responderLine = null)
    {
        var config = new ResponderConfig
        {
            ListenAddress = InteropTopology.GatewayAddress, ListenPort = 500, NatTPort = 4500,
            Psk = SwanctlConfigs.DefaultPsk, LocalId = SwanctlConfigs.GatewayId, RemoteId = SwanctlConfigs.ClientId,
            AddressPool = InteropTopology.PoolSubnet, Dns = [InteropTopology.DnsAddress], LocalSubnets = [InteropTopology.ServerSubnet],
            Mtu = 1400, InterfaceName = "ikr" + name[0] + "%d", IkeProposals = ikeProposals,
        };
        Host = topo.Gateway.Run(() =>
        {
            var h = new ResponderHost(config, () => new LinuxVpnInterfaceBuilder(new LinuxVpnOptions { InterfaceName = config.InterfaceName }),
                new UserspaceIpSecManager(), new TestLog(line => { responderLine?.Invoke(line); output.WriteLine("responder: " + line); }));
            h.Start();
            return h;
        });
        _serving = new Thread(() => topo.Gateway.Run(() => Host.Run(_stop.Token))) { IsBackground = true, Name = name + "-responder" };
        _serving.Start();
        var ike = ProposalSpec.DefaultIke;
        if (ikeProposals != null && !ProposalConversion.TryParse(ikeProposals, false, out ike, out var error))
            throw new ArgumentException(error, nameof(ikeProposals));
        Connection = new VpnConnection(new VpnConnectionOptions
        {
            IpSecManager = new UserspaceIpSecManager(),
            Server = new IPEndPoint(IPAddress.Parse(InteropTopology.GatewayAddress), 500),
            Session = new IkeSessionOptions
            {
                LocalIdentity = IkeIdentity.Parse(SwanctlConfigs.ClientId),
                RemoteIdentity = IkeIdentity.Parse(SwanctlConfigs.GatewayId),
                Authenticator = _psk,
                IkeProposals = ike,
                RequestedAddressFamilies = [AddressFamily.InterNetwork],
            },
            InterfaceBuilderFactory = () => new LinuxVpnInterfaceBuilder(new LinuxVpnOptions { InterfaceName = "ikc" + name[0] + "%d" }),
            NatT = new NatTSocketOptions { KeepaliveInterval = TimeSpan.FromSeconds(20) },
        }, new TestLog(line => output.WriteLine("client: " + line)));
    }

    public void Dispose()
    {
        Connection.Disconnect();
        _stop.Cancel();
        _serving.Join(TimeSpan.FromSeconds(15));
        Host.Dispose();
        _psk.Dispose();
        _stop.Dispose();
    }
}
