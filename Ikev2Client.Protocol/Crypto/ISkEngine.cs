namespace Ikev2Client.Protocol.Crypto;

/// <summary>
/// A keyed cipher instance behind <see cref="SkCipher"/>. Non-AEAD engines ignore the tag and the
/// associated data (their integrity is a separate transform); AEAD engines authenticate both.
/// Input and output may be the same span (in place).
/// </summary>
internal interface ISkEngine : IDisposable
{
    void Encrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData);

    /// <summary>Returns false when the AEAD tag does not verify (never for non-AEAD engines).</summary>
    bool Decrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData);
}
