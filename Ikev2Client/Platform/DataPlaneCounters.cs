namespace Ikev2Client.Platform;

/// <summary>Why the data plane (the NAT-T socket or the packet pump) dropped a packet.</summary>
public enum DropReason
{
    /// <summary>ESP sequence number replayed or left of the anti-replay window.</summary>
    Replay,
    /// <summary>ESP ICV did not verify (forged, corrupted, wrong key).</summary>
    AuthenticationFailed,
    /// <summary>Too short, misaligned, bad padding or next header, not IP, or not any of ESP/IKE/keepalive.</summary>
    Malformed,
    /// <summary>No SA: unknown inbound SPI, or no outbound SA installed yet, or the SA is exhausted or gone.</summary>
    NoSa,
    /// <summary>The (inner) packet lies outside the CHILD SA's negotiated traffic selectors.</summary>
    TrafficSelectorMismatch,
}

/// <summary>A snapshot of the data plane counters (payload bytes are inner IP bytes, before ESP overhead).</summary>
public sealed record DataPlaneStatistics(
    long PacketsSent, long BytesSent, long PacketsReceived, long BytesReceived,
    long ReplayDrops, long AuthenticationDrops, long MalformedDrops, long NoSaDrops, long TrafficSelectorDrops,
    long SendErrors, long KeepalivesSent, long KeepalivesReceived, long IkeMessagesReceived)
{
    /// <summary>All zero.</summary>
    public static DataPlaneStatistics Empty { get; } = new(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    /// <summary>Sum of all drop counters.</summary>
    public long TotalDrops => ReplayDrops + AuthenticationDrops + MalformedDrops + NoSaDrops + TrafficSelectorDrops;

    /// <inheritdoc />
    public override string ToString() =>
        $"out {PacketsSent} pkts/{BytesSent} B, in {PacketsReceived} pkts/{BytesReceived} B, drops replay={ReplayDrops} " +
        $"auth={AuthenticationDrops} malformed={MalformedDrops} no-sa={NoSaDrops} ts={TrafficSelectorDrops}, send errors={SendErrors}, " +
        $"keepalives out={KeepalivesSent} in={KeepalivesReceived}, IKE in={IkeMessagesReceived}";
}

/// <summary>
/// Counters of the userspace data plane (the NAT-T socket and the packet pump). Each is written by one data-plane thread (outbound or receive) and read anywhere; the
/// increments are interlocked so a reader never sees torn values (a few ns per packet).
/// </summary>
public sealed class DataPlaneCounters
{
    private long _packetsSent, _bytesSent, _packetsReceived, _bytesReceived, _sendErrors;
    private long _keepalivesSent, _keepalivesReceived, _ikeReceived;
    private readonly long[] _drops = new long[Enum.GetValues<DropReason>().Length];

    internal void Sent(int bytes) => Sent(1, bytes);
    internal void Received(int bytes) => Received(1, bytes);

    /// <summary>Adds a whole batch at once: the pump's loops count locally and publish once per batch.</summary>
    internal void Sent(int packets, long bytes)
    {
        if (packets == 0) return;
        Interlocked.Add(ref _packetsSent, packets);
        Interlocked.Add(ref _bytesSent, bytes);
    }

    internal void Received(int packets, long bytes)
    {
        if (packets == 0) return;
        Interlocked.Add(ref _packetsReceived, packets);
        Interlocked.Add(ref _bytesReceived, bytes);
    }
    internal void Drop(DropReason reason) => Interlocked.Increment(ref _drops[(int)reason]);
    internal void SendError(int count) => Interlocked.Add(ref _sendErrors, count);
    internal void KeepaliveSent() => Interlocked.Increment(ref _keepalivesSent);
    internal void KeepaliveReceived() => Interlocked.Increment(ref _keepalivesReceived);
    internal void IkeReceived() => Interlocked.Increment(ref _ikeReceived);

    /// <summary>Drops for one reason.</summary>
    public long Drops(DropReason reason) => Interlocked.Read(ref _drops[(int)reason]);

    /// <summary>A consistent-enough copy of every counter.</summary>
    public DataPlaneStatistics Snapshot() => new(
        Interlocked.Read(ref _packetsSent), Interlocked.Read(ref _bytesSent),
        Interlocked.Read(ref _packetsReceived), Interlocked.Read(ref _bytesReceived),
        Drops(DropReason.Replay), Drops(DropReason.AuthenticationFailed), Drops(DropReason.Malformed),
        Drops(DropReason.NoSa), Drops(DropReason.TrafficSelectorMismatch),
        Interlocked.Read(ref _sendErrors), Interlocked.Read(ref _keepalivesSent),
        Interlocked.Read(ref _keepalivesReceived), Interlocked.Read(ref _ikeReceived));
}
