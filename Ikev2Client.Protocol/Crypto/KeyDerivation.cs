using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Ikev2Client.Protocol.Crypto;

/// <summary>IKEv2 key derivation: prf, prf+, SKEYSEED and the IKE/CHILD SA key splits (RFC 7296 §2.13–2.18).</summary>
internal static class KeyDerivation
{
    /// <summary>prf(K, S) with the output length of the PRF.</summary>
    public static byte[] Prf(IIkePrf prf, ReadOnlySpan<byte> key, ReadOnlySpan<byte> data)
    {
        var output = new byte[prf.OutputLength];
        prf.Compute(key, data, output);
        return output;
    }

    /// <summary>
    /// prf+(K, S) = T1 | T2 | ... where T1 = prf(K, S | 0x01) and Tn = prf(K, Tn-1 | S | n) (RFC 7296 §2.13),
    /// truncated to <paramref name="length"/> bytes (at most 255 PRF outputs).
    /// </summary>
    public static byte[] PrfPlus(IIkePrf prf, ReadOnlySpan<byte> key, ReadOnlySpan<byte> seed, int length)
    {
        int outLength = prf.OutputLength;
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length > 255 * outLength)
            throw new ArgumentOutOfRangeException(nameof(length), "prf+ can produce at most 255 PRF outputs.");

        var result = new byte[length];
        var input = new byte[outLength + seed.Length + 1];
        var block = new byte[outLength];
        int previous = 0;
        for (int n = 1, offset = 0; offset < length; n++)
        {
            block.AsSpan(0, previous).CopyTo(input);
            seed.CopyTo(input.AsSpan(previous));
            input[previous + seed.Length] = (byte)n;
            prf.Compute(key, input.AsSpan(0, previous + seed.Length + 1), block);
            int take = Math.Min(outLength, length - offset);
            block.AsSpan(0, take).CopyTo(result.AsSpan(offset));
            offset += take;
            previous = outLength;
        }
        CryptographicOperations.ZeroMemory(input);
        CryptographicOperations.ZeroMemory(block);
        return result;
    }

    /// <summary>
    /// SKEYSEED = prf(Ni | Nr, g^ir). For PRFs with a fixed key length (AES-XCBC, AES-CMAC) only the first
    /// 64 bits of Ni and of Nr form the key (RFC 7296 §2.14).
    /// </summary>
    public static byte[] ComputeSkeyseed(IIkePrf prf, ReadOnlySpan<byte> nonceI, ReadOnlySpan<byte> nonceR, ReadOnlySpan<byte> sharedSecret)
    {
        if (prf.HasFixedKeyLength)
        {
            if (nonceI.Length < 8 || nonceR.Length < 8)
                throw new ArgumentException("Nonces must be at least 64 bits.");
            nonceI = nonceI[..8];
            nonceR = nonceR[..8];
        }
        byte[] key = Concat(nonceI, nonceR);
        byte[] skeyseed = Prf(prf, key, sharedSecret);
        CryptographicOperations.ZeroMemory(key);
        return skeyseed;
    }

    /// <summary>SKEYSEED for an IKE SA rekey: prf(SK_d (old), g^ir (new) | Ni | Nr) (RFC 7296 §2.18).</summary>
    public static byte[] ComputeRekeySkeyseed(IIkePrf oldPrf, ReadOnlySpan<byte> oldSkD, ReadOnlySpan<byte> sharedSecret, ReadOnlySpan<byte> nonceI, ReadOnlySpan<byte> nonceR)
    {
        byte[] data = Concat(sharedSecret, nonceI, nonceR);
        byte[] skeyseed = Prf(oldPrf, oldSkD, data);
        CryptographicOperations.ZeroMemory(data);
        return skeyseed;
    }

    /// <summary>
    /// {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr).
    /// SK_d, SK_pi and SK_pr take the PRF's preferred key length; <paramref name="integrity"/> is null for AEAD.
    /// </summary>
    public static IkeSaKeys DeriveIkeSaKeys(IIkePrf prf, IIkeEncryption encryption, IIkeIntegrity? integrity, ReadOnlySpan<byte> skeyseed,
        ReadOnlySpan<byte> nonceI, ReadOnlySpan<byte> nonceR, ulong spiI, ulong spiR)
    {
        int d = prf.KeyLength, a = integrity?.KeyLength ?? 0, e = encryption.KeyMaterialLength, p = prf.KeyLength;
        Span<byte> spis = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(spis, spiI);
        BinaryPrimitives.WriteUInt64BigEndian(spis[8..], spiR);
        byte[] seed = Concat(nonceI, nonceR, spis);
        byte[] keymat = PrfPlus(prf, skeyseed, seed, d + 2 * a + 2 * e + 2 * p);
        var reader = new KeySplitter(keymat);
        var keys = new IkeSaKeys
        {
            SkD = reader.Take(d),
            SkAi = reader.Take(a),
            SkAr = reader.Take(a),
            SkEi = reader.Take(e),
            SkEr = reader.Take(e),
            SkPi = reader.Take(p),
            SkPr = reader.Take(p),
        };
        CryptographicOperations.ZeroMemory(keymat);
        return keys;
    }

    /// <summary>
    /// KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr) (RFC 7296 §2.17); <paramref name="sharedSecret"/> is empty
    /// without PFS. Split as encr(I→R) | integ(I→R) | encr(R→I) | integ(R→I).
    /// </summary>
    public static ChildSaKeys DeriveChildSaKeys(IIkePrf prf, ReadOnlySpan<byte> skD, ReadOnlySpan<byte> sharedSecret,
        ReadOnlySpan<byte> nonceI, ReadOnlySpan<byte> nonceR, int encryptionKeyLength, int integrityKeyLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(encryptionKeyLength);
        ArgumentOutOfRangeException.ThrowIfNegative(integrityKeyLength);
        byte[] seed = Concat(sharedSecret, nonceI, nonceR);
        byte[] keymat = PrfPlus(prf, skD, seed, 2 * (encryptionKeyLength + integrityKeyLength));
        CryptographicOperations.ZeroMemory(seed);
        var reader = new KeySplitter(keymat);
        var keys = new ChildSaKeys
        {
            EncrKeyI = reader.Take(encryptionKeyLength),
            IntegKeyI = reader.Take(integrityKeyLength),
            EncrKeyR = reader.Take(encryptionKeyLength),
            IntegKeyR = reader.Take(integrityKeyLength),
        };
        CryptographicOperations.ZeroMemory(keymat);
        return keys;
    }

    private static byte[] Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c = default)
    {
        var result = new byte[a.Length + b.Length + c.Length];
        a.CopyTo(result);
        b.CopyTo(result.AsSpan(a.Length));
        c.CopyTo(result.AsSpan(a.Length + b.Length));
        return result;
    }

    private sealed class KeySplitter(byte[] source)
    {
        private int _offset;

        public byte[] Take(int length)
        {
            byte[] key = source.AsSpan(_offset, length).ToArray();
            _offset += length;
            return key;
        }
    }
}
