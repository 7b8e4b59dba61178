using Ikev2Client.Tests.Infrastructure;

namespace Ikev2Client.Tests.Interop;

/// <summary>
/// Interop fixture: an <see cref="InteropTopology"/> (client / gateway / server namespaces) with a strongSwan
/// gateway charon running a swanctl.conf given by the test, plus optionally a strongSwan client charon in the client
/// namespace. Tests run their own C# code in <see cref="ClientNamespace"/> (NetworkNamespace.Run) to talk to the
/// gateway at <see cref="GatewayAddress"/> and reach <see cref="ServerAddress"/> through the tunnel.
/// <see cref="Dispose"/> stops the charons and deletes the namespaces, also after failures.
/// </summary>
public sealed class StrongSwanGateway : IDisposable
{
    private bool _disposed;

    public InteropTopology Topology { get; }
    /// <summary>The gateway charon.</summary>
    public StrongSwanCharon Gateway { get; }
    /// <summary>The strongSwan client charon, once <see cref="StartClient"/> was called.</summary>
    public StrongSwanCharon? Client { get; private set; }

    public NetworkNamespace ClientNamespace => Topology.Client;
    public NetworkNamespace GatewayNamespace => Topology.Gateway;
    public NetworkNamespace ServerNamespace => Topology.Server;
    public string ClientAddress => InteropTopology.ClientAddress;
    public string GatewayAddress => InteropTopology.GatewayAddress;
    public string ServerAddress => InteropTopology.ServerAddress;
    public string ServerSubnet => InteropTopology.ServerSubnet;
    public string PoolSubnet => InteropTopology.PoolSubnet;
    public string DnsAddress => InteropTopology.DnsAddress;

    private StrongSwanGateway(InteropTopology topology, StrongSwanOptions? options)
    {
        Topology = topology;
        Gateway = new StrongSwanCharon(StrongSwanRole.Gateway, topology.Gateway, Path.Combine(topology.Directory, "gateway"), options);
    }

    /// <summary>Builds the topology, starts the gateway charon and loads <paramref name="swanctlConf"/>
    /// (e.g. <see cref="SwanctlConfigs.PskGateway"/>). <paramref name="files"/> are credential files relative to
    /// the swanctl.conf directory ("x509/gw.crt", "private/gw.key", "x509ca/ca.crt").</summary>
    public static StrongSwanGateway Start(string swanctlConf, StrongSwanOptions? options = null,
        IReadOnlyDictionary<string, byte[]>? files = null)
    {
        var topology = InteropTopology.Create();
        StrongSwanGateway? fixture = null;
        try
        {
            fixture = new StrongSwanGateway(topology, options);
            if (files != null) foreach (var (path, bytes) in files) fixture.Gateway.InstallFile(path, bytes);
            fixture.Gateway.Start();
            fixture.Gateway.LoadConfig(swanctlConf);
            return fixture;
        }
        catch
        {
            if (fixture != null) fixture.Dispose(); else topology.Dispose();
            throw;
        }
    }

    /// <summary>Starts (or restarts) a strongSwan client charon in the client namespace with <paramref name="swanctlConf"/>
    /// (e.g. <see cref="SwanctlConfigs.PskClient"/>).</summary>
    public StrongSwanCharon StartClient(string swanctlConf, StrongSwanOptions? options = null,
        IReadOnlyDictionary<string, byte[]>? files = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Client?.Stop();
        Client = new StrongSwanCharon(StrongSwanRole.Client, Topology.Client, Path.Combine(Topology.Directory, "client"), options);
        if (files != null) foreach (var (path, bytes) in files) Client.InstallFile(path, bytes);
        Client.Start();
        Client.LoadConfig(swanctlConf);
        return Client;
    }

    /// <summary>The gateway's SAs.</summary>
    public SaListing ListSas() => Gateway.ListSas();

    /// <summary>The gateway's charon log.</summary>
    public string LogText => Gateway.LogText;

    /// <summary>Makes the strongSwan client initiate CHILD_SA <paramref name="child"/>.</summary>
    public string Initiate(string child = SwanctlConfigs.ChildName, string? ike = null) => RequireClient().Initiate(child, ike);

    /// <summary>Makes the strongSwan client terminate IKE SA <paramref name="ike"/>.</summary>
    public string Terminate(string ike = SwanctlConfigs.ClientConnection) => RequireClient().Terminate(ike);

    /// <summary>Stops the gateway charon (the namespaces stay).</summary>
    public void Stop() => Gateway.Stop();

    /// <summary>(Re)starts the gateway charon and reloads its swanctl.conf.</summary>
    public void Start()
    {
        Gateway.Stop();
        Gateway.Start();
    }

    private StrongSwanCharon RequireClient()
        => Client ?? throw new InvalidOperationException("no strongSwan client: call StartClient first");

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try { Client?.Stop(); } catch (Exception) { }
        try { Gateway.Stop(); } catch (Exception) { }
        Topology.Dispose();
    }
}
