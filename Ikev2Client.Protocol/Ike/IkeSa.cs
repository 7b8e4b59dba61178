using System.Net;
using System.Security.Cryptography;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Wire;

namespace Ikev2Client.Protocol.Ike;

/// <summary>
/// The state of one IKE SA shared by the tasks. Naming follows AOSP's SaRecord: keys by the side whose
/// traffic they protect (SkEi, SkAr), SPIs and nonces by their creator (SpiI, NonceR).
/// </summary>
internal sealed class IkeSa : IDisposable
{
    private readonly long _origin;

    public IkeSa(IkeSessionOptions options, IRandomSource random, TimeProvider time, ISpiAllocator spis, Action<IkeEvent> emit)
    {
        Options = options;
        Random = random;
        Time = time;
        _origin = time.GetTimestamp();
        Spis = spis;
        Emit = emit;
        OriginalInitiator = IsInitiator;
    }

    public IkeSessionOptions Options { get; }
    public IRandomSource Random { get; }
    public TimeProvider Time { get; }

    /// <summary>Monotonic time since the session was created (the scale of every deadline the session keeps).</summary>
    public TimeSpan Now => Time.GetElapsedTime(_origin);
    public ISpiAllocator Spis { get; }
    public Action<IkeEvent> Emit { get; }
    public bool IsInitiator => Options.Role == IkeRole.Initiator;

    /// <summary>
    /// We are the "original initiator" of this IKE SA (the I flag, key directions). Starts as the role; after an IKE SA
    /// rekey it is whoever initiated the rekey (RFC 7296 §2.18).
    /// </summary>
    public bool OriginalInitiator;

    public ulong SpiI;
    public ulong SpiR;
    public byte[] NonceI = Array.Empty<byte>();
    public byte[] NonceR = Array.Empty<byte>();

    public NegotiatedAlgorithms? Algorithms;
    public byte[] SkD = Array.Empty<byte>();
    public byte[] SkPi = Array.Empty<byte>();
    public byte[] SkPr = Array.Empty<byte>();
    /// <summary>Protects what we send (SK_ei/SK_ai for the initiator).</summary>
    public SkCipher? Outbound;
    /// <summary>Opens what we receive.</summary>
    public SkCipher? Inbound;

    /// <summary>The exact IKE_SA_INIT request and response bytes, signed by AUTH (RFC 7296 §2.15).</summary>
    public byte[] InitRequest = Array.Empty<byte>();
    public byte[] InitResponse = Array.Empty<byte>();

    public IPEndPoint LocalEndPoint = new(IPAddress.Any, 0);
    public IPEndPoint RemoteEndPoint = new(IPAddress.Any, 0);
    /// <summary>Send via the NAT-T socket with the non-ESP marker (after the switch to port 4500).</summary>
    public bool UseNatT;
    public bool LocalBehindNat;
    /// <summary>We sent a random NAT_DETECTION_SOURCE_IP so the peer sees a NAT and encapsulates.</summary>
    public bool ForcedEncapsulation;
    public bool RemoteBehindNat;
    public bool FragmentationNegotiated;
    public bool PeerSupportsMobike;
    /// <summary>The initiator sent REDIRECT_SUPPORTED or REDIRECTED_FROM (RFC 5685).</summary>
    public bool PeerSupportsRedirect;
    public IkeIdentity? PeerIdentity;
    /// <summary>The peer's N(AUTH_LIFETIME) (RFC 4478), or what we demand as responder.</summary>
    public TimeSpan? AuthLifetime;

    /// <summary>Responder: virtual IPs assigned to the initiator in this IKE_AUTH (used to narrow TSi).</summary>
    public List<IPNetwork> AssignedAddresses { get; } = new();
    public List<ChildSaInfo> ChildSas { get; } = new();
    public IkeConfiguration? ReceivedConfiguration;

    /// <summary>Initiator: what the first CHILD SA was narrowed to; a CHILD SA we create later asks for the same.</summary>
    public ChildSaTemplate? ChildTemplate;

