namespace Ikev2Client.Protocol.Esp;

/// <summary>What a datagram received on the UDP-encapsulation port (4500) carries (RFC 3948 §2, RFC 7296 §2.23).</summary>
public enum UdpEncapsulatedKind
{
    /// <summary>Too short or otherwise not valid in any of the three formats.</summary>
    Invalid = 0,
    /// <summary>NAT-keepalive: a single 0xFF byte (RFC 3948 §2.3), to be ignored.</summary>
    NatKeepalive,
    /// <summary>An IKE message behind the 4-byte non-ESP marker.</summary>
    Ike,
    /// <summary>An ESP packet (its first 4 bytes are a non-zero SPI).</summary>
    Esp,
}

/// <summary>
/// Framing of UDP-encapsulated ESP and IKE on port 4500 (RFC 3948): the non-ESP marker (four zero bytes)
/// precedes IKE messages, ESP packets start with their non-zero SPI, and a single 0xFF byte is a NAT-keepalive.
/// </summary>
public static class UdpEncapsulation
{
    /// <summary>The standard NAT-T port.</summary>
    public const int Port = 4500;
    /// <summary>Length of the non-ESP marker.</summary>
    public const int NonEspMarkerLength = 4;
    /// <summary>The NAT-keepalive payload byte.</summary>
    public const byte KeepaliveByte = 0xFF;
    /// <summary>Smallest IKE message: the 28-byte IKE header.</summary>
    public const int MinIkeLength = 28;
    /// <summary>Smallest ESP packet we classify as such: SPI and sequence number.</summary>
    public const int MinEspLength = 8;

    /// <summary>
    /// Classifies a datagram. For <see cref="UdpEncapsulatedKind.Ike"/> the IKE message starts at
    /// <paramref name="payloadOffset"/> (after the marker); for ESP at 0. Never throws.
    /// </summary>
    public static UdpEncapsulatedKind Classify(ReadOnlySpan<byte> datagram, out int payloadOffset)
    {
        payloadOffset = 0;
        if (datagram.Length == 1)
        {
            return datagram[0] == KeepaliveByte ? UdpEncapsulatedKind.NatKeepalive : UdpEncapsulatedKind.Invalid;
        }

        if (datagram.Length < NonEspMarkerLength)
        {
            return UdpEncapsulatedKind.Invalid;
        }

        bool marker = datagram[0] == 0 && datagram[1] == 0 && datagram[2] == 0 && datagram[3] == 0;
        if (marker)
        {
            if (datagram.Length < NonEspMarkerLength + MinIkeLength)
            {
                return UdpEncapsulatedKind.Invalid;
            }

            payloadOffset = NonEspMarkerLength;
            return UdpEncapsulatedKind.Ike;
        }

        return datagram.Length >= MinEspLength ? UdpEncapsulatedKind.Esp : UdpEncapsulatedKind.Invalid;
    }

    /// <summary>Writes the non-ESP marker and the IKE message into <paramref name="destination"/>; returns bytes written.</summary>
    public static int WriteIke(ReadOnlySpan<byte> ikeMessage, Span<byte> destination)
    {
        if (destination.Length < NonEspMarkerLength + ikeMessage.Length)
        {
            throw new ArgumentException("destination too small for marker plus message", nameof(destination));
        }

        destination[..NonEspMarkerLength].Clear();
        ikeMessage.CopyTo(destination[NonEspMarkerLength..]);
        return NonEspMarkerLength + ikeMessage.Length;
    }

    /// <summary>Returns a new array holding the non-ESP marker followed by the IKE message.</summary>
    public static byte[] PrependNonEspMarker(ReadOnlySpan<byte> ikeMessage)
    {
        byte[] result = new byte[NonEspMarkerLength + ikeMessage.Length];
        WriteIke(ikeMessage, result);
        return result;
    }

    /// <summary>Writes the one-byte NAT-keepalive; returns 1.</summary>
    public static int WriteKeepalive(Span<byte> destination)
    {
        destination[0] = KeepaliveByte;
        return 1;
    }

    /// <summary>A new one-byte NAT-keepalive datagram.</summary>
    public static byte[] CreateKeepalive() => [KeepaliveByte];
}
