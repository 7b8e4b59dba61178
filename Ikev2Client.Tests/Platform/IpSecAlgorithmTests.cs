using System.Net;
using FluentAssertions;
using Ikev2Client.Platform;
using Ikev2Client.Platform.Userspace;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Esp;
using Xunit;

namespace Ikev2Client.Tests.Platform;

/// <summary>
/// <see cref="IpSecAlgorithm"/> against Android's <c>android.net.IpSecAlgorithm</c>: the name constants, the key and
/// truncation length rules, <see cref="IpSecAlgorithm.GetSupportedAlgorithms"/> as the one list of what the data plane
/// runs (every entry, every valid key size, the edge truncations: built into transforms and round-tripped), and the
/// mapping from IKE-negotiated transforms.
/// </summary>
public sealed class IpSecAlgorithmTests
{
    [Fact]
    public void Names_are_androids()
    {
        IpSecAlgorithm.CryptAesCbc.Should().Be("cbc(aes)");
        IpSecAlgorithm.CryptAesCtr.Should().Be("rfc3686(ctr(aes))");
        IpSecAlgorithm.AuthHmacMd5.Should().Be("hmac(md5)");
        IpSecAlgorithm.AuthHmacSha1.Should().Be("hmac(sha1)");
        IpSecAlgorithm.AuthHmacSha256.Should().Be("hmac(sha256)");
        IpSecAlgorithm.AuthHmacSha384.Should().Be("hmac(sha384)");
        IpSecAlgorithm.AuthHmacSha512.Should().Be("hmac(sha512)");
        IpSecAlgorithm.AuthAesXcbc.Should().Be("xcbc(aes)");
        IpSecAlgorithm.AuthAesCmac.Should().Be("cmac(aes)");
        IpSecAlgorithm.AuthCryptAesGcm.Should().Be("rfc4106(gcm(aes))");
        IpSecAlgorithm.AuthCryptChaCha20Poly1305.Should().Be("rfc7539esp(chacha20,poly1305)");
        IpSecAlgorithm.GetSupportedAlgorithms().Should().BeEquivalentTo(
        [
            "cbc(aes)", "rfc3686(ctr(aes))", "hmac(md5)", "hmac(sha1)", "hmac(sha256)", "hmac(sha384)", "hmac(sha512)",
            "xcbc(aes)", "cmac(aes)", "rfc4106(gcm(aes))", "rfc7539esp(chacha20,poly1305)",
        ]);
    }

    /// <summary>Android's valid key lengths (bits, salt/nonce included) and truncation lengths per algorithm.</summary>
    private static readonly Dictionary<string, (int[] Keys, int[] Truncations)> Android = new()
    {
        [IpSecAlgorithm.CryptAesCbc] = ([128, 192, 256], [0]),
        [IpSecAlgorithm.CryptAesCtr] = ([160, 224, 288], [0]),
        [IpSecAlgorithm.AuthHmacMd5] = ([128], [96, 104, 128]),
        [IpSecAlgorithm.AuthHmacSha1] = ([160], [96, 128, 160]),
        [IpSecAlgorithm.AuthHmacSha256] = ([256], [96, 128, 256]),
        [IpSecAlgorithm.AuthHmacSha384] = ([384], [192, 256, 384]),
        [IpSecAlgorithm.AuthHmacSha512] = ([512], [256, 384, 512]),
        [IpSecAlgorithm.AuthAesXcbc] = ([128], [96]),
        [IpSecAlgorithm.AuthAesCmac] = ([128], [96]),
        [IpSecAlgorithm.AuthCryptAesGcm] = ([160, 224, 288], [64, 96, 128]),
        [IpSecAlgorithm.AuthCryptChaCha20Poly1305] = ([288], [128]),
    };

    public static IEnumerable<object[]> SupportedCombinations() =>
        IpSecAlgorithm.GetSupportedAlgorithms().SelectMany(name =>
            Android.TryGetValue(name, out var rule)
                ? rule.Keys.SelectMany(k => rule.Truncations.Select(t => new object[] { name, k, t }))
                : [new object[] { name, 0, 0 }]); // an algorithm without a rule here fails below instead of being skipped

