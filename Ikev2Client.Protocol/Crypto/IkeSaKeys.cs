namespace Ikev2Client.Protocol.Crypto;

/// <summary>
/// The seven IKE SA keys of RFC 7296 §2.14, named by key type plus the side whose traffic they protect
/// (SK_ai/SK_ei protect initiator-to-responder messages). SK_ai/SK_ar are empty for AEAD.
/// </summary>
internal sealed class IkeSaKeys
{
    public required byte[] SkD { get; init; }
    public required byte[] SkAi { get; init; }
    public required byte[] SkAr { get; init; }
    public required byte[] SkEi { get; init; }
    public required byte[] SkEr { get; init; }
    public required byte[] SkPi { get; init; }
    public required byte[] SkPr { get; init; }

    /// <summary>Never prints key material.</summary>
    public override string ToString() => "IkeSaKeys { <secret> }";
}
