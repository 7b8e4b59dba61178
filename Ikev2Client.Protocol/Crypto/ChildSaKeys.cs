namespace Ikev2Client.Protocol.Crypto;

/// <summary>
/// CHILD SA keying material split per RFC 7296 §2.17. "I" keys protect initiator-to-responder traffic,
/// "R" keys the reverse. Encryption keys include the salt/nonce for AEAD and CTR; integrity keys are
/// empty for AEAD.
/// </summary>
internal sealed class ChildSaKeys
{
    public required byte[] EncrKeyI { get; init; }
    public required byte[] IntegKeyI { get; init; }
    public required byte[] EncrKeyR { get; init; }
    public required byte[] IntegKeyR { get; init; }

    /// <summary>Never prints key material.</summary>
    public override string ToString() => "ChildSaKeys { <secret> }";
}
