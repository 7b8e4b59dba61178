using Ikev2Client.Connection;
using Ikev2Client.Platform;
using Ikev2Client.Platform.InMemory;
using Ikev2Client.Platform.Linux;
using Ikev2Client.Platform.Userspace;
using Ikev2Client.Profiles;
using Ikev2Client.Service;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Ikev2Client.Cli;

/// <summary>The platform a process runs its connections on, chosen once in <see cref="Composition"/>.</summary>
public enum VpnPlatformKind
{
    /// <summary>Linux: TUN devices and rtnetlink, the system resolver, nftables lockdown, crash recovery from state files.</summary>
    Linux,
    /// <summary>In memory (tests): interfaces are channels, lockdown is recorded, nothing on the host changes.</summary>
    InMemory,
}

/// <summary>Settings of the service process (the daemon, or <c>connect --foreground</c>'s in-process service).</summary>
public sealed class VpnServiceSettings
{
    /// <summary>The control socket.</summary>
    public required string SocketPath { get; init; }

    /// <summary>Where connections and the lockdown firewall record what they install (crash recovery); null: nowhere.</summary>
    public string? NetworkStateDirectory { get; init; }

    /// <summary>How long a clean disconnect may take before a connection is dropped.</summary>
    public TimeSpan DisconnectTimeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// The composition root: the one place where the platform is chosen (<see cref="VpnPlatformKind"/>) and the service's
/// parts are wired (Microsoft.Extensions.DependencyInjection, factory registrations only: no reflection, NativeAOT-clean).
/// Connection and Service see only the contracts (<see cref="IIpSecManager"/>, <see cref="IVpnInterfaceBuilderFactory"/>,
/// <see cref="ILockdownFirewall"/>, <see cref="INetworkStateRecovery"/>) and their settings as <see cref="IOptions{T}"/>.
/// Only the commands that run connections build it (<c>daemon</c>, <c>connect --foreground</c>); the client commands
/// (<c>status</c>, <c>connect</c> through the service, ...) start without it.
/// </summary>
internal static class Composition
{
    /// <summary>The service's container: store, platform, connection factory and <see cref="VpnManagerOptions"/>.</summary>
    public static ServiceProvider BuildService(ServiceCliOptions cli, ProfileStore store, VpnServiceSettings service,
        ProfileConnectionSettings connection, ILoggerFactory logging)
    {
        var services = new ServiceCollection();
        services.AddSingleton(logging);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(store);
        services.AddSingleton<IOptions<VpnServiceSettings>>(Options.Create(service));
        services.AddSingleton<IOptions<ProfileConnectionSettings>>(Options.Create(connection));
        AddPlatform(services, cli.Platform);
        services.AddSingleton<IVpnConnectionFactory>(sp => cli.ConnectionFactory?.Invoke(connection)
            ?? new VpnConnectionAdapterFactory(sp.GetRequiredService<ConnectionPlatform>(), sp.GetRequiredService<IOptions<ProfileConnectionSettings>>(), logging));
        services.AddSingleton(sp => new VpnManagerOptions
        {
            Store = sp.GetRequiredService<ProfileStore>(),
            ConnectionFactory = sp.GetRequiredService<IVpnConnectionFactory>(),
            LoggerFactory = logging,
            Time = sp.GetRequiredService<TimeProvider>(),
            Lockdown = sp.GetRequiredService<LockdownChoice>().Firewall,
            Recovery = sp.GetService<INetworkStateRecovery>(),
            NetworkStateDirectory = sp.GetRequiredService<IOptions<VpnServiceSettings>>().Value.NetworkStateDirectory,
            DisconnectTimeout = sp.GetRequiredService<IOptions<VpnServiceSettings>>().Value.DisconnectTimeout,
        });
        return services.BuildServiceProvider();
    }

    /// <summary>Registers the platform's implementations of the contracts.</summary>
    private static void AddPlatform(IServiceCollection services, VpnPlatformKind kind)
    {
        // The managed data plane runs on the userspace IpSecManager on every platform; one per process, shared by every
        // connection (one SPI table, as the kernel's).
        services.AddSingleton<IIpSecManager>(_ => new UserspaceIpSecManager());
        switch (kind)
        {
            case VpnPlatformKind.Linux:
                services.AddSingleton<IVpnInterfaceBuilderFactory>(sp =>
                {
                    var c = sp.GetRequiredService<IOptions<ProfileConnectionSettings>>().Value;
                    return new LinuxVpnInterfaceBuilderFactory(c.Dns == DnsMode.System, c.StateDirectory, c.DnsBusAddress, c.ResolvConfPath,
                        loggers: sp.GetRequiredService<ILoggerFactory>());
                });
                services.AddSingleton(sp => new LockdownChoice(new NftablesLockdownFirewall(
                    sp.GetRequiredService<IOptions<VpnServiceSettings>>().Value.NetworkStateDirectory is { } dir
                        ? Path.Combine(dir, $"lockdown-{Environment.ProcessId}.state") : null,
                    logger: sp.GetRequiredService<ILoggerFactory>().CreateLogger("Ikev2Client.Platform.Linux"))));
                services.AddSingleton<INetworkStateRecovery>(_ => new LinuxNetworkStateRecovery());
                break;
            case VpnPlatformKind.InMemory:
                services.AddSingleton<IVpnInterfaceBuilderFactory>(_ => new VpnInterfaceBuilderFactory(() => new InMemoryVpnInterfaceBuilder()));
                services.AddSingleton(_ => new LockdownChoice(new InMemoryLockdownFirewall()));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown platform");
        }
        services.AddSingleton(sp => new ConnectionPlatform(sp.GetRequiredService<IIpSecManager>(), sp.GetRequiredService<IVpnInterfaceBuilderFactory>()));
    }

    /// <summary>The lockdown firewall of the platform (a holder: the service runs without one where there is none).</summary>
    private sealed record LockdownChoice(ILockdownFirewall? Firewall);
}
