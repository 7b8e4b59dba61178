using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Auth;

/// <summary>
/// An IKE identity (RFC 7296 §3.5): the ID type and its identification data, as the ID payload carries it, the AUTH
/// payload binds it and a certificate must name it. Equality compares type and data (FQDN and e-mail identities
/// case-insensitively).
/// </summary>
public sealed class IkeIdentity : IEquatable<IkeIdentity>
{
    private readonly byte[] _data;

    /// <summary>An identity of <paramref name="type"/> with <paramref name="data"/> (copied) as identification data.</summary>
    public IkeIdentity(IdType type, ReadOnlySpan<byte> data)
    {
        Type = type;
        _data = data.ToArray();
    }

    /// <summary>The ID type.</summary>
    public IdType Type { get; }

    /// <summary>The identification data (an address, a name in ASCII, a DER DN, a key id).</summary>
    public ReadOnlySpan<byte> Data => _data;

    /// <summary>An ID_IPV4_ADDR or ID_IPV6_ADDR identity.</summary>
    public static IkeIdentity FromAddress(IPAddress address) =>
        new(address.AddressFamily == AddressFamily.InterNetwork ? IdType.Ipv4Addr : IdType.Ipv6Addr, address.GetAddressBytes());

    /// <summary>An ID_FQDN identity.</summary>
    public static IkeIdentity Fqdn(string name) => new(IdType.Fqdn, Encoding.ASCII.GetBytes(name));

    /// <summary>An ID_RFC822_ADDR (e-mail) identity.</summary>
    public static IkeIdentity Email(string address) => new(IdType.Rfc822Addr, Encoding.ASCII.GetBytes(address));

    /// <summary>An ID_KEY_ID identity (opaque bytes).</summary>
    public static IkeIdentity KeyId(ReadOnlySpan<byte> keyId) => new(IdType.KeyId, keyId);

    /// <summary>An ID_DER_ASN1_DN identity from a DN such as <c>CN=gw, O=Example</c>.</summary>
    public static IkeIdentity DistinguishedName(string dn) => new(IdType.DerAsn1Dn, new X500DistinguishedName(dn).RawData);

    /// <summary>
    /// Parses strongSwan-style identity strings: an IP address, <c>@fqdn</c> or a plain host name,
    /// <c>user@domain</c> (RFC822), <c>keyid:hex</c> (KEY_ID), or a DN such as <c>CN=gw, O=Example</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The text is empty.</exception>
    /// <exception cref="FormatException">A <c>keyid:</c> value is not hex.</exception>
    /// <exception cref="CryptographicException">A DN does not parse.</exception>
    public static IkeIdentity Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        text = text.Trim();
        if (text.StartsWith("keyid:", StringComparison.OrdinalIgnoreCase))
            return KeyId(Convert.FromHexString(text[6..].Replace(":", "")));
        if (IPAddress.TryParse(text, out var ip)) return FromAddress(ip);
        if (text.StartsWith('@')) return Fqdn(text.TrimStart('@'));
        if (text.Contains('=')) return DistinguishedName(text);
        if (text.Contains('@')) return Email(text);
        return Fqdn(text);
    }

    internal IdPayload ToPayload(bool initiator) => new(initiator, Type, _data.ToArray());

    internal static IkeIdentity FromPayload(IdPayload payload) => new(payload.IdType, payload.Data);

    /// <summary>The identity value alone, as a person would write it: the address, the name, the DN, or hex.</summary>
    public string Value => Type switch
    {
        IdType.Ipv4Addr or IdType.Ipv6Addr when _data.Length is 4 or 16 => new IPAddress(_data).ToString(),
        IdType.Fqdn or IdType.Rfc822Addr => Encoding.ASCII.GetString(_data),
        IdType.DerAsn1Dn => FormatDn(_data),
        _ => Convert.ToHexString(_data),
    };

    /// <inheritdoc />
    public bool Equals(IkeIdentity? other) =>
        other is not null && other.Type == Type && (Type is IdType.Fqdn or IdType.Rfc822Addr
            ? Encoding.ASCII.GetString(_data).Equals(Encoding.ASCII.GetString(other._data), StringComparison.OrdinalIgnoreCase)
            : _data.AsSpan().SequenceEqual(other._data));

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as IkeIdentity);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Type, _data.Length);

    /// <summary>The identity with its type, e.g. <c>fqdn:vpn.example.com</c>, <c>ipv4:192.0.2.1</c>, <c>dn:CN=gw</c>.</summary>
    public override string ToString() => $"{TypeName}:{Value}";

    private string TypeName => Type switch
    {
        IdType.Ipv4Addr => "ipv4",
        IdType.Ipv6Addr => "ipv6",
        IdType.Fqdn => "fqdn",
        IdType.Rfc822Addr => "email",
        IdType.DerAsn1Dn => "dn",
        IdType.KeyId => "keyid",
        _ => Type.ToString(),
    };

    private static string FormatDn(byte[] der)
    {
        try { return new X500DistinguishedName(der).Name; }
        catch (CryptographicException) { return Convert.ToHexString(der); }
    }
}