    /// <summary>
    /// What a CHILD SA the peer creates may cover: our side and the peer's. A client accepts its virtual IP(s) (or its
    /// configured selectors without a CP reply) and the remote selectors it asked for; a responder its own selectors
    /// and the addresses it assigned (or its configured remote selectors).
    /// </summary>
    public (IReadOnlyList<Wire.Payloads.TrafficSelector> Local, IReadOnlyList<Wire.Payloads.TrafficSelector> Remote) ChildSelectorLimits()
    {
        if (IsInitiator)
        {
            IReadOnlyList<Wire.Payloads.TrafficSelector> local = ReceivedConfiguration?.VirtualAddresses is { Count: > 0 } v
                ? v.Select(Wire.Payloads.TrafficSelector.FromNetwork).ToList()
                : Options.LocalTrafficSelectors;
            return (local, Options.RemoteTrafficSelectors);
        }
        IReadOnlyList<Wire.Payloads.TrafficSelector> remote = AssignedAddresses.Count > 0
            ? AssignedAddresses.Select(Wire.Payloads.TrafficSelector.FromNetwork).ToList()
            : Options.RemoteTrafficSelectors;
        return (Options.LocalTrafficSelectors, remote);
    }

    /// <summary>Set by a task that fails; the session reports it.</summary>
    public IkeError? Failure;

    public bool UdpEncapsulation => LocalBehindNat || RemoteBehindNat || ForcedEncapsulation;
    public IIkePrf Prf => Algorithms!.PrfFunction!;

    public byte[] NewNonce()
    {
        var n = new byte[32];
        Random.Fill(n);
        return n;
    }

    /// <summary>SKEYSEED and the seven SK_* keys (RFC 7296 §2.14) from the agreed algorithms and g^ir.</summary>
    public void DeriveKeys(byte[] sharedSecret)
    {
        var a = Algorithms!;
        var skeyseed = KeyDerivation.ComputeSkeyseed(a.PrfFunction!, NonceI, NonceR, sharedSecret);
        var keys = KeyDerivation.DeriveIkeSaKeys(a.PrfFunction!, a.Cipher, a.Mac, skeyseed, NonceI, NonceR, SpiI, SpiR);
        CryptographicOperations.ZeroMemory(skeyseed);
        CryptographicOperations.ZeroMemory(sharedSecret);
        Install(keys);
    }

    /// <summary>Takes <paramref name="keys"/> as this SA's SK_d, SK_pi/pr and SK ciphers (wiping the raw SK_e/SK_a copies).</summary>
    private void Install(IkeSaKeys keys)
    {
        var a = Algorithms!;
        SkD = keys.SkD;
        SkPi = keys.SkPi;
        SkPr = keys.SkPr;
        var i = SkCipher.Create(a.Cipher, a.Mac, keys.SkEi, keys.SkAi);
        var r = SkCipher.Create(a.Cipher, a.Mac, keys.SkEr, keys.SkAr);
        (Outbound, Inbound) = OriginalInitiator ? (i, r) : (r, i);
        KeyLog?.Add([keys.SkEi.ToArray(), keys.SkEr.ToArray(), keys.SkAi.ToArray(), keys.SkAr.ToArray()]);
        foreach (var k in new[] { keys.SkEi, keys.SkEr, keys.SkAi, keys.SkAr }) CryptographicOperations.ZeroMemory(k);
    }

    /// <summary>Tests only (null otherwise): SK_ei, SK_er, SK_ai, SK_ar of every key generation, to decrypt captures.</summary>
    public List<byte[][]>? KeyLog;

    // ---------------- RFC 9242 / RFC 9370 ----------------

    /// <summary>Both sides sent INTERMEDIATE_EXCHANGE_SUPPORTED in IKE_SA_INIT (RFC 9242 §3.1).</summary>
    public bool IntermediateSupported;
    /// <summary>IKE_INTERMEDIATE exchanges completed (each one additional key exchange, RFC 9370 §2.2.2).</summary>
    public int IntermediateExchanges;
    /// <summary>The IntAuth chains over the IKE_INTERMEDIATE messages of each side (RFC 9242 §3.3.2); empty when none ran.</summary>
    public byte[] IntAuthI = Array.Empty<byte>();
    public byte[] IntAuthR = Array.Empty<byte>();
    /// <summary>The message ID of the first IKE_AUTH request (IKE_AUTH_MID in IntAuth).</summary>
    public uint? IkeAuthMessageId;

    /// <summary>The additional key exchanges still to run before IKE_AUTH.</summary>
    public int PendingAdditionalExchanges => (Algorithms?.AdditionalKeyExchanges.Count ?? 0) - IntermediateExchanges;

