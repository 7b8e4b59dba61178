namespace Ikev2Client.Protocol.Esp;

/// <summary>Outcome of <see cref="EspSa.TryOpen"/>. Only <see cref="Ok"/> yields a usable inner packet.</summary>
public enum EspOpenResult
{
    /// <summary>Authenticated, decrypted, sequence number marked in the replay window.</summary>
    Ok = 0,
    /// <summary>Sequence number already seen, zero, or left of the anti-replay window (no crypto was run).</summary>
    ReplayedOrTooOld,
    /// <summary>ICV verification failed (forged, corrupted, or wrong key).</summary>
    AuthenticationFailed,
    /// <summary>Too short, not block-aligned, or otherwise not an ESP packet of this SA.</summary>
    Malformed,
    /// <summary>Authenticated, but the padding is not the monotonic 1, 2, 3, ... sequence of RFC 4303 §2.4.</summary>
    BadPadding,
    /// <summary>Authenticated, but the Next Header does not fit the SA mode (tunnel mode accepts 4, 41 and 59).</summary>
    BadNextHeader,
    /// <summary>The SPI does not belong to this SA; callers demultiplexing by SPI report this for unknown SPIs.</summary>
    UnknownSpi,
    /// <summary>The SA reached a hard volume limit (<see cref="EspSa.Lifetime"/>) and accepts nothing more.</summary>
    LifetimeExpired,
}
