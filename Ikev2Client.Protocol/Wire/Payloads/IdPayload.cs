using System.Net;
using System.Text;

namespace Ikev2Client.Protocol.Wire.Payloads;

/// <summary>
/// Identification payload, IDi or IDr (RFC 7296 §3.5).
/// <code>
/// |   ID Type     |                 RESERVED                      |
/// ~                   Identification Data                         ~
/// </code>
/// </summary>
public sealed class IdPayload : Payload
{
    private readonly bool _initiator;

    /// <summary>An IDi (<paramref name="initiator"/> true) or IDr payload.</summary>
    public IdPayload(bool initiator, IdType idType, byte[] data)
    {
        _initiator = initiator;
        IdType = idType;
        Data = data;
    }

    /// <inheritdoc />
    public override PayloadType Type => _initiator ? PayloadType.IdInitiator : PayloadType.IdResponder;
    /// <summary>The identification type.</summary>
    public IdType IdType { get; set; }
    /// <summary>The identification data.</summary>
    public byte[] Data { get; set; }

    internal override int BodyLength => 4 + Data.Length;

    /// <summary>The body as RFC 7296 §2.15 signs it (RestOfInitIDPayload / RestOfRespIDPayload).</summary>
    internal byte[] GetBody()
    {
        var b = new byte[BodyLength];
        WriteBody(b);
        return b;
    }

    internal override void WriteBody(Span<byte> d)
    {
        var w = new SpanWriter(d);
        w.U8((byte)IdType);
        w.Zeros(3);
        w.Bytes(Data);
    }

    internal static bool TryRead(ReadOnlySpan<byte> body, bool initiator, out IdPayload? payload, out string? error)
    {
        var r = new SpanReader(body);
        var type = (IdType)r.U8();
        r.Bytes(3);
        var data = r.Rest();
        if (r.Failed) { (payload, error) = (null, "ID payload shorter than 4 bytes"); return false; }
        if (type == IdType.Ipv4Addr && data.Length != 4) { (payload, error) = (null, "ID_IPV4_ADDR must be 4 bytes"); return false; }
        if (type == IdType.Ipv6Addr && data.Length != 16) { (payload, error) = (null, "ID_IPV6_ADDR must be 16 bytes"); return false; }
        (payload, error) = (new IdPayload(initiator, type, data.ToArray()), null);
        return true;
    }

    /// <summary>A printable form: the address, the name, or the DN / key id in hex.</summary>
    public string DisplayValue => IdType switch
    {
        IdType.Ipv4Addr or IdType.Ipv6Addr when Data.Length is 4 or 16 => new IPAddress(Data).ToString(),
        IdType.Fqdn or IdType.Rfc822Addr => Encoding.ASCII.GetString(Data),
        IdType.DerAsn1Dn => TryFormatDn(Data),
        _ => Convert.ToHexString(Data),
    };

    private static string TryFormatDn(byte[] der)
    {
        try { return new System.Security.Cryptography.X509Certificates.X500DistinguishedName(der).Name; }
        catch (System.Security.Cryptography.CryptographicException) { return Convert.ToHexString(der); }
    }
}
