namespace Ikev2Client.Platform;

/// <summary>
/// A reusable set of packet buffers for the batched I/O calls: <see cref="Count"/> slots of
/// <see cref="BufferSize"/> bytes carved out of one pinned array (no allocation per packet or per call), plus the
/// sizes array the read calls fill and a scratch array for write calls.
/// </summary>
public sealed class PacketBatch
{
    private readonly byte[] _storage;

    /// <summary>The slot buffers, each <see cref="BufferSize"/> bytes.</summary>
    public Memory<byte>[] Buffers { get; }

    /// <summary>Packet lengths filled by a read.</summary>
    public int[] Sizes { get; }

    /// <summary>Scratch array for building the argument of a write call.</summary>
    public ReadOnlyMemory<byte>[] Outgoing { get; }

    /// <summary>Number of slots.</summary>
    public int Count => Buffers.Length;

    /// <summary>Bytes per slot.</summary>
    public int BufferSize { get; }

    /// <summary>Allocates <paramref name="count"/> slots of <paramref name="bufferSize"/> bytes.</summary>
    public PacketBatch(int count, int bufferSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bufferSize);
        BufferSize = bufferSize;
        _storage = GC.AllocateUninitializedArray<byte>(checked(count * bufferSize), pinned: true);
        Buffers = new Memory<byte>[count];
        for (var i = 0; i < count; i++) Buffers[i] = new Memory<byte>(_storage, i * bufferSize, bufferSize);
        Sizes = new int[count];
        Outgoing = new ReadOnlyMemory<byte>[count];
    }

    /// <summary>The packet in slot <paramref name="index"/> after a read at <paramref name="offset"/>.</summary>
    public Memory<byte> Packet(int index, int offset) => Buffers[index].Slice(offset, Sizes[index]);
}
