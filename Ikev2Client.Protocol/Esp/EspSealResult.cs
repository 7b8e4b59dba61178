namespace Ikev2Client.Protocol.Esp;

/// <summary>Outcome of <see cref="EspSa.Seal(Span{byte}, int, int, byte, out int, out int)"/>.</summary>
public enum EspSealResult
{
    /// <summary>The packet was sealed in place.</summary>
    Ok = 0,
    /// <summary>The sequence number space is used up; the SA must be rekeyed (RFC 4303 §3.3.3: never wrap).</summary>
    SequenceExhausted,
    /// <summary>Not enough headroom before or tailroom after the payload (see <see cref="EspSa.HeaderLength"/>).</summary>
    BufferTooSmall,
    /// <summary>Tunnel mode could not derive the Next Header: the payload is not an IPv4 or IPv6 packet.</summary>
    InvalidPayload,
    /// <summary>A hard volume limit (<see cref="EspSa.Lifetime"/>) was reached; the SA must be replaced.</summary>
    LifetimeExpired,
}
