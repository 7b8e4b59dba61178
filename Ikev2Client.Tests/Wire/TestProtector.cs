using System.Security.Cryptography;
using Ikev2Client.Protocol;
using Ikev2Client.Protocol.Wire;

namespace Ikev2Client.Tests.Wire;

/// <summary>
/// A simple but real SK protector for codec tests (AES-CBC-128 + HMAC-SHA256-128), independent of the crypto
/// registry so the codec's framing is tested on its own.
/// </summary>
internal sealed class TestProtector : ISkProtector
{
    private readonly byte[] _key = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
    private readonly byte[] _mac = Enumerable.Range(100, 32).Select(i => (byte)i).ToArray();

    public int GetSealedLength(int plaintextLength) => 16 + ((plaintextLength + 1 + 15) / 16) * 16 + 16;

    public void Seal(Span<byte> message, int ivOffset, ReadOnlySpan<byte> plaintext, IRandomSource random)
    {
        var iv = message.Slice(ivOffset, 16);
        random.Fill(iv);
        int ctLen = GetSealedLength(plaintext.Length) - 32;
        var padded = new byte[ctLen];
        plaintext.CopyTo(padded);
        padded[^1] = (byte)(ctLen - plaintext.Length - 1);
        using var aes = Aes.Create();
        aes.Key = _key;
        aes.EncryptCbc(padded, iv, message.Slice(ivOffset + 16, ctLen), PaddingMode.None);
        HMACSHA256.HashData(_mac, message.Slice(0, message.Length - 16)).AsSpan(0, 16).CopyTo(message.Slice(message.Length - 16));
    }

    public bool TryOpen(ReadOnlySpan<byte> message, int ivOffset, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? plaintext)
    {
        plaintext = null;
        int ctLen = message.Length - ivOffset - 32;
        if (ctLen <= 0 || ctLen % 16 != 0) return false;
        var icv = HMACSHA256.HashData(_mac, message.Slice(0, message.Length - 16)).AsSpan(0, 16);
        if (!CryptographicOperations.FixedTimeEquals(icv, message.Slice(message.Length - 16))) return false;
        using var aes = Aes.Create();
        aes.Key = _key;
        var padded = aes.DecryptCbc(message.Slice(ivOffset + 16, ctLen), message.Slice(ivOffset, 16), PaddingMode.None);
        int pad = padded[^1];
        if (pad + 1 > padded.Length) return false;
        plaintext = padded.AsSpan(0, padded.Length - pad - 1).ToArray();
        return true;
    }
}

internal sealed class SeededRandom : IRandomSource
{
    private readonly Random _r;
    public SeededRandom(int seed) => _r = new Random(seed);
    public void Fill(Span<byte> destination) => _r.NextBytes(destination);
}
