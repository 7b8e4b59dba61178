namespace Ikev2Client.Protocol.Wire.Payloads;

/// <summary>
/// Encrypted and Authenticated payload, SK (RFC 7296 §3.14), as it travels: IV, ciphertext and ICV, opaque until
/// <see cref="IkeMessageCodec"/> decrypts it. Its Next Payload field names the first payload inside.
/// </summary>
public sealed class EncryptedPayload : Payload
{
    /// <inheritdoc />
    public override PayloadType Type => PayloadType.Encrypted;

    /// <summary>Type of the first inner payload (carried in this payload's Next Payload field).</summary>
    public PayloadType FirstInnerPayload { get; set; }

    /// <summary>IV | ciphertext | ICV.</summary>
    public byte[] Body { get; set; } = Array.Empty<byte>();

    internal override int BodyLength => Body.Length;
    internal override void WriteBody(Span<byte> d) => Body.CopyTo(d);
}

/// <summary>
/// Encrypted and Authenticated Fragment payload, SKF (RFC 7383 §2.5).
/// <code>
/// |        Fragment Number        |        Total Fragments        |
/// |                      Initialization Vector                    |
/// ~                      Encrypted content                        ~
/// ~                    Integrity Checksum Data                    ~
/// </code>
/// </summary>
public sealed class EncryptedFragmentPayload : Payload
{
    /// <inheritdoc />
    public override PayloadType Type => PayloadType.EncryptedFragment;

    /// <summary>Type of the first inner payload; only meaningful in fragment 1 (0 in the others).</summary>
    public PayloadType FirstInnerPayload { get; set; }
    /// <summary>This fragment's number, from 1.</summary>
    public ushort FragmentNumber { get; set; }
    /// <summary>How many fragments the message was split into.</summary>
    public ushort TotalFragments { get; set; }

    /// <summary>IV | ciphertext | ICV.</summary>
    public byte[] Body { get; set; } = Array.Empty<byte>();

    internal override int BodyLength => 4 + Body.Length;

    internal override void WriteBody(Span<byte> d)
    {
        var w = new SpanWriter(d);
        w.U16(FragmentNumber);
        w.U16(TotalFragments);
        w.Bytes(Body);
    }

    internal static bool TryRead(ReadOnlySpan<byte> body, PayloadType next, out EncryptedFragmentPayload? payload, out string? error)
    {
        payload = null;
        var r = new SpanReader(body);
        ushort number = r.U16();
        ushort total = r.U16();
        var rest = r.Rest();
        if (r.Failed) { error = "SKF payload shorter than 4 bytes"; return false; }
        if (number == 0 || total == 0 || number > total) { error = $"fragment {number} of {total} is invalid"; return false; }
        if (number != 1 && next != PayloadType.None) { error = "only the first fragment may name an inner payload"; return false; }
        (payload, error) = (new EncryptedFragmentPayload { FirstInnerPayload = next, FragmentNumber = number, TotalFragments = total, Body = rest.ToArray() }, null);
        return true;
    }
}
