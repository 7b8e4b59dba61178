namespace Ikev2Client.Platform;

/// <summary>
/// Where a connection gets the builder for its tunnel interface (on Android, the VPN app's <c>new VpnService.Builder()</c>).
/// The composition root chooses the implementation once: a Linux TUN with the system resolver
/// (<see cref="Linux.LinuxVpnInterfaceBuilderFactory"/>), or in-memory interfaces for tests.
/// </summary>
public interface IVpnInterfaceBuilderFactory
{
    /// <summary>A new builder for one interface.</summary>
    IVpnInterfaceBuilder Create();
}

/// <summary>An <see cref="IVpnInterfaceBuilderFactory"/> over a delegate (tests, tools with a fixed interface).</summary>
public sealed class VpnInterfaceBuilderFactory(Func<IVpnInterfaceBuilder> create) : IVpnInterfaceBuilderFactory
{
    /// <inheritdoc />
    public IVpnInterfaceBuilder Create() => create();
}

/// <summary>
/// Removes what a killed process left behind (interfaces, routes, rules, a lockdown table, a rewritten resolver), from
/// the state files in a directory; chosen in the composition root like the rest of the platform.
/// </summary>
public interface INetworkStateRecovery
{
    /// <summary>Cleans up after dead owners of the state files in <paramref name="stateDirectory"/>; what was done, one line each.</summary>
    IReadOnlyList<string> Recover(string stateDirectory, bool keepLockdownTable);
}
