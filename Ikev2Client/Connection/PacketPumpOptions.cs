namespace Ikev2Client.Connection;

/// <summary>Tuning of the <see cref="PacketPump"/>.</summary>
public sealed class PacketPumpOptions
{
    /// <summary>Packets per TUN wake-up and per recvmmsg/sendmmsg call.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Largest UDP datagram the inbound side accepts (ESP packets and unfragmented IKE messages).</summary>
    public int MaxDatagramSize { get; init; } = 16384;

    /// <summary>NAT-T keepalive (one 0xFF byte, RFC 3948 §2.3) after this long without sending; null disables.</summary>
    public TimeSpan? KeepaliveInterval { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// When set, the keepalive interval adapts to the NAT binding (profile <c>automaticNattKeepaliveTimerEnabled</c>) and
    /// <see cref="KeepaliveInterval"/> is not used.
    /// </summary>
    public Platform.AdaptiveNatKeepalive? AdaptiveKeepalive { get; init; }

    /// <summary>Socket buffer size asked for (SO_RCVBUF/SO_SNDBUF, forced when privileged); 0 keeps the default.</summary>
    public int SocketBufferBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>
    /// Use UDP receive coalescing (UDP_GRO) where the kernel has it: fewer, larger receives, split into datagrams by
    /// the pump. Inbound buffers then take 64 KB each.
    /// </summary>
    public bool ReceiveOffload { get; init; } = true;

    /// <summary>How often <see cref="PacketPump.SaLimitReached"/> is repeated for an SA whose limit stays reached (a rekey that failed).</summary>
    public TimeSpan SaLimitRetryInterval { get; init; } = TimeSpan.FromSeconds(5);
}
