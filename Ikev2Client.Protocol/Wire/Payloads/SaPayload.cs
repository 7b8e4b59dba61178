namespace Ikev2Client.Protocol.Wire.Payloads;

/// <summary>
/// Security Association payload (RFC 7296 §3.3): a list of proposals, each a list of transforms.
/// </summary>
public sealed class SaPayload : Payload
{
    /// <inheritdoc />
    public override PayloadType Type => PayloadType.SecurityAssociation;

    /// <summary>The proposals, in the sender's order of preference.</summary>
    public List<Proposal> Proposals { get; } = new();

    /// <summary>An empty SA payload.</summary>
    public SaPayload() { }

    /// <summary>An SA payload with the given proposals.</summary>
    public SaPayload(IEnumerable<Proposal> proposals) => Proposals.AddRange(proposals);

    internal override int BodyLength => Proposals.Sum(p => p.Length);

    internal override void WriteBody(Span<byte> destination)
    {
        int offset = 0;
        for (int i = 0; i < Proposals.Count; i++)
        {
            var p = Proposals[i];
            p.Write(destination.Slice(offset, p.Length), last: i == Proposals.Count - 1);
            offset += p.Length;
        }
    }

    internal static bool TryRead(ReadOnlySpan<byte> body, out SaPayload? payload, out string? error)
    {
        payload = new SaPayload();
        error = null;
        while (body.Length > 0)
        {
            if (!Proposal.TryRead(body, out var proposal, out int consumed, out bool last, out error))
            {
                payload = null;
                return false;
            }
            payload.Proposals.Add(proposal!);
            body = body.Slice(consumed);
            if (last && body.Length > 0)
            {
                (payload, error) = (null, "data after the last proposal");
                return false;
            }
            if (!last && body.Length == 0)
            {
                (payload, error) = (null, "proposal not marked last but no more follow");
                return false;
            }
        }
        if (payload.Proposals.Count == 0)
        {
            (payload, error) = (null, "SA payload has no proposals");
            return false;
        }
        return true;
    }
}

/// <summary>
/// Proposal substructure (RFC 7296 §3.3.1).
/// <code>
/// | Last Substruc |   RESERVED    |         Proposal Length       |
/// | Proposal Num  |  Protocol ID  |    SPI Size   |Num  Transforms|
/// ~                        SPI (variable)                         ~
/// ~                        &lt;Transforms&gt;                           ~
/// </code>
/// </summary>
public sealed class Proposal
{
    /// <summary>The proposal number (1 for the first; a responder answers with the number it chose).</summary>
    public byte Number { get; set; } = 1;
    /// <summary>IKE, ESP or AH.</summary>
    public ProtocolId ProtocolId { get; set; }
    /// <summary>The sender's SPI for the SA (8 bytes for an IKE SA rekey, 4 for ESP; empty in IKE_SA_INIT).</summary>
    public byte[] Spi { get; set; } = Array.Empty<byte>();
    /// <summary>The transforms offered (or chosen).</summary>
    public List<Transform> Transforms { get; } = new();

    /// <summary>An empty proposal.</summary>
    public Proposal() { }

    /// <summary>A proposal with the given number, protocol, SPI and transforms.</summary>
    public Proposal(byte number, ProtocolId protocolId, byte[] spi, IEnumerable<Transform> transforms)
    {
        Number = number;
        ProtocolId = protocolId;
        Spi = spi;
        Transforms.AddRange(transforms);
    }

    internal int Length => 8 + Spi.Length + Transforms.Sum(t => t.Length);

    /// <summary>The SPI as a number (8-byte IKE SPI or 4-byte ESP/AH SPI); 0 when absent.</summary>
    public ulong SpiValue => Spi.Aggregate(0UL, (acc, b) => (acc << 8) | b);

    /// <summary>The transforms of one type.</summary>
    public IEnumerable<Transform> OfType(TransformType type) => Transforms.Where(t => t.Type == type);

