using System.Net;
using System.Security.Cryptography;
using Ikev2Client.Protocol.Ike.Tasks;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Ike;

/// <summary>Inbound datagrams: matching, decryption and reassembly, and the exchanges the peer initiates.</summary>
public sealed partial class IkeSession
{
    private readonly FragmentReassembler _requestFragments = new();
    private readonly FragmentReassembler _responseFragments = new();
    private readonly byte[] _cookieSecret;
    private uint _expectedRequestId;
    private List<byte[]>? _lastResponse;
    /// <summary>Responder: the IKE_AUTH tasks, kept across the EAP rounds of one IKE_AUTH (RFC 7296 §2.16).</summary>
    private IkeTask[]? _authTasks;
    /// <summary>Responder: the CREATE_CHILD_SA whose IKE_FOLLOWUP_KE exchanges are still to come (RFC 9370).</summary>
    private IkeTask? _followupResponder;

    private enum OpenResult { Ok, Pending, Dropped, ProtectedError }

    /// <summary>
    /// A datagram arrived from <paramref name="remote"/> on <paramref name="local"/>. <paramref name="nonEspMarker"/>
    /// says it came in on the NAT-T socket (the driver has stripped the four zero octets). Unmatched or
    /// unauthenticated datagrams are dropped without any state change.
    /// </summary>
    public IkeOutput HandleDatagram(ReadOnlySpan<byte> datagram, IPEndPoint remote, IPEndPoint local, bool nonEspMarker = false)
    {
        var output = Begin();
        if (IsOver) return output;
        if (!IkeMessageCodec.TryDecode(datagram, out var message, out _)) return output;
        var m = message!;
        var bytes = datagram[..(int)m.Header.Length];
        if (_retired.Count > 0 && TryHandleRetired(m, bytes, remote, nonEspMarker)) { UpdateLifetimes(); return output; }
        if (m.IsFromInitiator == _sa.OriginalInitiator) return output; // our own direction reflected, or a confused peer
        bool idleResponder = !_sa.IsInitiator && State == IkeSessionState.Idle;
        if (!idleResponder && m.SpiI != _sa.SpiI) return output;
        if (m.IsResponse) HandleResponse(m, bytes, remote, nonEspMarker);
        else HandleRequest(m, bytes, remote, local, nonEspMarker);
        UpdateLifetimes();
        return output;
    }

    private void HandleResponse(IkeMessage m, ReadOnlySpan<byte> bytes, IPEndPoint remote, bool natT)
    {
        var a = _active;
        if (a == null || m.MessageId != a.MessageId || m.Exchange != a.Exchange) return;
        IkeMessage inner;
        if (m.Exchange == ExchangeType.IkeSaInit)
        {
            if (PayloadRules.Check(m) != null) return; // unauthenticated: drop
            if (!RedirectTask.AcceptableInitResponse(_sa, m)) return; // forged REDIRECT (wrong nonce): drop
            inner = m;
            _sa.InitResponse = bytes.ToArray();
        }
        else
        {
            if (m.SpiR != _sa.SpiR) return;
            var result = Open(m, bytes, _responseFragments, out var opened, out var error);
            if (result is OpenResult.Pending or OpenResult.Dropped) return;
            if (result == OpenResult.ProtectedError)
            {
                Fail(new IkeError(IkeErrorKind.InvalidMessage, $"The peer's {m.Exchange} response is malformed: {error!.Message}.", error.SuggestedNotify), notifyPeer: true);
                return;
            }
            inner = opened!;
        }
        Trace(false, m.Exchange, true, m.MessageId, new[] { bytes.ToArray() }, Summary(inner), remote, natT, retransmission: false);
        ProcessResponse(inner);
    }

