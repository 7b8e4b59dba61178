namespace Ikev2Client.Protocol.Ike;

/// <summary>Allocates SPIs for IKE SAs and CHILD SAs (injected so tests are deterministic and so the data plane can reserve ESP SPIs).</summary>
public interface ISpiAllocator
{
    /// <summary>A non-zero 8-byte IKE SPI.</summary>
    ulong AllocateIkeSpi();
    /// <summary>A 4-byte ESP SPI of at least 256 (RFC 4303 §2.1 reserves 1-255).</summary>
    uint AllocateChildSpi();
}

/// <summary>SPIs drawn from an <see cref="IRandomSource"/>.</summary>
public sealed class RandomSpiAllocator(IRandomSource random) : ISpiAllocator
{
    /// <inheritdoc />
    public ulong AllocateIkeSpi()
    {
        Span<byte> b = stackalloc byte[8];
        ulong v;
        do { random.Fill(b); v = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(b); } while (v == 0);
        return v;
    }

    /// <inheritdoc />
    public uint AllocateChildSpi()
    {
        Span<byte> b = stackalloc byte[4];
        uint v;
        do { random.Fill(b); v = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(b); } while (v < 256);
        return v;
    }
}
