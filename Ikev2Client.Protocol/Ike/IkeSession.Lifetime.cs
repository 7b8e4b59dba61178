using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Ike.Tasks;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Ike;

/// <summary>
/// SA lifetimes: soft rekey and hard expiry of CHILD SAs and of the IKE SA (<see cref="IkeSessionOptions.ChildLifetime"/>,
/// <see cref="IkeSessionOptions.IkeLifetime"/>) on one <see cref="IkeTimer.Lifetime"/> timer, and the IKE SA rekey itself:
/// swapping in the new SPIs and keys, simultaneous rekeys (RFC 7296 §2.8.2) and the retired IKE SAs whose DELETE is
/// still to be sent or answered.
/// </summary>
public sealed partial class IkeSession
{
    private sealed class ChildSchedule
    {
        public TimeSpan RekeyAt;
        public TimeSpan ExpireAt;
    }

    private readonly Dictionary<uint, ChildSchedule> _childSchedule = new();
    /// <summary>Inbound SPIs of CHILD SAs already replaced by a rekey (ours or the peer's) but not yet deleted: never rekeyed again.</summary>
    private readonly HashSet<uint> _rekeyedChildren = new();
    private readonly List<RetiredIkeSa> _retired = new();
    private TimeSpan? _ikeRekeyAt;
    private TimeSpan? _ikeExpireAt;
    private TimeSpan? _lifetimeDue;
    private KeGroup _ikeRekeyGroup;
    private IkeSaKeyState? _peerRekeyDuringOurs;

    /// <summary>How many times the IKE SA was rekeyed (either side).</summary>
    public int IkeSaRekeys { get; private set; }

    /// <summary>Rekeys the IKE SA now (CREATE_CHILD_SA with SA(IKE), Ni, KEi), then deletes the old one.</summary>
    public IkeOutput RekeyIkeSa()
    {
        var output = Begin();
        if (State == IkeSessionState.Established) EnqueueIkeRekey();
        UpdateLifetimes();
        return output;
    }

    private void EnqueueIkeRekey()
    {
        var group = _ikeRekeyGroup != KeGroup.None ? _ikeRekeyGroup : _sa.Algorithms!.Group;
        Enqueue(ExchangeType.CreateChildSa, () => State == IkeSessionState.Established && !(_active?.Tasks[0] is IkeRekeyTask)
            ? new IkeTask[] { new IkeRekeyTask(_sa, group) } : Array.Empty<IkeTask>());
    }

    /// <summary>
    /// Queues a rekey of one CHILD SA. Idempotent in effect: when the exchange would start, an SA that is gone or was
    /// already replaced (by an earlier request for it, a timer, or the peer) is left alone, so repeated requests — the
    /// data plane asks again while its sequence or volume limit stays reached — never rekey one SA twice. A retry with
    /// the PFS group the peer asked for (<paramref name="group"/>) is a new request for the same, still unreplaced SA.
    /// </summary>
    private void EnqueueChildRekey(uint inboundSpi, KeGroup? group = null) =>
        Enqueue(ExchangeType.CreateChildSa, () => !_rekeyedChildren.Contains(inboundSpi) && _sa.ChildSas.FirstOrDefault(c => c.InboundSpi == inboundSpi) is { } old
            ? new IkeTask[] { CreateChildSaTask.Rekey(_sa, old, group) } : Array.Empty<IkeTask>());

    // ---------------- keeping a CHILD SA ----------------

    private TimeSpan? _childRecreateAt;
    private bool _childCreateQueued;

    /// <summary>
    /// Creates a new CHILD SA with CREATE_CHILD_SA { SA, Ni, [KEi], TSi, TSr } for the selectors and mode the first CHILD
    /// SA was narrowed to (initiator, established). Reported with <see cref="IkeEvent.ChildSaEstablished"/>.
    /// </summary>
    public IkeOutput CreateChildSa()
    {
        var output = Begin();
        if (State == IkeSessionState.Established && _sa.ChildTemplate != null) EnqueueChildCreate(onlyIfNone: false);
        UpdateLifetimes();
        return output;
    }

