using Ikev2Client.Profiles;

namespace Ikev2Client.Service;

/// <summary>
/// Where the control socket and the daemon log live: <c>$IKEV2_SOCKET</c> if set; else
/// <c>$IKEV2_HOME/run/ikev2.sock</c> when <c>$IKEV2_HOME</c> is set; else <c>/run/ikev2/ikev2.sock</c> for root;
/// else <c>$XDG_RUNTIME_DIR/ikev2/ikev2.sock</c>; else <c>STATE/run/ikev2.sock</c> under the store's state directory.
/// The log is <c>STATE/ikev2d.log</c>.
/// </summary>
public static class ServicePaths
{
    /// <summary>Longest Unix socket path Linux accepts (sun_path is 108 bytes with the terminating NUL).</summary>
    public const int MaxSocketPathBytes = 107;

    /// <summary>The control socket for this process's environment.</summary>
    public static string SocketPath(ProfileStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (Environment.GetEnvironmentVariable("IKEV2_SOCKET") is { Length: > 0 } explicitPath) return explicitPath;
        if (Environment.GetEnvironmentVariable("IKEV2_HOME") is { Length: > 0 } home) return Path.Combine(home, "run", "ikev2.sock");
        if (Environment.IsPrivilegedProcess) return "/run/ikev2/ikev2.sock";
        if (Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") is { Length: > 0 } runtime) return Path.Combine(runtime, "ikev2", "ikev2.sock");
        return Path.Combine(store.StateDirectory, "run", "ikev2.sock");
    }

    /// <summary>
    /// Where connections record what they install (TUN, routes, rules, nftables table, resolv.conf backup) so the next
    /// start of the service or of <c>connect --foreground</c> can undo it after a crash: <c>STATE/network</c>.
    /// </summary>
    public static string NetworkStateDirectory(ProfileStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return Path.Combine(store.StateDirectory, "network");
    }

    /// <summary>The daemon's log file when it runs in the background.</summary>
    public static string LogPath(ProfileStore store) => Path.Combine(store.StateDirectory, "ikev2d.log");
}
