using System.Net;
using System.Text;

namespace Ikev2Client.Protocol.Wire.Payloads;

/// <summary>
/// Configuration payload (RFC 7296 §3.15).
/// <code>
/// |   CFG Type    |                    RESERVED                   |
/// ~                   Configuration Attributes                    ~
/// </code>
/// </summary>
public sealed class ConfigPayload : Payload
{
    /// <inheritdoc />
    public override PayloadType Type => PayloadType.Configuration;
    /// <summary>CFG_REQUEST, CFG_REPLY, CFG_SET or CFG_ACK.</summary>
    public ConfigType ConfigType { get; set; }
    /// <summary>The configuration attributes, in order.</summary>
    public List<ConfigAttribute> Attributes { get; } = new();

    /// <summary>An empty CP payload.</summary>
    public ConfigPayload() { }
    /// <summary>A CP payload of the given type with the given attributes.</summary>
    public ConfigPayload(ConfigType type, IEnumerable<ConfigAttribute> attributes) { ConfigType = type; Attributes.AddRange(attributes); }

    internal override int BodyLength => 4 + Attributes.Sum(a => a.Length);

    internal override void WriteBody(Span<byte> d)
    {
        var w = new SpanWriter(d);
        w.U8((byte)ConfigType);
        w.Zeros(3);
        foreach (var a in Attributes)
        {
            w.U16((ushort)((ushort)a.Type & 0x7FFF));
            w.U16((ushort)a.Value.Length);
            w.Bytes(a.Value);
        }
    }

    internal static bool TryRead(ReadOnlySpan<byte> body, out ConfigPayload? payload, out string? error)
    {
        payload = null;
        var r = new SpanReader(body);
        var p = new ConfigPayload { ConfigType = (ConfigType)r.U8() };
        r.Bytes(3);
        if (r.Failed) { error = "CP payload shorter than 4 bytes"; return false; }
        while (r.Remaining > 0)
        {
            ushort type = (ushort)(r.U16() & 0x7FFF);
            ushort len = r.U16();
            var value = r.Bytes(len);
            if (r.Failed) { error = "configuration attribute runs past the payload"; return false; }
            var a = new ConfigAttribute((ConfigAttributeType)type, value.ToArray());
            if (!a.HasValidLength) { error = $"configuration attribute {a.Type} has invalid length {len}"; return false; }
            p.Attributes.Add(a);
        }
        (payload, error) = (p, null);
        return true;
    }
}

/// <summary>One configuration attribute (RFC 7296 §3.15.1); an empty value is a request.</summary>
public sealed record ConfigAttribute(ConfigAttributeType Type, byte[] Value)
{
    internal int Length => 4 + Value.Length;

    /// <summary>A request for an attribute: its type with an empty value.</summary>
    public static ConfigAttribute Request(ConfigAttributeType type) => new(type, Array.Empty<byte>());

    /// <summary>An address attribute (INTERNAL_IP4_ADDRESS, INTERNAL_IP6_DNS, ...); IPv6 addresses take a prefix length where the attribute has one.</summary>
    public static ConfigAttribute Address(ConfigAttributeType type, IPAddress address, int? ipv6Prefix = null)
    {
        var bytes = address.GetAddressBytes();
        if (ipv6Prefix is int prefix) bytes = bytes.Append((byte)prefix).ToArray();
        return new(type, bytes);
    }

    /// <summary>RFC 7296 §3.15.1 lengths: 0 (request) or the fixed size of the value.</summary>
    public bool HasValidLength => Value.Length == 0 || Type switch
    {
        ConfigAttributeType.InternalIp4Address or ConfigAttributeType.InternalIp4Netmask or ConfigAttributeType.InternalIp4Dns
            or ConfigAttributeType.InternalIp4Nbns or ConfigAttributeType.InternalIp4Dhcp or ConfigAttributeType.P_CscfIp4Address => Value.Length == 4,
        ConfigAttributeType.InternalIp6Address or ConfigAttributeType.InternalIp6Subnet => Value.Length == 17,
        ConfigAttributeType.InternalIp6Dns or ConfigAttributeType.InternalIp6Dhcp or ConfigAttributeType.P_CscfIp6Address => Value.Length == 16,
        ConfigAttributeType.InternalIp4Subnet => Value.Length == 8,
        ConfigAttributeType.SupportedAttributes => Value.Length % 2 == 0,
        _ => true,
    };

    /// <summary>The address in an address-valued attribute, or null.</summary>
    public IPAddress? AsAddress() => Value.Length switch
    {
        4 or 8 => new IPAddress(Value.AsSpan(0, 4)),
        16 or 17 => new IPAddress(Value.AsSpan(0, 16)),
        _ => null,
    };

    /// <summary>Prefix length: from the netmask half of INTERNAL_IP4_SUBNET or the last octet of an IPv6 value.</summary>
    public int? PrefixLength => Value.Length switch
    {
        17 => Value[16],
        8 => System.Numerics.BitOperations.PopCount(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(Value.AsSpan(4))),
        _ => null,
    };

    /// <inheritdoc />
    public override string ToString()
    {
        if (Value.Length == 0) return $"{Type} (request)";
        if (Type is ConfigAttributeType.ApplicationVersion or ConfigAttributeType.InternalDnsDomain)
            return $"{Type} {Encoding.UTF8.GetString(Value)}";
        var addr = AsAddress();
        if (addr != null) return PrefixLength is int p ? $"{Type} {addr}/{p}" : $"{Type} {addr}";
        return $"{Type} {Convert.ToHexString(Value)}";
    }
}