    private void EnqueueChildCreate(bool onlyIfNone, KeGroup? group = null)
    {
        _childCreateQueued = true;
        Enqueue(ExchangeType.CreateChildSa, () =>
        {
            if (State == IkeSessionState.Established && _sa.ChildTemplate is { } t && !(onlyIfNone && _sa.ChildSas.Count > 0))
                return new IkeTask[] { CreateChildSaTask.Create(_sa, t, group) };
            _childCreateQueued = false;
            return Array.Empty<IkeTask>();
        });
    }

    /// <summary>
    /// Our CREATE_CHILD_SA for a new CHILD SA completed. Refused while none is left: TEMPORARY_FAILURE is retried after a
    /// short delay; anything else (NO_ADDITIONAL_SAS, TS_UNACCEPTABLE...) means this IKE SA can carry no traffic any more,
    /// so the session ends with a recoverable error and the owner reconnects.
    /// </summary>
    private void AfterChildCreate(CreateChildSaTask task)
    {
        _childCreateQueued = false;
        if (task.Refused is not { } refused || _sa.ChildSas.Count > 0) return;
        if (refused == NotifyType.TemporaryFailure)
        {
            _childRecreateAt = _sa.Now + RetryDelay(TimeSpan.FromSeconds(10));
            return;
        }
        Fail(new IkeError(IkeErrorKind.PeerNotify,
            $"The gateway refused to create a new CHILD SA ({IkeError.Name(refused)}) after the last one was deleted; without one no " +
            "traffic passes, so the connection is restarted.", refused, Recoverable: true), notifyPeer: true);
    }

    /// <summary>Initiator: schedules the re-creation of a CHILD SA when none is left, or cancels it when one appeared.</summary>
    private void KeepChildSa(TimeSpan now)
    {
        if (!_sa.IsInitiator || State != IkeSessionState.Established || _sa.Options.ChildRecreateDelay is not { } delay
            || _sa.ChildTemplate == null || _sa.ChildSas.Count > 0)
        {
            _childRecreateAt = null;
            return;
        }
        if (_childRecreateAt == null && !_childCreateQueued) _childRecreateAt = now + delay;
    }

    private TimeSpan RetryDelay(TimeSpan until)
    {
        Span<byte> b = stackalloc byte[1];
        _sa.Random.Fill(b);
        var delay = TimeSpan.FromSeconds(2 + b[0] % 8);
        var half = until / 2;
        return half > TimeSpan.FromSeconds(1) && half < delay ? half : delay;
    }

    // ---------------- the lifetime timer ----------------

    /// <summary>Starts schedules for new SAs, drops those of gone SAs and (re-)arms the timer at the earliest deadline.</summary>
    private void UpdateLifetimes()
    {
        var now = _sa.Now;
        if (IsOver)
        {
            _childSchedule.Clear();
            _ikeRekeyAt = _ikeExpireAt = null;
            foreach (var r in _retired) r.Keys.Dispose();
            _retired.Clear();
        }
        else if (State is IkeSessionState.Established)
        {
            if (_sa.Options.ChildLifetime is { } child)
                foreach (var c in _sa.ChildSas)
                    if (!_childSchedule.ContainsKey(c.InboundSpi))
                        _childSchedule[c.InboundSpi] = new ChildSchedule { RekeyAt = now + child.NextRekeyDelay(_sa.Random), ExpireAt = now + child.EffectiveHardLifetime };
            foreach (var spi in _childSchedule.Keys.Where(s => !_sa.ChildSas.Any(c => c.InboundSpi == s)).ToList()) _childSchedule.Remove(spi);
            _rekeyedChildren.RemoveWhere(s => !_sa.ChildSas.Any(c => c.InboundSpi == s));
            if (_ikeRekeyAt == null && _sa.Options.IkeLifetime is { } ike)
            {
                _ikeRekeyAt = now + ike.NextRekeyDelay(_sa.Random);
                _ikeExpireAt = now + ike.EffectiveHardLifetime;
            }
        }
        KeepChildSa(now);
        TimeSpan? due = null;
        void Consider(TimeSpan? t) { if (t is { } v && v != TimeSpan.MaxValue && (due == null || v < due)) due = v; }
        foreach (var s in _childSchedule.Values) { Consider(s.RekeyAt); Consider(s.ExpireAt); }
        Consider(_ikeRekeyAt);
        Consider(_ikeExpireAt);
        Consider(_childRecreateAt);
        foreach (var r in _retired) { Consider(r.RetransmitAt); Consider(r.ExpiresAt); }
        if (due == _lifetimeDue) return;
        _lifetimeDue = due;
        _out.Timers.Add(new TimerCommand(IkeTimer.Lifetime, due is { } at ? TimerDelay(at - now) : null));
    }