    private void HandleRequest(IkeMessage m, ReadOnlySpan<byte> bytes, IPEndPoint remote, IPEndPoint local, bool natT)
    {
        if (m.Exchange == ExchangeType.IkeSaInit)
        {
            if (_sa.IsInitiator || m.SpiR != 0 || m.MessageId != 0) return;
            if (State == IkeSessionState.Idle) HandleInitRequest(m, bytes, remote, local, natT);
            else if (_lastResponse != null && _expectedRequestId == 1 && bytes.SequenceEqual(_sa.InitRequest))
                Resend(_lastResponse, m, remote, natT);
            return;
        }
        if (m.SpiR != _sa.SpiR || _sa.Inbound == null) return;
        if (_lastResponse != null && m.MessageId == _expectedRequestId - 1)
        {
            // A retransmitted request: answer from the cache once its integrity is verified (first fragment only).
            if (IsAuthentic(m, bytes)) Resend(_lastResponse, m, remote, natT);
            return;
        }
        if (m.MessageId != _expectedRequestId) return;
        var result = Open(m, bytes, _requestFragments, out var inner, out var error);
        if (result is OpenResult.Pending or OpenResult.Dropped) return;
        if (!_sa.IsInitiator)
        {
            _sa.RemoteEndPoint = remote;
            _sa.UseNatT = natT;
        }
        if (result == OpenResult.ProtectedError)
        {
            var reply = NewResponse(m);
            var notify = error!.SuggestedNotify ?? NotifyType.InvalidSyntax;
            reply.Payloads.Add(new NotifyPayload(notify, notify == NotifyType.UnsupportedCriticalPayload ? new[] { error.UnsupportedPayloadType } : null));
            Reply(reply, remote, natT);
            if (m.Exchange is ExchangeType.IkeAuth or ExchangeType.IkeIntermediate)
                Fail(new IkeError(IkeErrorKind.InvalidMessage, $"The peer's {(m.Exchange == ExchangeType.IkeAuth ? "IKE_AUTH" : "IKE_INTERMEDIATE")} request is malformed: {error.Message}.", notify), notifyPeer: false);
            return;
        }
        Trace(false, m.Exchange, false, m.MessageId, new[] { bytes.ToArray() }, Summary(inner!), remote, natT, retransmission: false);
        RespondTo(inner!, remote, natT);
    }

    private void RespondTo(IkeMessage request, IPEndPoint remote, bool natT)
    {
        IkeTask[] tasks = request.Exchange switch
        {
            ExchangeType.IkeIntermediate when !_sa.IsInitiator && State == IkeSessionState.Authenticating && _authTasks == null && _sa.PendingAdditionalExchanges > 0
                => new IkeTask[] { new IkeIntermediateTask(_sa, _sa.IntermediateExchanges) },
            ExchangeType.IkeAuth when !_sa.IsInitiator && State == IkeSessionState.Authenticating && _sa.PendingAdditionalExchanges == 0 => _authTasks ??=
                RedirectTask.AuthRedirectTasks(_sa) ?? new IkeTask[] { new IkeAuthTask(_sa), new ConfigTask(_sa), new ChildCreateTask(_sa), new MobikeTask(_sa) },
            ExchangeType.Informational => InformationalResponderTasks(),
            ExchangeType.IkeFollowupKe when State == IkeSessionState.Established && _followupResponder != null => new IkeTask[] { _followupResponder },
            ExchangeType.CreateChildSa when State == IkeSessionState.Established && IkeRekeyTask.IsIkeRekey(request) => new IkeTask[] { NewIkeRekeyResponder() },
            ExchangeType.CreateChildSa when State == IkeSessionState.Established => new IkeTask[] { CreateChildSaTask.Responder(_sa) },
            _ => Array.Empty<IkeTask>(),
        };
        var response = NewResponse(request);
        if (tasks.Length == 0)
        {
            // IKE_AUTH at the wrong time, or CREATE_CHILD_SA while not established, is refused.
            response.Payloads.Add(new NotifyPayload(request.Exchange switch
            {
                ExchangeType.CreateChildSa => NotifyType.NoAdditionalSas,
                ExchangeType.IkeFollowupKe => NotifyType.StateNotFound, // no CREATE_CHILD_SA waits for it (RFC 9370 §2.2.4)
                _ => NotifyType.InvalidSyntax,
            }));
            Reply(response, remote, natT);
            return;
        }
        if (tasks[0] is CreateChildSaTask childTask) PrepareChildResponder(childTask);
        var first = tasks[0].ProcessRequest(request);
        if (first == TaskResult.Continue)
        {
            // An EAP round inside IKE_AUTH: only the authentication task answers.
            tasks[0].BuildResponse(response);
            Reply(response, remote, natT);
            if (_sa.Failure != null) Fail(_sa.Failure, notifyPeer: false);
            return;
        }
        // After EAP the SA, TS and CP payloads to answer are those of the first IKE_AUTH request.
        var original = tasks[0] is IkeAuthTask { FirstRequest: { } firstRequest } ? firstRequest : request;
        if (first != TaskResult.Failed)
            foreach (var task in tasks.Skip(1))
                if (task.ProcessRequest(original) == TaskResult.Failed) break;
        foreach (var task in tasks) task.BuildResponse(response);
        Reply(response, remote, natT);
        if (tasks[0] is IkeIntermediateTask intermediate)
        {
            // The response went out under the old keys; now IntAuth and the key update (RFC 9370 §2.2.2).
            if (_sa.Failure != null) Fail(_sa.Failure, notifyPeer: false);
            else intermediate.Complete(request, response);
            return;
        }
        // Additional key exchanges (RFC 9370 §2.2.4): the CHILD SA or new IKE SA exists only after the last IKE_FOLLOWUP_KE.
        if (tasks[0] is CreateChildSaTask { AwaitingFollowup: true } or IkeRekeyTask { AwaitingFollowup: true })
        {
            _followupResponder = tasks[0];
            return;
        }
        _followupResponder = null;
        if (tasks[0] is CreateChildSaTask answered) AfterChildResponse(answered);
        else if (tasks[0] is IkeRekeyTask ikeRekey) AfterIkeRekeyResponse(ikeRekey);

        if (request.Exchange == ExchangeType.IkeAuth)
        {
            if (_sa.Failure != null) Fail(_sa.Failure, notifyPeer: false);
            else
            {
                State = IkeSessionState.Established;
                if (_sa.ChildSas.FirstOrDefault() is { } firstChild) _sa.ChildTemplate ??= ChildSaTemplate.Of(firstChild);
                ArmLiveness();
            }
        }
        else if (tasks[0] is InformationalResponderTask { DeleteIke: true })
            Finish(IkeSessionState.Closed, new IkeEvent.Deleted(true, "the peer deleted the IKE SA"));
        else if (tasks[0] is InformationalResponderTask) AfterInformationalResponse(tasks);
    }

