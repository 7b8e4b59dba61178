using System.Net.Sockets;
using System.Text;

namespace Ikev2Client.Platform.Linux;

/// <summary>
/// Android's <c>VpnService.protect</c> on Linux, shared by the builder (before establish) and the interface: the routing
/// mark that skips the tunnel's policy rule, plus SO_BINDTODEVICE to the first underlying network when the builder was
/// given some (<see cref="IVpnInterfaceBuilder.SetUnderlyingNetworks"/>).
/// </summary>
internal static class LinuxSocketProtection
{
    private const int SO_BINDTODEVICE = 25;

    internal const string BypassReason =
        "Linux has no per-process network selection a VPN could open up; processes follow the routing table";

    /// <summary>Protects <paramref name="socket"/>; false when the kernel refuses (no CAP_NET_ADMIN, no such interface).</summary>
    public static bool Protect(Socket socket, uint mark, IReadOnlyList<string>? underlying)
    {
        ArgumentNullException.ThrowIfNull(socket);
        Span<byte> value = stackalloc byte[4];
        BitConverter.TryWriteBytes(value, mark);
        try
        {
            socket.SetRawSocketOption(Libc.SOL_SOCKET, Libc.SO_MARK, value);
            if (underlying is [var first, ..])
            {
                var name = new byte[Encoding.UTF8.GetByteCount(first) + 1];
                Encoding.UTF8.GetBytes(first, name);
                socket.SetRawSocketOption(Libc.SOL_SOCKET, SO_BINDTODEVICE, name);
            }
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
