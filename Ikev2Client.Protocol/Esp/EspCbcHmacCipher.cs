using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Ikev2Client.Protocol.Esp;

/// <summary>
/// AES-CBC (RFC 3602) with HMAC-SHA2-256-128 / 384-192 / 512-256 (RFC 4868), encrypt-then-MAC: the ICV covers
/// SPI | Sequence | IV | ciphertext, followed (with ESN) by the high 32 sequence bits, which are not sent
/// (RFC 4303 §2.2.1). The receiver verifies the ICV before decrypting.
/// </summary>
/// <remarks>
/// Allocation-free per packet: the one-shot <c>Aes.EncryptCbc</c> allocates a native context per call, so this
/// class keeps one persistent CBC encryptor and decryptor (created with a zero IV) and chains them by hand: the
/// first plaintext block is XORed with (packet IV XOR the transform's current chaining block), which makes the
/// streaming transform compute CBC under the packet's own IV. The transforms take arrays, so the data goes
/// through a per-direction scratch array (one extra copy, small next to AES plus HMAC).
/// The IV is AES-ECB(ivKey, counter) with a random ivKey drawn from the injected random source at SA creation:
/// unpredictable to anyone without ivKey (NIST SP 800-38A Appendix C), one block cipher call per packet, no
/// system call per packet.
/// </remarks>
internal sealed class EspCbcHmacCipher : EspCipher
{
    private const int BlockSize = 16;

    private readonly Aes _aes;
    private readonly ICryptoTransform _encryptor;
    private readonly ICryptoTransform _decryptor;
    private readonly Aes _ivAes;
    private readonly ICryptoTransform _ivGenerator;
    private readonly IncrementalHash _sealMac;
    private readonly IncrementalHash _openMac;
    private readonly byte[] _encryptChain = new byte[BlockSize];
    private readonly byte[] _decryptChain = new byte[BlockSize];
    private readonly byte[] _ivCounter = new byte[BlockSize];
    private readonly byte[] _ivOutput = new byte[BlockSize];
    private readonly object _ivLock = new();
    private ulong _ivCount;
    private byte[] _sealScratch = new byte[2048];
    private byte[] _openScratch = new byte[2048];

    public EspCbcHmacCipher(ReadOnlySpan<byte> encryptionKey, HashAlgorithmName hash, int icvLength, ReadOnlySpan<byte> integrityKey, IRandomSource random)
    {
        IcvLength = icvLength;
        byte[] key = encryptionKey.ToArray();
        _aes = Aes.Create();
        _aes.Key = key;
        _aes.Mode = CipherMode.CBC;
        _aes.Padding = PaddingMode.None;
        _encryptor = _aes.CreateEncryptor(key, new byte[BlockSize]);
        _decryptor = _aes.CreateDecryptor(key, new byte[BlockSize]);
        CryptographicOperations.ZeroMemory(key);

        byte[] ivKey = new byte[16];
        random.Fill(ivKey);
        random.Fill(_ivCounter.AsSpan(0, 8));
        _ivAes = Aes.Create();
        _ivAes.Mode = CipherMode.ECB;
        _ivAes.Padding = PaddingMode.None;
        _ivGenerator = _ivAes.CreateEncryptor(ivKey, null);
        CryptographicOperations.ZeroMemory(ivKey);

        _sealMac = IncrementalHash.CreateHMAC(hash, integrityKey);
        _openMac = IncrementalHash.CreateHMAC(hash, integrityKey);
    }

    public override int IvLength => BlockSize;
    public override int IcvLength { get; }
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

    public override void Seal(Span<byte> packet, int dataLength, uint sequenceHigh, bool esn)
    {
        ReadOnlySpan<byte> iv = packet.Slice(IvOffset, BlockSize);
        Span<byte> data = packet.Slice(IvOffset + BlockSize, dataLength);
        byte[] scratch = EnsureScratch(ref _sealScratch, dataLength);
        data.CopyTo(scratch);
        for (int i = 0; i < BlockSize; i++)
        {
            scratch[i] ^= (byte)(iv[i] ^ _encryptChain[i]);
        }

        _encryptor.TransformBlock(scratch, 0, dataLength, scratch, 0);
        Buffer.BlockCopy(scratch, dataLength - BlockSize, _encryptChain, 0, BlockSize);
        scratch.AsSpan(0, dataLength).CopyTo(data);

        int authenticated = IvOffset + BlockSize + dataLength;
        ComputeIcv(_sealMac, packet[..authenticated], sequenceHigh, esn, packet.Slice(authenticated, IcvLength));
    }

    public override bool Open(Span<byte> packet, int dataLength, uint sequenceHigh, bool esn)
    {
        int authenticated = IvOffset + BlockSize + dataLength;
        Span<byte> expected = stackalloc byte[64];
        expected = expected[..IcvLength];
        ComputeIcv(_openMac, packet[..authenticated], sequenceHigh, esn, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, packet.Slice(authenticated, IcvLength)))
        {
            return false;
        }

        ReadOnlySpan<byte> iv = packet.Slice(IvOffset, BlockSize);
        Span<byte> data = packet.Slice(IvOffset + BlockSize, dataLength);
        byte[] scratch = EnsureScratch(ref _openScratch, dataLength);
        data.CopyTo(scratch);
        Span<byte> lastCipherBlock = stackalloc byte[BlockSize];
        data[^BlockSize..].CopyTo(lastCipherBlock);

        _decryptor.TransformBlock(scratch, 0, dataLength, scratch, 0);
        for (int i = 0; i < BlockSize; i++)
        {
            scratch[i] ^= (byte)(iv[i] ^ _decryptChain[i]);
        }

        lastCipherBlock.CopyTo(_decryptChain);
        scratch.AsSpan(0, dataLength).CopyTo(data);
        return true;
    }

    private void ComputeIcv(IncrementalHash mac, ReadOnlySpan<byte> authenticated, uint sequenceHigh, bool esn, Span<byte> icv)
    {
        mac.AppendData(authenticated);
        if (esn)
        {
            Span<byte> high = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(high, sequenceHigh);
            mac.AppendData(high);
        }

        Span<byte> full = stackalloc byte[64];
        int written = mac.GetHashAndReset(full);
        full[..icv.Length].CopyTo(icv);
        CryptographicOperations.ZeroMemory(full[..written]);
    }

    private static byte[] EnsureScratch(ref byte[] scratch, int length)
    {
        if (scratch.Length < length)
        {
            scratch = new byte[Math.Max(length, scratch.Length * 2)];
        }

        return scratch;
    }

    public override void Dispose()
    {
        _encryptor.Dispose();
        _decryptor.Dispose();
        _ivGenerator.Dispose();
        _aes.Dispose();
        _ivAes.Dispose();
        _sealMac.Dispose();
        _openMac.Dispose();
        CryptographicOperations.ZeroMemory(_sealScratch);
        CryptographicOperations.ZeroMemory(_openScratch);
    }
}
