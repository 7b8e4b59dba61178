using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Ikev2Client.Protocol.Esp;

/// <summary>
/// The integrity half of a classic ESP transform: computes the ICV over SPI | Sequence | IV | ciphertext, followed
/// (with ESN) by the high 32 sequence bits, which are not sent (RFC 4303 §2.2.1, §3.3.2.1). One instance per
/// direction: it keeps per-call state and is used by one thread.
/// </summary>
internal abstract class EspIntegrity : IDisposable
{
    public abstract int IcvLength { get; }
    public abstract void Compute(ReadOnlySpan<byte> authenticated, uint sequenceHigh, bool esn, Span<byte> icv);
    public abstract void Dispose();
}

/// <summary>
/// HMAC-MD5-96 (RFC 2403), HMAC-SHA1-96 (RFC 2404), HMAC-SHA2-256-128 / 384-192 / 512-256 (RFC 4868) and the other
/// truncations Android's IpSecAlgorithm allows: the leftmost <see cref="IcvLength"/> bytes of the HMAC. A persistent
/// <see cref="IncrementalHash"/>, so no allocation per packet.
/// </summary>
internal sealed class EspHmacIntegrity : EspIntegrity
{
    private readonly IncrementalHash _mac;

    public EspHmacIntegrity(HashAlgorithmName hash, ReadOnlySpan<byte> key, int icvLength)
    {
        _mac = IncrementalHash.CreateHMAC(hash, key);
        IcvLength = icvLength;
    }

    public override int IcvLength { get; }

    public override void Compute(ReadOnlySpan<byte> authenticated, uint sequenceHigh, bool esn, Span<byte> icv)
    {
        _mac.AppendData(authenticated);
        if (esn)
        {
            Span<byte> high = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(high, sequenceHigh);
            _mac.AppendData(high);
        }

        Span<byte> full = stackalloc byte[64];
        int written = _mac.GetHashAndReset(full);
        full[..icv.Length].CopyTo(icv);
        CryptographicOperations.ZeroMemory(full[..written]);
    }

    public override void Dispose() => _mac.Dispose();
}

/// <summary>
/// AES-XCBC-MAC-96 (RFC 3566) and AES-CMAC-96 (RFC 4494), 128-bit key, 96-bit ICV. Both are a CBC-MAC over the message
/// whose last block is XORed with a subkey (XCBC: K2 when complete, K3 when padded with 0x80 00..; CMAC: K1 or K2),
/// under K1 = AES(K, 0x01..) for XCBC and K itself for CMAC.
/// </summary>
/// <remarks>
/// Allocation-free per packet: one persistent AES-CBC encryptor runs the CBC-MAC over the whole (copied, padded and
/// subkey-XORed) message in one call. The transform chains across calls, so the first block is XORed with the last
/// MAC it produced, which makes every call start from a zero IV.
/// </remarks>
internal sealed class EspAesMacIntegrity : EspIntegrity
{
    private const int BlockSize = 16;

    private readonly Aes _aes;
    private readonly ICryptoTransform _cbc;
    private readonly byte[] _completeKey = new byte[BlockSize];
    private readonly byte[] _paddedKey = new byte[BlockSize];
    private readonly byte[] _chain = new byte[BlockSize];
    private byte[] _scratch = new byte[2048];

    /// <param name="cmac">True for AES-CMAC (RFC 4493), false for AES-XCBC-MAC (RFC 3566).</param>
    /// <param name="key">The 16-byte integrity key.</param>
    public EspAesMacIntegrity(bool cmac, ReadOnlySpan<byte> key)
    {
        if (key.Length != BlockSize)
        {
            throw new ArgumentException("AES-XCBC-MAC-96 and AES-CMAC-96 take a 128-bit key", nameof(key));
        }

        byte[] macKey = new byte[BlockSize];
        using (Aes derive = Aes.Create())
        {
            derive.SetKey(key);
            if (cmac)
            {
                // RFC 4493 §2.3: L = AES-128(K, 0^128); K1 = dbl(L); K2 = dbl(K1).
                Span<byte> l = stackalloc byte[BlockSize];
                l.Clear();
                derive.EncryptEcb(l, l, PaddingMode.None);
                Double(l, _completeKey);
                Double(_completeKey, _paddedKey);
                CryptographicOperations.ZeroMemory(l);
                key.CopyTo(macKey);
            }
            else
            {
                // RFC 3566 §4: K1 = E(K, 0x01..), K2 = E(K, 0x02..), K3 = E(K, 0x03..).
                Span<byte> derived = stackalloc byte[3 * BlockSize];
                derived[..16].Fill(0x01);
                derived[16..32].Fill(0x02);
                derived[32..].Fill(0x03);
                derive.EncryptEcb(derived, derived, PaddingMode.None);
                derived[..16].CopyTo(macKey);
                derived[16..32].CopyTo(_completeKey);
                derived[32..].CopyTo(_paddedKey);
                CryptographicOperations.ZeroMemory(derived);
            }

        }

        _aes = Aes.Create();
        _aes.Mode = CipherMode.CBC;
        _aes.Padding = PaddingMode.None;
        _cbc = _aes.CreateEncryptor(macKey, new byte[BlockSize]);
        CryptographicOperations.ZeroMemory(macKey);
    }

    public override int IcvLength => 12;

    public override void Compute(ReadOnlySpan<byte> authenticated, uint sequenceHigh, bool esn, Span<byte> icv)
    {
        int total = authenticated.Length + (esn ? 4 : 0);
        int blocks = Math.Max(1, (total + BlockSize - 1) / BlockSize);
        int length = blocks * BlockSize;
        if (_scratch.Length < length)
        {
            CryptographicOperations.ZeroMemory(_scratch);
            _scratch = new byte[Math.Max(length, _scratch.Length * 2)];
        }

        Span<byte> message = _scratch.AsSpan(0, length);
        authenticated.CopyTo(message);
        if (esn)
        {
            BinaryPrimitives.WriteUInt32BigEndian(message[authenticated.Length..], sequenceHigh);
        }

        bool complete = total > 0 && total % BlockSize == 0;
        if (!complete)
        {
            message[total] = 0x80;
            message[(total + 1)..].Clear();
        }

        Span<byte> last = message[^BlockSize..];
        Xor(last, complete ? _completeKey : _paddedKey);
        Xor(message[..BlockSize], _chain);
        _cbc.TransformBlock(_scratch, 0, length, _scratch, 0);
        message[^BlockSize..].CopyTo(_chain);
        _chain.AsSpan(0, icv.Length).CopyTo(icv);
    }

    private static void Xor(Span<byte> target, ReadOnlySpan<byte> other)
    {
        for (int i = 0; i < target.Length; i++)
        {
            target[i] ^= other[i];
        }
    }

    /// <summary>Left shift by one bit; XOR Rb = 0x87 into the last byte when the MSB was set (RFC 4493 §2.3).</summary>
    private static void Double(ReadOnlySpan<byte> block, Span<byte> result)
    {
        int msb = block[0] >> 7;
        for (int i = 0; i < BlockSize - 1; i++)
        {
            result[i] = (byte)((block[i] << 1) | (block[i + 1] >> 7));
        }

        result[^1] = (byte)((block[^1] << 1) ^ (0x87 & -msb));
    }

    public override void Dispose()
    {
        _cbc.Dispose();
        _aes.Dispose();
        CryptographicOperations.ZeroMemory(_completeKey);
        CryptographicOperations.ZeroMemory(_paddedKey);
        CryptographicOperations.ZeroMemory(_chain);
        CryptographicOperations.ZeroMemory(_scratch);
    }
}
