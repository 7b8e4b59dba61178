using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Wire;

/// <summary>
/// Collects the decrypted fragments of one message (RFC 7383 §2.6). Fragments of a message are identified by
/// message ID and direction; a set with a different Total Fragments either replaces the set (larger total: the
/// sender re-fragmented for a smaller MTU) or is ignored. Limits bound memory use.
/// </summary>
public sealed class FragmentReassembler
{
    /// <summary>The default limit on a message's fragment count.</summary>
    public const int DefaultMaxFragments = 64;
    /// <summary>The default limit on a reassembled message's size, in bytes.</summary>
    public const int DefaultMaxBytes = 64 * 1024;

    private readonly int _maxFragments;
    private readonly int _maxBytes;
    private uint _messageId;
    private bool _isResponse;
    private ushort _total;
    private byte[]?[] _parts = Array.Empty<byte[]?>();
    private PayloadType _first;
    private int _bytes;
    private int _received;

    /// <summary>A reassembler with the given limits.</summary>
    public FragmentReassembler(int maxFragments = DefaultMaxFragments, int maxBytes = DefaultMaxBytes)
    {
        _maxFragments = maxFragments;
        _maxBytes = maxBytes;
    }

    /// <summary>What <see cref="Add"/> did with a fragment.</summary>
    public enum Status
    {
        /// <summary>Kept; more fragments are needed.</summary>
        Pending,
        /// <summary>The last missing fragment: the message is reassembled.</summary>
        Complete,
        /// <summary>A duplicate, or from an older fragmentation of the message; dropped.</summary>
        Ignored,
        /// <summary>Over a limit; the fragments collected so far are dropped.</summary>
        Rejected,
    }

    /// <summary>
    /// Adds one verified fragment. On <see cref="Status.Complete"/>, <paramref name="plaintext"/> is the
    /// concatenated inner payload chain and <paramref name="firstPayload"/> its first type.
    /// </summary>
    public Status Add(IkeHeader header, EncryptedFragmentPayload fragment, byte[] fragmentPlaintext, out byte[]? plaintext, out PayloadType firstPayload, out string? reason)
    {
        plaintext = null;
        firstPayload = PayloadType.None;
        reason = null;
        if (fragment.TotalFragments > _maxFragments)
        {
            reason = $"{fragment.TotalFragments} fragments exceed the limit of {_maxFragments}";
            return Status.Rejected;
        }
        bool sameMessage = _parts.Length > 0 && _messageId == header.MessageId && _isResponse == header.IsResponse;
        if (!sameMessage || fragment.TotalFragments > _total)
        {
            Reset();
            _messageId = header.MessageId;
            _isResponse = header.IsResponse;
            _total = fragment.TotalFragments;
            _parts = new byte[]?[_total];
        }
        else if (fragment.TotalFragments < _total)
        {
            reason = "fragment from an older fragmentation of this message";
            return Status.Ignored;
        }
        int index = fragment.FragmentNumber - 1;
        if (_parts[index] != null) return Status.Ignored;
        if (_bytes + fragmentPlaintext.Length > _maxBytes)
        {
            Reset();
            reason = $"reassembled message would exceed {_maxBytes} bytes";
            return Status.Rejected;
        }
        _parts[index] = fragmentPlaintext;
        _bytes += fragmentPlaintext.Length;
        _received++;
        if (fragment.FragmentNumber == 1) _first = fragment.FirstInnerPayload;
        if (_received < _total) return Status.Pending;
        plaintext = new byte[_bytes];
        int offset = 0;
        foreach (var part in _parts)
        {
            part!.CopyTo(plaintext, offset);
            offset += part.Length;
        }
        firstPayload = _first;
        Reset();
        return Status.Complete;
    }

    /// <summary>Forgets the fragments collected so far.</summary>
    public void Reset()
    {
        _parts = Array.Empty<byte[]?>();
        _total = 0;
        _bytes = 0;
        _received = 0;
        _first = PayloadType.None;
    }
}
