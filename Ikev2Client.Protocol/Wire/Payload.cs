namespace Ikev2Client.Protocol.Wire;

/// <summary>
/// An IKEv2 payload. The generic payload header (RFC 7296 §3.2) is handled by <see cref="PayloadChain"/>;
/// each subclass reads and writes only its body, symmetrically.
/// <code>
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// | Next Payload  |C|  RESERVED   |         Payload Length        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// </summary>
public abstract class Payload
{
    internal const int GenericHeaderSize = 4;

    /// <summary>Only this library's payload types derive from <see cref="Payload"/>.</summary>
    private protected Payload() { }

    /// <summary>The payload type written in the previous payload's Next Payload field.</summary>
    public abstract PayloadType Type { get; }

    /// <summary>The critical bit as received (always false for payloads we send: we only send known ones).</summary>
    public bool Critical { get; set; }

    /// <summary>Length of the body, without the generic header.</summary>
    internal abstract int BodyLength { get; }

    /// <summary>Writes exactly <see cref="BodyLength"/> bytes.</summary>
    internal abstract void WriteBody(Span<byte> destination);

    /// <summary>Generic header plus body.</summary>
    internal int TotalLength => GenericHeaderSize + BodyLength;
}
