using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Wire;

/// <summary>
/// An IKE message: the header and its payloads. For protected exchanges the decoded message holds the outer
/// SK/SKF payload; <see cref="IkeMessageCodec.TryDecrypt"/> yields a message whose payloads are the inner ones.
/// When encoding a protected message, <see cref="Payloads"/> are the inner payloads.
/// </summary>
public sealed class IkeMessage
{
    /// <summary>The header. Its Next Payload and Length are set by the codec when encoding.</summary>
    public IkeHeader Header;

    /// <summary>The payloads in order (inner payloads once decrypted, or to be encrypted).</summary>
    public List<Payload> Payloads { get; } = new();

    /// <summary>An empty IKEv2 message (version 2.0).</summary>
    public IkeMessage() => Header.Version = 0x20;

    /// <summary>A message with the given SPIs, exchange, flags, message ID and payloads.</summary>
    public IkeMessage(ulong spiI, ulong spiR, ExchangeType exchange, IkeHeaderFlags flags, uint messageId, IEnumerable<Payload>? payloads = null)
    {
        Header = new IkeHeader { SpiI = spiI, SpiR = spiR, Version = 0x20, ExchangeType = exchange, Flags = flags, MessageId = messageId };
        if (payloads != null) Payloads.AddRange(payloads);
    }

    /// <summary>
    /// For a decrypted IKE_INTERMEDIATE message: the inner payloads exactly as received (the SK plaintext without padding),
    /// which RFC 9242 §3.3.2 authenticates in IntAuth. Null otherwise.
    /// </summary>
    internal byte[]? InnerPlaintext { get; set; }

    /// <summary>The IKE SA initiator's SPI.</summary>
    public ulong SpiI => Header.SpiI;
    /// <summary>The IKE SA responder's SPI.</summary>
    public ulong SpiR => Header.SpiR;
    /// <summary>The exchange type.</summary>
    public ExchangeType Exchange => Header.ExchangeType;
    /// <summary>The message ID.</summary>
    public uint MessageId => Header.MessageId;
    /// <summary>True for a response.</summary>
    public bool IsResponse => Header.IsResponse;
    /// <summary>True when sent by the IKE SA's original initiator.</summary>
    public bool IsFromInitiator => Header.IsInitiator;

    /// <summary>The first payload of type <typeparamref name="T"/>, or null.</summary>
    public T? Get<T>() where T : Payload => Payloads.OfType<T>().FirstOrDefault();
    /// <summary>Every payload of type <typeparamref name="T"/>.</summary>
    public IEnumerable<T> All<T>() where T : Payload => Payloads.OfType<T>();

    /// <summary>The IDi payload, or null.</summary>
    public IdPayload? IdI => Payloads.OfType<IdPayload>().FirstOrDefault(p => p.Type == PayloadType.IdInitiator);
    /// <summary>The IDr payload, or null.</summary>
    public IdPayload? IdR => Payloads.OfType<IdPayload>().FirstOrDefault(p => p.Type == PayloadType.IdResponder);
    /// <summary>The TSi payload, or null.</summary>
    public TsPayload? TsI => Payloads.OfType<TsPayload>().FirstOrDefault(p => p.Type == PayloadType.TrafficSelectorInitiator);
    /// <summary>The TSr payload, or null.</summary>
    public TsPayload? TsR => Payloads.OfType<TsPayload>().FirstOrDefault(p => p.Type == PayloadType.TrafficSelectorResponder);

    /// <summary>The first Notify payload of <paramref name="type"/>, or null.</summary>
    public NotifyPayload? Notify(NotifyType type) => Payloads.OfType<NotifyPayload>().FirstOrDefault(n => n.NotifyType == type);
    /// <summary>True when a Notify payload of <paramref name="type"/> is present.</summary>
    public bool HasNotify(NotifyType type) => Notify(type) != null;

    /// <summary>The first error notify (type below 16384), if any.</summary>
    public NotifyPayload? ErrorNotify => Payloads.OfType<NotifyPayload>().FirstOrDefault(n => n.IsError);

    /// <summary>The exchange, direction, message ID and payload types, e.g. <c>IKE_AUTH request 1 [IDi AUTH SA TSi TSr]</c>.</summary>
    public override string ToString() =>
        $"{Header.ExchangeType} {(IsResponse ? "response" : "request")} {Header.MessageId} [{string.Join(" ", Payloads.Select(Describe))}]";

    private static string Describe(Payload p) => p switch
    {
        NotifyPayload n => $"N({n.NotifyType})",
        EncryptedPayload => "SK",
        EncryptedFragmentPayload f => $"SKF({f.FragmentNumber}/{f.TotalFragments})",
        _ => p.Type switch
        {
            PayloadType.SecurityAssociation => "SA",
            PayloadType.KeyExchange => "KE",
            PayloadType.IdInitiator => "IDi",
            PayloadType.IdResponder => "IDr",
            PayloadType.Certificate => "CERT",
            PayloadType.CertificateRequest => "CERTREQ",
            PayloadType.Authentication => "AUTH",
            PayloadType.Nonce => "No",
            PayloadType.Delete => "D",
            PayloadType.VendorId => "V",
            PayloadType.TrafficSelectorInitiator => "TSi",
            PayloadType.TrafficSelectorResponder => "TSr",
            PayloadType.Configuration => "CP",
            PayloadType.Eap => "EAP",
            _ => $"UNKNOWN({(byte)p.Type})",
        },
    };
}
