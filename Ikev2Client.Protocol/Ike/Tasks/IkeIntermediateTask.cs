using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Ike.Tasks;

/// <summary>
/// One IKE_INTERMEDIATE exchange (RFC 9242) carrying one additional key exchange of the IKE SA (RFC 9370 §2.2.2):
/// <code>
/// HDR, SK {KEi(n)}  --&gt;
///                   &lt;--  HDR, SK {KEr(n)}
/// </code>
/// protected with the keys of the previous generation. Once both messages are through, they are folded into the
/// IntAuth chains (with that generation's SK_pi/SK_pr) and every key is updated from SK(n). For ML-KEM the initiator
/// sends the encapsulation key and the responder the ciphertext (draft-ietf-ipsecme-ikev2-mlkem).
/// </summary>
internal sealed class IkeIntermediateTask : IkeTask
{
    private IKeyExchange? _ke;
    private IkeMessage? _request;
    private byte[]? _shared;
    private byte[] _responderPublic = Array.Empty<byte>();
    private NotifyType? _error;

    public IkeIntermediateTask(IkeSa sa, int index) : base(sa)
    {
        Index = index;
        Group = sa.Algorithms!.AdditionalKeyExchanges[index];
    }

    /// <summary>Which additional key exchange this is (0 for the first, ADDKE1 unless NONE was chosen for it).</summary>
    public int Index { get; }

    /// <summary>The key exchange method of this exchange.</summary>
    public KeGroup Group { get; }

    private string Name => CryptoRegistry.NameOf(TransformType.KeyExchange, (ushort)Group);

    // ---------------- initiator ----------------

    public override void BuildRequest(IkeMessage request)
    {
        _ke ??= CryptoRegistry.CreateKeyExchange(Group, Sa.Random);
        request.Payloads.Add(new KePayload(Group, _ke.PublicValue.ToArray()));
        _request = request;
    }

    public override TaskResult ProcessResponse(IkeMessage response)
    {
        if (response.ErrorNotify is { } error)
            return Fail(IkeError.FromPeerNotify(error.NotifyType, $"IKE_INTERMEDIATE ({Name})"));
        var ke = response.Get<KePayload>();
        if (ke == null || ke.Group != Group)
            return Fail(IkeErrorKind.InvalidMessage,
                $"The gateway's IKE_INTERMEDIATE response carries no {Name} key exchange payload (additional key exchange {Index + 1}, RFC 9370).");
        if (!_ke!.TryDeriveSharedSecret(ke.Data, out var shared, out var keError))
            return Fail(IkeErrorKind.InvalidMessage, $"The gateway's {Name} key exchange value is invalid: {keError}.", NotifyType.InvalidSyntax);
        _ke.Dispose();
        Sa.RecordIntermediate(_request!, response);
        Sa.ApplyAdditionalKeyExchange(shared);
        return TaskResult.Done;
    }

    // ---------------- responder ----------------

    public override TaskResult ProcessRequest(IkeMessage request)
    {
        var ke = request.Get<KePayload>();
        if (ke == null || ke.Group != Group)
        {
            _error = NotifyType.InvalidSyntax;
            return Fail(IkeErrorKind.InvalidMessage,
                $"The initiator's IKE_INTERMEDIATE request carries no {Name} key exchange payload (additional key exchange {Index + 1}, RFC 9370).", NotifyType.InvalidSyntax);
        }
        using var mine = CryptoRegistry.CreateKeyExchange(Group, Sa.Random, responder: true);
        if (!mine.TryDeriveSharedSecret(ke.Data, out var shared, out var keError))
        {
            _error = NotifyType.InvalidSyntax;
            return Fail(IkeErrorKind.InvalidMessage, $"The initiator's {Name} key exchange value is invalid: {keError}.", NotifyType.InvalidSyntax);
        }
        _shared = shared;
        _responderPublic = mine.PublicValue.ToArray();
        return TaskResult.Done;
    }

    public override void BuildResponse(IkeMessage response)
    {
        if (_error is { } error) response.Payloads.Add(new NotifyPayload(error));
        else response.Payloads.Add(new KePayload(Group, _responderPublic));
    }

    /// <summary>Responder, once the response has been protected and sent: IntAuth over both messages, then the key update.</summary>
    public void Complete(IkeMessage request, IkeMessage response)
    {
        if (_shared == null) return;
        Sa.RecordIntermediate(request, response);
        Sa.ApplyAdditionalKeyExchange(_shared);
        _shared = null;
    }
}
