using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Wire;

/// <summary>
/// An IKE message: the header and its payloads. For protected exchanges the decoded message holds the outer
/// SK/SKF payload; <see cref="IkeMessageCodec.TryDecrypt"/> yields a message whose payloads are the inner ones.
/// When encoding a protected message, <see cref="Payloads"/> are the inner payloads.
/// </summary>
public sealed class IkeMessage
{
    public IkeHeader Header;

    public List<Payload> Payloads { get; } = new();

    public IkeMessage() => Header.Version = 0x20;

    public IkeMessage(ulong spiI, ulong spiR, ExchangeType exchange, IkeHeaderFlags flags, uint messageId, IEnumerable<Payload>? payloads = null)
    {
        Header = new IkeHeader { SpiI = spiI, SpiR = spiR, Version = 0x20, ExchangeType = exchange, Flags = flags, MessageId = messageId };
        if (payloads != null) Payloads.AddRange(payloads);
    }

    public ulong SpiI => Header.SpiI;
    public ulong SpiR => Header.SpiR;
    public ExchangeType Exchange => Header.ExchangeType;
    public uint MessageId => Header.MessageId;
    public bool IsResponse => Header.IsResponse;
    public bool IsFromInitiator => Header.IsInitiator;

    public T? Get<T>() where T : Payload => Payloads.OfType<T>().FirstOrDefault();
    public IEnumerable<T> All<T>() where T : Payload => Payloads.OfType<T>();

    public IdPayload? IdI => Payloads.OfType<IdPayload>().FirstOrDefault(p => p.Type == PayloadType.IdInitiator);
    public IdPayload? IdR => Payloads.OfType<IdPayload>().FirstOrDefault(p => p.Type == PayloadType.IdResponder);
    public TsPayload? TsI => Payloads.OfType<TsPayload>().FirstOrDefault(p => p.Type == PayloadType.TrafficSelectorInitiator);
    public TsPayload? TsR => Payloads.OfType<TsPayload>().FirstOrDefault(p => p.Type == PayloadType.TrafficSelectorResponder);

    public NotifyPayload? Notify(NotifyType type) => Payloads.OfType<NotifyPayload>().FirstOrDefault(n => n.NotifyType == type);
    public bool HasNotify(NotifyType type) => Notify(type) != null;

    /// <summary>The first error notify (type below 16384), if any.</summary>
    public NotifyPayload? ErrorNotify => Payloads.OfType<NotifyPayload>().FirstOrDefault(n => n.IsError);

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