    private void OnLifetimeTimer()
    {
        var now = _sa.Now;
        _lifetimeDue = null;
        foreach (var (spi, s) in _childSchedule)
        {
            if (now >= s.ExpireAt)
            {
                // Hard expiry without a successful rekey: the SA must not be used any longer.
                s.RekeyAt = s.ExpireAt = TimeSpan.MaxValue;
                if (State == IkeSessionState.Established)
                    Enqueue(ExchangeType.Informational, () => new IkeTask[] { new ChildDeleteTask(_sa, new[] { spi }) });
            }
            else if (now >= s.RekeyAt)
            {
                s.RekeyAt = now + RetryDelay(s.ExpireAt - now) * 4;
                if (State == IkeSessionState.Established) EnqueueChildRekey(spi);
            }
        }
        if (_childRecreateAt is { } recreate && now >= recreate)
        {
            _childRecreateAt = null;
            if (State == IkeSessionState.Established && _sa.ChildSas.Count == 0) EnqueueChildCreate(onlyIfNone: true);
        }
        if (_ikeExpireAt is { } expire && now >= expire)
        {
            Fail(new IkeError(IkeErrorKind.ProtocolTimeout,
                "The IKE SA reached its hard lifetime without being rekeyed; reconnect.", Recoverable: true), notifyPeer: true);
            return;
        }
        if (_ikeRekeyAt is { } rekey && now >= rekey)
        {
            _ikeRekeyAt = now + RetryDelay((_ikeExpireAt ?? now + TimeSpan.FromMinutes(1)) - now) * 4;
            if (State == IkeSessionState.Established) EnqueueIkeRekey();
        }
        foreach (var r in _retired.ToList())
        {
            if (now >= r.ExpiresAt) { Retire(r); continue; }
            if (r.RetransmitAt is { } at && now >= at)
            {
                var timeouts = _sa.Options.RetransmitTimeouts;
                if (r.Transmissions >= timeouts.Count) { Retire(r); continue; }
                Send(r.DeleteRequest!, _sa.RemoteEndPoint, _sa.UseNatT);
                Trace(true, ExchangeType.Informational, false, r.DeleteMessageId, new[] { r.DeleteRequest! }, "", _sa.RemoteEndPoint, _sa.UseNatT, retransmission: true);
                r.RetransmitAt = now + timeouts[r.Transmissions++];
            }
        }
    }

    private void Retire(RetiredIkeSa r)
    {
        _retired.Remove(r);
        r.Keys.Dispose();
    }

    // ---------------- IKE SA rekey ----------------

    /// <summary>Responder: the task for a peer's IKE SA rekey request, refusing it while one of our other exchanges runs.</summary>
    private IkeRekeyTask NewIkeRekeyResponder() => new(_sa, KeGroup.None)
    {
        ForcedError = _active == null || _active.Tasks[0] is IkeRekeyTask ? null : NotifyType.TemporaryFailure,
    };

    /// <summary>Responder: refuse CHILD SA rekeys and creations while we rekey the IKE SA (RFC 7296 §2.25).</summary>
    private void PrepareChildResponder(CreateChildSaTask task)
    {
        if (_active?.Tasks[0] is IkeRekeyTask) task.ForceTemporaryFailure = true;
    }