    [Theory]
    [MemberData(nameof(SupportedCombinations))]
    public void EverySupportedAlgorithm_key_size_and_truncation_runs_in_the_data_plane(string name, int keyBits, int truncation)
    {
        Android.Should().ContainKey(name, "every supported algorithm needs its Android length rule in this test");
        var algorithm = new IpSecAlgorithm(name, Key(keyBits, 1), truncation);
        algorithm.KeyLengthBits.Should().Be(keyBits);
        using var manager = new UserspaceIpSecManager();
        using var spiOut = manager.AllocateSecurityParameterIndex(IPAddress.Loopback, 0x5000);
        using var spiIn = manager.AllocateSecurityParameterIndex(IPAddress.Parse("127.0.0.2"), 0x5000);
        using var tx = Builder(name, keyBits, truncation).SetExtendedSequenceNumbers(true).BuildTunnelModeTransform(IPAddress.Loopback, spiOut);
        using var rx = Builder(name, keyBits, truncation).SetExtendedSequenceNumbers(true).BuildTunnelModeTransform(IPAddress.Loopback, spiIn);
        if (algorithm.IsAead || name != IpSecAlgorithm.CryptAesCbc && name != IpSecAlgorithm.CryptAesCtr)
            tx.Sa.IcvLength.Should().Be(truncation / 8);

        tx.Sa.SetLastSentSequence(uint.MaxValue - 1); // cross the ESN high-word boundary on the way
        for (int i = 0; i < 4; i++)
        {
            byte[] inner = new byte[100 + i * 333];
            new Random(i).NextBytes(inner);
            inner[0] = 0x45;
            byte[] buffer = new byte[tx.Sa.HeaderLength + inner.Length + tx.Sa.MaxTrailerLength];
            inner.CopyTo(buffer, tx.Sa.HeaderLength);
            tx.Sa.Seal(buffer, tx.Sa.HeaderLength, inner.Length, out int off, out int len).Should().Be(EspSealResult.Ok);
            if (i == 0) rx.Sa.ReplayWindow.Mark(uint.MaxValue - 5);
            Span<byte> packet = buffer.AsSpan(off, len);
            rx.Sa.TryOpen(packet, out int innerOff, out int innerLen, out _).Should().Be(EspOpenResult.Ok, $"{name} packet {i}");
            packet.Slice(innerOff, innerLen).ToArray().Should().Equal(inner);
        }

        rx.Sa.ReplayWindow.Highest.Should().Be((ulong)uint.MaxValue + 3);
    }

    private static byte[] Key(int bits, int seed)
    {
        byte[] key = new byte[bits / 8];
        new Random(seed).NextBytes(key);
        return key;
    }

    /// <summary>Pairs an encryption algorithm with HMAC-SHA2-256-128 and an authentication one with AES-128-CBC.</summary>
    private static IpSecTransform.Builder Builder(string name, int keyBits, int truncation)
    {
        var algorithm = new IpSecAlgorithm(name, Key(keyBits, 1), truncation);
        var builder = new IpSecTransform.Builder();
        if (algorithm.IsAead) return builder.SetAuthenticatedEncryption(algorithm);
        if (algorithm.IsEncryption)
            return builder.SetEncryption(algorithm).SetAuthentication(new IpSecAlgorithm(IpSecAlgorithm.AuthHmacSha256, Key(256, 2), 128));
        return builder.SetEncryption(new IpSecAlgorithm(IpSecAlgorithm.CryptAesCbc, Key(128, 3))).SetAuthentication(algorithm);
    }

