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
    /// <summary>The next SA lifetime deadline (CHILD/IKE SA soft rekey or hard expiry, retired IKE SA cleanup).</summary>
    Lifetime,
}

/// <summary>
/// Arm <paramref name="Timer"/> to fire <paramref name="Delay"/> from now (the moment the call that returned this
/// command was made), replacing any earlier arming of the same timer; cancel it when <paramref name="Delay"/> is null.
/// When it fires, call <see cref="IkeSession.HandleTimer"/> with <paramref name="Timer"/>.
/// </summary>
/// <param name="Timer">Which of the session's timers.</param>
/// <param name="Delay">How long from now it fires (never negative), or null to cancel it.</param>
public readonly record struct TimerCommand(IkeTimer Timer, TimeSpan? Delay);

/// <summary>Everything one input produced: datagrams to send, timer changes and events, in order.</summary>
public sealed class IkeOutput
{
    /// <summary>Datagrams to send, in order.</summary>
    public List<OutgoingDatagram> Datagrams { get; } = new();
    /// <summary>Timers to arm or cancel, in order (a later command for a timer replaces an earlier one).</summary>
    public List<TimerCommand> Timers { get; } = new();
    /// <summary>What happened, in order.</summary>
    public List<IkeEvent> Events { get; } = new();

    /// <summary>True when the input produced nothing.</summary>
    public bool IsEmpty => Datagrams.Count == 0 && Timers.Count == 0 && Events.Count == 0;

    internal void Clear()
    {
        Datagrams.Clear();
        Timers.Clear();
        Events.Clear();
    }
}
