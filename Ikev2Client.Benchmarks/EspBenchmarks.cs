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

    /// <summary>The ESP transform under test, as a strongSwan ESP proposal (one algorithm of each kind).</summary>
    [Params("aes256gcm16", "chacha20poly1305", "aes256-sha256",
        "aes192gcm12", "aes128gcm8", "aes128ctr-aesxcbc", "aes256ctr-sha256",
        "aes256-aescmac", "aes256-sha1", "aes192-sha384", "aes128-md5")]
    public string Algorithm { get; set; } = "aes256gcm16";

    [GlobalSetup]
    public void Setup()
    {
        if (!ProposalSyntax.TryParse(Algorithm, isEsp: true, out var parsed, out var error)) throw new ArgumentException(error);
        EncryptionSpec cipher = parsed[0].Encryption[0];
        IntegId integ = parsed[0].Integrity.Count > 0 ? parsed[0].Integrity[0] : IntegId.None;
        int bits = cipher.KeyBits == 0 ? 256 : cipher.KeyBits;
        EncrId encr = cipher.Id;
        int encrKey = bits / 8 + (cipher.IsAead || encr == EncrId.AesCtr ? 4 : 0);
        int integKey = 0;
        if (integ != IntegId.None) EspSa.IntegrityParameters(integ, out integKey, out _, out _, out _, out _);
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
