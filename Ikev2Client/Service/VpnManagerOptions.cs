using Ikev2Client.Profiles;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ikev2Client.Service;

/// <summary>What <see cref="VpnManagerService"/> needs: the store, the connection factory, time and randomness.</summary>
public sealed class VpnManagerOptions
{
    /// <summary>Where provisioned profiles live.</summary>
    public required ProfileStore Store { get; init; }
    /// <summary>Creates connections.</summary>
    public required IVpnConnectionFactory ConnectionFactory { get; init; }
    /// <summary>Time and delays (back-off).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
    /// <summary>Jitter source for back-off, values in [0, 1).</summary>
    public Func<double>? Random { get; init; }
    /// <summary>How long a clean disconnect may take before the connection is dropped.</summary>
    public TimeSpan DisconnectTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>State changes and errors are logged here, each part in its own category (never secrets).</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;
    /// <summary>
    /// Enforces lockdown for profiles that ask for it (nftables on Linux). Null: lockdown profiles fail to start with a
    /// clear error, because running them unenforced would break the promise that nothing leaves outside the tunnel.
    /// </summary>
    public Platform.ILockdownFirewall? Lockdown { get; init; }
    /// <summary>
    /// Where connections and the lockdown firewall record what they install; <see cref="VpnManagerService.RecoverFromCrash"/>
    /// removes what a killed process left there (with <see cref="Recovery"/>). Null: no crash recovery.
    /// </summary>
    public string? NetworkStateDirectory { get; init; }
    /// <summary>The platform's crash recovery (Linux: state files); null: none.</summary>
    public Platform.INetworkStateRecovery? Recovery { get; init; }
}
