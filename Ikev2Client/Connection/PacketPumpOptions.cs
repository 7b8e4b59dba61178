namespace Ikev2Client.Connection;

/// <summary>Tuning of the <see cref="PacketPump"/> (the NAT-T socket's own settings: <see cref="Platform.Userspace.NatTSocketOptions"/>).</summary>
public sealed class PacketPumpOptions
{
    /// <summary>Packets per TUN wake-up (and per sendmmsg call, up to the socket's batch size).</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>How often <see cref="PacketPump.SaLimitReached"/> is repeated for an SA whose limit stays reached (a rekey that failed).</summary>
    public TimeSpan SaLimitRetryInterval { get; init; } = TimeSpan.FromSeconds(5);
}
