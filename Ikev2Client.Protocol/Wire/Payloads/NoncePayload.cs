namespace Ikev2Client.Protocol.Wire.Payloads;

/// <summary>Nonce payload (RFC 7296 §3.9): 16 to 256 octets of random data.</summary>
public sealed class NoncePayload : Payload
{
    /// <summary>The shortest nonce RFC 7296 §3.9 allows, in bytes.</summary>
    public const int MinLength = 16;
    /// <summary>The longest nonce RFC 7296 §3.9 allows, in bytes.</summary>
    public const int MaxLength = 256;

    /// <inheritdoc />
    public override PayloadType Type => PayloadType.Nonce;
    /// <summary>The nonce.</summary>
    public byte[] Data { get; set; } = Array.Empty<byte>();

    /// <summary>An empty Nonce payload.</summary>
    public NoncePayload() { }
    /// <summary>A Nonce payload carrying <paramref name="data"/>.</summary>
    public NoncePayload(byte[] data) => Data = data;

    internal override int BodyLength => Data.Length;

    internal override void WriteBody(Span<byte> d) => Data.CopyTo(d);

    internal static bool TryRead(ReadOnlySpan<byte> body, out NoncePayload? payload, out string? error)
    {
        if (body.Length < MinLength || body.Length > MaxLength)
        {
            (payload, error) = (null, $"nonce is {body.Length} bytes; RFC 7296 requires 16 to 256");
            return false;
        }
        (payload, error) = (new NoncePayload(body.ToArray()), null);
        return true;
    }
}
