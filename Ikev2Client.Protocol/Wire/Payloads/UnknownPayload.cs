namespace Ikev2Client.Protocol.Wire.Payloads;

/// <summary>A payload of a type we don't know, without the critical bit: skipped by the logic, kept for re-encoding.</summary>
public sealed class UnknownPayload : Payload
{
    private readonly PayloadType _type;

    public UnknownPayload(PayloadType type, byte[] body)
    {
        _type = type;
        Body = body;
    }

    public override PayloadType Type => _type;
    public byte[] Body { get; }
    public override int BodyLength => Body.Length;
    public override void WriteBody(Span<byte> d) => Body.CopyTo(d);
}
