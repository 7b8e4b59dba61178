namespace Ikev2Client.Protocol.Esp;

/// <summary>
/// The cryptographic transform of one ESP SA. Works on a whole packet span laid out as
/// SPI(4) | Sequence(4) | IV | data (payload + padding + pad length + next header) | ICV.
/// </summary>
internal abstract class EspCipher : IDisposable
{
    /// <summary>Offset of the IV: right after SPI and sequence number.</summary>
    public const int IvOffset = 8;

    public abstract int IvLength { get; }
    public abstract int IcvLength { get; }
    /// <summary>Alignment of data (payload + trailer): the cipher block size, at least 4 (RFC 4303 §2.4).</summary>
    public abstract int Alignment { get; }

    /// <summary>Writes the per-packet IV (unique per key for AEAD; unpredictable for CBC).</summary>
    public abstract void GenerateIv(ulong sequence, Span<byte> iv);

    /// <summary>Encrypts data in place and writes the ICV after it.</summary>
    public abstract void Seal(Span<byte> packet, int dataLength, uint sequenceHigh, bool esn);

    /// <summary>Verifies the ICV and decrypts data in place; false when authentication fails.</summary>
    public abstract bool Open(Span<byte> packet, int dataLength, uint sequenceHigh, bool esn);

    public abstract void Dispose();
}
