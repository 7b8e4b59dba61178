using Ikev2Client.Connection;

namespace Ikev2Client.Service;

/// <summary>
/// The state of one profile in the service (Android's <c>VpnProfileState</c>: state, session key, always-on,
/// lockdown; plus the error, connection details and counters). Holds no secrets.
/// </summary>
public sealed record VpnProfileState
{
    /// <summary>The profile name.</summary>
    public required string Name { get; init; }
    /// <summary>The state.</summary>
    public VpnState State { get; init; }
    /// <summary>Identifies the current run of the profile (changes on every start), like Android's session key.</summary>
    public string? SessionKey { get; init; }
    /// <summary>The profile asks for always-on (reconnect with back-off).</summary>
    public bool AlwaysOn { get; init; }
    /// <summary>The profile asks for lockdown (no traffic outside the VPN).</summary>
    public bool Lockdown { get; init; }
    /// <summary>
    /// The lockdown firewall is in place: only the tunnel (when up) and IKE/ESP to the gateway get out. While the profile
    /// is not CONNECTED this means all of the host's traffic is being blocked, until it reconnects or is disconnected.
    /// </summary>
    public bool LockdownActive { get; init; }
    /// <summary>True for a profile connected from a file without being stored.</summary>
    public bool Ephemeral { get; init; }
    /// <summary>The gateway as configured (host:port).</summary>
    public string? Server { get; init; }
    /// <summary>The last error (kept while FAILED and while waiting to retry).</summary>
    public VpnError? Error { get; init; }
    /// <summary>A short human note (the current connect step, "reconnecting in 8 s", ...).</summary>
    public string? Detail { get; init; }
    /// <summary>Details of the established connection (CONNECTED only).</summary>
    public VpnConnectionInfo? Connection { get; init; }
    /// <summary>Counters (CONNECTED only).</summary>
    public Platform.DataPlaneStatistics? Statistics { get; init; }
    /// <summary>When this state was entered.</summary>
    public DateTimeOffset Since { get; init; }
    /// <summary>When always-on will try again, if it is waiting.</summary>
    public DateTimeOffset? NextRetryAt { get; init; }
    /// <summary>Connection attempts in this run.</summary>
    public int Attempt { get; init; }
    /// <summary>Monotonic change number across the service (orders events).</summary>
    public long Sequence { get; init; }
    /// <summary>
    /// For a profile managed by the device policy: the file in the managed directory (<c>managed.d</c>) that provides it.
    /// Null for the user's own profiles.
    /// </summary>
    public string? ManagedBy { get; init; }
}
