using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Inspect;

/// <summary>
/// Walks a capture: classifies UDP 500/4500 datagrams, decodes IKE messages into payload trees, remembers the
/// algorithms each IKE SA negotiated (IKE_SA_INIT response, or an IKE rekey in CREATE_CHILD_SA), and with keys
/// decrypts SK payloads and reassembles SKF fragments. A wrong key shows as an integrity failure on that message.
/// Frames are streamed: each packet is handed on as soon as it is decoded, and the state kept between packets is
/// bounded (<see cref="MaxTrackedSas"/>, <see cref="MaxPendingReassemblies"/>), so memory does not grow with the
/// capture.
/// </summary>
public sealed class IkeInspector
{
    /// <summary>IKE SAs whose algorithms (and pending IKE rekeys) are remembered; the oldest is forgotten first.</summary>
    public const int MaxTrackedSas = 4096;
    /// <summary>Fragmented messages being reassembled at once.</summary>
    public const int MaxPendingReassemblies = 64;

    private readonly Dictionary<(ulong, ulong), List<IkeSaSecrets>> _keys;
    private readonly Dictionary<(ulong, ulong), (EncrId Encr, int KeyBits, IntegId Integ)> _algorithms = new();
    private readonly Dictionary<(ulong, ulong, uint, bool), FragmentReassembler> _reassembly = new();
    private readonly Dictionary<(ulong, ulong, uint), Proposal> _pendingIkeRekey = new();

    /// <summary>
    /// <paramref name="keys"/> may hold several entries for one IKE SA: its key generations. With additional key exchanges
    /// (RFC 9370) every IKE_INTERMEDIATE updates all keys, so the IKE_INTERMEDIATE messages need the keys from before each
    /// update and IKE_AUTH the last ones; each message is tried with every generation, in order, and the one whose
    /// integrity check passes decrypts it.
    /// </summary>
    public IkeInspector(IEnumerable<IkeSaSecrets>? keys = null) =>
        _keys = (keys ?? Enumerable.Empty<IkeSaSecrets>()).GroupBy(k => (k.SpiI, k.SpiR)).ToDictionary(g => g.Key, g => g.ToList());

    /// <summary>Inspects a capture held in memory and collects every packet in the report.</summary>
    public InspectReport Inspect(string fileName, byte[] capture)
    {
        var report = new InspectReport { File = fileName };
        var (frames, error) = Inspect(new MemoryStream(capture, writable: false), report.Packets.Add);
        report.Frames = frames;
        report.CaptureError = error;
        return report;
    }

    /// <summary>
    /// Streams a capture: <paramref name="onPacket"/> gets each IKE, ESP or NAT-keepalive packet as it is decoded.
    /// Returns the number of frames read and, when the capture is truncated or corrupt, what is wrong with it.
    /// </summary>
    public (int Frames, string? Error) Inspect(Stream capture, Action<InspectedPacket> onPacket)
    {
        var reader = new CaptureReader(capture);
        foreach (var frame in reader.ReadFrames())
            if (InspectFrame(frame) is { } entry) onPacket(entry);
        return (reader.FrameCount, reader.Error);
    }

    private InspectedPacket? InspectFrame(CapturedFrame frame)
    {
        var packet = PacketDecoder.Decode(frame);
        if (packet == null) return null;
        var entry = new InspectedPacket
        {
            Frame = frame.Number,
            Time = frame.Timestamp,
            Source = packet.Source.ToString(),
            Destination = packet.Destination.ToString(),
            Kind = packet.Kind switch { PacketKind.Ike => "IKE", PacketKind.Esp => "ESP", PacketKind.NatKeepalive => "NAT-keepalive", _ => "other" },
            Length = packet.Payload.Length,
        };
        if (packet.Esp is var (spi, seq))
        {
            entry.EspSpi = spi.ToString("x8");
            entry.EspSequence = seq;
        }
        if (packet.Kind == PacketKind.Ike) InspectIke(packet.Payload, entry);
        return entry;
    }