    internal void Write(Span<byte> d, bool last)
    {
        var w = new SpanWriter(d);
        w.U8(last ? (byte)0 : (byte)2);
        w.U8(0);
        w.U16((ushort)Length);
        w.U8(Number);
        w.U8((byte)ProtocolId);
        w.U8((byte)Spi.Length);
        w.U8((byte)Transforms.Count);
        w.Bytes(Spi);
        int offset = w.Position;
        for (int i = 0; i < Transforms.Count; i++)
        {
            Transforms[i].Write(d.Slice(offset, Transforms[i].Length), i == Transforms.Count - 1);
            offset += Transforms[i].Length;
        }
    }

    internal static bool TryRead(ReadOnlySpan<byte> data, out Proposal? proposal, out int consumed, out bool last, out string? error)
    {
        proposal = null;
        consumed = 0;
        last = false;
        var r = new SpanReader(data);
        byte lastSubstruc = r.U8();
        r.U8();
        ushort length = r.U16();
        byte number = r.U8();
        byte protocol = r.U8();
        byte spiSize = r.U8();
        byte numTransforms = r.U8();
        if (r.Failed) { error = "proposal header truncated"; return false; }
        if (lastSubstruc != 0 && lastSubstruc != 2) { error = $"proposal Last Substruc is {lastSubstruc}, must be 0 or 2"; return false; }
        if (length < 8 || length > data.Length) { error = $"proposal length {length} out of range"; return false; }
        var inner = new SpanReader(data.Slice(8, length - 8));
        var spi = inner.Bytes(spiSize);
        if (inner.Failed) { error = "proposal SPI runs past the proposal"; return false; }
        var p = new Proposal { Number = number, ProtocolId = (ProtocolId)protocol, Spi = spi.ToArray() };
        var rest = inner.Rest();
        for (int i = 0; i < numTransforms; i++)
        {
            if (!Transform.TryRead(rest, out var t, out int used, out bool lastT, out error)) return false;
            p.Transforms.Add(t!);
            rest = rest.Slice(used);
            if (lastT != (i == numTransforms - 1)) { error = "transform Last Substruc disagrees with Num Transforms"; return false; }
        }
        if (rest.Length != 0) { error = "data after the last transform of a proposal"; return false; }
        proposal = p;
        consumed = length;
        last = lastSubstruc == 0;
        error = null;
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => $"#{Number} {ProtocolId} spi={Convert.ToHexString(Spi)} [{string.Join(", ", Transforms)}]";
}

/// <summary>
/// Transform substructure (RFC 7296 §3.3.2) with its attributes (§3.3.5).
/// <code>
/// | Last Substruc |   RESERVED    |        Transform Length       |
/// |Transform Type |   RESERVED    |          Transform ID         |
/// ~                      Transform Attributes                     ~
/// </code>
/// </summary>
public sealed class Transform
{
    /// <summary>The transform type.</summary>
    public TransformType Type { get; set; }
    /// <summary>The transform ID, e.g. an <see cref="Crypto.EncrId"/> for encryption.</summary>
    public ushort Id { get; set; }
    /// <summary>The transform attributes (the Key Length for variable-length ciphers).</summary>
    public List<TransformAttribute> Attributes { get; } = new();

    /// <summary>An empty transform.</summary>
    public Transform() { }

    /// <summary>A transform with a Key Length attribute when <paramref name="keyLength"/> is not 0.</summary>
    public Transform(TransformType type, ushort id, int keyLength = 0)
    {
        Type = type;
        Id = id;
        if (keyLength > 0) Attributes.Add(TransformAttribute.KeyLength((ushort)keyLength));
    }

    /// <summary>The Key Length attribute in bits, or 0 when absent.</summary>
    public int KeyLength => Attributes.FirstOrDefault(a => a.Type == (ushort)TransformAttributeType.KeyLength && a.IsShort)?.ShortValue ?? 0;

