using BenchmarkDotNet.Attributes;
using Ikev2Client.Protocol;
using Ikev2Client.Protocol.Crypto;

namespace Ikev2Client.Benchmarks;

/// <summary>SK payload seal/open of an IKE_AUTH-sized (~300 byte) plaintext.</summary>
[MemoryDiagnoser]
public class SkCipherBenchmarks
{
    private const int HeaderLength = 32;
    private SkCipher _cipher = null!;
    private byte[] _plaintext = null!;
    private byte[] _message = null!;
    private byte[] _sealed = null!;

    [Params("AES_GCM_16_256", "AES_CBC_256+HMAC_SHA2_256_128")]
    public string Suite { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        IIkeEncryption encr;
        IIkeIntegrity? integ = null;
        if (Suite.StartsWith("AES_GCM", StringComparison.Ordinal))
            CryptoRegistry.TryGetEncryption(EncrId.AesGcm16, 256, out encr!);
        else
        {
            CryptoRegistry.TryGetEncryption(EncrId.AesCbc, 256, out encr!);
            CryptoRegistry.TryGetIntegrity(IntegId.HmacSha2_256_128, out integ);
        }
        var ek = new byte[encr.KeyMaterialLength];
        var ik = new byte[integ?.KeyLength ?? 0];
        SystemRandomSource.Instance.Fill(ek);
        SystemRandomSource.Instance.Fill(ik);
        _cipher = SkCipher.Create(encr, integ, ek, ik);
        _plaintext = new byte[300];
        SystemRandomSource.Instance.Fill(_plaintext);
        _message = new byte[HeaderLength + _cipher.GetSealedLength(_plaintext.Length)];
        _cipher.Seal(_message, HeaderLength, _plaintext, SystemRandomSource.Instance);
        _sealed = (byte[])_message.Clone();
    }

    [GlobalCleanup]
    public void Cleanup() => _cipher.Dispose();

    [Benchmark]
    public void Seal() => _cipher.Seal(_message, HeaderLength, _plaintext, SystemRandomSource.Instance);

    [Benchmark]
    public bool TryOpen() => _cipher.TryOpen(_sealed, HeaderLength, out _);
}
