namespace Ikev2Client.Protocol.Ike;

/// <summary>
/// When an SA is rekeyed and when it expires (strongSwan's <c>rekey_time</c>, <c>life_time</c>, <c>rand_time</c>).
/// The soft rekey starts at <see cref="RekeyTime"/> minus a random share of <see cref="Jitter"/>; an SA that is still
/// not rekeyed at <see cref="HardLifetime"/> is deleted (CHILD SA) or ends the session with a recoverable error (IKE SA).
/// </summary>
/// <param name="RekeyTime">Age at which the rekey starts (before jitter).</param>
/// <param name="HardLifetime">Age at which the SA must be gone; null: <see cref="RekeyTime"/> × 1.1 + 60 s.</param>
/// <param name="Jitter">Up to this much is subtracted at random from <see cref="RekeyTime"/>, so peers rarely collide.</param>
public sealed record SaLifetime(TimeSpan RekeyTime, TimeSpan? HardLifetime = null, TimeSpan Jitter = default)
{
    /// <summary>The hard limit actually applied.</summary>
    public TimeSpan EffectiveHardLifetime => HardLifetime ?? RekeyTime * 1.1 + TimeSpan.FromSeconds(60);

    /// <summary>CHILD SAs: rekey after this many inner bytes through one SA direction (strongSwan <c>rekey_bytes</c>); 0: no limit.</summary>
    public long RekeyBytes { get; init; }

    /// <summary>CHILD SAs: the SA is unusable after this many bytes (<c>life_bytes</c>); 0: <see cref="RekeyBytes"/> + 10%.</summary>
    public long LifeBytes { get; init; }

    /// <summary>CHILD SAs: rekey after this many packets through one SA direction (<c>rekey_packets</c>); 0: no limit.</summary>
    public long RekeyPackets { get; init; }

    /// <summary>CHILD SAs: the SA is unusable after this many packets (<c>life_packets</c>); 0: <see cref="RekeyPackets"/> + 10%.</summary>
    public long LifePackets { get; init; }

    /// <summary>
    /// The byte and packet limits the data plane applies to each ESP SA (<see cref="Esp.EspSa.Lifetime"/>): the soft ones start a
    /// CHILD SA rekey, the hard ones (default 10% above the soft ones, as strongSwan's) stop the SA. The sequence-number
    /// limit (2^32 − 2^20 without ESN) applies regardless.
    /// </summary>
    public Esp.EspLifetime VolumeLimits => new(
        SoftBytes: RekeyBytes,
        HardBytes: LifeBytes > 0 ? LifeBytes : RekeyBytes + RekeyBytes / 10,
        SoftPackets: RekeyPackets,
        HardPackets: LifePackets > 0 ? LifePackets : RekeyPackets + RekeyPackets / 10);

    /// <summary>Defaults for CHILD SAs: rekey after 1 h less up to 6 min, expire after 1 h 10 min.</summary>
    public static SaLifetime DefaultChild { get; } = new(TimeSpan.FromHours(1), TimeSpan.FromMinutes(70), TimeSpan.FromMinutes(6));

    /// <summary>Defaults for the IKE SA: rekey after 4 h less up to 24 min, expire after 4 h 30 min.</summary>
    public static SaLifetime DefaultIke { get; } = new(TimeSpan.FromHours(4), TimeSpan.FromMinutes(270), TimeSpan.FromMinutes(24));

    /// <summary>The rekey delay for one SA: <see cref="RekeyTime"/> minus a random part of <see cref="Jitter"/>, never below 1 s.</summary>
    public TimeSpan NextRekeyDelay(IRandomSource random)
    {
        if (Jitter <= TimeSpan.Zero) return RekeyTime;
        Span<byte> b = stackalloc byte[4];
        random.Fill(b);
        double share = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(b) / (double)uint.MaxValue;
        var delay = RekeyTime - Jitter * share;
        return delay < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : delay;
    }
}
