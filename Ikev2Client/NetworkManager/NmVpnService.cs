using Ikev2Client.Service;
using Tmds.DBus.Protocol;

namespace Ikev2Client.NetworkManager;

/// <summary>
/// The process NetworkManager starts (<c>ikev2 nm-service</c>): connects to the system bus, serves
/// <see cref="NmVpnPlugin"/> and owns the bus name, and ends when it has been idle (no connection) for
/// <paramref name="idleExit"/>, when the bus goes away, or when cancelled (SIGTERM), disconnecting first.
/// </summary>
public static class NmVpnService
{
    /// <summary>Runs until idle, the bus closes, or <paramref name="cancellationToken"/>; returns the exit code.</summary>
    public static async Task<int> RunAsync(string busName, string? busAddress, IVpnConnectionFactory factory, Action<string> log,
        TimeSpan idleExit, CancellationToken cancellationToken, Func<string, Profiles.Ikev2VpnProfile>? loadStored = null)
    {
        var address = busAddress ?? DBusAddress.System ?? "unix:path=/run/dbus/system_bus_socket";
        using var bus = new DBusConnection(address);
        try
        {
            await bus.ConnectAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DBusConnectionException or DBusConnectFailedException or IOException or TimeoutException
                                      or System.Net.Sockets.SocketException)
        {
            log($"cannot connect to the system bus at {address}: {e.Message}");
            return 1;
        }
        var plugin = new NmVpnPlugin(factory, log, loadStored);
        var lastActive = DateTime.UtcNow;
        plugin.StateChanged += _ => lastActive = DateTime.UtcNow;
        plugin.Attach(bus);
        try
        {
            await bus.RequestNameAsync(busName, RequestNameOptions.None).ConfigureAwait(false);
        }
        catch (DBusErrorReplyException e)
        {
            log($"cannot own the bus name {busName}: {e.Message} (is the D-Bus policy installed? see docs/networkmanager.md)");
            return 1;
        }
        log($"serving {busName} on {address}");
        var disconnected = bus.DisconnectedAsync();
        while (!cancellationToken.IsCancellationRequested && !disconnected.IsCompleted)
        {
            var idle = plugin.State is NmVpnServiceState.Init or NmVpnServiceState.Stopped;
            if (idle && DateTime.UtcNow - lastActive >= idleExit) break;
            await Task.WhenAny(disconnected, Task.Delay(TimeSpan.FromMilliseconds(500), CancellationToken.None)).ConfigureAwait(false);
        }
        if (disconnected.IsCompleted) log("the system bus closed the connection");
        await plugin.DisconnectAsync().ConfigureAwait(false);
        log("exiting");
        return 0;
    }
}
