using FluentAssertions;
using Ikev2Client.Protocol.Crypto;
using Xunit;

namespace Ikev2Client.Tests.Crypto;

/// <summary>SK/SKF payload protection for every encryption algorithm: round trip, tamper, wrong key, bad padding.</summary>
public sealed class SkCipherTests
{
    private const int HeaderLength = 28 + 4; // IKE header + SK generic payload header

    public static TheoryData<EncrId, int, IntegId> Suites()
    {
        var data = new TheoryData<EncrId, int, IntegId>();
        foreach (int bits in new[] { 128, 192, 256 })
        {
            data.Add(EncrId.AesCbc, bits, IntegId.HmacSha2_256_128);
            data.Add(EncrId.AesCtr, bits, IntegId.HmacSha2_384_192);
            data.Add(EncrId.AesGcm8, bits, IntegId.None);
            data.Add(EncrId.AesGcm12, bits, IntegId.None);
            data.Add(EncrId.AesGcm16, bits, IntegId.None);
        }
        data.Add(EncrId.AesCbc, 256, IntegId.HmacSha1_96);
        data.Add(EncrId.AesCbc, 128, IntegId.AesXcbc96);
        data.Add(EncrId.AesCbc, 128, IntegId.AesCmac96);
        data.Add(EncrId.AesCbc, 256, IntegId.HmacSha2_512_256);
        data.Add(EncrId.ChaCha20Poly1305, 0, IntegId.None);
        return data;
    }

    private sealed record Setup(IIkeEncryption Encryption, IIkeIntegrity? Integrity, byte[] EncrKey, byte[] IntegKey)
    {
        public SkCipher Create() => SkCipher.Create(Encryption, Integrity, EncrKey, IntegKey);
    }

    private static Setup MakeSetup(EncrId id, int bits, IntegId integId, int seed)
    {
        CryptoRegistry.TryGetEncryption(id, bits, out IIkeEncryption? encr).Should().BeTrue();
        IIkeIntegrity? integ = null;
        if (integId != IntegId.None)
            CryptoRegistry.TryGetIntegrity(integId, out integ).Should().BeTrue();
        var rng = new SeededRandomSource(seed);
        var ek = new byte[encr!.KeyMaterialLength];
        var ik = new byte[integ?.KeyLength ?? 0];
        rng.Fill(ek);
        rng.Fill(ik);
        return new Setup(encr, integ, ek, ik);
    }

    private static byte[] Seal(SkCipher cipher, byte[] plaintext, int seed = 7)
    {
        var message = new byte[HeaderLength + cipher.GetSealedLength(plaintext.Length)];
        for (int i = 0; i < HeaderLength; i++)
            message[i] = (byte)(0xA0 + i);
        cipher.Seal(message, HeaderLength, plaintext, new SeededRandomSource(seed));
        return message;
    }

    private static byte[] Plaintext(int length) => Enumerable.Range(0, length).Select(i => (byte)(i * 7 + 3)).ToArray();

