namespace Ikev2Client.Platform.Linux;

/// <summary>
/// Linux TUN builders for connections: each interface records what it installs in its own state file under
/// <paramref name="stateDirectory"/> (crash recovery) and hands its DNS to the system resolver
/// (<see cref="SystemDnsConfigurator"/>: systemd-resolved per link, else /etc/resolv.conf) when <paramref name="applyDns"/>,
/// or only reports it otherwise.
/// </summary>
/// <param name="applyDns">Apply the VPN's DNS servers to the system resolver.</param>
/// <param name="stateDirectory">Where the state files go; null keeps no record.</param>
/// <param name="dnsBusAddress">The system bus address for systemd-resolved (null: the default).</param>
/// <param name="resolvConfPath">The resolver file.</param>
/// <param name="interfaceName">TUN name or pattern (<see cref="LinuxVpnOptions.InterfaceName"/>).</param>
/// <param name="loggers">Where interfaces and DNS log (none when null).</param>
public sealed class LinuxVpnInterfaceBuilderFactory(
    bool applyDns, string? stateDirectory, string? dnsBusAddress = null, string resolvConfPath = "/etc/resolv.conf", string? interfaceName = null,
    Microsoft.Extensions.Logging.ILoggerFactory? loggers = null)
    : IVpnInterfaceBuilderFactory
{
    private static int s_stateFiles;

    /// <inheritdoc />
    public IVpnInterfaceBuilder Create()
    {
        var log = loggers?.CreateLogger("Ikev2Client.Platform.Linux");
        IDnsConfigurator dns = applyDns ? new SystemDnsConfigurator(StateFile("dns"), dnsBusAddress, resolvConfPath, log) : new ReportingDnsConfigurator();
        var options = new LinuxVpnOptions { Dns = dns, StateFile = StateFile("net"), Logger = log };
        return new LinuxVpnInterfaceBuilder(interfaceName is null ? options
            : new LinuxVpnOptions { Dns = dns, StateFile = options.StateFile, Logger = log, InterfaceName = interfaceName });
    }

    private string? StateFile(string kind) => stateDirectory is { } dir
        ? Path.Combine(dir, $"{kind}-{Environment.ProcessId}-{Interlocked.Increment(ref s_stateFiles)}.state") : null;
}

/// <summary>Crash recovery on Linux (<see cref="LinuxNetworkCleanup.CleanupStaleDirectory"/>).</summary>
public sealed class LinuxNetworkStateRecovery : INetworkStateRecovery
{
    /// <inheritdoc />
    public IReadOnlyList<string> Recover(string stateDirectory, bool keepLockdownTable) =>
        LinuxNetworkCleanup.CleanupStaleDirectory(stateDirectory, keepLockdownTable);
}
