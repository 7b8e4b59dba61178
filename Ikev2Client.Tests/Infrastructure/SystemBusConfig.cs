namespace Ikev2Client.Tests.Infrastructure;

/// <summary>
/// The configuration of a private dbus-daemon that plays the system bus inside a test's namespace (systemd-resolved,
/// NetworkManager): a system bus on <c>socket</c> that lets every peer own any name and send or receive anything.
/// </summary>
internal static class SystemBusConfig
{
    public static string Open(string socket) => $"""
        <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
        <busconfig>
          <type>system</type>
          <listen>unix:path={socket}</listen>
          <auth>EXTERNAL</auth>
          <policy context="default">
            <allow user="*"/>
            <allow own="*"/>
            <allow send_type="method_call"/>
            <allow send_type="signal"/>
            <allow send_type="method_return"/>
            <allow send_type="error"/>
            <allow receive_type="method_call"/>
            <allow receive_type="signal"/>
            <allow receive_type="method_return"/>
            <allow receive_type="error"/>
          </policy>
        </busconfig>
        """;
}
