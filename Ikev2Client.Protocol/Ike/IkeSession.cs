using System.Net;
using Ikev2Client.Protocol.Ike.Tasks;
using Ikev2Client.Protocol.Wire;

namespace Ikev2Client.Protocol.Ike;

/// <summary>Where the IKE SA stands.</summary>
public enum IkeSessionState
{
    /// <summary>Nothing sent or received yet.</summary>
    Idle,
    /// <summary>IKE_SA_INIT in progress.</summary>
    Connecting,
    /// <summary>IKE_AUTH in progress.</summary>
    Authenticating,
    /// <summary>The IKE SA is authenticated and its first CHILD SA is up (or the session continues without one).</summary>
    Established,
    /// <summary>Our DELETE of the IKE SA is in flight.</summary>
    Deleting,
    /// <summary>Deleted cleanly.</summary>
    Closed,
    /// <summary>Failed (see <see cref="IkeSession.Error"/>).</summary>
    Failed,
}

/// <summary>
/// One IKE SA, initiator or responder, without I/O (sans-I/O): feed it received datagrams
/// (<see cref="HandleDatagram"/>), timer expiries (<see cref="HandleTimer"/>) and commands
/// (<see cref="Connect"/>, <see cref="Close"/>, <see cref="DeleteChildSa"/>, <see cref="CheckLiveness"/>);
/// each call returns an <see cref="IkeOutput"/> with the datagrams to send, timers to arm or cancel and events.
/// Randomness, time and SPIs are injected. Not thread-safe: call it from one thread (or under one lock).
/// </summary>
public sealed partial class IkeSession : IDisposable
{
    private readonly IkeSa _sa;
    private IkeOutput _out = new();

    /// <summary>A session in <see cref="IkeSessionState.Idle"/>; an initiator then calls <see cref="Connect"/>, a responder waits for datagrams.</summary>
    /// <param name="options">Role, identities, authentication, proposals, lifetimes.</param>
    /// <param name="random">Randomness for SPIs, nonces, keys and IVs; the system CSPRNG when null.</param>
    /// <param name="time">The clock for timers and lifetimes; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="spiAllocator">Allocates IKE and CHILD SA SPIs (e.g. reserving ESP SPIs in the data plane); random when null.</param>
    public IkeSession(IkeSessionOptions options, IRandomSource? random = null, TimeProvider? time = null, ISpiAllocator? spiAllocator = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        random ??= SystemRandomSource.Instance;
        _sa = new IkeSa(options, random, time ?? TimeProvider.System, spiAllocator ?? new RandomSpiAllocator(random), e => _out.Events.Add(e));
        _cookieSecret = new byte[32];
        random.Fill(_cookieSecret);
    }

    /// <summary>Initiator or responder.</summary>
    public IkeRole Role => _sa.Options.Role;
    /// <summary>Where the IKE SA stands.</summary>
    public IkeSessionState State { get; private set; } = IkeSessionState.Idle;
    /// <summary>The IKE SA initiator's SPI (0 before <see cref="Connect"/>).</summary>
    public ulong SpiI => _sa.SpiI;
    /// <summary>The IKE SA responder's SPI (0 until the IKE_SA_INIT response).</summary>
    public ulong SpiR => _sa.SpiR;
    /// <summary>The negotiated IKE algorithms once IKE_SA_INIT completed.</summary>
    public NegotiatedAlgorithms? Algorithms => _sa.Algorithms;
    /// <summary>The CHILD SAs that are up.</summary>
    public IReadOnlyList<ChildSaInfo> ChildSas => _sa.ChildSas;
    /// <summary>The configuration reply (virtual IPs, DNS) once received.</summary>
    public IkeConfiguration? Configuration => _sa.ReceivedConfiguration;
    /// <summary>The error that ended the session, when <see cref="State"/> is Failed.</summary>
    public IkeError? Error { get; private set; }
    /// <summary>Current peer address (the NAT-T port after the switch) and whether the non-ESP marker path is used.</summary>
    public IPEndPoint RemoteEndPoint => _sa.RemoteEndPoint;
    /// <summary>True once the session sends from the NAT-T port with the non-ESP marker (RFC 7296 §2.23).</summary>
    public bool UsesNatT => _sa.UseNatT;

