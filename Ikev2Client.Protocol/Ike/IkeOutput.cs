using System.Net;

namespace Ikev2Client.Protocol.Ike;

/// <summary>A datagram the owner must send. With <see cref="NonEspMarker"/> it goes out of the NAT-T (4500)
/// socket prefixed by four zero octets (RFC 3948 §2.2); otherwise from the IKE (500) socket as is.</summary>
public sealed record OutgoingDatagram(byte[] Data, IPEndPoint Destination, bool NonEspMarker);

/// <summary>The session's timers.</summary>
public enum IkeTimer
{
    /// <summary>Retransmission of the outstanding request.</summary>
    Retransmit,
    /// <summary>Periodic liveness check (dead peer detection) while established.</summary>
    Liveness,
}

/// <summary>Arm <see cref="Timer"/> to fire at <see cref="DueAt"/> (on the session's clock), or cancel it when null.</summary>
public readonly record struct TimerCommand(IkeTimer Timer, TimeSpan? DueAt);

/// <summary>Everything one input produced: datagrams to send, timer changes and events, in order.</summary>
public sealed class IkeOutput
{
    public List<OutgoingDatagram> Datagrams { get; } = new();
    public List<TimerCommand> Timers { get; } = new();
    public List<IkeEvent> Events { get; } = new();

    public bool IsEmpty => Datagrams.Count == 0 && Timers.Count == 0 && Events.Count == 0;

    internal void Clear()
    {
        Datagrams.Clear();
        Timers.Clear();
        Events.Clear();
    }
}
