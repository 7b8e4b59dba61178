using Ikev2Client.Profiles;
using Ikev2Client.Service;

namespace Ikev2Client.Cli;

/// <summary>Exit codes of <c>connect</c>, <c>disconnect</c>, <c>toggle</c>, <c>status</c> and <c>daemon</c> (docs/service.md).</summary>
public static class ServiceExitCodes
{
    /// <summary>Success (connect: the profile is CONNECTED).</summary>
    public const int Ok = 0;
    /// <summary>The connection failed with a recoverable error (timeout, network), or another runtime failure.</summary>
    public const int ConnectionFailed = 1;
    /// <summary>Usage or bad input: unknown profile, unreadable or invalid file, bad name.</summary>
    public const int Usage = 2;
    /// <summary>The connection failed with a non-recoverable error (authentication, proposals, bad profile).</summary>
    public const int NotRecoverable = 3;
    /// <summary>The service is not running and could not be started, or does not answer.</summary>
    public const int ServiceUnavailable = 4;
}

/// <summary>What the service commands depend on (tests replace the store, socket, factory and daemon start-up).</summary>
public sealed class ServiceCliOptions
{
    /// <summary>The profile store.</summary>
    public Func<ProfileStore> Store { get; init; } = () => new ProfileStore();
    /// <summary>The control socket path for a store.</summary>
    public Func<ProfileStore, string> SocketPath { get; init; } = ServicePaths.SocketPath;
    /// <summary>
    /// Replaces the connections of <c>--foreground</c> and <c>daemon</c> (tests), given the connect flags (full tunnel,
    /// DNS); null: the real ones, on <see cref="Platform"/> (<see cref="Composition"/>).
    /// </summary>
    public Func<Connection.ProfileConnectionSettings, IVpnConnectionFactory>? ConnectionFactory { get; init; }
    /// <summary>The platform connections run on (<see cref="Composition"/> wires it).</summary>
    public VpnPlatformKind Platform { get; init; } = VpnPlatformKind.Linux;
    /// <summary>Start the daemon in the background when it is not running (off with IKEV2_NO_AUTOSTART=1).</summary>
    public bool AutoStartDaemon { get; init; } = Environment.GetEnvironmentVariable("IKEV2_NO_AUTOSTART") != "1";
    /// <summary>The command that runs <c>ikev2</c> (null: this program).</summary>
    public IReadOnlyList<string>? DaemonCommand { get; init; }
    /// <summary>How long to wait for a freshly started daemon.</summary>
    public TimeSpan DaemonStartTimeout { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>Show spinners (a terminal is attached).</summary>
    public bool Interactive { get; init; } = !Console.IsOutputRedirected && !Console.IsErrorRedirected;
}
