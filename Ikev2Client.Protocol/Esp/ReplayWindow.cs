using System.Numerics;

namespace Ikev2Client.Protocol.Esp;

/// <summary>
/// Anti-replay window for inbound ESP (RFC 4303 §3.4.3) kept as a ring of 64-bit blocks in the style of
/// RFC 6479: advancing the right edge clears whole blocks instead of shifting a long bitmap, so the cost of a
/// jump is bounded by the ring size. The ring holds one block more than the window needs, so every sequence
/// number in (Highest - Size, Highest] always has its own bit.
/// </summary>
/// <remarks>
/// Sequence numbers are full 64-bit values; for ESN SAs <see cref="ReconstructEsn"/> infers the high 32 bits
/// from the low 32 bits carried in the packet (RFC 4303 Appendix A2.2). The protocol order is: check with
/// <see cref="IsAcceptable"/>, verify the ICV, then <see cref="Mark"/>. Not thread-safe: one receiver per SA.
/// </remarks>
public sealed class ReplayWindow
{
    /// <summary>Default window size in packets.</summary>
    public const int DefaultSize = 1024;

    private readonly ulong[] _blocks;
    private readonly int _blockMask;
    private ulong _highest;

    /// <summary>Creates a window of at least <paramref name="size"/> packets (rounded up to a multiple of 64).</summary>
    public ReplayWindow(int size = DefaultSize)
    {
        if (size < 64 || size > 1 << 20)
        {
            throw new ArgumentOutOfRangeException(nameof(size), "window size must be 64..1048576 packets");
        }

        Size = (size + 63) & ~63;
        int blocks = (int)BitOperations.RoundUpToPowerOf2((uint)(Size / 64 + 1));
        _blocks = new ulong[blocks];
        _blockMask = blocks - 1;
    }

    /// <summary>Window size in packets: numbers at or below Highest - Size are too old.</summary>
    public int Size { get; }

    /// <summary>Highest authenticated sequence number marked so far (0 before the first packet).</summary>
    public ulong Highest => _highest;

    /// <summary>True when <paramref name="sequence"/> is new: non-zero, not marked, and inside or right of the window.</summary>
    public bool IsAcceptable(ulong sequence)
    {
        if (sequence == 0)
        {
            return false;
        }

        if (sequence > _highest)
        {
            return true;
        }

        if (_highest - sequence >= (ulong)Size)
        {
            return false;
        }

        ulong block = _blocks[(int)(sequence >> 6) & _blockMask];
        return (block & (1UL << (int)(sequence & 63))) == 0;
    }

    /// <summary>Records an authenticated sequence number, sliding the window right when it is new highest.</summary>
    public void Mark(ulong sequence)
    {
        if (sequence > _highest)
        {
            ulong oldBlock = _highest >> 6;
            ulong newBlock = sequence >> 6;
            ulong advance = newBlock - oldBlock;
            if (advance > (ulong)_blocks.Length)
            {
                advance = (ulong)_blocks.Length;
            }

            for (ulong i = 1; i <= advance; i++)
            {
                _blocks[(int)((oldBlock + i) & (ulong)_blockMask)] = 0;
            }

            _highest = sequence;
        }
        else if (_highest - sequence >= (ulong)Size)
        {
            return;
        }

        _blocks[(int)(sequence >> 6) & _blockMask] |= 1UL << (int)(sequence & 63);
    }

    /// <summary>Forgets every marked number (benchmarks re-open one packet; never used on live SAs).</summary>
    internal void Reset()
    {
        Array.Clear(_blocks);
        _highest = 0;
    }

    /// <summary>
    /// Reconstructs the full 64-bit ESN from the 32 low-order bits in the packet (RFC 4303 Appendix A2.2):
    /// the high half is the current one, the next one (packet right of a wrapped window), or the previous one
    /// (packet in the part of the window that lies before a wrap).
    /// </summary>
    public ulong ReconstructEsn(uint low)
    {
        uint tl = (uint)_highest;
        uint th = (uint)(_highest >> 32);
        uint bottom = unchecked(tl - (uint)Size + 1);
        uint high;
        if (tl >= (uint)Size - 1)
        {
            // Window lies within one 2^32 subspace.
            high = low >= bottom ? th : unchecked(th + 1);
        }
        else
        {
            // Window spans two subspaces: numbers at or above the wrapped bottom belong to the previous one.
            high = low >= bottom ? (th == 0 ? th : th - 1) : th;
        }

        return ((ulong)high << 32) | low;
    }
}