    /// <summary>Makes room for one more entry by forgetting the oldest (dictionaries enumerate in insertion order until a removal).</summary>
    private static void Bound<TKey, TValue>(Dictionary<TKey, TValue> map, int max) where TKey : notnull
    {
        while (map.Count >= max) map.Remove(map.Keys.First());
    }

    private void InspectIke(byte[] datagram, InspectedPacket entry)
    {
        if (!IkeMessageCodec.TryDecode(datagram, out var m, out var error))
        {
            entry.Error = error!.ToString();
            return;
        }
        entry.Exchange = ExchangeName(m!.Exchange);
        entry.Role = $"{(m.IsFromInitiator ? "initiator" : "responder")} {(m.IsResponse ? "response" : "request")}";
        entry.MessageId = m.MessageId;
        entry.SpiI = m.SpiI.ToString("x16");
        entry.SpiR = m.SpiR.ToString("x16");
        entry.Payloads = m.Payloads.Select(PayloadDescriber.Describe).ToList();

        if (m.Exchange == ExchangeType.IkeSaInit && m.IsResponse && m.Get<SaPayload>()?.Proposals.FirstOrDefault() is { } chosen)
            Remember((m.SpiI, m.SpiR), chosen);

        var last = m.Payloads.LastOrDefault();
        if (last is not (EncryptedPayload or EncryptedFragmentPayload)) return;
        var protectors = ProtectorsFor(m, out var why);
        if (protectors.Count == 0)
        {
            entry.Decryption = why;
            return;
        }
        try
        {
            IkeMessage? inner = null;
            int generation = 0;
            if (last is EncryptedPayload)
            {
                IkeParseError? firstError = null;
                for (int i = 0; i < protectors.Count && inner == null; i++)
                {
                    if (IkeMessageCodec.TryDecrypt(datagram, m, protectors[i], out inner, out error)) generation = i;
                    else if (error!.Code != IkeParseErrorCode.IntegrityCheckFailed) { firstError = error; break; }
                }
                if (inner == null)
                {
                    entry.Decryption = firstError != null
                        ? $"decrypted, but the content is malformed: {firstError}"
                        : "integrity check failed (wrong key, or not this IKE SA's keys)";
                    return;
                }
            }
            else
            {
                EncryptedFragmentPayload? skf = null;
                byte[]? part = null;
                for (int i = 0; i < protectors.Count && skf == null; i++)
                    if (IkeMessageCodec.TryDecryptFragment(datagram, m, protectors[i], out skf, out part, out error)) generation = i;
                if (skf == null)
                {
                    entry.Decryption = "integrity check failed (wrong key, or not this IKE SA's keys)";
                    return;
                }
                var key = (m.SpiI, m.SpiR, m.MessageId, m.IsResponse);
                if (!_reassembly.TryGetValue(key, out var r))
                {
                    Bound(_reassembly, MaxPendingReassemblies);
                    _reassembly[key] = r = new FragmentReassembler();
                }
                var status = r.Add(m.Header, skf, part!, out var plain, out var first, out var reason);
                if (status != FragmentReassembler.Status.Complete)
                {
                    entry.Decryption = status switch
                    {
                        FragmentReassembler.Status.Pending => $"fragment {skf.FragmentNumber}/{skf.TotalFragments} decrypted, waiting for the rest",
                        FragmentReassembler.Status.Ignored => $"fragment {skf.FragmentNumber}/{skf.TotalFragments} ignored (duplicate or stale)",
                        _ => $"fragment rejected: {reason}",
                    };
                    return;
                }
                _reassembly.Remove(key);
                if (!IkeMessageCodec.TryParseInner(m.Header, first, plain!, Array.Empty<Payload>(), out inner, out error))
                {
                    entry.Decryption = $"reassembled, but the content is malformed: {error}";
                    return;
                }
                entry.Decryption = $"reassembled from {skf.TotalFragments} fragments and decrypted";
            }
            entry.Decryption ??= "decrypted";
            if (protectors.Count > 1) entry.Decryption += $" (key generation {generation + 1} of {protectors.Count})";
            var container = entry.Payloads!.Last();
            foreach (var p in inner!.Payloads) container.Add(PayloadDescriber.Describe(p));
            TrackIkeRekey(m, inner);
        }
        finally
        {
            foreach (var p in protectors) p.Dispose();
        }
    }

