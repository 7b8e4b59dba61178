using System.Net;

namespace Ikev2Client.Platform;

/// <summary>
/// What lockdown lets out (Android's "block connections without VPN"): IKE and ESP to the gateways, loopback, and
/// everything through the tunnel interface once it exists. Everything else is blocked, both address families.
/// </summary>
/// <param name="Gateways">The gateway addresses IKE (UDP to <paramref name="IkePorts"/>) and ESP (IP protocol 50) may go to.</param>
/// <param name="IkePorts">The gateway's UDP ports (500, 4500, and the profile's port).</param>
/// <param name="TunnelInterface">The tunnel interface (all traffic through it is allowed), or null while it does not exist.</param>
public sealed record LockdownPolicy(IReadOnlyList<IPAddress> Gateways, IReadOnlyList<int> IkePorts, string? TunnelInterface)
{
    /// <summary>The ports IKE uses by default: 500, then 4500 after NAT detection (RFC 7296 §2.23).</summary>
    public static IReadOnlyList<int> DefaultIkePorts { get; } = [500, 4500];

    /// <summary>Equal when they allow the same traffic (order of addresses and ports does not matter).</summary>
    public bool Equals(LockdownPolicy? other) =>
        other is not null && TunnelInterface == other.TunnelInterface
        && Gateways.ToHashSet().SetEquals(other.Gateways) && IkePorts.ToHashSet().SetEquals(other.IkePorts);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(TunnelInterface, Gateways.Count, IkePorts.Count);

    /// <summary>One line for logs: <c>gateways 192.0.2.1 ports 500,4500 tunnel ikev2tun0</c>.</summary>
    public override string ToString() =>
        $"gateways {string.Join(",", Gateways)} ports {string.Join(",", IkePorts)} tunnel {TunnelInterface ?? "(none)"}";
}

/// <summary>
/// Enforces lockdown: while a <see cref="LockdownPolicy"/> is applied, nothing leaves the host outside the tunnel but
/// IKE/ESP to the gateway. Each <see cref="Apply"/> replaces the previous policy atomically (there is never a moment
/// with no rules), and <see cref="Remove"/> lets everything through again. Implementations must fail loudly
/// (<see cref="LockdownFirewallException"/>) rather than run unenforced.
/// </summary>
public interface ILockdownFirewall
{
    /// <summary>The policy in force, or null when nothing is blocked.</summary>
    LockdownPolicy? Current { get; }

    /// <summary>Installs or replaces the rules in one transaction.</summary>
    /// <exception cref="LockdownFirewallException">the rules could not be installed (the previous ones, if any, stay).</exception>
    void Apply(LockdownPolicy policy);

    /// <summary>Removes the rules; does nothing when none are installed.</summary>
    void Remove();
}

/// <summary>Lockdown could not be enforced (the firewall tool is missing or refused the rules).</summary>
public sealed class LockdownFirewallException : VpnPlatformException
{
    /// <summary>Creates the exception.</summary>
    public LockdownFirewallException(string message, bool missing = false, Exception? inner = null) : base(message, 0, inner)
        => ToolMissing = missing;

    /// <summary>True when the firewall tool (nft) is not installed.</summary>
    public bool ToolMissing { get; }
}
