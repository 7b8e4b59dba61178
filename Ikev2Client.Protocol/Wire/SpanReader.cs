using System.Buffers.Binary;

namespace Ikev2Client.Protocol.Wire;

/// <summary>
/// Big-endian reader over a span that never reads out of range: a read past the end returns zero/empty and
/// sets <see cref="Failed"/>, so a parser reads its fields straight through and checks once at the end.
/// </summary>
internal ref struct SpanReader
{
    private readonly ReadOnlySpan<byte> _span;
    private int _pos;

    public SpanReader(ReadOnlySpan<byte> span)
    {
        _span = span;
        _pos = 0;
        Failed = false;
    }

    /// <summary>True once any read went past the end.</summary>
    public bool Failed { get; private set; }
    public int Position => _pos;
    public int Remaining => _span.Length - _pos;

    public byte U8()
    {
        if (Remaining < 1) return Fail<byte>();
        return _span[_pos++];
    }

    public ushort U16()
    {
        if (Remaining < 2) return Fail<ushort>();
        var v = BinaryPrimitives.ReadUInt16BigEndian(_span.Slice(_pos));
        _pos += 2;
        return v;
    }

    public uint U32()
    {
        if (Remaining < 4) return Fail<uint>();
        var v = BinaryPrimitives.ReadUInt32BigEndian(_span.Slice(_pos));
        _pos += 4;
        return v;
    }

    public ulong U64()
    {
        if (Remaining < 8) return Fail<ulong>();
        var v = BinaryPrimitives.ReadUInt64BigEndian(_span.Slice(_pos));
        _pos += 8;
        return v;
    }

    public ReadOnlySpan<byte> Bytes(int count)
    {
        if (count < 0 || Remaining < count) { Fail<byte>(); return default; }
        var s = _span.Slice(_pos, count);
        _pos += count;
        return s;
    }

    public ReadOnlySpan<byte> Rest()
    {
        var s = _span.Slice(_pos);
        _pos = _span.Length;
        return s;
    }

    private T Fail<T>() where T : struct
    {
        Failed = true;
        _pos = _span.Length;
        return default;
    }
}

/// <summary>Big-endian writer into a span sized by the caller (payloads compute their length first).</summary>
internal ref struct SpanWriter
{
    private readonly Span<byte> _span;

    public SpanWriter(Span<byte> span)
    {
        _span = span;
        Position = 0;
    }

    public int Position { get; private set; }

    public void U8(byte v) => _span[Position++] = v;

    public void U16(ushort v)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_span.Slice(Position), v);
        Position += 2;
    }

    public void U32(uint v)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_span.Slice(Position), v);
        Position += 4;
    }

    public void U64(ulong v)
    {
        BinaryPrimitives.WriteUInt64BigEndian(_span.Slice(Position), v);
        Position += 8;
    }

    public void Bytes(ReadOnlySpan<byte> v)
    {
        v.CopyTo(_span.Slice(Position));
        Position += v.Length;
    }

    public void Zeros(int count)
    {
        _span.Slice(Position, count).Clear();
        Position += count;
    }
}
