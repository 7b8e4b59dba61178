namespace Ikev2Client.Protocol.Wire.Payloads;

/// <summary>Vendor ID payload (RFC 7296 §3.12): opaque bytes.</summary>
public sealed class VendorIdPayload : Payload
{
    /// <inheritdoc />
    public override PayloadType Type => PayloadType.VendorId;
    /// <summary>The vendor ID (opaque).</summary>
    public byte[] Data { get; set; } = Array.Empty<byte>();

    /// <summary>An empty Vendor ID payload.</summary>
    public VendorIdPayload() { }
    /// <summary>A Vendor ID payload carrying <paramref name="data"/>.</summary>
    public VendorIdPayload(byte[] data) => Data = data;

    internal override int BodyLength => Data.Length;
    internal override void WriteBody(Span<byte> d) => Data.CopyTo(d);

    internal static bool TryRead(ReadOnlySpan<byte> body, out VendorIdPayload? payload, out string? error)
    {
        (payload, error) = (new VendorIdPayload(body.ToArray()), null);
        return true;
    }
}