    private void TrackIkeRekey(IkeMessage outer, IkeMessage inner)
    {
        if (outer.Exchange != ExchangeType.CreateChildSa) return;
        var proposal = inner.Get<SaPayload>()?.Proposals.FirstOrDefault(p => p.ProtocolId == ProtocolId.Ike);
        if (proposal == null) return;
        var key = (outer.SpiI, outer.SpiR, outer.MessageId);
        if (!outer.IsResponse)
        {
            if (!_pendingIkeRekey.ContainsKey(key)) Bound(_pendingIkeRekey, MaxTrackedSas);
            _pendingIkeRekey[key] = proposal;
        }
        else if (_pendingIkeRekey.Remove(key, out var request))
            Remember((request.SpiValue, proposal.SpiValue), proposal); // the rekey's requester is the new SA's initiator
    }

    private void Remember((ulong, ulong) spis, Proposal chosen)
    {
        var encrT = chosen.OfType(TransformType.Encryption).FirstOrDefault();
        if (encrT == null || !CryptoRegistry.IsSupported((EncrId)encrT.Id, encrT.KeyLength)) return;
        var encr = new EncryptionSpec((EncrId)encrT.Id, encrT.KeyLength);
        var integ = chosen.OfType(TransformType.Integrity).FirstOrDefault() is { Id: not 0 } integT ? (IntegId)integT.Id : IntegId.None;
        if (encr.IsAead) integ = IntegId.None;
        else if (integ == IntegId.None || !CryptoRegistry.IsSupported(integ)) return; // a normal cipher without a usable integrity algorithm can't be checked
        if (!_algorithms.ContainsKey(spis)) Bound(_algorithms, MaxTrackedSas);
        _algorithms[spis] = (encr.Id, encr.KeyBits, integ);
    }

    private List<SkCipher> ProtectorsFor(IkeMessage m, out string why)
    {
        why = "";
        var result = new List<SkCipher>();
        if (!_keys.TryGetValue((m.SpiI, m.SpiR), out var generations))
        {
            why = _keys.Count == 0 ? "encrypted (give --keys to decrypt)" : "no keys for this IKE SA";
            return result;
        }
        foreach (var keys in generations)
        {
            (EncrId Encr, int KeyBits, IntegId Integ) algorithms;
            if (_algorithms.TryGetValue((m.SpiI, m.SpiR), out var algs)) algorithms = algs;
            else if (keys.Encryption is var (id, bits)) algorithms = (id, bits, keys.Integrity ?? IntegId.None);
            else
            {
                why = "keys given, but the capture has no IKE_SA_INIT for this IKE SA and the key file names no algorithms";
                continue;
            }
            bool fromInitiator = m.IsFromInitiator;
            var ek = fromInitiator ? keys.SkEi : keys.SkEr;
            var ak = fromInitiator ? keys.SkAi : keys.SkAr;
            bool aead = new EncryptionSpec(algorithms.Encr, algorithms.KeyBits).IsAead;
            if (SkCipher.TryCreate(algorithms.Encr, algorithms.KeyBits, aead ? IntegId.None : algorithms.Integ, ek, aead ? ReadOnlySpan<byte>.Empty : ak,
                    out var cipher, out var error))
                result.Add(cipher);
            else why = error;
        }
        return result;
    }

    private static string ExchangeName(ExchangeType t) => t switch
    {
        ExchangeType.IkeSaInit => "IKE_SA_INIT",
        ExchangeType.IkeAuth => "IKE_AUTH",
        ExchangeType.CreateChildSa => "CREATE_CHILD_SA",
        ExchangeType.Informational => "INFORMATIONAL",
        ExchangeType.IkeIntermediate => "IKE_INTERMEDIATE",
        ExchangeType.IkeFollowupKe => "IKE_FOLLOWUP_KE",
        _ => $"EXCHANGE({(byte)t})",
    };
}
