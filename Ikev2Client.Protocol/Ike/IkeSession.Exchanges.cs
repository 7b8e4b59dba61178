using System.Net;
using Ikev2Client.Protocol.Ike.Tasks;
using Ikev2Client.Protocol.Wire;

namespace Ikev2Client.Protocol.Ike;

/// <summary>Exchanges we initiate: message IDs (window size 1), queueing, building, retransmission.</summary>
public sealed partial class IkeSession
{
    private sealed class ActiveExchange(ExchangeType exchange, uint messageId, IkeTask[] tasks)
    {
        public ExchangeType Exchange { get; } = exchange;
        public uint MessageId { get; } = messageId;
        public IkeTask[] Tasks { get; } = tasks;
        public List<byte[]> Datagrams { get; set; } = new();
        public int Transmissions { get; set; }
        public TimeSpan FirstSent { get; set; }
        /// <summary>0 for the first request; later requests of a continued exchange (EAP rounds) are built by the first task only.</summary>
        public int Round { get; init; }
    }

    private readonly Queue<(ExchangeType Exchange, Func<IkeTask[]> Tasks)> _pending = new();
    private ActiveExchange? _active;
    private uint _nextMessageId;

    private void Enqueue(ExchangeType exchange, Func<IkeTask[]> tasks)
    {
        _pending.Enqueue((exchange, tasks));
        if (_active == null) StartNext();
    }

    private void StartNext()
    {
        while (_active == null && _pending.Count > 0 && !IsOver)
        {
            var (exchange, factory) = _pending.Dequeue();
            var tasks = factory();
            if (tasks.Length > 0) StartExchange(exchange, tasks); // empty: the work became moot while queued
        }
    }

    private IkeMessage NewRequest(ExchangeType exchange, uint messageId) =>
        new(_sa.SpiI, _sa.SpiR, exchange, _sa.OriginalInitiator ? IkeHeaderFlags.Initiator : IkeHeaderFlags.None, messageId);

    private IkeMessage NewResponse(IkeMessage request) =>
        new(_sa.SpiI, _sa.SpiR, request.Exchange, IkeHeaderFlags.Response | (_sa.OriginalInitiator ? IkeHeaderFlags.Initiator : IkeHeaderFlags.None), request.MessageId);

    private void StartExchange(ExchangeType exchange, IkeTask[] tasks)
    {
        _active = new ActiveExchange(exchange, _nextMessageId, tasks) { FirstSent = _sa.Now };
        SendActive();
    }

    /// <summary>Builds the active request from its tasks, sends it and arms the first retransmission.</summary>
    private void SendActive()
    {
        var a = _active!;
        var request = NewRequest(a.Exchange, a.MessageId);
        foreach (var task in a.Round == 0 ? a.Tasks : a.Tasks[..1]) task.BuildRequest(request);
        a.Datagrams = Transmit(request, _sa.RemoteEndPoint, _sa.UseNatT, retransmission: false);
        if (a.Exchange == ExchangeType.IkeSaInit) _sa.InitRequest = a.Datagrams[0];
        a.Transmissions = 1;
        ArmRetransmit(_sa.Options.RetransmitTimeouts[0]);
    }

    private void OnRetransmitTimer()
    {
        var a = _active;
        _retransmitDue = null;
        if (a == null) return;
        var timeouts = _sa.Options.RetransmitTimeouts;
        if (a.Transmissions >= timeouts.Count)
        {
            if (State == IkeSessionState.Deleting)
            {
                Finish(IkeSessionState.Closed, new IkeEvent.Deleted(false, "the peer did not confirm the DELETE; the IKE SA was removed anyway"));
                return;
            }
            var waited = _sa.Now - a.FirstSent;
            Fail(new IkeError(IkeErrorKind.ProtocolTimeout,
                $"No response from {_sa.RemoteEndPoint} to our {a.Exchange} request after {a.Transmissions} transmissions over {waited.TotalSeconds:0.#} s. " +
                "Check that the gateway is reachable and that UDP ports 500 and 4500 are not blocked.", Recoverable: true), notifyPeer: false);
            return;
        }
        foreach (var d in a.Datagrams) Send(d, _sa.RemoteEndPoint, _sa.UseNatT);
        Trace(true, a.Exchange, false, a.MessageId, a.Datagrams, "", _sa.RemoteEndPoint, _sa.UseNatT, retransmission: true);
        ArmRetransmit(timeouts[a.Transmissions]);
        a.Transmissions++;
    }

