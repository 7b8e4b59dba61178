using Ikev2Client.Protocol;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Esp;

namespace Ikev2Client.Tests.Esp;

/// <summary>Shared helpers for the ESP tests: hex, SA pairs per suite, a deterministic random source.</summary>
public static class EspTestSupport
{
    public static byte[] Hex(string hex) => Convert.FromHexString(string.Concat(hex.Where(c => !char.IsWhiteSpace(c))));

    public sealed record Suite(string Name, EncrId Encr, int KeyBits, IntegId Integ, int EncrKeyLength, int IntegKeyLength)
    {
        public override string ToString() => Name;
    }

    public static readonly Suite[] Suites =
    [
        new("AES-GCM-16-128", EncrId.AesGcm16, 128, IntegId.None, 20, 0),
        new("AES-GCM-16-256", EncrId.AesGcm16, 256, IntegId.None, 36, 0),
        new("ChaCha20-Poly1305", EncrId.ChaCha20Poly1305, 256, IntegId.None, 36, 0),
        new("AES-128-CBC+HMAC-SHA2-256-128", EncrId.AesCbc, 128, IntegId.HmacSha2_256_128, 16, 32),
        new("AES-256-CBC+HMAC-SHA2-256-128", EncrId.AesCbc, 256, IntegId.HmacSha2_256_128, 32, 32),
        new("AES-256-CBC+HMAC-SHA2-384-192", EncrId.AesCbc, 256, IntegId.HmacSha2_384_192, 32, 48),
        new("AES-256-CBC+HMAC-SHA2-512-256", EncrId.AesCbc, 256, IntegId.HmacSha2_512_256, 32, 64),
        // Android's IpSecAlgorithm set beyond the above (issue 14): GCM with 8/12-byte ICVs, AES-192, AES-CTR,
        // HMAC-SHA1-96, HMAC-MD5-96 (old profiles only), AES-XCBC-MAC-96, AES-CMAC-96.
        new("AES-GCM-8-128", EncrId.AesGcm8, 128, IntegId.None, 20, 0),
        new("AES-GCM-12-192", EncrId.AesGcm12, 192, IntegId.None, 28, 0),
        new("AES-GCM-16-192", EncrId.AesGcm16, 192, IntegId.None, 28, 0),
        new("AES-GCM-8-256", EncrId.AesGcm8, 256, IntegId.None, 36, 0),
        new("AES-GCM-12-256", EncrId.AesGcm12, 256, IntegId.None, 36, 0),
        new("AES-192-CBC+HMAC-SHA2-256-128", EncrId.AesCbc, 192, IntegId.HmacSha2_256_128, 24, 32),
        new("AES-256-CBC+HMAC-SHA1-96", EncrId.AesCbc, 256, IntegId.HmacSha1_96, 32, 20),
        new("AES-128-CBC+HMAC-MD5-96", EncrId.AesCbc, 128, IntegId.HmacMd5_96, 16, 16),
        new("AES-128-CBC+AES-XCBC-96", EncrId.AesCbc, 128, IntegId.AesXcbc96, 16, 16),
        new("AES-256-CBC+AES-CMAC-96", EncrId.AesCbc, 256, IntegId.AesCmac96, 32, 16),
        new("AES-128-CTR+AES-XCBC-96", EncrId.AesCtr, 128, IntegId.AesXcbc96, 20, 16),
        new("AES-192-CTR+HMAC-SHA2-384-192", EncrId.AesCtr, 192, IntegId.HmacSha2_384_192, 28, 48),
        new("AES-256-CTR+AES-CMAC-96", EncrId.AesCtr, 256, IntegId.AesCmac96, 36, 16),
        new("AES-256-CTR+HMAC-SHA1-96", EncrId.AesCtr, 256, IntegId.HmacSha1_96, 36, 20),
    ];

    public static IEnumerable<object[]> SuiteData() => Suites.Select(s => new object[] { s });

    public static IEnumerable<object[]> SuiteAndEsnData() =>
        Suites.SelectMany(s => new[] { new object[] { s, false }, new object[] { s, true } });

    /// <summary>A sender and a receiver SA with the same keys.</summary>
    public static (EspSa Sender, EspSa Receiver) Pair(Suite suite, bool esn = false, EspMode mode = EspMode.Tunnel, uint spi = 0x11223344, int seed = 1)
    {
        var rng = new Random(seed);
        byte[] ek = new byte[suite.EncrKeyLength];
        byte[] ik = new byte[suite.IntegKeyLength];
        rng.NextBytes(ek);
        rng.NextBytes(ik);
        var sender = new EspSa(spi, suite.Encr, suite.KeyBits, suite.Integ, ek, ik, esn, mode, new SeededRandom(seed));
        var receiver = new EspSa(spi, suite.Encr, suite.KeyBits, suite.Integ, ek, ik, esn, mode, new SeededRandom(seed + 1));
        return (sender, receiver);
    }

    /// <summary>An IPv4 header (no options) with the given total length, filled with a recognisable pattern.</summary>
    public static byte[] Ipv4Packet(int length, int seed = 7)
    {
        byte[] p = new byte[length];
        new Random(seed).NextBytes(p);
        p[0] = 0x45;
        p[2] = (byte)(length >> 8);
        p[3] = (byte)length;
        return p;
    }

    /// <summary>Seals <paramref name="payload"/> in a fresh buffer with exact headroom and tailroom; returns the ESP packet.</summary>
    public static byte[] Seal(EspSa sa, byte[] payload, byte? nextHeader = null)
    {
        byte[] buffer = new byte[sa.HeaderLength + payload.Length + sa.GetTrailerLength(payload.Length)];
        payload.CopyTo(buffer, sa.HeaderLength);
        EspSealResult r = nextHeader is { } nh
            ? sa.Seal(buffer, sa.HeaderLength, payload.Length, nh, out int off, out int len)
            : sa.Seal(buffer, sa.HeaderLength, payload.Length, out off, out len);
        if (r != EspSealResult.Ok)
        {
            throw new InvalidOperationException($"seal failed: {r}");
        }

        return buffer.AsSpan(off, len).ToArray();
    }

    /// <summary>Deterministic (non-cryptographic) random source for reproducible tests.</summary>
    public sealed class SeededRandom(int seed) : IRandomSource
    {
        private readonly Random _random = new(seed);
        public void Fill(Span<byte> destination) => _random.NextBytes(destination);
    }
}
