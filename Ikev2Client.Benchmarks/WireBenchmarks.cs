using BenchmarkDotNet.Attributes;
using Ikev2Client.Protocol;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Benchmarks;

/// <summary>
/// The IKE_AUTH request strongSwan sent in the psk-gcm capture: parse + serialize of its inner payloads, and the
/// whole receive path of the encrypted message (decode, SK verify + decrypt with AES-GCM-16-256, parse inner).
/// </summary>
[MemoryDiagnoser]
public class WireBenchmarks
{
    private byte[] _encrypted = null!;
    private byte[] _plainMessage = null!;
    private IkeMessage _inner = null!;
    private SkCipher _cipher = null!;

    [GlobalSetup]
    public void Setup()
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "strongswan", "psk-gcm");
        _encrypted = Convert.FromHexString(string.Concat(File.ReadAllText(Directory.GetFiles(dir, "msg-03-*").Single()).Where(Uri.IsHexDigit)));
        var keys = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "keys.json"))).RootElement;
        CryptoRegistry.TryGetEncryption(EncrId.AesGcm16, 256, out var encr);
        _cipher = SkCipher.Create(encr!, null, Convert.FromHexString(keys.GetProperty("skEi").GetString()!), default);
        IkeMessageCodec.TryDecode(_encrypted, out var outer, out _);
        IkeMessageCodec.TryDecrypt(_encrypted, outer!, _cipher, out var inner, out _);
        _inner = inner!;
        _plainMessage = IkeMessageCodec.Encode(_inner);
    }

    [GlobalCleanup]
    public void Cleanup() => _cipher.Dispose();

    [Benchmark(Description = "IKE_AUTH request: parse")]
    public IkeMessage? Parse()
    {
        IkeMessageCodec.TryDecode(_plainMessage, out var m, out _);
        return m;
    }

    [Benchmark(Description = "IKE_AUTH request: serialize")]
    public byte[] Serialize() => IkeMessageCodec.Encode(_inner);

    [Benchmark(Description = "IKE_AUTH request: decode + SK verify/decrypt + parse")]
    public IkeMessage? DecodeAndDecrypt()
    {
        IkeMessageCodec.TryDecode(_encrypted, out var outer, out _);
        IkeMessageCodec.TryDecrypt(_encrypted, outer!, _cipher, out var inner, out _);
        return inner;
    }

    [Benchmark(Description = "IKE_AUTH request: serialize + SK encrypt")]
    public byte[] EncodeEncrypted() => IkeMessageCodec.EncodeEncrypted(_inner, _cipher, SystemRandomSource.Instance);
}