    /// <summary>Processes the response to the active exchange (already matched and decrypted).</summary>
    private void ProcessResponse(IkeMessage response)
    {
        var a = _active!;
        bool retry = false;
        foreach (var task in a.Tasks)
        {
            var result = task.ProcessResponse(response);
            if (result == TaskResult.Failed || _sa.Failure != null)
            {
                var error = _sa.Failure ?? new IkeError(IkeErrorKind.Internal, "a task failed without a reason");
                // The gateway holds an IKE SA once IKE_SA_INIT succeeded, unless it told us it failed.
                bool peerHasSa = a.Exchange != ExchangeType.IkeSaInit && response.ErrorNotify == null;
                Fail(error, notifyPeer: peerHasSa);
                return;
            }
            if (result == TaskResult.Continue)
            {
                // EAP round (RFC 7296 §2.16): the next IKE_AUTH request, built by the first task alone. After
                // CREATE_CHILD_SA, an additional key exchange: an IKE_FOLLOWUP_KE request (RFC 9370 §2.2.4).
                CancelRetransmit();
                _nextMessageId++;
                var next = a.Exchange is ExchangeType.CreateChildSa or ExchangeType.IkeFollowupKe ? ExchangeType.IkeFollowupKe : a.Exchange;
                _active = new ActiveExchange(next, _nextMessageId, a.Tasks) { FirstSent = _sa.Now, Round = a.Round + 1 };
                SendActive();
                return;
            }
            retry |= result == TaskResult.NeedMore;
        }
        CancelRetransmit();
        if (retry)
        {
            a.FirstSent = _sa.Now;
            SendActive();
            return;
        }
        _active = null;
        _nextMessageId++;
        OnExchangeComplete(a);
        StartNext();
    }

    private void OnExchangeComplete(ActiveExchange a)
    {
        // A CREATE_CHILD_SA with additional key exchanges completes with its last IKE_FOLLOWUP_KE.
        switch (a.Exchange == ExchangeType.IkeFollowupKe ? ExchangeType.CreateChildSa : a.Exchange)
        {
            case ExchangeType.IkeSaInit:
                State = IkeSessionState.Authenticating;
                StartAuthOrIntermediate();
                break;
            case ExchangeType.IkeIntermediate:
                StartAuthOrIntermediate();
                break;
            case ExchangeType.IkeAuth:
                State = IkeSessionState.Established;
                if (_sa.ChildSas.FirstOrDefault() is { } first) _sa.ChildTemplate ??= ChildSaTemplate.Of(first);
                ArmLiveness();
                break;
            case ExchangeType.Informational when a.Tasks.Any(t => t is IkeDeleteTask):
                Finish(IkeSessionState.Closed, new IkeEvent.Deleted(false, "deleted by us"));
                break;
            case ExchangeType.CreateChildSa when a.Tasks[0] is CreateChildSaTask { RetryGroup: { } group } retry:
                if (retry.IsCreate) EnqueueChildCreate(onlyIfNone: false, group);
                else if (retry.Old is { } rekeyed) EnqueueChildRekey(rekeyed.InboundSpi, group);
                break;
            case ExchangeType.CreateChildSa when a.Tasks[0] is CreateChildSaTask { IsCreate: true } created:
                AfterChildCreate(created);
                break;
            case ExchangeType.CreateChildSa when a.Tasks[0] is CreateChildSaTask { Replaced: { } old } rekey:
                // RFC 7296 §2.8: the rekey initiator deletes the old CHILD SA (or, having lost a collision, its own new one).
                _rekeyedChildren.Add(rekey.Old!.InboundSpi);
                Enqueue(ExchangeType.Informational, () => new IkeTask[] { new ChildDeleteTask(_sa, new[] { old.InboundSpi }) });
                break;
            case ExchangeType.CreateChildSa when a.Tasks[0] is IkeRekeyTask ours:
                AfterIkeRekeyRequest(ours);
                break;
            case ExchangeType.Informational when a.Tasks.Any(t => t is DpdTask):
                ArmLiveness();
                break;
            case ExchangeType.Informational when a.Tasks[0] is MobikeUpdateTask:
                ArmLiveness();
                break;
        }
    }

