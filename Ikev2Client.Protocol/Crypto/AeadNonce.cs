namespace Ikev2Client.Protocol.Crypto;

/// <summary>The 12-byte AEAD nonce of RFC 4106 §4 / RFC 7634 §2: salt(4) | explicit IV(8).</summary>
internal static class AeadNonce
{
    public static void Build(ReadOnlySpan<byte> salt, ReadOnlySpan<byte> iv, Span<byte> nonce)
    {
        salt[..4].CopyTo(nonce);
        iv[..8].CopyTo(nonce[4..]);
    }
}