    internal int Length => 8 + Attributes.Sum(a => a.Length);

    internal void Write(Span<byte> d, bool last)
    {
        var w = new SpanWriter(d);
        w.U8(last ? (byte)0 : (byte)3);
        w.U8(0);
        w.U16((ushort)Length);
        w.U8((byte)Type);
        w.U8(0);
        w.U16(Id);
        foreach (var a in Attributes) a.Write(ref w);
    }

    internal static bool TryRead(ReadOnlySpan<byte> data, out Transform? transform, out int consumed, out bool last, out string? error)
    {
        transform = null;
        consumed = 0;
        last = false;
        var r = new SpanReader(data);
        byte lastSubstruc = r.U8();
        r.U8();
        ushort length = r.U16();
        byte type = r.U8();
        r.U8();
        ushort id = r.U16();
        if (r.Failed) { error = "transform header truncated"; return false; }
        if (lastSubstruc != 0 && lastSubstruc != 3) { error = $"transform Last Substruc is {lastSubstruc}, must be 0 or 3"; return false; }
        if (length < 8 || length > data.Length) { error = $"transform length {length} out of range"; return false; }
        var t = new Transform { Type = (TransformType)type, Id = id };
        var attrs = data.Slice(8, length - 8);
        while (attrs.Length > 0)
        {
            if (!TransformAttribute.TryRead(attrs, out var a, out int used)) { error = "transform attribute truncated"; return false; }
            t.Attributes.Add(a!);
            attrs = attrs.Slice(used);
        }
        transform = t;
        consumed = length;
        last = lastSubstruc == 0;
        error = null;
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => KeyLength > 0 ? $"{Type}:{Id}/{KeyLength}" : $"{Type}:{Id}";
}

/// <summary>A transform attribute: TV (AF=1, 2-byte value) or TLV (AF=0, variable value).</summary>
public sealed class TransformAttribute
{
    /// <summary>The attribute type (<see cref="TransformAttributeType.KeyLength"/> is the only one defined).</summary>
    public ushort Type { get; init; }
    /// <summary>True for the TV format (a 2-byte value in <see cref="ShortValue"/>), false for TLV (<see cref="Value"/>).</summary>
    public bool IsShort { get; init; }
    /// <summary>The value of a TV attribute.</summary>
    public ushort ShortValue { get; init; }
    /// <summary>The value of a TLV attribute.</summary>
    public byte[] Value { get; init; } = Array.Empty<byte>();

    /// <summary>A Key Length attribute of <paramref name="bits"/> bits.</summary>
    public static TransformAttribute KeyLength(ushort bits) => new() { Type = (ushort)TransformAttributeType.KeyLength, IsShort = true, ShortValue = bits };

    internal int Length => IsShort ? 4 : 4 + Value.Length;

    internal void Write(ref SpanWriter w)
    {
        if (IsShort)
        {
            w.U16((ushort)(0x8000 | Type));
            w.U16(ShortValue);
        }
        else
        {
            w.U16((ushort)(Type & 0x7FFF));
            w.U16((ushort)Value.Length);
            w.Bytes(Value);
        }
    }

    internal static bool TryRead(ReadOnlySpan<byte> data, out TransformAttribute? attribute, out int consumed)
    {
        attribute = null;
        consumed = 0;
        var r = new SpanReader(data);
        ushort typeField = r.U16();
        ushort v = r.U16();
        if (r.Failed) return false;
        if ((typeField & 0x8000) != 0)
        {
            attribute = new TransformAttribute { Type = (ushort)(typeField & 0x7FFF), IsShort = true, ShortValue = v };
            consumed = 4;
            return true;
        }
        var value = r.Bytes(v);
        if (r.Failed) return false;
        attribute = new TransformAttribute { Type = typeField, Value = value.ToArray() };
        consumed = 4 + v;
        return true;
    }
}
