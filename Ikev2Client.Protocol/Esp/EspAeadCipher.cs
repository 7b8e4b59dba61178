using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Ikev2Client.Protocol.Esp;

/// <summary>
/// AES-GCM with an 8-, 12- or 16-byte ICV and 128-, 192- or 256-bit keys (RFC 4106), and ChaCha20-Poly1305 (RFC 7634).
/// The key material is key | salt(4); the nonce is salt | explicit IV(8); the AAD is SPI | Sequence (8 bytes) or
/// SPI | Seq-high | Seq-low (12 bytes) with ESN. The explicit IV is the 64-bit sequence number, which never repeats
/// under one key because <see cref="EspSa"/> refuses to wrap (RFC 4106 §3.1 allows a counter).
/// </summary>
/// <remarks>
/// .NET's <see cref="AesGcm"/> accepts 12–16-byte tags only. The 8-byte ICV is the leftmost 8 bytes of the full GCM
/// tag (NIST SP 800-38D §5.2.1.2), so sealing computes the 16-byte tag and keeps half of it. Opening cannot ask
/// <see cref="AesGcm.Decrypt(ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte}, ReadOnlySpan{byte})"/>
/// to check a truncated tag, so it uses that GCM is CTR mode plus a tag over the ciphertext: "encrypting" the
/// ciphertext under the same nonce yields the plaintext (into a per-SA scratch array), and encrypting that plaintext
/// again yields the ciphertext and the full tag the sender computed, whose first 8 bytes are compared in constant
/// time. Only then does the plaintext replace the ciphertext in the packet. Two GCM passes per packet, no allocation,
/// and still .NET's (OpenSSL's) AES-NI/PCLMUL code instead of a managed GHASH.
/// </remarks>
internal sealed class EspAeadCipher : EspCipher
{
    private const int SaltLength = 4;
    private const int FullTagLength = 16;

    private readonly AesGcm? _gcm;
    private readonly ChaCha20Poly1305? _chacha;
    private readonly byte[] _salt = new byte[SaltLength];
    private readonly bool _truncated;
    private byte[] _openScratch = [];

    /// <param name="chacha">ChaCha20-Poly1305 instead of AES-GCM.</param>
    /// <param name="keyMaterial">Key followed by the 4-byte salt.</param>
    /// <param name="tagLength">ICV bytes: 8, 12 or 16 for AES-GCM; 16 for ChaCha20-Poly1305.</param>
    public EspAeadCipher(bool chacha, ReadOnlySpan<byte> keyMaterial, int tagLength = FullTagLength)
    {
        ReadOnlySpan<byte> key = keyMaterial[..^SaltLength];
        keyMaterial[^SaltLength..].CopyTo(_salt);
        IcvLength = tagLength;
        if (chacha)
        {
            _chacha = new ChaCha20Poly1305(key);
        }
        else
        {
            _truncated = tagLength < 12;
            _gcm = new AesGcm(key, _truncated ? FullTagLength : tagLength);
        }
    }

    public override int IvLength => 8;
    public override int IcvLength { get; }
    public override int Alignment => 4;

    public override void GenerateIv(ulong sequence, Span<byte> iv) => BinaryPrimitives.WriteUInt64BigEndian(iv, sequence);

    public override void Seal(Span<byte> packet, int dataLength, uint sequenceHigh, bool esn)
    {
        Span<byte> nonce = stackalloc byte[12];
        Span<byte> aad = stackalloc byte[12];
        int aadLength = BuildNonceAndAad(packet, sequenceHigh, esn, nonce, aad);
        Span<byte> data = packet.Slice(IvOffset + 8, dataLength);
        Span<byte> tag = packet.Slice(IvOffset + 8 + dataLength, IcvLength);
        if (_chacha is not null)
        {
            _chacha.Encrypt(nonce, data, data, tag, aad[..aadLength]);
        }
        else if (!_truncated)
        {
            _gcm!.Encrypt(nonce, data, data, tag, aad[..aadLength]);
        }
        else
        {
            Span<byte> full = stackalloc byte[FullTagLength];
            _gcm!.Encrypt(nonce, data, data, full, aad[..aadLength]);
            full[..IcvLength].CopyTo(tag);
        }
    }

    public override bool Open(Span<byte> packet, int dataLength, uint sequenceHigh, bool esn)
    {
        Span<byte> nonce = stackalloc byte[12];
        Span<byte> aad = stackalloc byte[12];
        int aadLength = BuildNonceAndAad(packet, sequenceHigh, esn, nonce, aad);
        Span<byte> data = packet.Slice(IvOffset + 8, dataLength);
        ReadOnlySpan<byte> tag = packet.Slice(IvOffset + 8 + dataLength, IcvLength);
        if (_truncated)
        {
            return OpenTruncated(nonce, data, tag, aad[..aadLength]);
        }

        try
        {
            if (_gcm is not null)
            {
                _gcm.Decrypt(nonce, data, tag, data, aad[..aadLength]);
            }
            else
            {
                _chacha!.Decrypt(nonce, data, tag, data, aad[..aadLength]);
            }

            return true;
        }
        catch (CryptographicException)
        {
            // AuthenticationTagMismatchException derives from CryptographicException.
            return false;
        }
    }

    private bool OpenTruncated(ReadOnlySpan<byte> nonce, Span<byte> data, ReadOnlySpan<byte> tag, ReadOnlySpan<byte> aad)
    {
        if (_openScratch.Length < data.Length)
        {
            CryptographicOperations.ZeroMemory(_openScratch);
            _openScratch = new byte[Math.Max(data.Length, 2048)];
        }

        Span<byte> plaintext = _openScratch.AsSpan(0, data.Length);
        Span<byte> full = stackalloc byte[FullTagLength];
        _gcm!.Encrypt(nonce, data, plaintext, full, aad);   // CTR keystream applied to the ciphertext: the plaintext
        _gcm.Encrypt(nonce, plaintext, data, full, aad);    // rewrites the same ciphertext and yields the sender's tag
        if (!CryptographicOperations.FixedTimeEquals(full[..IcvLength], tag))
        {
            plaintext.Clear();
            return false;
        }

        plaintext.CopyTo(data);
        plaintext.Clear();
        return true;
    }

    private int BuildNonceAndAad(ReadOnlySpan<byte> packet, uint sequenceHigh, bool esn, Span<byte> nonce, Span<byte> aad)
    {
        _salt.CopyTo(nonce);
        packet.Slice(IvOffset, 8).CopyTo(nonce[SaltLength..]);
        packet[..4].CopyTo(aad);
        if (!esn)
        {
            packet.Slice(4, 4).CopyTo(aad[4..]);
            return 8;
        }

        BinaryPrimitives.WriteUInt32BigEndian(aad[4..], sequenceHigh);
        packet.Slice(4, 4).CopyTo(aad[8..]);
        return 12;
    }

    public override void Dispose()
    {
        _gcm?.Dispose();
        _chacha?.Dispose();
        CryptographicOperations.ZeroMemory(_salt);
        CryptographicOperations.ZeroMemory(_openScratch);
    }
}
