namespace Ikev2Client.Protocol.Wire;

/// <summary>
/// Encryption and integrity protection of SK/SKF payloads at the byte level (implemented by
/// <c>Crypto.SkCipher</c>). The <c>ivOffset</c> of each method is where the IV starts; everything before it is the
/// IKE header and payload headers, integrity-protected (and the AEAD associated data).
/// </summary>
public interface ISkProtector
{
    /// <summary>Bytes of IV + ciphertext (plaintext, padding, pad length) + ICV for a plaintext of this size.</summary>
    int GetSealedLength(int plaintextLength);

    /// <summary>Writes IV, ciphertext and ICV into <c>message[ivOffset..]</c>; the bytes before are final.</summary>
    void Seal(Span<byte> message, int ivOffset, ReadOnlySpan<byte> plaintext, IRandomSource random);

    /// <summary>Verifies and decrypts; false on an integrity or padding failure (never throws on bad input).</summary>
    bool TryOpen(ReadOnlySpan<byte> message, int ivOffset, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? plaintext);
}
