using System.Security.Cryptography;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Ike.Tasks;

/// <summary>
/// The additional key exchanges of one CREATE_CHILD_SA (RFC 9370 §2.2.4), each in an IKE_FOLLOWUP_KE exchange linked to
/// it by the responder's ADDITIONAL_KEY_EXCHANGE notify:
/// <code>
/// CREATE_CHILD_SA   HDR, SK {SA, Ni, KEi, ...}               --&gt;  &lt;--  HDR, SK {SA, Nr, KEr, ..., N(ADDITIONAL_KEY_EXCHANGE)(link1)}
/// IKE_FOLLOWUP_KE   HDR, SK {N(ADDITIONAL_KEY_EXCHANGE)(link1), KEi(1)}  --&gt;  &lt;--  HDR, SK {KEr(1), [N(ADDITIONAL_KEY_EXCHANGE)(link2)]}
/// </code>
/// The keys then come from g^ir (new) | SK(1) | ... | SK(n) where the single shared secret used to be (KEYMAT for a CHILD SA,
/// SKEYSEED for a rekeyed IKE SA). Used by <see cref="CreateChildSaTask"/> and <see cref="IkeRekeyTask"/> in both roles.
/// </summary>
internal sealed class FollowupKeyExchanges(IkeSa sa, IReadOnlyList<KeGroup> groups, byte[] firstSecret)
{
    private readonly List<byte[]> _secrets = [firstSecret];
    private IKeyExchange? _ke;
    private byte[] _link = Array.Empty<byte>();
    private byte[] _responderPublic = Array.Empty<byte>();
    private NotifyType? _error;
    private int _next;

    /// <summary>True while additional key exchanges remain.</summary>
    public bool Pending => _next < groups.Count;

    /// <summary>How many are done.</summary>
    public int Completed => _next;

    private KeGroup Current => groups[_next];

    private string Name => CryptoRegistry.NameOf(TransformType.KeyExchange, (ushort)Current);

    /// <summary>g^ir (new) | SK(1) | ... | SK(n); the parts are cleared.</summary>
    public byte[] CombinedSecret()
    {
        var all = new byte[_secrets.Sum(s => s.Length)];
        int offset = 0;
        foreach (var s in _secrets)
        {
            s.CopyTo(all, offset);
            offset += s.Length;
            CryptographicOperations.ZeroMemory(s);
        }
        return all;
    }

    // ---------------- initiator ----------------

    /// <summary>Initiator, on the CREATE_CHILD_SA (or previous IKE_FOLLOWUP_KE) response: the link to echo. Null when it is missing.</summary>
    public string? AcceptLink(IkeMessage response)
    {
        if (response.Notify(NotifyType.AdditionalKeyExchange) is not { } link || link.Data.Length == 0)
            return "the peer's response lacks the ADDITIONAL_KEY_EXCHANGE notify that links the next IKE_FOLLOWUP_KE (RFC 9370)";
        _link = link.Data;
        return null;
    }

    public void BuildRequest(IkeMessage request)
    {
        _ke?.Dispose();
        _ke = CryptoRegistry.CreateKeyExchange(Current, sa.Random);
        request.Payloads.Add(new NotifyPayload(NotifyType.AdditionalKeyExchange, _link));
        request.Payloads.Add(new KePayload(Current, _ke.PublicValue.ToArray()));
    }

    /// <summary>Initiator: the IKE_FOLLOWUP_KE response. Returns an error text, or null when the exchange succeeded.</summary>
    public string? ProcessResponse(IkeMessage response, out NotifyType? refused)
    {
        refused = response.ErrorNotify?.NotifyType;
        if (refused is { } notify) return $"the peer answered the {Name} IKE_FOLLOWUP_KE with {IkeError.Name(notify)}";
        var ke = response.Get<KePayload>();
        if (ke == null || ke.Group != Current) return $"the peer's IKE_FOLLOWUP_KE response carries no {Name} KE payload";
        if (!_ke!.TryDeriveSharedSecret(ke.Data, out var shared, out var error)) return $"the peer's {Name} value is invalid: {error}";
        _ke.Dispose();
        _ke = null;
        _secrets.Add(shared);
        _next++;
        return Pending ? AcceptLink(response) : null;
    }

    // ---------------- responder ----------------

    /// <summary>Responder: the link for the next IKE_FOLLOWUP_KE, announced in the current response.</summary>
    public void AnnounceLink(IkeMessage response)
    {
        _link = new byte[16];
        sa.Random.Fill(_link);
        response.Payloads.Add(new NotifyPayload(NotifyType.AdditionalKeyExchange, _link));
    }

    /// <summary>Responder: an IKE_FOLLOWUP_KE request. False with the notify to answer when it does not fit.</summary>
    public bool ProcessRequest(IkeMessage request)
    {
        _error = null;
        if (request.Notify(NotifyType.AdditionalKeyExchange) is not { } link || !CryptographicOperations.FixedTimeEquals(link.Data, _link))
        {
            _error = NotifyType.StateNotFound;
            return false;
        }
        var ke = request.Get<KePayload>();
        using var mine = CryptoRegistry.CreateKeyExchange(Current, sa.Random, responder: true);
        if (ke == null || ke.Group != Current || !mine.TryDeriveSharedSecret(ke.Data, out var shared, out _))
        {
            _error = NotifyType.InvalidSyntax;
            return false;
        }
        _responderPublic = mine.PublicValue.ToArray();
        _secrets.Add(shared);
        return true;
    }

    public void BuildResponse(IkeMessage response)
    {
        if (_error is { } error)
        {
            response.Payloads.Add(new NotifyPayload(error));
            return;
        }
        response.Payloads.Add(new KePayload(Current, _responderPublic));
        _next++;
        if (Pending) AnnounceLink(response);
    }

    /// <summary>The error the last request was answered with (responder).</summary>
    public NotifyType? Error => _error;

    public void Abandon()
    {
        _ke?.Dispose();
        foreach (var s in _secrets) CryptographicOperations.ZeroMemory(s);
    }
}
