using System.Net;
using System.Net.Sockets;

namespace Ikev2Client.Profiles;

/// <summary>Syntax checks for addresses, subnets, ranges and host names in profiles.</summary>
internal static class NetworkSyntax
{
    /// <summary>CIDR prefix, single address or <c>a - b</c> range (same family, a ≤ b).</summary>
    public static bool IsSubnetOrRange(string text)
    {
        var dash = text.IndexOf('-');
        if (dash > 0 && !text.Contains('/'))
        {
            if (!IPAddress.TryParse(text[..dash].Trim(), out var a) || !IPAddress.TryParse(text[(dash + 1)..].Trim(), out var b)) return false;
            if (a.AddressFamily != b.AddressFamily) return false;
            return a.GetAddressBytes().AsSpan().SequenceCompareTo(b.GetAddressBytes()) <= 0;
        }
        return IPNetwork.TryParse(text, out _) || IPAddress.TryParse(text, out _);
    }

    /// <summary>An IPv4/IPv6 literal.</summary>
    public static bool IsIp(string text) => IPAddress.TryParse(text, out var a)
        && a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6 && !text.Contains('/');

    /// <summary>An IP literal or a DNS host name (no spaces, no template placeholders).</summary>
    public static bool IsHost(string text)
    {
        if (IsIp(text)) return true;
        if (text.Length is 0 or > 253) return false;
        return Uri.CheckHostName(text) == UriHostNameType.Dns;
    }

    /// <summary>True for unsubstituted template variables such as <c>${VAR}</c> or <c>{{VAR}}</c>.</summary>
    public static bool IsPlaceholder(string? text) =>
        text is not null && (text.Contains("${", StringComparison.Ordinal) || text.Contains("{{", StringComparison.Ordinal));
}
