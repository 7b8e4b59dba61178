namespace Ikev2Client.Protocol.Esp;

/// <summary>
/// Per-SA traffic and drop counters. Updated with <see cref="Interlocked"/> so a reader on another thread
/// (status display, rekey-by-volume policy) always sees whole values; the cost is a few nanoseconds per packet.
/// </summary>
public sealed class EspSaCounters
{
    private long _packets;
    private long _bytes;
    private long _replayDrops;
    private long _authDrops;
    private long _malformedDrops;
    private long _paddingDrops;
    private long _expiredDrops;

    /// <summary>Packets sealed (outbound SA) or opened successfully (inbound SA).</summary>
    public long Packets => Volatile.Read(ref _packets);
    /// <summary>Inner payload bytes (before ESP overhead) sealed or opened.</summary>
    public long Bytes => Volatile.Read(ref _bytes);
    /// <summary>Packets dropped as replayed or left of the window.</summary>
    public long ReplayDrops => Volatile.Read(ref _replayDrops);
    /// <summary>Packets dropped because the ICV did not verify.</summary>
    public long AuthenticationDrops => Volatile.Read(ref _authDrops);
    /// <summary>Packets dropped as malformed (length, alignment, SPI, Next Header).</summary>
    public long MalformedDrops => Volatile.Read(ref _malformedDrops);
    /// <summary>Authenticated packets dropped for bad padding.</summary>
    public long PaddingDrops => Volatile.Read(ref _paddingDrops);
    /// <summary>Packets refused because the SA reached a hard volume limit (<see cref="EspSa.Lifetime"/>).</summary>
    public long ExpiredDrops => Volatile.Read(ref _expiredDrops);
    /// <summary>Sum of all drop counters.</summary>
    public long TotalDrops => ReplayDrops + AuthenticationDrops + MalformedDrops + PaddingDrops + ExpiredDrops;

    internal void AddPacket(int payloadBytes)
    {
        Interlocked.Increment(ref _packets);
        Interlocked.Add(ref _bytes, payloadBytes);
    }

    internal void AddDrop(EspOpenResult reason)
    {
        switch (reason)
        {
            case EspOpenResult.ReplayedOrTooOld: Interlocked.Increment(ref _replayDrops); break;
            case EspOpenResult.AuthenticationFailed: Interlocked.Increment(ref _authDrops); break;
            case EspOpenResult.BadPadding: Interlocked.Increment(ref _paddingDrops); break;
            case EspOpenResult.LifetimeExpired: Interlocked.Increment(ref _expiredDrops); break;
            case EspOpenResult.Ok: break;
            default: Interlocked.Increment(ref _malformedDrops); break;
        }
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"packets={Packets} bytes={Bytes} drops(replay={ReplayDrops}, auth={AuthenticationDrops}, malformed={MalformedDrops}, padding={PaddingDrops}, expired={ExpiredDrops})";
}
