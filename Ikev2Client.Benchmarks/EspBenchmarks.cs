using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Esp;

namespace Ikev2Client.Benchmarks;

/// <summary>ESP seal and open of one 1400-byte packet per operation, in place, per algorithm.</summary>
[MemoryDiagnoser]
public class EspBenchmarks
{
    private const int PayloadLength = 1400;

    private EspSa _sealer = null!;
    private EspSa _opener = null!;
    private byte[] _sealBuffer = null!;
    private byte[] _pristinePacket = null!;
    private byte[] _openBuffer = null!;

    /// <summary>The ESP transform under test.</summary>
    [Params("AES-GCM-16-256", "ChaCha20-Poly1305", "AES-256-CBC+HMAC-SHA2-256-128",
        "AES-GCM-12-192", "AES-GCM-8-128", "AES-128-CTR+AES-XCBC-96", "AES-256-CTR+HMAC-SHA2-256-128",
        "AES-256-CBC+AES-CMAC-96", "AES-256-CBC+HMAC-SHA1-96", "AES-192-CBC+HMAC-SHA2-384-192", "AES-128-CBC+HMAC-MD5-96")]
    public string Algorithm { get; set; } = "AES-GCM-16-256";

    [GlobalSetup]
    public void Setup()
    {
        (EncrId encr, int bits, IntegId integ, int encrKey, int integKey) = Algorithm switch
        {
            "AES-GCM-16-256" => (EncrId.AesGcm16, 256, IntegId.None, 36, 0),
            "ChaCha20-Poly1305" => (EncrId.ChaCha20Poly1305, 256, IntegId.None, 36, 0),
            "AES-256-CBC+HMAC-SHA2-256-128" => (EncrId.AesCbc, 256, IntegId.HmacSha2_256_128, 32, 32),
            "AES-GCM-12-192" => (EncrId.AesGcm12, 192, IntegId.None, 28, 0),
            "AES-GCM-8-128" => (EncrId.AesGcm8, 128, IntegId.None, 20, 0),
            "AES-128-CTR+AES-XCBC-96" => (EncrId.AesCtr, 128, IntegId.AesXcbc96, 20, 16),
            "AES-256-CTR+HMAC-SHA2-256-128" => (EncrId.AesCtr, 256, IntegId.HmacSha2_256_128, 36, 32),
            "AES-256-CBC+AES-CMAC-96" => (EncrId.AesCbc, 256, IntegId.AesCmac96, 32, 16),
            "AES-256-CBC+HMAC-SHA1-96" => (EncrId.AesCbc, 256, IntegId.HmacSha1_96, 32, 20),
            "AES-192-CBC+HMAC-SHA2-384-192" => (EncrId.AesCbc, 192, IntegId.HmacSha2_384_192, 24, 48),
            "AES-128-CBC+HMAC-MD5-96" => (EncrId.AesCbc, 128, IntegId.HmacMd5_96, 16, 16),
            _ => throw new ArgumentException($"unknown algorithm {Algorithm}"),
        };
        byte[] ek = RandomNumberGenerator.GetBytes(encrKey);
        byte[] ik = RandomNumberGenerator.GetBytes(integKey);
        _sealer = new EspSa(0x1000, encr, bits, integ, ek, ik, false, EspMode.Tunnel);
        _opener = new EspSa(0x1000, encr, bits, integ, ek, ik, false, EspMode.Tunnel);

        _sealBuffer = new byte[_sealer.HeaderLength + PayloadLength + _sealer.MaxTrailerLength];
        RandomNumberGenerator.Fill(_sealBuffer);
        _sealBuffer[_sealer.HeaderLength] = 0x45;

        byte[] once = (byte[])_sealBuffer.Clone();
        _sealer.Seal(once, _sealer.HeaderLength, PayloadLength, EspSa.NextHeaderIpv4, out int off, out int len);
        _pristinePacket = once.AsSpan(off, len).ToArray();
        _openBuffer = new byte[len];
    }

    /// <summary>Seal in place (the payload region is re-encrypted each time; size and work are identical).</summary>
    [Benchmark]
    public int Seal()
    {
        _sealer.Seal(_sealBuffer, _sealer.HeaderLength, PayloadLength, EspSa.NextHeaderIpv4, out _, out int len);
        return len;
    }

    /// <summary>Open in place: copy a pristine packet, forget the replay window, verify and decrypt.</summary>
    [Benchmark]
    public int Open()
    {
        _pristinePacket.CopyTo(_openBuffer, 0);
        _opener.ReplayWindow.Reset();
        _opener.TryOpen(_openBuffer, out _, out int len, out _);
        return len;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sealer.Dispose();
        _opener.Dispose();
    }
}

/// <summary>The bare AEAD calls on the same 1400-byte buffer, as the floor for <see cref="EspBenchmarks"/>.</summary>
[MemoryDiagnoser]
public class EspBareAeadBenchmarks
{
    private readonly byte[] _buffer = new byte[1404];
    private readonly byte[] _tag = new byte[16];
    private readonly byte[] _nonce = new byte[12];
    private readonly byte[] _aad = new byte[8];
    private AesGcm _gcm = null!;
    private ChaCha20Poly1305 _chacha = null!;

    [GlobalSetup]
    public void Setup()
    {
        _gcm = new AesGcm(RandomNumberGenerator.GetBytes(32), 16);
        _chacha = new ChaCha20Poly1305(RandomNumberGenerator.GetBytes(32));
    }

    /// <summary><c>AesGcm.Encrypt</c> (256-bit key) in place on payload plus a 4-byte trailer.</summary>
    [Benchmark(Baseline = true)]
    public void AesGcmEncrypt() => _gcm.Encrypt(_nonce, _buffer, _buffer, _tag, _aad);

    /// <summary><c>ChaCha20Poly1305.Encrypt</c> in place on the same buffer.</summary>
    [Benchmark]
    public void ChaCha20Poly1305Encrypt() => _chacha.Encrypt(_nonce, _buffer, _buffer, _tag, _aad);

    [GlobalCleanup]
    public void Cleanup()
    {
        _gcm.Dispose();
        _chacha.Dispose();
    }
}