    private void HandleInitRequest(IkeMessage m, ReadOnlySpan<byte> bytes, IPEndPoint remote, IPEndPoint local, bool natT)
    {
        if (PayloadRules.Check(m) != null) return;
        var nonce = m.Get<NoncePayload>()!.Data;
        if (_sa.Options.Responder.RequireCookie)
        {
            var expected = Cookie(m.SpiI, nonce, remote);
            var first = m.Payloads[0] as NotifyPayload;
            if (first?.NotifyType != NotifyType.Cookie || !CryptographicOperations.FixedTimeEquals(first.Data, expected))
            {
                var challenge = new IkeMessage(m.SpiI, 0, ExchangeType.IkeSaInit, IkeHeaderFlags.Response, 0);
                challenge.Payloads.Add(new NotifyPayload(NotifyType.Cookie, expected));
                Trace(false, m.Exchange, false, 0, new[] { bytes.ToArray() }, Summary(m), remote, natT, retransmission: false);
                Transmit(challenge, remote, natT, retransmission: false);
                return;
            }
        }
        if (RedirectTask.InitRedirect(_sa, m) is { } redirect)
        {
            Trace(false, m.Exchange, false, 0, new[] { bytes.ToArray() }, Summary(m), remote, natT, retransmission: false);
            Transmit(redirect, remote, natT, retransmission: false); // stateless, like a COOKIE challenge
            return;
        }
        _sa.RemoteEndPoint = remote;
        _sa.LocalEndPoint = local;
        _sa.UseNatT = natT;
        Trace(false, m.Exchange, false, 0, new[] { bytes.ToArray() }, Summary(m), remote, natT, retransmission: false);
        var init = new IkeInitTask(_sa);
        var tasks = new IkeTask[] { init, new NatDetectionTask(_sa) };
        var result = TaskResult.Done;
        foreach (var task in tasks)
            if ((result = task.ProcessRequest(m)) != TaskResult.Done) break;
        if (result != TaskResult.Done)
        {
            // Stateless error answer (INVALID_KE_PAYLOAD, NO_PROPOSAL_CHOSEN): SPIr stays zero.
            var error = new IkeMessage(m.SpiI, 0, ExchangeType.IkeSaInit, IkeHeaderFlags.Response, 0);
            init.BuildResponse(error);
            Transmit(error, remote, natT, retransmission: false);
            _sa.SpiR = 0;
            if (result == TaskResult.Failed) Fail(_sa.Failure!, notifyPeer: false);
            return;
        }
        var response = NewResponse(m);
        foreach (var task in tasks) task.BuildResponse(response);
        _sa.InitRequest = bytes.ToArray();
        _lastResponse = Transmit(response, remote, natT, retransmission: false);
        _sa.InitResponse = _lastResponse[0];
        _expectedRequestId = 1;
        State = IkeSessionState.Authenticating;
    }

