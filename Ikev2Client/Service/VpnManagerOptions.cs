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
    public IServiceClock Clock { get; init; } = SystemServiceClock.Instance;
    /// <summary>Jitter source for back-off, values in [0, 1).</summary>
    public Func<double>? Random { get; init; }
    /// <summary>How long a clean disconnect may take before the connection is dropped.</summary>
    public TimeSpan DisconnectTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>State changes and errors are logged here (never secrets).</summary>
    public ILogger Logger { get; init; } = NullLogger.Instance;
}
