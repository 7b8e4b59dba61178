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
    /// <inheritdoc />
    public override PayloadType Type => PayloadType.Certificate;
    /// <summary>How <see cref="Data"/> is encoded (this library sends and reads <see cref="CertEncoding.X509Signature"/>).</summary>
    public CertEncoding Encoding { get; set; }
    /// <summary>The certificate data, e.g. a DER X.509 certificate.</summary>
    public byte[] Data { get; set; } = Array.Empty<byte>();

    /// <summary>An empty CERT payload.</summary>
    public CertPayload() { }
    /// <summary>A CERT payload with the given encoding and data.</summary>
    public CertPayload(CertEncoding encoding, byte[] data) { Encoding = encoding; Data = data; }

    internal override int BodyLength => 1 + Data.Length;

    internal override void WriteBody(Span<byte> d)
    {
        d[0] = (byte)Encoding;
        Data.CopyTo(d.Slice(1));
    }

    internal static bool TryRead(ReadOnlySpan<byte> body, out CertPayload? payload, out string? error)
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
    /// <summary>Length of one CA key hash: SHA-1 of the CA's SubjectPublicKeyInfo (RFC 7296 §3.7).</summary>
    public const int KeyHashLength = 20;

    /// <inheritdoc />
    public override PayloadType Type => PayloadType.CertificateRequest;
    /// <summary>The certificate encoding requested.</summary>
    public CertEncoding Encoding { get; set; } = CertEncoding.X509Signature;
    /// <summary>The certification authority field: concatenated CA key hashes for X.509.</summary>
    public byte[] Data { get; set; } = Array.Empty<byte>();

    /// <summary>An empty CERTREQ payload for X.509 certificates.</summary>
    public CertReqPayload() { }
    /// <summary>A CERTREQ payload with the given encoding and CA hashes.</summary>
    public CertReqPayload(CertEncoding encoding, byte[] data) { Encoding = encoding; Data = data; }

    /// <summary>The CA key hashes when the encoding is X.509 and the data is a multiple of 20 bytes.</summary>
    public IEnumerable<byte[]> KeyHashes => Data.Length % KeyHashLength == 0
        ? Enumerable.Range(0, Data.Length / KeyHashLength).Select(i => Data.AsSpan(i * KeyHashLength, KeyHashLength).ToArray())
        : Enumerable.Empty<byte[]>();

    internal override int BodyLength => 1 + Data.Length;

    internal override void WriteBody(Span<byte> d)
    {
        d[0] = (byte)Encoding;
        Data.CopyTo(d.Slice(1));
    }

    internal static bool TryRead(ReadOnlySpan<byte> body, out CertReqPayload? payload, out string? error)
    {
        if (body.Length < 1) { (payload, error) = (null, "CERTREQ payload is empty"); return false; }
        (payload, error) = (new CertReqPayload((CertEncoding)body[0], body.Slice(1).ToArray()), null);
        return true;
    }
}