    /// <summary>Responder: note a simultaneous CHILD SA rekey (RFC 7296 §2.8.1), settled when our own response arrives.</summary>
    private void AfterChildResponse(CreateChildSaTask responder)
    {
        if (responder.RekeyedByPeer is { } replaced) _rekeyedChildren.Add(replaced.InboundSpi);
        if (responder.RekeyedByPeer is { } old && _active?.Tasks[0] is CreateChildSaTask { Old: { } ours } mine && ours.InboundSpi == old.InboundSpi)
            mine.PeerCollision = responder.Nonces;
    }

    /// <summary>Responder: our answer to the peer's IKE SA rekey went out (on the old SA); switch unless ours is in flight.</summary>
    private void AfterIkeRekeyResponse(IkeRekeyTask responder)
    {
        if (responder.Result is not { } fresh) return;
        if (_active?.Tasks[0] is IkeRekeyTask) { _peerRekeyDuringOurs = fresh; return; } // decided when our response arrives
        var old = SwitchTo(fresh);
        _retired.Add(new RetiredIkeSa(old, _expectedRequestIdBeforeSwitch, _sa.Now + TimeSpan.FromSeconds(60)));
    }

    /// <summary>Initiator: our IKE SA rekey exchange completed (or was refused).</summary>
    private void AfterIkeRekeyRequest(IkeRekeyTask ours)
    {
        var now = _sa.Now;
        var peers = _peerRekeyDuringOurs;
        _peerRekeyDuringOurs = null;
        if (ours.Result is not { } mine)
        {
            if (ours.RequestedGroup is { } g) { _ikeRekeyGroup = g; _ikeRekeyAt = now; }
            else if (peers == null) _ikeRekeyAt = now + RetryDelay((_ikeExpireAt ?? now + TimeSpan.FromMinutes(1)) - now);
            if (peers != null)
            {
                var replaced = SwitchTo(peers);
                _retired.Add(new RetiredIkeSa(replaced, _expectedRequestIdBeforeSwitch, now + TimeSpan.FromSeconds(60)));
            }
            return;
        }
        if (peers != null && NonceOrder.Compare(mine.LowestNonce, peers.LowestNonce) < 0)
        {
            // RFC 7296 §2.8.2: the SA created with the lowest nonce is redundant and closed by its creator (us); the peer,
            // whose SA survives, deletes the old one.
            var replaced = SwitchTo(peers);
            _retired.Add(new RetiredIkeSa(replaced, _expectedRequestIdBeforeSwitch, now + TimeSpan.FromSeconds(60)));
            SendRetiredDelete(new RetiredIkeSa(mine, 0, now + TimeSpan.FromSeconds(60)), 0);
            return;
        }
        uint deleteId = _nextMessageId; // already advanced past the rekey exchange
        var previous = SwitchTo(mine);
        SendRetiredDelete(new RetiredIkeSa(previous, _expectedRequestIdBeforeSwitch, now + TimeSpan.FromSeconds(60)), deleteId);
        if (peers != null) _retired.Add(new RetiredIkeSa(peers, 0, now + TimeSpan.FromSeconds(60))); // the peer deletes its redundant SA
    }

    private uint _expectedRequestIdBeforeSwitch;

    /// <summary>Makes <paramref name="fresh"/> the current IKE SA: new SPIs, keys and message IDs; CHILD SAs stay. Returns the old keys.</summary>
    private IkeSaKeyState SwitchTo(IkeSaKeyState fresh)
    {
        var old = _sa.SwapKeys(fresh);
        _expectedRequestIdBeforeSwitch = _expectedRequestId;
        _nextMessageId = 0;
        _expectedRequestId = 0;
        _lastResponse = null;
        IkeSaRekeys++;
        var now = _sa.Now;
        if (_sa.Options.IkeLifetime is { } ike)
        {
            _ikeRekeyAt = now + ike.NextRekeyDelay(_sa.Random);
            _ikeExpireAt = now + ike.EffectiveHardLifetime;
        }
        _out.Events.Add(new IkeEvent.IkeSaRekeyed(old.SpiI, old.SpiR, _sa.Describe()));
        return old;
    }

