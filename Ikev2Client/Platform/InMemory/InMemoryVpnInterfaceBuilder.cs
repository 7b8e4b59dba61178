namespace Ikev2Client.Platform.InMemory;

/// <summary>
/// Builds <see cref="InMemoryVpnInterface"/>s; accepts every setting (per-application rules included) so tests
/// can check what the connection layer asked for through <see cref="IVpnInterface.Configuration"/>.
/// </summary>
public sealed class InMemoryVpnInterfaceBuilder : VpnInterfaceBuilderBase
{
    private readonly string _name;

    /// <summary>Creates a builder whose interface will carry <paramref name="name"/>.</summary>
    public InMemoryVpnInterfaceBuilder(string name = "mem0") => _name = name;

    /// <summary>The last interface established, for the test's side of the channel.</summary>
    public InMemoryVpnInterface? Established { get; private set; }

    /// <summary>Sockets passed to <see cref="Protect"/> before the interface existed (they are handed to it at establish).</summary>
    public IReadOnlyList<System.Net.Sockets.Socket> ProtectedSockets => _protected;

    private readonly List<System.Net.Sockets.Socket> _protected = [];

    /// <inheritdoc />
    public override bool Protect(System.Net.Sockets.Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (Established is { } tun) return tun.Protect(socket);
        _protected.Add(socket);
        return true;
    }

    /// <inheritdoc />
    public override IVpnInterface Establish()
    {
        Configuration.Freeze();
        Established = new InMemoryVpnInterface(Configuration, _name);
        foreach (var socket in _protected) Established.Protect(socket);
        return Established;
    }
}
