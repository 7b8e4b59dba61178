using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Wire;

/// <summary>
/// Which payloads each exchange may carry, how many, and whether they must be encrypted (RFC 7296 §1.2–§1.5,
/// §2.16, RFC 7383). Checked on a decoded (and, where protected, decrypted) message before any logic runs.
/// When a message carries an error notify, minimum counts are not enforced (an error response may carry
/// nothing else).
/// </summary>
internal static class PayloadRules
{
    private readonly record struct Rule(PayloadType Type, int Min, int Max);

    private const int Many = int.MaxValue;

    private static readonly Rule[] IkeSaInitRequest =
    {
        new(PayloadType.SecurityAssociation, 1, 1), new(PayloadType.KeyExchange, 1, 1), new(PayloadType.Nonce, 1, 1),
        new(PayloadType.Notify, 0, Many), new(PayloadType.VendorId, 0, Many),
    };

    private static readonly Rule[] IkeSaInitResponse =
    {
        new(PayloadType.SecurityAssociation, 1, 1), new(PayloadType.KeyExchange, 1, 1), new(PayloadType.Nonce, 1, 1),
        new(PayloadType.CertificateRequest, 0, Many), new(PayloadType.Notify, 0, Many), new(PayloadType.VendorId, 0, Many),
    };

    private static readonly Rule[] IkeAuthRequest =
    {
        new(PayloadType.IdInitiator, 0, 1), new(PayloadType.Certificate, 0, Many), new(PayloadType.CertificateRequest, 0, Many),
        new(PayloadType.IdResponder, 0, 1), new(PayloadType.Authentication, 0, 1), new(PayloadType.Eap, 0, 1),
        new(PayloadType.Configuration, 0, 1), new(PayloadType.SecurityAssociation, 0, 1),
        new(PayloadType.TrafficSelectorInitiator, 0, 1), new(PayloadType.TrafficSelectorResponder, 0, 1),
        new(PayloadType.Notify, 0, Many), new(PayloadType.VendorId, 0, Many),
    };

    private static readonly Rule[] IkeAuthResponse =
    {
        new(PayloadType.IdResponder, 0, 1), new(PayloadType.Certificate, 0, Many), new(PayloadType.Authentication, 0, 1),
        new(PayloadType.Eap, 0, 1), new(PayloadType.Configuration, 0, 1), new(PayloadType.SecurityAssociation, 0, 1),
        new(PayloadType.TrafficSelectorInitiator, 0, 1), new(PayloadType.TrafficSelectorResponder, 0, 1),
        new(PayloadType.Notify, 0, Many), new(PayloadType.VendorId, 0, Many),
    };

    private static readonly Rule[] CreateChildSa =
    {
        new(PayloadType.SecurityAssociation, 1, 1), new(PayloadType.Nonce, 1, 1), new(PayloadType.KeyExchange, 0, 1),
        new(PayloadType.TrafficSelectorInitiator, 0, 1), new(PayloadType.TrafficSelectorResponder, 0, 1),
        new(PayloadType.Configuration, 0, 1), new(PayloadType.Notify, 0, Many), new(PayloadType.VendorId, 0, Many),
    };

    // RFC 9370 §2.2.2 (IKE_INTERMEDIATE carrying an additional key exchange) and §2.2.4 (IKE_FOLLOWUP_KE).
    private static readonly Rule[] IkeIntermediate =
    {
        new(PayloadType.KeyExchange, 0, 1), new(PayloadType.Notify, 0, Many), new(PayloadType.VendorId, 0, Many),
    };

    private static readonly Rule[] IkeFollowupKe =
    {
        new(PayloadType.KeyExchange, 1, 1), new(PayloadType.Notify, 0, Many), new(PayloadType.VendorId, 0, Many),
    };

    private static readonly Rule[] Informational =
    {
        new(PayloadType.Notify, 0, Many), new(PayloadType.Delete, 0, Many), new(PayloadType.Configuration, 0, 1),
        new(PayloadType.VendorId, 0, Many),
    };

    /// <summary>Checks the payloads of a plaintext IKE_SA_INIT message or the inner payloads of a protected one.</summary>
    public static IkeParseError? Check(IkeMessage message)
    {
        var rules = (message.Exchange, message.IsResponse) switch
        {
            (ExchangeType.IkeSaInit, false) => IkeSaInitRequest,
            (ExchangeType.IkeSaInit, true) => IkeSaInitResponse,
            (ExchangeType.IkeAuth, false) => IkeAuthRequest,
            (ExchangeType.IkeAuth, true) => IkeAuthResponse,
            (ExchangeType.CreateChildSa, _) => CreateChildSa,
            (ExchangeType.Informational, _) => Informational,
            (ExchangeType.IkeIntermediate, _) => IkeIntermediate,
            (ExchangeType.IkeFollowupKe, _) => IkeFollowupKe,
            _ => null,
        };
        if (rules == null)
            return new IkeParseError(IkeParseErrorCode.PayloadRuleViolation, $"unknown exchange type {(byte)message.Exchange}");

        bool hasError = message.Payloads.OfType<NotifyPayload>().Any(n => n.IsError || n.NotifyType is NotifyType.Cookie or NotifyType.Redirect);
        foreach (var p in message.Payloads)
        {
            if (p is UnknownPayload) continue;
            if (p is EncryptedPayload or EncryptedFragmentPayload)
            {
                if (message.Exchange == ExchangeType.IkeSaInit)
                    return new IkeParseError(IkeParseErrorCode.PayloadRuleViolation, "IKE_SA_INIT must not carry an encrypted payload", p.Type);
                continue;
            }
            if (!rules.Any(r => r.Type == p.Type))
                return new IkeParseError(IkeParseErrorCode.PayloadRuleViolation, $"{p.Type} is not allowed in {Describe(message)}", p.Type);
        }
        foreach (var rule in rules)
        {
            int count = message.Payloads.Count(p => p.Type == rule.Type);
            if (count > rule.Max)
                return new IkeParseError(IkeParseErrorCode.PayloadRuleViolation, $"{Describe(message)} carries {count} {rule.Type} payloads, at most {rule.Max} allowed", rule.Type);
            if (!hasError && count < rule.Min)
                return new IkeParseError(IkeParseErrorCode.PayloadRuleViolation, $"{Describe(message)} lacks the required {rule.Type} payload", rule.Type);
        }
        return null;
    }

    /// <summary>
    /// Every exchange after IKE_SA_INIT must be protected: its outer payloads are exactly one SK or one SKF
    /// payload (RFC 7296 §3.14: unencrypted payloads in protected exchanges are not accepted).
    /// </summary>
    public static IkeParseError? CheckOuter(IkeMessage outer)
    {
        if (outer.Exchange == ExchangeType.IkeSaInit) return Check(outer);
        if (outer.Payloads.Count != 1 || outer.Payloads[0] is not (EncryptedPayload or EncryptedFragmentPayload))
            return new IkeParseError(IkeParseErrorCode.PayloadRuleViolation, $"{Describe(outer)} must carry exactly one SK or SKF payload");
        return null;
    }

    private static string Describe(IkeMessage m) => $"{m.Exchange} {(m.IsResponse ? "response" : "request")}";
}
