using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Ike;

/// <summary>
/// An IKE identity (RFC 7296 §3.5): the ID type and its identification data. Equality compares type and
/// bytes, the way the AUTH payload binds them.
/// </summary>
public sealed class IkeIdentity : IEquatable<IkeIdentity>
{
    private readonly byte[] _data;

    public IkeIdentity(IdType type, ReadOnlySpan<byte> data)
    {
        Type = type;
        _data = data.ToArray();
    }

    public IdType Type { get; }
    public ReadOnlySpan<byte> Data => _data;

    public static IkeIdentity FromAddress(IPAddress address) =>
        new(address.AddressFamily == AddressFamily.InterNetwork ? IdType.Ipv4Addr : IdType.Ipv6Addr, address.GetAddressBytes());

    public static IkeIdentity Fqdn(string name) => new(IdType.Fqdn, Encoding.ASCII.GetBytes(name));
    public static IkeIdentity Email(string address) => new(IdType.Rfc822Addr, Encoding.ASCII.GetBytes(address));
    public static IkeIdentity KeyId(ReadOnlySpan<byte> keyId) => new(IdType.KeyId, keyId);
    public static IkeIdentity DistinguishedName(string dn) => new(IdType.DerAsn1Dn, new X500DistinguishedName(dn).RawData);

    /// <summary>
    /// Parses strongSwan-style identity strings: an IP address, <c>@fqdn</c> or a plain host name,
    /// <c>user@domain</c> (RFC822), <c>keyid:hex</c> (KEY_ID), or a DN such as <c>CN=gw, O=Example</c>.
    /// </summary>
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

    public bool Equals(IkeIdentity? other) =>
        other is not null && other.Type == Type && (Type is IdType.Fqdn or IdType.Rfc822Addr
            ? Encoding.ASCII.GetString(_data).Equals(Encoding.ASCII.GetString(other._data), StringComparison.OrdinalIgnoreCase)
            : _data.AsSpan().SequenceEqual(other._data));

    public override bool Equals(object? obj) => Equals(obj as IkeIdentity);
    public override int GetHashCode() => HashCode.Combine(Type, _data.Length);

    /// <summary>The identity as a person would write it, with its type.</summary>
    public override string ToString() => $"{TypeName}:{new IdPayload(true, Type, _data).DisplayValue}";

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
}
