namespace Ikev2Client.Platform.Userspace;

/// <summary>What became of one received ESP datagram handed to the userspace IpSecManager.</summary>
public enum EspDelivery
{
    /// <summary>Authenticated, decrypted and queued for the socket (or the tunnel reader) that wants it.</summary>
    Delivered,
    /// <summary>Authenticated dummy packet (Next Header 59, RFC 4303 §2.6): dropped silently.</summary>
    Dummy,
    /// <summary>No inbound SA has the SPI (or it was just disposed).</summary>
    UnknownSpi,
    /// <summary>Replayed, or left of the anti-replay window.</summary>
    Replay,
    /// <summary>The ICV did not verify.</summary>
    AuthenticationFailed,
    /// <summary>Too short, bad padding, or otherwise not a valid ESP packet.</summary>
    Malformed,
    /// <summary>Authenticated, but no socket with that SA applied IN wants it (not UDP, unbound port, full queue).</summary>
    NotWanted,
}