    private void SendRetiredDelete(RetiredIkeSa r, uint messageId)
    {
        var delete = new IkeMessage(r.Keys.SpiI, r.Keys.SpiR, ExchangeType.Informational,
            r.Keys.OriginalInitiator ? IkeHeaderFlags.Initiator : IkeHeaderFlags.None, messageId);
        delete.Payloads.Add(DeletePayload.ForIkeSa());
        r.DeleteRequest = IkeMessageCodec.EncodeEncrypted(delete, r.Keys.Outbound, _sa.Random);
        r.DeleteMessageId = messageId;
        r.Transmissions = 1;
        r.RetransmitAt = _sa.Now + _sa.Options.RetransmitTimeouts[0];
        _retired.Add(r);
        Send(r.DeleteRequest, _sa.RemoteEndPoint, _sa.UseNatT);
        Trace(true, ExchangeType.Informational, false, messageId, new[] { r.DeleteRequest }, "D", _sa.RemoteEndPoint, _sa.UseNatT, retransmission: false);
    }

    /// <summary>A datagram for a retired IKE SA: the answer to our DELETE, or the peer's DELETE (or anything else) to answer.</summary>
    private bool TryHandleRetired(IkeMessage m, ReadOnlySpan<byte> bytes, System.Net.IPEndPoint remote, bool natT)
    {
        var r = _retired.FirstOrDefault(x => x.Keys.SpiI == m.SpiI && x.Keys.SpiR == m.SpiR);
        if (r == null) return false;
        if (m.IsFromInitiator == r.Keys.OriginalInitiator || m.Exchange == ExchangeType.IkeSaInit) return true;
        if (!IkeMessageCodec.TryDecrypt(bytes, m, r.Keys.Inbound, out var inner, out _)) return true;
        Trace(false, m.Exchange, m.IsResponse, m.MessageId, new[] { bytes.ToArray() }, Summary(inner!), remote, natT, retransmission: false);
        if (m.IsResponse)
        {
            if (r.DeleteRequest != null && m.MessageId == r.DeleteMessageId) Retire(r);
            return true;
        }
        var response = new IkeMessage(r.Keys.SpiI, r.Keys.SpiR, m.Exchange,
            IkeHeaderFlags.Response | (r.Keys.OriginalInitiator ? IkeHeaderFlags.Initiator : IkeHeaderFlags.None), m.MessageId);
        if (m.Exchange == ExchangeType.CreateChildSa) response.Payloads.Add(new NotifyPayload(NotifyType.TemporaryFailure));
        var datagram = IkeMessageCodec.EncodeEncrypted(response, r.Keys.Outbound, _sa.Random);
        Send(datagram, remote, natT);
        Trace(true, m.Exchange, true, m.MessageId, new[] { datagram }, Summary(response), remote, natT, retransmission: false);
        if (inner!.All<DeletePayload>().Any(d => d.ProtocolId == ProtocolId.Ike))
            r.ExpiresAt = _sa.Now + TimeSpan.FromSeconds(2); // keep briefly to answer a retransmitted DELETE
        return true;
    }

    private void DisposeRetired()
    {
        foreach (var r in _retired) r.Keys.Dispose();
        _retired.Clear();
        _peerRekeyDuringOurs?.Dispose();
    }

    /// <summary>A replaced (or redundant) IKE SA kept until its DELETE is sent and answered, or received.</summary>
    private sealed class RetiredIkeSa(IkeSaKeyState keys, uint expectedRequestId, TimeSpan expiresAt)
    {
        public IkeSaKeyState Keys { get; } = keys;
        public uint ExpectedRequestId { get; } = expectedRequestId;
        public TimeSpan ExpiresAt { get; set; } = expiresAt;
        public byte[]? DeleteRequest { get; set; }
        public uint DeleteMessageId { get; set; }
        public int Transmissions { get; set; }
        public TimeSpan? RetransmitAt { get; set; }
    }
}
