using FluentAssertions;
using Ikev2Client.Protocol.Crypto;
using Xunit;

namespace Ikev2Client.Tests.Crypto;

/// <summary>Known-answer tests for the cipher engines behind SkCipher.</summary>
public sealed class CipherVectorTests
{
    private static byte[] Encrypt(ISkEngine engine, byte[] iv, byte[] plaintext, byte[] aad, int tagLength, out byte[] tag)
    {
        var ct = new byte[plaintext.Length];
        tag = new byte[tagLength];
        engine.Encrypt(iv, plaintext, ct, tag, aad);
        return ct;
    }

    [Theory] // RFC 3602 §4, cases 1 and 2
    [InlineData("06a9214036b8a15b512e03d534120006", "3dafba429d9eb430b422da802c9fac41",
        "53696e676c6520626c6f636b206d7367", "e353779c1079aeb82708942dbe77181a")]
    [InlineData("c286696d887c9aa0611bbb3e2025a45a", "562e17996d093d28ddb3ba695a2e6f58",
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        "d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1")]
    public void AesCbc_rfc3602(string key, string iv, string plaintext, string ciphertext)
    {
        using var engine = new AesCbcEngine(Hex.Parse(key));
        byte[] ct = Encrypt(engine, Hex.Parse(iv), Hex.Parse(plaintext), [], 0, out _);
        ct.Should().Equal(Hex.Parse(ciphertext));
        var pt = new byte[ct.Length];
        engine.Decrypt(Hex.Parse(iv), ct, default, pt, default).Should().BeTrue();
        pt.Should().Equal(Hex.Parse(plaintext));
    }

    [Theory] // RFC 3686 §6, test vectors 1, 2 and 7 (key material = key | nonce)
    [InlineData("AE6852F8121067CC4BF7A5765577F39E" + "00000030", "0000000000000000",
        "53696E676C6520626C6F636B206D7367", "E4095D4FB7A7B3792D6175A3261311B8")]
    [InlineData("7E24067817FAE0D743D6CE1F32539163" + "006CB6DB", "C0543B59DA48D90B",
        "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
        "5104A106168A72D9790D41EE8EDAD388EB2E1EFC46DA57C8FCE630DF9141BE28")]
    [InlineData("776BEFF2851DB06F4C8A0542C8696F6C6A81AF1EEC96B4D37FC1D689E6C1C104" + "00000060", "DB5672C97AA8F0B2",
        "53696E676C6520626C6F636B206D7367", "145AD01DBF824EC7560863DC71E3E0C0")]
    public void AesCtr_rfc3686(string keyMaterial, string iv, string plaintext, string ciphertext)
    {
        using var engine = new AesCtrEngine(Hex.Parse(keyMaterial));
        Encrypt(engine, Hex.Parse(iv), Hex.Parse(plaintext), [], 0, out _).Should().Equal(Hex.Parse(ciphertext));
    }

    private const string GcmPlaintext =
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
    private const string GcmAad = "feedfacedeadbeeffeedfacedeadbeefabaddad2";

    [Theory] // McGrew/Viega GCM spec test cases 4, 10, 16; the 96-bit IV split as RFC 4106 salt(4) | IV(8)
    [InlineData("feffe9928665731c6d6a8f9467308308",
        "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
        "5bc94fbc3221a5db94fae95ae7121a47")]
    [InlineData("feffe9928665731c6d6a8f9467308308feffe9928665731c",
        "3980ca0b3c00e841eb06fac4872a2757859e1ceaa6efd984628593b40ca1e19c7d773d00c144c525ac619d18c84a3f4718e2448b2fe324d9ccda2710",
        "2519498e80f1478f37ba55bd6d27618c")]
    [InlineData("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
        "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
        "76fc6ece0f4e1768cddf8853bb2d551b")]
    public void AesGcm_McGrewViega(string key, string ciphertext, string tag)
    {
        byte[] keyMaterial = [.. Hex.Parse(key), .. Hex.Parse("cafebabe")];
        byte[] iv = Hex.Parse("facedbaddecaf888");
        foreach (int tagLength in new[] { 8, 12, 16 })
        {
            using ISkEngine engine = tagLength == 8 ? new AesGcm8Engine(keyMaterial) : new AesGcmEngine(keyMaterial, tagLength);
            byte[] ct = Encrypt(engine, iv, Hex.Parse(GcmPlaintext), Hex.Parse(GcmAad), tagLength, out byte[] t);
            ct.Should().Equal(Hex.Parse(ciphertext));
            t.Should().Equal(Hex.Parse(tag)[..tagLength]);

            var pt = new byte[ct.Length];
            engine.Decrypt(iv, ct, t, pt, Hex.Parse(GcmAad)).Should().BeTrue();
            pt.Should().Equal(Hex.Parse(GcmPlaintext));
            t[0] ^= 1;
            engine.Decrypt(iv, ct, t, pt, Hex.Parse(GcmAad)).Should().BeFalse();
        }
    }

    [Fact] // RFC 8439 §2.8.2 (RFC 7634 uses the same construction: nonce = salt(4) | IV(8))
    public void ChaCha20Poly1305_rfc8439()
    {
        byte[] keyMaterial = [.. Hex.Parse("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"), .. Hex.Parse("07000000")];
        byte[] iv = Hex.Parse("4041424344454647");
        byte[] aad = Hex.Parse("50515253c0c1c2c3c4c5c6c7");
        byte[] plaintext = "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."u8.ToArray();
        using var engine = new ChaCha20Poly1305Engine(keyMaterial);
        byte[] ct = Encrypt(engine, iv, plaintext, aad, 16, out byte[] tag);
        ct.Should().Equal(Hex.Parse("""
            d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b
            1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc
            3ff4def08e4b7a9de576d26586cec64b6116
            """));
        tag.Should().Equal(Hex.Parse("1ae10b594f09e26a7e902ecbd0600691"));
        var pt = new byte[ct.Length];
        engine.Decrypt(iv, ct, tag, pt, aad).Should().BeTrue();
        pt.Should().Equal(plaintext);
    }
}
