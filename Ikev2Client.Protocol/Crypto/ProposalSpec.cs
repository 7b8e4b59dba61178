namespace Ikev2Client.Protocol.Crypto;

/// <summary>One encryption transform: the IANA id plus the KEY LENGTH attribute in bits
/// (0 for ciphers whose key length is fixed and carry no attribute: ChaCha20-Poly1305, 3DES, DES, NULL).</summary>
public readonly record struct EncryptionChoice(EncrId Id, int KeyBits)
{
    /// <summary>True for combined-mode (AEAD) ciphers, which take no separate integrity transform.</summary>
    public bool IsAead => Id is EncrId.AesGcm8 or EncrId.AesGcm12 or EncrId.AesGcm16
        or EncrId.AesCcm8 or EncrId.AesCcm12 or EncrId.AesCcm16 or EncrId.ChaCha20Poly1305 or EncrId.NullAuthAesGmac;
}

/// <summary>
/// One IKEv2 proposal as parsed from strongSwan proposal syntax: every list is in preference order.
/// IKE proposals carry PRFs and at least one key exchange group; ESP proposals carry no PRF, an optional
/// key exchange group (PFS) and the ESN modes.
/// </summary>
public sealed record ProposalSpec(
    IReadOnlyList<EncryptionChoice> Encryption,
    IReadOnlyList<PrfId> Prfs,
    IReadOnlyList<IntegId> Integrity,
    IReadOnlyList<KeGroup> KeGroups,
    IReadOnlyList<EsnId> Esn)
{
    /// <summary>True when the proposal's ciphers are AEAD (a proposal never mixes AEAD and classic ciphers).</summary>
    public bool IsAead => Encryption.Count > 0 && Encryption[0].IsAead;

    /// <inheritdoc />
    public bool Equals(ProposalSpec? other) =>
        other is not null && Encryption.SequenceEqual(other.Encryption) && Prfs.SequenceEqual(other.Prfs)
        && Integrity.SequenceEqual(other.Integrity) && KeGroups.SequenceEqual(other.KeGroups) && Esn.SequenceEqual(other.Esn);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Encryption.Count, Prfs.Count, Integrity.Count, KeGroups.Count, Esn.Count);
}
