using System.Buffers.Binary;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;

namespace Ikev2Client.Protocol.Esp;

/// <summary>
/// The encryption half of a classic (encrypt-then-MAC) ESP transform: AES-CBC (RFC 3602) or AES-CTR (RFC 3686).
/// Works in place on the data (payload, padding, pad length, next header). One thread encrypts and one thread
/// decrypts; each direction has its own native context and scratch buffer, so the two never share state.
/// </summary>
internal abstract class EspEncryption : IDisposable
{
    public abstract int IvLength { get; }
    /// <summary>Alignment of the data: the block size for CBC, 4 for CTR (RFC 4303 §2.4).</summary>
    public abstract int Alignment { get; }
    /// <summary>Writes the IV of the packet with <paramref name="sequence"/>.</summary>
    public abstract void GenerateIv(ulong sequence, Span<byte> iv);
    public abstract void Encrypt(ReadOnlySpan<byte> iv, Span<byte> data);
    public abstract void Decrypt(ReadOnlySpan<byte> iv, Span<byte> data);
    public abstract void Dispose();

    /// <summary>Grows a per-direction scratch array (rarely: only for a packet larger than any before).</summary>
    protected static byte[] EnsureScratch(ref byte[] scratch, int length)
    {
        if (scratch.Length < length)
        {
            CryptographicOperations.ZeroMemory(scratch);
            scratch = new byte[Math.Max(length, scratch.Length * 2)];
        }

        return scratch;
    }

    /// <summary>data ^= keystream, 32 bytes at a time where the hardware allows.</summary>
    protected static void Xor(Span<byte> data, ReadOnlySpan<byte> keystream)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 32 <= data.Length; i += 32)
            {
                (Vector256.Create<byte>(data.Slice(i, 32)) ^ Vector256.Create<byte>(keystream.Slice(i, 32))).CopyTo(data.Slice(i, 32));
            }
        }

        for (; i + 8 <= data.Length; i += 8)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(data[i..],
                BinaryPrimitives.ReadUInt64LittleEndian(data[i..]) ^ BinaryPrimitives.ReadUInt64LittleEndian(keystream[i..]));
        }

        for (; i < data.Length; i++)
        {
            data[i] ^= keystream[i];
        }
    }
}

/// <summary>
/// AES-CBC for ESP (RFC 3602) with 128-, 192- or 256-bit keys.
/// </summary>
/// <remarks>
/// Allocation-free per packet: the one-shot <c>Aes.EncryptCbc</c> allocates a native context per call, so this class
/// keeps one persistent CBC encryptor and decryptor (created with a zero IV) and chains them by hand: the first
/// plaintext block is XORed with (packet IV XOR the transform's current chaining block), which makes the streaming
/// transform compute CBC under the packet's own IV. The transforms take arrays, so the data goes through a
/// per-direction scratch array (one extra copy, small next to AES plus the MAC).
/// The IV is AES-ECB(ivKey, counter) with a random ivKey drawn from the injected random source at SA creation:
/// unpredictable to anyone without ivKey (NIST SP 800-38A Appendix C), one block cipher call per packet, no system
/// call per packet.
/// </remarks>
internal sealed class EspCbcEncryption : EspEncryption
{
    private const int BlockSize = 16;

    private readonly Aes _aes;
    private readonly ICryptoTransform _encryptor;
    private readonly ICryptoTransform _decryptor;
    private readonly Aes _ivAes;
    private readonly ICryptoTransform _ivGenerator;
    private readonly byte[] _encryptChain = new byte[BlockSize];
    private readonly byte[] _decryptChain = new byte[BlockSize];
    private readonly byte[] _ivCounter = new byte[BlockSize];
    private readonly byte[] _ivOutput = new byte[BlockSize];
    private readonly object _ivLock = new();
    private ulong _ivCount;
    private byte[] _sealScratch = new byte[2048];
    private byte[] _openScratch = new byte[2048];

    public EspCbcEncryption(ReadOnlySpan<byte> key, IRandomSource random)
    {
        byte[] k = key.ToArray();
        _aes = Aes.Create();
        _aes.Key = k;
        _aes.Mode = CipherMode.CBC;
        _aes.Padding = PaddingMode.None;
        _encryptor = _aes.CreateEncryptor(k, new byte[BlockSize]);
        _decryptor = _aes.CreateDecryptor(k, new byte[BlockSize]);
        CryptographicOperations.ZeroMemory(k);

        byte[] ivKey = new byte[16];
        random.Fill(ivKey);
        random.Fill(_ivCounter.AsSpan(0, 8));
        _ivAes = Aes.Create();
        _ivAes.Mode = CipherMode.ECB;
        _ivAes.Padding = PaddingMode.None;
        _ivGenerator = _ivAes.CreateEncryptor(ivKey, null);
        CryptographicOperations.ZeroMemory(ivKey);
    }

    public override int IvLength => BlockSize;
    public override int Alignment => BlockSize;

    public override void GenerateIv(ulong sequence, Span<byte> iv)
    {
        lock (_ivLock)
        {
            BinaryPrimitives.WriteUInt64BigEndian(_ivCounter.AsSpan(8), ++_ivCount);
            _ivGenerator.TransformBlock(_ivCounter, 0, BlockSize, _ivOutput, 0);
            _ivOutput.AsSpan(0, BlockSize).CopyTo(iv);
        }
    }

