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

    /// <inheritdoc />
    public override IVpnInterface Establish()
    {
        Configuration.Freeze();
        return Established = new InMemoryVpnInterface(Configuration, _name);
    }
}