    private bool IsOver => State is IkeSessionState.Closed or IkeSessionState.Failed;

    private IkeOutput Begin()
    {
        _out = new IkeOutput();
        return _out;
    }

    // ---------------- commands ----------------

    /// <summary>Starts IKE_SA_INIT towards <paramref name="remote"/> (the IKE port, e.g. 500) from <paramref name="local"/>.</summary>
    public IkeOutput Connect(IPEndPoint local, IPEndPoint remote)
    {
        var output = Begin();
        if (Role != IkeRole.Initiator) throw new InvalidOperationException("only an initiator connects");
        if (State != IkeSessionState.Idle) throw new InvalidOperationException($"the session is {State}");
        _sa.LocalEndPoint = local;
        _sa.RemoteEndPoint = remote;
        _sa.SpiI = _sa.Spis.AllocateIkeSpi();
        State = IkeSessionState.Connecting;
        _nextMessageId = 0;
        StartExchange(ExchangeType.IkeSaInit, new IkeTask[] { new IkeInitTask(_sa), new NatDetectionTask(_sa), new RedirectTask(_sa, ExchangeType.IkeSaInit) });
        return output;
    }

    /// <summary>Deletes the IKE SA (and its CHILD SAs) with an INFORMATIONAL DELETE; reports <see cref="IkeEvent.Deleted"/>.</summary>
    public IkeOutput Close()
    {
        var output = Begin();
        if (IsOver || State == IkeSessionState.Deleting) return output;
        if (_sa.Outbound == null || State is IkeSessionState.Idle or IkeSessionState.Connecting)
        {
            Finish(IkeSessionState.Closed, new IkeEvent.Deleted(false, "closed before the IKE SA was established"));
            return output;
        }
        State = IkeSessionState.Deleting;
        _pending.Clear();
        Enqueue(ExchangeType.Informational, () => new IkeTask[] { new IkeDeleteTask(_sa) });
        return output;
    }

    /// <summary>Deletes one CHILD SA, named by our inbound SPI.</summary>
    public IkeOutput DeleteChildSa(uint inboundSpi)
    {
        var output = Begin();
        if (State == IkeSessionState.Established && _sa.ChildSas.Any(c => c.InboundSpi == inboundSpi))
            Enqueue(ExchangeType.Informational, () => new IkeTask[] { new ChildDeleteTask(_sa, new[] { inboundSpi }) });
        return output;
    }

    /// <summary>Rekeys one CHILD SA (named by our inbound SPI) with CREATE_CHILD_SA, then deletes the old one.</summary>
    public IkeOutput RekeyChildSa(uint inboundSpi)
    {
        var output = Begin();
        if (State == IkeSessionState.Established && _sa.ChildSas.FirstOrDefault(c => c.InboundSpi == inboundSpi) is { } old)
            EnqueueChildRekey(old.InboundSpi);
        return output;
    }

    /// <summary>Sends an empty INFORMATIONAL (liveness check); no answer after all retransmissions fails the session.</summary>
    public IkeOutput CheckLiveness()
    {
        var output = Begin();
        if (State == IkeSessionState.Established) Enqueue(ExchangeType.Informational, () => new IkeTask[] { new DpdTask(_sa) });
        return output;
    }

    /// <summary>
    /// A timer armed through <see cref="IkeOutput.Timers"/> fired. A stale firing (of a timer since cancelled) is
    /// ignored; an early one (timers are coarser than the clock) re-arms the timer for the time that is left.
    /// </summary>
    public IkeOutput HandleTimer(IkeTimer timer)
    {
        var output = Begin();
        if (IsOver) return output;
        var now = _sa.Now;
        if (timer == IkeTimer.Retransmit && _retransmitDue is { } due && now < due)
            _out.Timers.Add(new TimerCommand(IkeTimer.Retransmit, TimerDelay(due - now)));
        else if (timer == IkeTimer.Liveness && _livenessDue is { } early && now < early)
            _out.Timers.Add(new TimerCommand(IkeTimer.Liveness, TimerDelay(early - now)));
        else if (timer == IkeTimer.Retransmit && _retransmitDue != null) OnRetransmitTimer();
        else if (timer == IkeTimer.Liveness && _livenessDue != null)
        {
            _livenessDue = null;
            if (State == IkeSessionState.Established)
            {
                if (_active == null && _pending.Count == 0) Enqueue(ExchangeType.Informational, () => new IkeTask[] { new DpdTask(_sa) });
                else ArmLiveness();
            }
        }
        else if (timer == IkeTimer.Lifetime && _lifetimeDue is { } life)
        {
            if (now >= life) OnLifetimeTimer();
            else _lifetimeDue = null; // fired early: re-armed below
        }
        UpdateLifetimes();
        return output;
    }

