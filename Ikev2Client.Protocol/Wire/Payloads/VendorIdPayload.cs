namespace Ikev2Client.Protocol.Wire.Payloads;

/// <summary>Vendor ID payload (RFC 7296 §3.12): opaque bytes.</summary>
public sealed class VendorIdPayload : Payload
{
    public override PayloadType Type => PayloadType.VendorId;
    public byte[] Data { get; set; } = Array.Empty<byte>();

    public VendorIdPayload() { }
    public VendorIdPayload(byte[] data) => Data = data;

    public override int BodyLength => Data.Length;
    public override void WriteBody(Span<byte> d) => Data.CopyTo(d);

    public static bool TryRead(ReadOnlySpan<byte> body, out VendorIdPayload? payload, out string? error)
    {
        (payload, error) = (new VendorIdPayload(body.ToArray()), null);
        return true;
    }
}