    /// <summary>
    /// Folds one IKE_INTERMEDIATE exchange into the IntAuth chains, with the SK_pi/SK_pr that protected it
    /// (call before <see cref="ApplyAdditionalKeyExchange"/>).
    /// </summary>
    public void RecordIntermediate(IkeMessage request, IkeMessage response)
    {
        IntAuthI = Wire.IntAuth.Chain(Prf, SkPi, IntAuthI, request);
        IntAuthR = Wire.IntAuth.Chain(Prf, SkPr, IntAuthR, response);
    }

    /// <summary>
    /// The key update after an additional key exchange (RFC 9370 §2.2.2): SKEYSEED(n) = prf(SK_d(n-1), SK(n) | Ni | Nr) and
    /// the seven keys again from prf+(SKEYSEED(n), Ni | Nr | SPIi | SPIr). The old ciphers are disposed.
    /// </summary>
    public void ApplyAdditionalKeyExchange(byte[] sharedSecret)
    {
        var a = Algorithms!;
        var skeyseed = KeyDerivation.ComputeRekeySkeyseed(a.PrfFunction!, SkD, sharedSecret, NonceI, NonceR);
        var keys = KeyDerivation.DeriveIkeSaKeys(a.PrfFunction!, a.Cipher, a.Mac, skeyseed, NonceI, NonceR, SpiI, SpiR);
        CryptographicOperations.ZeroMemory(skeyseed);
        CryptographicOperations.ZeroMemory(sharedSecret);
        CryptographicOperations.ZeroMemory(SkD);
        CryptographicOperations.ZeroMemory(SkPi);
        CryptographicOperations.ZeroMemory(SkPr);
        Outbound?.Dispose();
        PreviousInbound?.Dispose();
        PreviousInbound = Inbound;
        Install(keys);
        IntermediateExchanges++;
    }

    /// <summary>
    /// Responder: the inbound cipher of the generation before the last key update, to verify a retransmitted
    /// IKE_INTERMEDIATE request (answered from the cache) that still comes under it.
    /// </summary>
    public SkCipher? PreviousInbound;

    /// <summary>IntAuth = IntAuth_iN | IntAuth_rN | IKE_AUTH_MID, appended to both sides' signed octets; empty without IKE_INTERMEDIATE.</summary>
    public byte[] IntAuth()
    {
        if (IntermediateExchanges == 0) return Array.Empty<byte>();
        var result = new byte[IntAuthI.Length + IntAuthR.Length + 4];
        IntAuthI.CopyTo(result, 0);
        IntAuthR.CopyTo(result, IntAuthI.Length);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(result.AsSpan(IntAuthI.Length + IntAuthR.Length), IkeAuthMessageId ?? 0);
        return result;
    }

    /// <summary>Replaces SPIs, keys and algorithms with those of a rekeyed IKE SA; returns the retired old state.</summary>
    public IkeSaKeyState SwapKeys(IkeSaKeyState next)
    {
        var old = new IkeSaKeyState(SpiI, SpiR, OriginalInitiator, Algorithms!, SkD, SkPi, SkPr, Outbound!, Inbound!, NonceI, NonceR);
        (SpiI, SpiR, OriginalInitiator, Algorithms) = (next.SpiI, next.SpiR, next.OriginalInitiator, next.Algorithms);
        (SkD, SkPi, SkPr, Outbound, Inbound, NonceI, NonceR) = (next.SkD, next.SkPi, next.SkPr, next.Outbound, next.Inbound, next.NonceI, next.NonceR);
        return old;
    }

    public IkeSaInfo Describe() => new(SpiI, SpiR, IsInitiator, Algorithms!, Options.LocalIdentity, PeerIdentity!,
        LocalEndPoint, RemoteEndPoint, LocalBehindNat, RemoteBehindNat, UdpEncapsulation, FragmentationNegotiated, PeerSupportsMobike, AuthLifetime);

    public void Dispose()
    {
        Outbound?.Dispose();
        Inbound?.Dispose();
        PreviousInbound?.Dispose();
        CryptographicOperations.ZeroMemory(SkD);
        CryptographicOperations.ZeroMemory(SkPi);
        CryptographicOperations.ZeroMemory(SkPr);
    }
}
