namespace Ikev2Client.Protocol.Wire.Payloads;

/// <summary>
/// Certificate payload (RFC 7296 §3.6).
/// <code>
/// | Cert Encoding |                                               |
/// ~                       Certificate Data                        ~
/// </code>
/// </summary>
public sealed class CertPayload : Payload
{
    public override PayloadType Type => PayloadType.Certificate;
    public CertEncoding Encoding { get; set; }
    public byte[] Data { get; set; } = Array.Empty<byte>();

    public CertPayload() { }
    public CertPayload(CertEncoding encoding, byte[] data) { Encoding = encoding; Data = data; }

    public override int BodyLength => 1 + Data.Length;

    public override void WriteBody(Span<byte> d)
    {
        d[0] = (byte)Encoding;
        Data.CopyTo(d.Slice(1));
    }

    public static bool TryRead(ReadOnlySpan<byte> body, out CertPayload? payload, out string? error)
    {
        if (body.Length < 1) { (payload, error) = (null, "CERT payload is empty"); return false; }
        (payload, error) = (new CertPayload((CertEncoding)body[0], body.Slice(1).ToArray()), null);
        return true;
    }
}

/// <summary>
/// Certificate Request payload (RFC 7296 §3.7): for X.509, a concatenation of 20-byte SHA-1 hashes of CA
/// public keys (SubjectPublicKeyInfo).
/// </summary>
public sealed class CertReqPayload : Payload
{
    public const int KeyHashLength = 20;

    public override PayloadType Type => PayloadType.CertificateRequest;
    public CertEncoding Encoding { get; set; } = CertEncoding.X509Signature;
    public byte[] Data { get; set; } = Array.Empty<byte>();

    public CertReqPayload() { }
    public CertReqPayload(CertEncoding encoding, byte[] data) { Encoding = encoding; Data = data; }

    /// <summary>The CA key hashes when the encoding is X.509 and the data is a multiple of 20 bytes.</summary>
    public IEnumerable<byte[]> KeyHashes => Data.Length % KeyHashLength == 0
        ? Enumerable.Range(0, Data.Length / KeyHashLength).Select(i => Data.AsSpan(i * KeyHashLength, KeyHashLength).ToArray())
        : Enumerable.Empty<byte[]>();

    public override int BodyLength => 1 + Data.Length;

    public override void WriteBody(Span<byte> d)
    {
        d[0] = (byte)Encoding;
        Data.CopyTo(d.Slice(1));
    }

    public static bool TryRead(ReadOnlySpan<byte> body, out CertReqPayload? payload, out string? error)
    {
        if (body.Length < 1) { (payload, error) = (null, "CERTREQ payload is empty"); return false; }
        (payload, error) = (new CertReqPayload((CertEncoding)body[0], body.Slice(1).ToArray()), null);
        return true;
    }
}