    private byte[] Cookie(ulong spiI, byte[] nonce, IPEndPoint remote)
    {
        var data = new byte[8 + nonce.Length + 18];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(data, spiI);
        nonce.CopyTo(data, 8);
        remote.Address.MapToIPv6().GetAddressBytes().CopyTo(data, 8 + nonce.Length);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(8 + nonce.Length + 16), (ushort)remote.Port);
        return HMACSHA256.HashData(_cookieSecret, data)[..16];
    }

    private void Reply(IkeMessage response, IPEndPoint remote, bool natT)
    {
        _lastResponse = Transmit(response, remote, natT, retransmission: false);
        _expectedRequestId++;
    }

    private void Resend(List<byte[]> datagrams, IkeMessage request, IPEndPoint remote, bool natT)
    {
        foreach (var d in datagrams) Send(d, remote, natT);
        Trace(true, request.Exchange, true, request.MessageId, datagrams, "", remote, natT, retransmission: true);
    }

    /// <summary>True when a protected message (or, for fragments, its first fragment) passes the integrity check.</summary>
    private bool IsAuthentic(IkeMessage m, ReadOnlySpan<byte> bytes)
    {
        if (m.Exchange == ExchangeType.IkeSaInit) return true;
        if (PayloadRules.CheckOuter(m) != null) return false;
        // A repeated IKE_INTERMEDIATE request still comes under the keys from before the update it caused.
        var inbound = m.Exchange == ExchangeType.IkeIntermediate && _sa.PreviousInbound != null ? _sa.PreviousInbound : _sa.Inbound!;
        if (m.Payloads[^1] is EncryptedFragmentPayload f)
            return f.FragmentNumber == 1 && IkeMessageCodec.TryDecryptFragment(bytes, m, inbound, out _, out _, out _);
        return IkeMessageCodec.TryDecrypt(bytes, m, inbound, out _, out var error) || error?.Code != IkeParseErrorCode.IntegrityCheckFailed;
    }

    /// <summary>Verifies, decrypts (reassembling fragments) and checks the payload rules of a protected message.</summary>
    private OpenResult Open(IkeMessage outer, ReadOnlySpan<byte> bytes, FragmentReassembler reassembler, out IkeMessage? inner, out IkeParseError? error)
    {
        inner = null;
        error = null;
        if (_sa.Inbound == null || PayloadRules.CheckOuter(outer) != null) return OpenResult.Dropped;
        if (outer.Payloads[0] is EncryptedFragmentPayload)
        {
            if (!IkeMessageCodec.TryDecryptFragment(bytes, outer, _sa.Inbound, out var fragment, out var plain, out _)) return OpenResult.Dropped;
            var status = reassembler.Add(outer.Header, fragment!, plain!, out var whole, out var first, out _);
            if (status == FragmentReassembler.Status.Pending) return OpenResult.Pending;
            if (status != FragmentReassembler.Status.Complete) return OpenResult.Dropped;
            if (!IkeMessageCodec.TryParseInner(outer.Header, first, whole, Array.Empty<Payload>(), out inner, out error)) return OpenResult.ProtectedError;
        }
        else if (!IkeMessageCodec.TryDecrypt(bytes, outer, _sa.Inbound, out inner, out error))
            return error!.Code == IkeParseErrorCode.IntegrityCheckFailed ? OpenResult.Dropped : OpenResult.ProtectedError;
        error = PayloadRules.Check(inner!);
        return error == null ? OpenResult.Ok : OpenResult.ProtectedError;
    }
}