    [Theory]
    [InlineData(IpSecAlgorithm.CryptAesCbc, 64, 0)]
    [InlineData(IpSecAlgorithm.CryptAesCbc, 160, 0)]
    [InlineData(IpSecAlgorithm.CryptAesCtr, 128, 0)]
    [InlineData(IpSecAlgorithm.CryptAesCtr, 256, 0)]
    [InlineData(IpSecAlgorithm.AuthHmacMd5, 128, 88)]
    [InlineData(IpSecAlgorithm.AuthHmacMd5, 128, 136)]
    [InlineData(IpSecAlgorithm.AuthHmacMd5, 160, 96)]
    [InlineData(IpSecAlgorithm.AuthHmacSha1, 160, 168)]
    [InlineData(IpSecAlgorithm.AuthHmacSha1, 128, 96)]
    [InlineData(IpSecAlgorithm.AuthHmacSha256, 256, 100)]
    [InlineData(IpSecAlgorithm.AuthHmacSha384, 384, 184)]
    [InlineData(IpSecAlgorithm.AuthHmacSha512, 512, 248)]
    [InlineData(IpSecAlgorithm.AuthAesXcbc, 128, 128)]
    [InlineData(IpSecAlgorithm.AuthAesXcbc, 256, 96)]
    [InlineData(IpSecAlgorithm.AuthAesCmac, 128, 64)]
    [InlineData(IpSecAlgorithm.AuthCryptAesGcm, 128, 128)]
    [InlineData(IpSecAlgorithm.AuthCryptAesGcm, 160, 112)]
    [InlineData(IpSecAlgorithm.AuthCryptChaCha20Poly1305, 256, 128)]
    [InlineData(IpSecAlgorithm.AuthCryptChaCha20Poly1305, 288, 96)]
    [InlineData("ecb(cipher_null)", 0, 0)]
    [InlineData("rfc4309(ccm(aes))", 152, 128)]
    public void InvalidNamesKeysAndTruncations_are_refused_as_on_android(string name, int keyBits, int truncation)
    {
        var act = () => new IpSecAlgorithm(name, new byte[keyBits / 8], truncation);
        act.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void EncryptionAlgorithms_ignore_the_truncation_length_as_on_android()
    {
        new IpSecAlgorithm(IpSecAlgorithm.CryptAesCtr, new byte[28], 96).TruncationLengthBits.Should().Be(0);
        new IpSecAlgorithm(IpSecAlgorithm.CryptAesCbc, new byte[24]).IsEncryption.Should().BeTrue();
        new IpSecAlgorithm(IpSecAlgorithm.AuthAesCmac, new byte[16], 96).IsAuthentication.Should().BeTrue();
        new IpSecAlgorithm(IpSecAlgorithm.AuthCryptAesGcm, new byte[28], 64).IsAead.Should().BeTrue();
    }

    [Fact]
    public void EveryEspTransformIkeCanNegotiate_maps_to_a_supported_algorithm_and_nothing_else_does()
    {
        foreach (EncrId id in Enum.GetValues<EncrId>())
        {
            foreach (int bits in new[] { 0, 128, 192, 256 })
            {
                bool negotiable = CryptoRegistry.TryGetEncryption(id, bits, out _);
                bool runs = IpSecAlgorithm.TryMapEncryption(id, bits, out string name, out _);
                runs.Should().Be(negotiable, $"{id}/{bits}: the data plane runs exactly what IKE can negotiate for ESP");
                if (runs) IpSecAlgorithm.GetSupportedAlgorithms().Should().Contain(name);
            }
        }

        foreach (IntegId id in Enum.GetValues<IntegId>())
        {
            bool negotiable = CryptoRegistry.TryGetEspIntegrity(id, out var integrity);
            bool runs = IpSecAlgorithm.TryMapIntegrity(id, out string name, out int truncation);
            runs.Should().Be(negotiable && id != IntegId.HmacSha1_160, $"{id}");
            if (runs)
            {
                IpSecAlgorithm.GetSupportedAlgorithms().Should().Contain(name);
                (truncation / 8).Should().Be(integrity!.IcvLength, $"{id} keeps the ICV length IKE negotiated");
            }
        }

        IpSecAlgorithm.TryMapEncryption(EncrId.AesGcm8, 192, out var gcm, out int icv).Should().BeTrue();
        (gcm, icv).Should().Be((IpSecAlgorithm.AuthCryptAesGcm, 64));
        IpSecAlgorithm.TryMapEncryption(EncrId.AesCcm16, 128, out _, out _).Should().BeFalse();
        IpSecAlgorithm.TryMapEncryption(EncrId.Null, 0, out _, out _).Should().BeFalse();
        IpSecAlgorithm.TryMapIntegrity(IntegId.HmacSha1_160, out _, out _).Should().BeFalse();
    }

    [Fact]
    public void Lifetime_is_applied_to_the_sa_and_hard_limits_stop_sealing()
    {
        using var manager = new UserspaceIpSecManager();
        using var spi = manager.AllocateSecurityParameterIndex(IPAddress.Loopback, 0x6000);
        using var t = new IpSecTransform.Builder()
            .SetAuthenticatedEncryption(new IpSecAlgorithm(IpSecAlgorithm.AuthCryptAesGcm, new byte[20], 96))
            .SetLifetime(new EspLifetime(SoftPackets: 2, HardPackets: 3))
            .BuildTunnelModeTransform(IPAddress.Loopback, spi);
        t.Lifetime.HardPackets.Should().Be(3);
        byte[] buffer = new byte[200];
        for (int i = 1; i <= 3; i++)
        {
            buffer[t.Sa.HeaderLength] = 0x45;
            t.Sa.Seal(buffer, t.Sa.HeaderLength, 60, out _, out _).Should().Be(EspSealResult.Ok);
            t.NeedsRekey.Should().Be(i >= 2, $"after packet {i}");
            t.IsExpired.Should().Be(i >= 3, $"after packet {i}");
        }

        buffer[t.Sa.HeaderLength] = 0x45;
        t.Sa.Seal(buffer, t.Sa.HeaderLength, 60, out _, out _).Should().Be(EspSealResult.LifetimeExpired);
        t.Sa.LastSentSequence.Should().Be(3);
    }
}
