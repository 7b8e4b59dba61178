using System.Net;
using Ikev2Client.Connection;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Ike;

namespace Ikev2Client.Tests.Interop;

/// <summary>
/// Our IKE initiator with its UDP driver created inside the fixture's client namespace (so its sockets live
/// there), talking to the strongSwan gateway on the real ports 500/4500. Collects every event.
/// </summary>
internal sealed class IkeInteropClient : IAsyncDisposable
{
    private readonly List<IkeEvent> _events = new();

    private IkeInteropClient(IkeSession session, IkeUdpDriver driver)
    {
        Session = session;
        Driver = driver;
        driver.EventRaised += e => { lock (_events) _events.Add(e); };
    }

    public IkeSession Session { get; }
    public IkeUdpDriver Driver { get; }

    public IReadOnlyList<IkeEvent> Events
    {
        get { lock (_events) return _events.ToList(); }
    }

    public static IkeSessionOptions Options(string? ikeProposal = null, string? espProposal = null, string psk = SwanctlConfigs.DefaultPsk,
        string remoteId = SwanctlConfigs.GatewayId, bool sendRemoteId = true) => new()
    {
        LocalIdentity = IkeIdentity.Parse(SwanctlConfigs.ClientId),
        RemoteIdentity = IkeIdentity.Parse(remoteId),
        SendRemoteIdentity = sendRemoteId,
        Authenticator = new PskAuthenticator(psk),
        IkeProposals = ikeProposal == null ? ProposalSpec.DefaultIke
            : ProposalSyntax.TryParse(ikeProposal, false, out var ike, out var error) ? ike : throw new FormatException(error),
        EspProposals = espProposal == null ? ProposalSpec.DefaultEsp : new[] { ProposalSpec.Parse(espProposal, esp: true) },
    };

    public static IkeInteropClient Create(StrongSwanGateway gw, IkeSessionOptions options)
    {
        var session = new IkeSession(options);
        var local = IPAddress.Parse(gw.ClientAddress);
        var driver = gw.ClientNamespace.Run(() => new IkeUdpDriver(session, new IkeUdpDriverOptions
        {
            LocalIkeEndPoint = new IPEndPoint(local, 0),
            LocalNatTEndPoint = new IPEndPoint(local, 0),
        }));
        return new IkeInteropClient(session, driver);
    }

    /// <summary>Connects and waits for the CHILD SA (throws <see cref="IkeSessionEndedException"/> on failure).</summary>
    public async Task<ChildSaInfo> ConnectAsync(StrongSwanGateway gw, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        var child = Driver.WaitForAsync<IkeEvent.ChildSaEstablished>(cancellationToken: cts.Token);
        Driver.Connect(new IPEndPoint(IPAddress.Parse(gw.GatewayAddress), 500));
        return (await child).ChildSa;
    }

    /// <summary>Connects and returns the failure (throws if the connection unexpectedly succeeds).</summary>
    public async Task<IkeError> ConnectExpectingFailureAsync(StrongSwanGateway gw)
    {
        Driver.Connect(new IPEndPoint(IPAddress.Parse(gw.GatewayAddress), 500));
        var end = await Driver.Completion.WaitAsync(TimeSpan.FromSeconds(40));
        return end is IkeEvent.Failed f ? f.Error : throw new InvalidOperationException($"expected a failure, got {end}");
    }

    public async Task<IkeEvent> CloseAsync()
    {
        Driver.Close();
        return await Driver.Completion.WaitAsync(TimeSpan.FromSeconds(40));
    }

    public string Transcript => string.Join("\n", Events.Select(e => e.ToString()));

    public async ValueTask DisposeAsync()
    {
        await Driver.DisposeAsync();
        Session.Dispose();
    }
}
