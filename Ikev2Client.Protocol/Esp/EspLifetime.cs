namespace Ikev2Client.Protocol.Esp;

/// <summary>
/// Volume limits of one ESP SA, like strongSwan's <c>rekey_bytes</c>/<c>life_bytes</c> and
/// <c>rekey_packets</c>/<c>life_packets</c> (and the kernel's soft/hard XFRM limits): at a soft limit the SA asks to be
/// rekeyed (<see cref="EspSa.NeedsRekey"/>); at a hard limit it refuses to seal or open (<see cref="EspSa.IsExpired"/>).
/// Bytes are inner payload bytes, as <see cref="EspSaCounters.Bytes"/> counts them. 0 means no limit.
/// </summary>
/// <param name="SoftBytes">Bytes after which a rekey is due.</param>
/// <param name="HardBytes">Bytes after which the SA must not be used.</param>
/// <param name="SoftPackets">Packets after which a rekey is due.</param>
/// <param name="HardPackets">Packets after which the SA must not be used.</param>
public sealed record EspLifetime(long SoftBytes = 0, long HardBytes = 0, long SoftPackets = 0, long HardPackets = 0)
{
    /// <summary>No volume limits (the sequence-number limit still applies).</summary>
    public static EspLifetime Unlimited { get; } = new();

    /// <summary>True when any soft limit is set.</summary>
    public bool HasSoftLimit => SoftBytes > 0 || SoftPackets > 0;

    /// <summary>True when any hard limit is set.</summary>
    public bool HasHardLimit => HardBytes > 0 || HardPackets > 0;

    /// <inheritdoc />
    public override string ToString() =>
        $"soft {(SoftBytes > 0 ? $"{SoftBytes} B" : "-")}/{(SoftPackets > 0 ? $"{SoftPackets} packets" : "-")}, " +
        $"hard {(HardBytes > 0 ? $"{HardBytes} B" : "-")}/{(HardPackets > 0 ? $"{HardPackets} packets" : "-")}";
}
