namespace Ikev2Client.Protocol.Wire.Payloads;

/// <summary>Nonce payload (RFC 7296 §3.9): 16 to 256 octets of random data.</summary>
public sealed class NoncePayload : Payload
{
    public const int MinLength = 16;
    public const int MaxLength = 256;

    public override PayloadType Type => PayloadType.Nonce;
    public byte[] Data { get; set; } = Array.Empty<byte>();

    public NoncePayload() { }
    public NoncePayload(byte[] data) => Data = data;

    public override int BodyLength => Data.Length;

    public override void WriteBody(Span<byte> d) => Data.CopyTo(d);

    public static bool TryRead(ReadOnlySpan<byte> body, out NoncePayload? payload, out string? error)
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
