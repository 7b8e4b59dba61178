using System.Net;
using System.Text;
using Ikev2Client.Protocol.Wire;

namespace Ikev2Client.Protocol.Auth;

/// <summary>
/// An IKE identity as the ID payload carries it (RFC 7296 §3.5): type and identification data. The session's
/// <c>IkeIdentity</c> converts with <c>new PeerIdentity(id.Type, id.Data.ToArray())</c>.
/// </summary>
public sealed record PeerIdentity(IdType Type, byte[] Data)
{
    public static PeerIdentity Fqdn(string name) => new(IdType.Fqdn, Encoding.ASCII.GetBytes(name));
    public static PeerIdentity Email(string address) => new(IdType.Rfc822Addr, Encoding.ASCII.GetBytes(address));
    public static PeerIdentity Address(IPAddress address) =>
        new(address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? IdType.Ipv4Addr : IdType.Ipv6Addr, address.GetAddressBytes());
    public static PeerIdentity DistinguishedName(string dn) =>
        new(IdType.DerAsn1Dn, new System.Security.Cryptography.X509Certificates.X500DistinguishedName(dn).RawData);

    /// <summary>A printable form such as <c>fqdn:vpn.example.com</c>.</summary>
    public override string ToString() => Type switch
    {
        IdType.Fqdn => $"fqdn:{Encoding.ASCII.GetString(Data)}",
        IdType.Rfc822Addr => $"email:{Encoding.ASCII.GetString(Data)}",
        IdType.Ipv4Addr or IdType.Ipv6Addr when Data.Length is 4 or 16 => $"ip:{new IPAddress(Data)}",
        IdType.DerAsn1Dn => $"dn:{FormatDn(Data)}",
        _ => $"{Type}:{Convert.ToHexString(Data)}",
    };

    /// <summary>The identity value alone (the name, address or DN) for messages.</summary>
    public string Value => ToString() is var s && s.IndexOf(':') is var i and >= 0 ? s[(i + 1)..] : s;

    private static string FormatDn(byte[] der)
    {
        try { return new System.Security.Cryptography.X509Certificates.X500DistinguishedName(der).Name; }
        catch (System.Security.Cryptography.CryptographicException) { return Convert.ToHexString(der); }
    }

    public bool Equals(PeerIdentity? other) => other is not null && other.Type == Type && other.Data.AsSpan().SequenceEqual(Data);
    public override int GetHashCode() => HashCode.Combine(Type, Data.Length);
}