    public override void Encrypt(ReadOnlySpan<byte> iv, Span<byte> data)
    {
        byte[] scratch = EnsureScratch(ref _sealScratch, data.Length);
        data.CopyTo(scratch);
        for (int i = 0; i < BlockSize; i++)
        {
            scratch[i] ^= (byte)(iv[i] ^ _encryptChain[i]);
        }

        _encryptor.TransformBlock(scratch, 0, data.Length, scratch, 0);
        Buffer.BlockCopy(scratch, data.Length - BlockSize, _encryptChain, 0, BlockSize);
        scratch.AsSpan(0, data.Length).CopyTo(data);
    }

    public override void Decrypt(ReadOnlySpan<byte> iv, Span<byte> data)
    {
        byte[] scratch = EnsureScratch(ref _openScratch, data.Length);
        data.CopyTo(scratch);
        Span<byte> lastCipherBlock = stackalloc byte[BlockSize];
        data[^BlockSize..].CopyTo(lastCipherBlock);

        _decryptor.TransformBlock(scratch, 0, data.Length, scratch, 0);
        for (int i = 0; i < BlockSize; i++)
        {
            scratch[i] ^= (byte)(iv[i] ^ _decryptChain[i]);
        }

        lastCipherBlock.CopyTo(_decryptChain);
        scratch.AsSpan(0, data.Length).CopyTo(data);
    }

    public override void Dispose()
    {
        _encryptor.Dispose();
        _decryptor.Dispose();
        _ivGenerator.Dispose();
        _aes.Dispose();
        _ivAes.Dispose();
        CryptographicOperations.ZeroMemory(_sealScratch);
        CryptographicOperations.ZeroMemory(_openScratch);
    }
}

/// <summary>
/// AES-CTR for ESP (RFC 3686) with 128-, 192- or 256-bit keys. Key material is key | nonce(4); each packet carries an
/// 8-byte IV and its keystream is AES(key, nonce | IV | counter) with a 32-bit big-endian block counter starting at 1
/// (RFC 3686 §4). The IV is the 64-bit sequence number, unique under one key because <see cref="EspSa"/> never wraps
/// (RFC 3686 §3.1 allows a counter).
/// </summary>
/// <remarks>
/// Allocation-free per packet: the counter blocks of a whole packet are written into a per-direction scratch array and
/// encrypted with one call to a persistent AES-ECB transform (one native context per direction), then XORed into the
/// data. Encryption and decryption are the same operation.
/// </remarks>
internal sealed class EspCtrEncryption : EspEncryption
{
    private const int BlockSize = 16;
    private const int NonceLength = 4;

    private readonly Aes _aes;
    private readonly ICryptoTransform _sealKeystream;
    private readonly ICryptoTransform _openKeystream;
    private readonly byte[] _nonce = new byte[NonceLength];
    private byte[] _sealScratch = new byte[2048];
    private byte[] _openScratch = new byte[2048];

    public EspCtrEncryption(ReadOnlySpan<byte> keyMaterial)
    {
        byte[] key = keyMaterial[..^NonceLength].ToArray();
        keyMaterial[^NonceLength..].CopyTo(_nonce);
        _aes = Aes.Create();
        _aes.Mode = CipherMode.ECB;
        _aes.Padding = PaddingMode.None;
        _sealKeystream = _aes.CreateEncryptor(key, null);
        _openKeystream = _aes.CreateEncryptor(key, null);
        CryptographicOperations.ZeroMemory(key);
    }

    public override int IvLength => 8;
    public override int Alignment => 4;

    public override void GenerateIv(ulong sequence, Span<byte> iv) => BinaryPrimitives.WriteUInt64BigEndian(iv, sequence);

    public override void Encrypt(ReadOnlySpan<byte> iv, Span<byte> data) => Transform(_sealKeystream, ref _sealScratch, iv, data);

    public override void Decrypt(ReadOnlySpan<byte> iv, Span<byte> data) => Transform(_openKeystream, ref _openScratch, iv, data);

    private void Transform(ICryptoTransform ecb, ref byte[] scratch, ReadOnlySpan<byte> iv, Span<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        int blocks = (data.Length + BlockSize - 1) / BlockSize;
        int length = blocks * BlockSize;
        byte[] keystream = EnsureScratch(ref scratch, length);
        Span<byte> counterBlock = keystream.AsSpan(0, BlockSize);
        _nonce.CopyTo(counterBlock);
        iv[..8].CopyTo(counterBlock[NonceLength..]);
        for (int b = 1; b < blocks; b++)
        {
            counterBlock[..12].CopyTo(keystream.AsSpan(b * BlockSize, 12));
        }

        for (int b = 0; b < blocks; b++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(keystream.AsSpan(b * BlockSize + 12, 4), (uint)(b + 1));
        }

        ecb.TransformBlock(keystream, 0, length, keystream, 0);
        Xor(data, keystream.AsSpan(0, data.Length));
    }

    public override void Dispose()
    {
        _sealKeystream.Dispose();
        _openKeystream.Dispose();
        _aes.Dispose();
        CryptographicOperations.ZeroMemory(_nonce);
        CryptographicOperations.ZeroMemory(_sealScratch);
        CryptographicOperations.ZeroMemory(_openScratch);
    }
}