    // ---------------- timers ----------------

    private TimeSpan? _retransmitDue;
    private TimeSpan? _livenessDue;

    /// <summary>
    /// The longest delay a <see cref="TimerCommand"/> asks for: a deadline further away fires early and is re-armed,
    /// so every delay fits the owner's timers (<see cref="Task.Delay(TimeSpan)"/> takes at most about 49 days).
    /// </summary>
    internal static readonly TimeSpan MaxTimerDelay = TimeSpan.FromDays(1);

    private static TimeSpan TimerDelay(TimeSpan untilDue) =>
        untilDue <= TimeSpan.Zero ? TimeSpan.Zero : untilDue > MaxTimerDelay ? MaxTimerDelay : untilDue;

    private void ArmRetransmit(TimeSpan delay)
    {
        _retransmitDue = _sa.Now + delay;
        _out.Timers.Add(new TimerCommand(IkeTimer.Retransmit, TimerDelay(delay)));
    }

    private void CancelRetransmit()
    {
        if (_retransmitDue == null) return;
        _retransmitDue = null;
        _out.Timers.Add(new TimerCommand(IkeTimer.Retransmit, null));
    }

    private void ArmLiveness()
    {
        if (_sa.Options.LivenessInterval is not { } interval || State != IkeSessionState.Established) return;
        _livenessDue = _sa.Now + interval;
        _out.Timers.Add(new TimerCommand(IkeTimer.Liveness, TimerDelay(interval)));
    }

    // ---------------- ending ----------------

    /// <summary>Ends the session with an error; tells the peer (best effort, one DELETE) when it holds the IKE SA.</summary>
    private void Fail(IkeError error, bool notifyPeer)
    {
        if (IsOver) return;
        if (notifyPeer && _sa.Outbound != null && _sa.SpiR != 0)
        {
            // The failed exchange got its response, so the DELETE takes the next message ID.
            var delete = NewRequest(ExchangeType.Informational, _active != null ? _active.MessageId + 1 : _nextMessageId);
            delete.Payloads.Add(Wire.Payloads.DeletePayload.ForIkeSa());
            Transmit(delete, _sa.RemoteEndPoint, _sa.UseNatT, retransmission: false);
        }
        Error = error;
        Finish(IkeSessionState.Failed, new IkeEvent.Failed(error));
    }

    private void Finish(IkeSessionState state, IkeEvent final)
    {
        foreach (var child in _sa.ChildSas) _out.Events.Add(new IkeEvent.ChildSaDeleted(child, ByPeer: final is IkeEvent.Deleted { ByPeer: true }));
        _sa.ChildSas.Clear();
        foreach (var address in _sa.AssignedAddresses) _sa.Options.Responder.PoolFor(address.BaseAddress.AddressFamily)?.Release(address.BaseAddress);
        _sa.AssignedAddresses.Clear();
        CancelRetransmit();
        if (_livenessDue != null)
        {
            _livenessDue = null;
            _out.Timers.Add(new TimerCommand(IkeTimer.Liveness, null));
        }
        _active = null;
        _pending.Clear();
        State = state;
        UpdateLifetimes();
        _out.Events.Add(final);
    }

    /// <summary>Clears the keys of the IKE SA (and of IKE SAs it replaced).</summary>
    public void Dispose()
    {
        DisposeRetired();
        _sa.Dispose();
    }

    /// <summary>Role, state and SPIs.</summary>
    public override string ToString() => $"IkeSession {Role} {State} {SpiI:x16}_i {SpiR:x16}_r";
}
