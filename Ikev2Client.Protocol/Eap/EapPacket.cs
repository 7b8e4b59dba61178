using System.Buffers.Binary;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Eap;

/// <summary>EAP method types (IANA "Method Types", RFC 3748 §5).</summary>
public enum EapMethodType : byte
{
    /// <summary>Identity (RFC 3748 §5.1).</summary>
    Identity = 1,
    /// <summary>Notification (RFC 3748 §5.2).</summary>
    Notification = 2,
    /// <summary>Legacy Nak: the method proposed is not acceptable (RFC 3748 §5.3.1).</summary>
    Nak = 3,
    /// <summary>MD5-Challenge (RFC 3748 §5.4).</summary>
    Md5Challenge = 4,
    /// <summary>EAP-TLS (RFC 5216).</summary>
    Tls = 13,
    /// <summary>EAP-MSCHAPv2 (draft-kamath-pppext-eap-mschapv2, as Windows and strongSwan speak it).</summary>
    MsChapV2 = 26,
}

/// <summary>
/// One EAP packet (RFC 3748 §4): Code, Identifier, Length, and for requests and responses the Type and
/// Type-Data. <see cref="TryParse"/> never throws.
/// </summary>
internal sealed class EapPacket
{
    public EapPacket(EapCode code, byte identifier, EapMethodType? type = null, byte[]? typeData = null)
    {
        Code = code;
        Identifier = identifier;
        Type = type;
        TypeData = typeData ?? Array.Empty<byte>();
    }

    public EapCode Code { get; }
    public byte Identifier { get; }
    /// <summary>Null for Success and Failure.</summary>
    public EapMethodType? Type { get; }
    public byte[] TypeData { get; }

    public static bool TryParse(ReadOnlySpan<byte> message, out EapPacket? packet, out string? error)
    {
        packet = null;
        if (message.Length < 4) { error = "EAP packet shorter than 4 bytes"; return false; }
        var code = (EapCode)message[0];
        int length = BinaryPrimitives.ReadUInt16BigEndian(message.Slice(2));
        if (code is < EapCode.Request or > EapCode.Failure) { error = $"unknown EAP code {(byte)code}"; return false; }
        if (length < 4 || length > message.Length) { error = $"EAP length {length} does not fit the {message.Length} bytes received"; return false; }
        message = message[..length]; // RFC 3748 §4.1: octets beyond Length are padding and ignored
        if (code is EapCode.Success or EapCode.Failure)
        {
            packet = new EapPacket(code, message[1]);
            error = null;
            return true;
        }
        if (length < 5) { error = "EAP request/response without a type"; return false; }
        packet = new EapPacket(code, message[1], (EapMethodType)message[4], message[5..].ToArray());
        error = null;
        return true;
    }

    public byte[] ToBytes()
    {
        int length = Type == null ? 4 : 5 + TypeData.Length;
        var b = new byte[length];
        b[0] = (byte)Code;
        b[1] = Identifier;
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), (ushort)length);
        if (Type is { } t)
        {
            b[4] = (byte)t;
            TypeData.CopyTo(b, 5);
        }
        return b;
    }

    public static byte[] Response(byte identifier, EapMethodType type, ReadOnlySpan<byte> typeData) =>
        new EapPacket(EapCode.Response, identifier, type, typeData.ToArray()).ToBytes();

    public static byte[] Request(byte identifier, EapMethodType type, ReadOnlySpan<byte> typeData) =>
        new EapPacket(EapCode.Request, identifier, type, typeData.ToArray()).ToBytes();

    public override string ToString() => Type is { } t ? $"EAP-{Code}/{t} id={Identifier} ({TypeData.Length} bytes)" : $"EAP-{Code} id={Identifier}";
}
