using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Ikev2Client.Protocol.Esp;

/// <summary>
/// AES-GCM with a 16-byte ICV (RFC 4106) and ChaCha20-Poly1305 (RFC 7634). The key material is key | salt(4);
/// the nonce is salt | explicit IV(8); the AAD is SPI | Sequence (8 bytes) or SPI | Seq-high | Seq-low (12 bytes)
/// with ESN. The explicit IV is the 64-bit sequence number, which never repeats under one key because
/// <see cref="EspSa"/> refuses to wrap (RFC 4106 §3.1 allows a counter).
/// </summary>
internal sealed class EspAeadCipher : EspCipher
{
    private const int SaltLength = 4;
    private const int TagLength = 16;

    private readonly AesGcm? _gcm;
    private readonly ChaCha20Poly1305? _chacha;
    private readonly byte[] _salt = new byte[SaltLength];

    public EspAeadCipher(bool chacha, ReadOnlySpan<byte> keyMaterial)
    {
        ReadOnlySpan<byte> key = keyMaterial[..^SaltLength];
        keyMaterial[^SaltLength..].CopyTo(_salt);
        if (chacha)
        {
            _chacha = new ChaCha20Poly1305(key);
        }
        else
        {
            _gcm = new AesGcm(key, TagLength);
        }
    }

    public override int IvLength => 8;
    public override int IcvLength => TagLength;
    public override int Alignment => 4;

    public override void GenerateIv(ulong sequence, Span<byte> iv) => BinaryPrimitives.WriteUInt64BigEndian(iv, sequence);

    public override void Seal(Span<byte> packet, int dataLength, uint sequenceHigh, bool esn)
    {
        Span<byte> nonce = stackalloc byte[12];
        Span<byte> aad = stackalloc byte[12];
        int aadLength = BuildNonceAndAad(packet, sequenceHigh, esn, nonce, aad);
        Span<byte> data = packet.Slice(IvOffset + 8, dataLength);
        Span<byte> tag = packet.Slice(IvOffset + 8 + dataLength, TagLength);
        if (_gcm is not null)
        {
            _gcm.Encrypt(nonce, data, data, tag, aad[..aadLength]);
        }
        else
        {
            _chacha!.Encrypt(nonce, data, data, tag, aad[..aadLength]);
        }
    }

    public override bool Open(Span<byte> packet, int dataLength, uint sequenceHigh, bool esn)
    {
        Span<byte> nonce = stackalloc byte[12];
        Span<byte> aad = stackalloc byte[12];
        int aadLength = BuildNonceAndAad(packet, sequenceHigh, esn, nonce, aad);
        Span<byte> data = packet.Slice(IvOffset + 8, dataLength);
        ReadOnlySpan<byte> tag = packet.Slice(IvOffset + 8 + dataLength, TagLength);
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
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
        catch (CryptographicException)
        {
            return false;
        }
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
    }
}
