using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Ikev2Client.Protocol.Ike;

/// <summary>The GW Ident Type of RFC 5685 §10.</summary>
public enum GatewayIdentityType : byte
{
    /// <summary>An IPv4 address.</summary>
    Ipv4 = 1,
    /// <summary>An IPv6 address.</summary>
    Ipv6 = 2,
    /// <summary>A fully-qualified domain name.</summary>
    Fqdn = 3,
}

/// <summary>
/// A VPN gateway named in a REDIRECT or REDIRECTED_FROM notify (RFC 5685 §10): an IPv4 or IPv6 address or an FQDN.
/// </summary>
public sealed record GatewayIdentity
{
    private GatewayIdentity(GatewayIdentityType type, IPAddress? address, string? fqdn)
    {
        Type = type;
        Address = address;
        Fqdn = fqdn;
    }

    /// <summary>Which kind of identity it is.</summary>
    public GatewayIdentityType Type { get; }
    /// <summary>The address, for <see cref="GatewayIdentityType.Ipv4"/> and <see cref="GatewayIdentityType.Ipv6"/>.</summary>
    public IPAddress? Address { get; }
    /// <summary>The host name, for <see cref="GatewayIdentityType.Fqdn"/>.</summary>
    public string? Fqdn { get; }

    /// <summary>A gateway named by address (an IPv4-mapped IPv6 address becomes IPv4).</summary>
    public static GatewayIdentity FromAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        return new(address.AddressFamily == AddressFamily.InterNetwork ? GatewayIdentityType.Ipv4 : GatewayIdentityType.Ipv6, address, null);
    }

    /// <summary>A gateway named by host name (1–255 printable ASCII characters).</summary>
    public static GatewayIdentity FromFqdn(string fqdn)
    {
        if (string.IsNullOrWhiteSpace(fqdn) || Encoding.ASCII.GetByteCount(fqdn) > 255 || fqdn.Any(c => c > 127 || char.IsControl(c)))
            throw new ArgumentException("an FQDN of 1-255 printable ASCII characters is required", nameof(fqdn));
        return new(GatewayIdentityType.Fqdn, null, fqdn);
    }

    /// <summary>An address when <paramref name="text"/> parses as one, otherwise an FQDN.</summary>
    public static GatewayIdentity Parse(string text) => IPAddress.TryParse(text, out var a) ? FromAddress(a) : FromFqdn(text);

    /// <summary>GW Ident Type | GW Ident Len | New Responder GW Identity.</summary>
    public byte[] Encode()
    {
        var value = Type == GatewayIdentityType.Fqdn ? Encoding.ASCII.GetBytes(Fqdn!) : Address!.GetAddressBytes();
        var data = new byte[2 + value.Length];
        data[0] = (byte)Type;
        data[1] = (byte)value.Length;
        value.CopyTo(data, 2);
        return data;
    }

    /// <summary>Parses the identity at the start of a notify's data; <paramref name="rest"/> is what follows (the nonce of REDIRECT).</summary>
    public static bool TryDecode(ReadOnlySpan<byte> data, out GatewayIdentity? identity, out byte[] rest, out string? error)
    {
        identity = null;
        rest = Array.Empty<byte>();
        error = null;
        if (data.Length < 2) { error = "the gateway identity is truncated"; return false; }
        var type = (GatewayIdentityType)data[0];
        int length = data[1];
        if (data.Length < 2 + length) { error = "the gateway identity is longer than the notify"; return false; }
        var value = data.Slice(2, length);
        switch (type)
        {
            case GatewayIdentityType.Ipv4 when length == 4:
            case GatewayIdentityType.Ipv6 when length == 16:
                identity = new(type, new IPAddress(value), null);
                break;
            case GatewayIdentityType.Fqdn when length > 0:
                foreach (var b in value)
                    if (b < 0x21 || b > 0x7E) { error = "the gateway FQDN has non-printable characters"; return false; }
                identity = new(type, null, Encoding.ASCII.GetString(value));
                break;
            default:
                error = $"unsupported gateway identity type {(byte)type} with length {length}";
                return false;
        }
        rest = data[(2 + length)..].ToArray();
        return true;
    }

    /// <summary>The address or host name.</summary>
    public override string ToString() => Type == GatewayIdentityType.Fqdn ? Fqdn! : Address!.ToString();
}
