namespace Ikev2Client.Connection;

/// <summary>
/// The state of a connection and of a provisioned profile, as Android's <c>VpnProfileState</c> has it (same numeric values:
/// DISCONNECTED 0, CONNECTING 1, CONNECTED 2, FAILED 3, DISCONNECTING 4). On the control socket the state
/// is written as its upper-case name.
/// </summary>
public enum VpnState
{
    /// <summary>No connection, and none is being attempted.</summary>
    Disconnected = 0,
    /// <summary>An attempt is under way (IKE_SA_INIT, IKE_AUTH, tunnel set-up).</summary>
    Connecting = 1,
    /// <summary>The tunnel is up.</summary>
    Connected = 2,
    /// <summary>The last attempt failed or the connection was lost; see the error. Always-on may retry.</summary>
    Failed = 3,
    /// <summary>A stop was requested and the IKE SA is being deleted.</summary>
    Disconnecting = 4,
}

/// <summary>Wire names of <see cref="VpnState"/> (DISCONNECTED, CONNECTING, ...).</summary>
public static class VpnStateNames
{
    /// <summary>The upper-case name used on the control socket and in <c>--json</c> output.</summary>
    public static string ToWire(this VpnState state) => state switch
    {
        VpnState.Disconnected => "DISCONNECTED",
        VpnState.Connecting => "CONNECTING",
        VpnState.Connected => "CONNECTED",
        VpnState.Failed => "FAILED",
        VpnState.Disconnecting => "DISCONNECTING",
        _ => "UNKNOWN",
    };

    /// <summary>Parses a wire name; false for anything else.</summary>
    public static bool TryParse(string? text, out VpnState state)
    {
        foreach (var s in Enum.GetValues<VpnState>())
            if (string.Equals(s.ToWire(), text, StringComparison.Ordinal)) { state = s; return true; }
        state = VpnState.Disconnected;
        return false;
    }
}