    /// <summary>After IKE_SA_INIT: one IKE_INTERMEDIATE per additional key exchange (RFC 9370 §2.2.2), then IKE_AUTH.</summary>
    private void StartAuthOrIntermediate()
    {
        if (_sa.PendingAdditionalExchanges > 0)
            StartExchange(ExchangeType.IkeIntermediate, new IkeTask[] { new IkeIntermediateTask(_sa, _sa.IntermediateExchanges) });
        else
            StartExchange(ExchangeType.IkeAuth, new IkeTask[] { new IkeAuthTask(_sa), new RedirectTask(_sa, ExchangeType.IkeAuth), new ConfigTask(_sa), new ChildCreateTask(_sa), new MobikeTask(_sa) });
    }

    /// <summary>Encodes (encrypting and fragmenting as negotiated), sends and traces a message; returns the datagrams.</summary>
    private List<byte[]> Transmit(IkeMessage message, IPEndPoint destination, bool natT, bool retransmission)
    {
        List<byte[]> datagrams;
        if (message.Exchange == ExchangeType.IkeSaInit) datagrams = new() { IkeMessageCodec.Encode(message) };
        else
        {
            var whole = IkeMessageCodec.EncodeEncrypted(message, _sa.Outbound!, _sa.Random);
            datagrams = _sa.FragmentationNegotiated && whole.Length > _sa.Options.MaxMessageSize
                ? IkeMessageCodec.EncodeFragmented(message, _sa.Outbound!, _sa.Random, _sa.Options.MaxMessageSize)
                : new() { whole };
        }
        foreach (var d in datagrams) Send(d, destination, natT);
        Trace(true, message.Exchange, message.IsResponse, message.MessageId, datagrams, Summary(message), destination, natT, retransmission);
        return datagrams;
    }

    private void Send(byte[] datagram, IPEndPoint destination, bool natT) => _out.Datagrams.Add(new OutgoingDatagram(datagram, destination, natT));

    private void Trace(bool sent, ExchangeType exchange, bool response, uint messageId, IReadOnlyCollection<byte[]> datagrams, string payloads,
        IPEndPoint peer, bool natT, bool retransmission) =>
        _out.Events.Add(new IkeEvent.MessageTraced(sent, exchange, response, messageId, datagrams.Sum(d => d.Length), datagrams.Count,
            payloads, _sa.Now, retransmission, peer, natT));

    private static string Summary(IkeMessage message)
    {
        var s = message.ToString();
        int open = s.IndexOf('[');
        return open < 0 ? "" : s[(open + 1)..^1];
    }

    /// <summary>Test hook: encrypts arbitrary payloads as one of our requests (to exercise the peer's protected-error path).</summary>
    internal byte[] EncodeProtectedRequestForTests(ExchangeType exchange, uint messageId, IEnumerable<Wire.Payload> payloads)
    {
        var request = NewRequest(exchange, messageId);
        request.Payloads.AddRange(payloads);
        return IkeMessageCodec.EncodeEncrypted(request, _sa.Outbound!, _sa.Random);
    }

    /// <summary>Test hook: encrypts arbitrary payloads as our response to the peer's request <paramref name="requestDatagram"/>.</summary>
    internal byte[] EncodeProtectedResponseForTests(byte[] requestDatagram, IEnumerable<Wire.Payload> payloads)
    {
        if (!IkeMessageCodec.TryDecode(requestDatagram, out var request, out var error)) throw new ArgumentException(error!.Message);
        var response = NewResponse(request!);
        response.Payloads.AddRange(payloads);
        return IkeMessageCodec.EncodeEncrypted(response, _sa.Outbound!, _sa.Random);
    }

    /// <summary>Test hook: from now on, remember the SK_e/SK_a keys of every key generation (to decrypt captures in tests).</summary>
    internal void RecordKeysForTests() => _sa.KeyLog = new();

    /// <summary>SK_ei, SK_er, SK_ai, SK_ar per key generation since <see cref="RecordKeysForTests"/>.</summary>
    internal IReadOnlyList<byte[][]> KeyLogForTests => _sa.KeyLog ?? [];

    internal uint NextMessageIdForTests => _active?.MessageId ?? _nextMessageId;
}
