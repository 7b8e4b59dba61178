namespace Ikev2Client.Protocol.Wire.Payloads;

/// <summary>A payload of a type we don't know, without the critical bit: skipped by the logic, kept for re-encoding.</summary>
public sealed class UnknownPayload : Payload
{
    private readonly PayloadType _type;

    /// <summary>A payload of a type this library does not know, kept as its raw body.</summary>
    public UnknownPayload(PayloadType type, byte[] body)
    {
        _type = type;
        Body = body;
    }

    /// <inheritdoc />
    public override PayloadType Type => _type;
    /// <summary>The body as received (re-encoded byte for byte).</summary>
    public byte[] Body { get; }
    internal override int BodyLength => Body.Length;
    internal override void WriteBody(Span<byte> d) => Body.CopyTo(d);
}