    [Theory]
    [MemberData(nameof(Suites))]
    public void Round_trip(EncrId id, int bits, IntegId integ)
    {
        Setup setup = MakeSetup(id, bits, integ, 1);
        using SkCipher sender = setup.Create();
        using SkCipher receiver = setup.Create();
        foreach (int length in new[] { 0, 1, 15, 16, 17, 300, 1000 })
        {
            byte[] plaintext = Plaintext(length);
            byte[] message = Seal(sender, plaintext);
            int ctLength = message.Length - HeaderLength - sender.IvLength - sender.IcvLength;
            ctLength.Should().BeGreaterThan(length);
            (ctLength % setup.Encryption.BlockSize).Should().Be(0);
            receiver.TryOpen(message, HeaderLength, out byte[]? opened).Should().BeTrue();
            opened.Should().Equal(plaintext);
            message.AsSpan(0, HeaderLength).ToArray().Should().Equal(Enumerable.Range(0, HeaderLength).Select(i => (byte)(0xA0 + i)));
        }
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Tampering_anywhere_is_detected(EncrId id, int bits, IntegId integ)
    {
        Setup setup = MakeSetup(id, bits, integ, 2);
        using SkCipher cipher = setup.Create();
        byte[] message = Seal(cipher, Plaintext(300));
        // Header (associated data / covered by the ICV), IV, ciphertext and ICV.
        foreach (int position in new[] { 0, HeaderLength - 1, HeaderLength, HeaderLength + cipher.IvLength + 5, message.Length - cipher.IcvLength - 1, message.Length - 1 })
        {
            byte[] copy = (byte[])message.Clone();
            copy[position] ^= 0x40;
            cipher.TryOpen(copy, HeaderLength, out byte[]? opened).Should().BeFalse($"byte {position} was flipped");
            opened.Should().BeNull();
        }
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void WrongKey_is_rejected(EncrId id, int bits, IntegId integ)
    {
        Setup setup = MakeSetup(id, bits, integ, 3);
        Setup other = MakeSetup(id, bits, integ, 4);
        using SkCipher sender = setup.Create();
        byte[] message = Seal(sender, Plaintext(100));
        using SkCipher wrong = other.Create();
        wrong.TryOpen(message, HeaderLength, out _).Should().BeFalse();
        if (integ != IntegId.None)
        {
            // Right integrity key, wrong encryption key: ICV passes, padding/plaintext must not match.
            using SkCipher halfWrong = SkCipher.Create(setup.Encryption, setup.Integrity, other.EncrKey, setup.IntegKey);
            bool ok = halfWrong.TryOpen(message, HeaderLength, out byte[]? garbage);
            if (ok)
                garbage.Should().NotEqual(Plaintext(100));
        }
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void BadPadLength_is_rejected(EncrId id, int bits, IntegId integ)
    {
        // Build a valid message by hand whose pad-length byte claims more padding than there is ciphertext.
        Setup setup = MakeSetup(id, bits, integ, 5);
        using SkCipher cipher = setup.Create();
        int ctLength = setup.Encryption.BlockSize == 16 ? 16 : 4;
        var message = new byte[HeaderLength + cipher.IvLength + ctLength + cipher.IcvLength];
        byte[] padded = new byte[ctLength];
        padded[^1] = (byte)ctLength; // pad length == ciphertext length: one byte too many
        new SeededRandomSource(9).Fill(message.AsSpan(HeaderLength, cipher.IvLength));
        ISkEngine engine = ((EncryptionAlgorithm)setup.Encryption).CreateEngine(setup.EncrKey);
        Span<byte> iv = message.AsSpan(HeaderLength, cipher.IvLength);
        Span<byte> body = message.AsSpan(HeaderLength + cipher.IvLength, ctLength);
        Span<byte> icv = message.AsSpan(message.Length - cipher.IcvLength);
        if (setup.Encryption.IsAead)
            engine.Encrypt(iv, padded, body, icv, message.AsSpan(0, HeaderLength));
        else
        {
            engine.Encrypt(iv, padded, body, default, default);
            setup.Integrity!.Compute(setup.IntegKey, message.AsSpan(0, message.Length - cipher.IcvLength), icv);
        }
        engine.Dispose();
        cipher.TryOpen(message, HeaderLength, out _).Should().BeFalse();

        // The same message with a pad length that fits opens fine (control).
        padded[^1] = (byte)(ctLength - 1);
        engine = ((EncryptionAlgorithm)setup.Encryption).CreateEngine(setup.EncrKey);
        if (setup.Encryption.IsAead)
            engine.Encrypt(iv, padded, body, icv, message.AsSpan(0, HeaderLength));
        else
        {
            engine.Encrypt(iv, padded, body, default, default);
            setup.Integrity!.Compute(setup.IntegKey, message.AsSpan(0, message.Length - cipher.IcvLength), icv);
        }
        engine.Dispose();
        cipher.TryOpen(message, HeaderLength, out byte[]? empty).Should().BeTrue();
        empty.Should().BeEmpty();
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void MalformedInput_returns_false_without_throwing(EncrId id, int bits, IntegId integ)
    {
        Setup setup = MakeSetup(id, bits, integ, 6);
        using SkCipher cipher = setup.Create();
        byte[] message = Seal(cipher, Plaintext(40));
        cipher.TryOpen(message, -1, out _).Should().BeFalse();
        cipher.TryOpen(message, message.Length + 1, out _).Should().BeFalse();
        cipher.TryOpen(message, message.Length, out _).Should().BeFalse();
        for (int cut = 1; cut < message.Length - HeaderLength; cut += 3)
            cipher.TryOpen(message.AsSpan(0, message.Length - cut), HeaderLength, out _).Should().BeFalse();
        cipher.TryOpen(message.AsSpan(0, HeaderLength + cipher.IvLength + cipher.IcvLength), HeaderLength, out _).Should().BeFalse();
    }

    [Fact]
    public void Seal_uses_random_iv_and_zero_padding()
    {
        Setup setup = MakeSetup(EncrId.AesCbc, 128, IntegId.HmacSha2_256_128, 8);
        using SkCipher cipher = setup.Create();
        cipher.IvLength.Should().Be(16);
        cipher.IcvLength.Should().Be(16);
        cipher.GetSealedLength(0).Should().Be(16 + 16 + 16);
        cipher.GetSealedLength(15).Should().Be(16 + 16 + 16);
        cipher.GetSealedLength(16).Should().Be(16 + 32 + 16);
        byte[] message = Seal(cipher, Plaintext(10), seed: 42);
        var expectedIv = new byte[16];
        new SeededRandomSource(42).Fill(expectedIv);
        message.AsSpan(HeaderLength, 16).ToArray().Should().Equal(expectedIv);

        // Decrypt by hand: the 5 padding bytes are zero and the pad length byte says 5.
        using var aes = System.Security.Cryptography.Aes.Create();
        aes.Key = setup.EncrKey;
        byte[] decrypted = aes.DecryptCbc(message.AsSpan(HeaderLength + 16, 16), expectedIv, System.Security.Cryptography.PaddingMode.None);
        decrypted[..10].Should().Equal(Plaintext(10));
        decrypted[10..15].Should().OnlyContain(b => b == 0);
        decrypted[15].Should().Be(5);
    }

    [Fact]
    public void Gcm_seal_matches_manual_aes_gcm_with_salt_and_header_as_aad()
    {
        Setup setup = MakeSetup(EncrId.AesGcm16, 256, IntegId.None, 9);
        using SkCipher cipher = setup.Create();
        byte[] message = Seal(cipher, Plaintext(20), seed: 1);
        byte[] nonce = [.. setup.EncrKey[32..], .. message.AsSpan(HeaderLength, 8).ToArray()];
        using var gcm = new System.Security.Cryptography.AesGcm(setup.EncrKey[..32], 16);
        var plain = new byte[21];
        gcm.Decrypt(nonce, message.AsSpan(HeaderLength + 8, 21), message.AsSpan(message.Length - 16), plain, message.AsSpan(0, HeaderLength));
        plain[..20].Should().Equal(Plaintext(20));
        plain[20].Should().Be(0); // pad length 0: AEAD block size is 1
    }

    [Fact]
    public void Create_validates_arguments()
    {
        Setup cbc = MakeSetup(EncrId.AesCbc, 128, IntegId.HmacSha2_256_128, 10);
        FluentActions.Invoking(() => SkCipher.Create(cbc.Encryption, null, cbc.EncrKey, [])).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => SkCipher.Create(cbc.Encryption, cbc.Integrity, cbc.EncrKey[1..], cbc.IntegKey)).Should().Throw<ArgumentException>();
        Setup gcm = MakeSetup(EncrId.AesGcm16, 128, IntegId.None, 11);
        FluentActions.Invoking(() => SkCipher.Create(gcm.Encryption, cbc.Integrity, gcm.EncrKey, cbc.IntegKey)).Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Disposed_try_open_returns_false()
    {
        Setup setup = MakeSetup(EncrId.ChaCha20Poly1305, 256, IntegId.None, 12);
        SkCipher cipher = setup.Create();
        byte[] message = Seal(cipher, Plaintext(5));
        cipher.Dispose();
        cipher.TryOpen(message, HeaderLength, out _).Should().BeFalse();
    }
}
