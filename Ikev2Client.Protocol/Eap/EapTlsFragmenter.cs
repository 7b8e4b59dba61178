using System.Buffers.Binary;

namespace Ikev2Client.Protocol.Eap;

/// <summary>
/// EAP-TLS framing (RFC 5216 §2.1.5, §3.1): Flags (L = length included, M = more fragments, S = start), the
/// optional 4-byte TLS Message Length, and TLS data. Collects incoming fragments and cuts outgoing TLS data
/// into fragments, one per EAP message; an empty message (no flags, no data) acknowledges a fragment.
/// </summary>
internal sealed class EapTlsFragmenter(int fragmentSize)
{
    public const byte FlagLength = 0x80;
    public const byte FlagMore = 0x40;
    public const byte FlagStart = 0x20;
    private const int MaxMessage = 64 * 1024;

    private readonly MemoryStream _incoming = new();
    private int _expectedLength = -1;
    private byte[] _outgoing = Array.Empty<byte>();
    private int _sent;

    public bool HasPendingOutput => _sent < _outgoing.Length;

    /// <summary>The outcome of reading one EAP-TLS Type-Data.</summary>
    public enum ReadResult { Ack, NeedMore, Complete, Start, Malformed }

    /// <summary>Reads one Type-Data; on <see cref="ReadResult.Complete"/>, <paramref name="message"/> is the whole TLS data.</summary>
    public ReadResult Read(ReadOnlySpan<byte> typeData, out byte[] message)
    {
        message = Array.Empty<byte>();
        if (typeData.Length < 1) return ReadResult.Malformed;
        byte flags = typeData[0];
        var rest = typeData[1..];
        if ((flags & FlagLength) != 0)
        {
            if (rest.Length < 4) return ReadResult.Malformed;
            uint total = BinaryPrimitives.ReadUInt32BigEndian(rest);
            if (total > MaxMessage) return ReadResult.Malformed;
            if (_incoming.Length == 0) _expectedLength = (int)total;
            rest = rest[4..];
        }
        if ((flags & FlagStart) != 0) return ReadResult.Start;
        if (rest.IsEmpty && (flags & FlagMore) == 0 && _incoming.Length == 0) return ReadResult.Ack;
        if (_incoming.Length + rest.Length > MaxMessage) return ReadResult.Malformed;
        _incoming.Write(rest);
        if ((flags & FlagMore) != 0) return ReadResult.NeedMore;
        message = _incoming.ToArray();
        _incoming.SetLength(0);
        bool lengthOk = _expectedLength < 0 || _expectedLength == message.Length;
        _expectedLength = -1;
        return lengthOk ? ReadResult.Complete : ReadResult.Malformed;
    }

    /// <summary>Queues TLS data to send.</summary>
    public void Queue(byte[] tlsData)
    {
        _outgoing = tlsData;
        _sent = 0;
    }

    /// <summary>The next fragment's Type-Data: L and the total length on the first fragment of a split message, M while more follow.</summary>
    public byte[] NextFragment()
    {
        int remaining = _outgoing.Length - _sent;
        int chunk = Math.Min(remaining, fragmentSize);
        bool first = _sent == 0;
        bool more = chunk < remaining;
        bool withLength = first && more;
        var data = new byte[1 + (withLength ? 4 : 0) + chunk];
        data[0] = (byte)((withLength ? FlagLength : 0) | (more ? FlagMore : 0));
        if (withLength) BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(1), (uint)_outgoing.Length);
        _outgoing.AsSpan(_sent, chunk).CopyTo(data.AsSpan(withLength ? 5 : 1));
        _sent += chunk;
        return data;
    }

    /// <summary>An acknowledgement: no flags, no data.</summary>
    public static byte[] Ack() => new byte[] { 0 };
}
