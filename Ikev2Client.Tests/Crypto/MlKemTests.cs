using FluentAssertions;
using Ikev2Client.Protocol.Crypto;
using Xunit;

namespace Ikev2Client.Tests.Crypto;

/// <summary>
/// ML-KEM (FIPS 203) as IKEv2 key exchange methods 35–37: NIST ACVP and Project Wycheproof known-answer vectors
/// (Fixtures/mlkem, sources named there) for key generation from the seed d‖z, encapsulation and decapsulation with all
/// three parameter sets, the role asymmetry of a KEM (initiator sends ek, responder the ciphertext), and the input checks.
/// </summary>
public sealed class MlKemTests
{
    private static List<(string Name, Dictionary<string, string> Values)> Load(string file)
    {
        var cases = new List<(string, Dictionary<string, string>)>();
        foreach (var line in File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Fixtures", "mlkem", file)))
        {
            if (line.StartsWith('[')) cases.Add((line.Trim('[', ']'), new Dictionary<string, string>()));
            else if (line.Split(" = ") is [var key, var value]) cases[^1].Item2[key] = value;
        }
        return cases;
    }

    private static KeGroup GroupOf(string name) => name.Split(' ')[0] switch
    {
        "ML-KEM-512" => KeGroup.MlKem512,
        "ML-KEM-768" => KeGroup.MlKem768,
        _ => KeGroup.MlKem1024,
    };

    [Fact]
    public void Encapsulation_MatchesAcvpVector()
    {
        var (name, v) = Load("encap.txt").Single();
        using var responder = CryptoRegistry.CreateKeyExchange(GroupOf(name), new FixedRandomSource(Hex.Parse(v["m"])), responder: true);
        responder.PublicValue.Length.Should().Be(0, "a KEM responder has nothing to send before it encapsulates");
        responder.TryDeriveSharedSecret(Hex.Parse(v["ek"]), out var k, out var error).Should().BeTrue(error);
        Convert.ToHexString(responder.PublicValue.Span).Should().Be(v["c"]);
        Convert.ToHexString(k).Should().Be(v["k"]);
    }

    [Fact]
    public void Decapsulation_MatchesAcvpVector()
    {
        var (name, v) = Load("encap.txt").Single();
        using var initiator = MlKemKeyExchange.FromDecapsulationKey(GroupOf(name), Hex.Parse(v["dk"]));
        Convert.ToHexString(initiator.PublicValue.Span).Should().Be(v["ek"], "dk embeds ek (FIPS 203 §7.1)");
        initiator.TryDeriveSharedSecret(Hex.Parse(v["c"]), out var k, out var error).Should().BeTrue(error);
        Convert.ToHexString(k).Should().Be(v["k"]);

        // Implicit rejection: a modified ciphertext gives a different (pseudo-random) key, never an error.
        var c = Hex.Parse(v["c"]);
        c[0] ^= 1;
        initiator.TryDeriveSharedSecret(c, out var rejected, out _).Should().BeTrue();
        Convert.ToHexString(rejected).Should().NotBe(v["k"]);
    }

    /// <summary>
    /// Key generation: the initiator draws the 64-byte seed d‖z from its random source, so a source that returns the
    /// vector's seed must give the vector's ek. Decapsulating the vector's ciphertext (one that does not decrypt to a
    /// valid encapsulation, and begins with a zero byte) must take the implicit-rejection path and give its K; that
    /// also checks the whole decapsulation key (s, ek, H(ek), z) the seed expanded to.
    /// </summary>
    [Theory]
    [InlineData("ML-KEM-512 1")]
    [InlineData("ML-KEM-768 1")]
    [InlineData("ML-KEM-1024 1")]
    public void KeyGenerationFromSeed_AndDecapsulation_MatchWycheproofVectors(string name)
    {
        var v = Load("wycheproof-keygen-decaps.txt").Single(c => c.Name == name).Values;
        using var initiator = CryptoRegistry.CreateKeyExchange(GroupOf(name), new FixedRandomSource(Hex.Parse(v["seed"])));
        Convert.ToHexStringLower(initiator.PublicValue.Span).Should().Be(v["ek"]);
        initiator.TryDeriveSharedSecret(Hex.Parse(v["c"]), out var k, out var error).Should().BeTrue(error);
        Convert.ToHexStringLower(k).Should().Be(v["K"]);
    }

    [Theory]
    [InlineData("ML-KEM-768 266")]
    [InlineData("ML-KEM-1024 270")]
    public void Encapsulation_MatchesWycheproofVectors(string name)
    {
        var v = Load("wycheproof-encaps.txt").Single(c => c.Name == name).Values;
        using var responder = CryptoRegistry.CreateKeyExchange(GroupOf(name), new FixedRandomSource(Hex.Parse(v["m"])), responder: true);
        responder.TryDeriveSharedSecret(Hex.Parse(v["ek"]), out var k, out var error).Should().BeTrue(error);
        Convert.ToHexStringLower(responder.PublicValue.Span).Should().Be(v["c"]);
        Convert.ToHexStringLower(k).Should().Be(v["K"]);
    }

    [Fact]
    public void Responder_RejectsTheWycheproofModulusOverflowKey()
    {
        var v = Load("wycheproof-encaps.txt").Single(c => c.Name == "ML-KEM-512 2").Values;
        v["result"].Should().Be("invalid");
        using var responder = CryptoRegistry.CreateKeyExchange(KeGroup.MlKem512, new FixedRandomSource(Hex.Parse(v["m"])), responder: true);
        responder.TryDeriveSharedSecret(Hex.Parse(v["ek"]), out var k, out var error).Should().BeFalse();
        error.Should().Contain("modulus check");
        k.Should().BeEmpty();
        responder.PublicValue.Length.Should().Be(0, "nothing is sent for a rejected key");
    }

    [Theory]
    [InlineData(KeGroup.MlKem512, 800, 768)]
    [InlineData(KeGroup.MlKem768, 1184, 1088)]
    [InlineData(KeGroup.MlKem1024, 1568, 1568)]
    public void BothRoles_AgreeOnTheSharedSecret(KeGroup group, int ekLength, int ctLength)
    {
        CryptoRegistry.IsSupported(group).Should().BeTrue();
        using var initiator = CryptoRegistry.CreateKeyExchange(group, new SeededRandomSource(1));
        using var responder = CryptoRegistry.CreateKeyExchange(group, new SeededRandomSource(2), responder: true);
        initiator.PublicValue.Length.Should().Be(ekLength);
        responder.TryDeriveSharedSecret(initiator.PublicValue.Span, out var kr, out var e1).Should().BeTrue(e1);
        responder.PublicValue.Length.Should().Be(ctLength);
        initiator.TryDeriveSharedSecret(responder.PublicValue.Span, out var ki, out var e2).Should().BeTrue(e2);
        ki.Should().HaveCount(32).And.Equal(kr);
    }

    [Fact]
    public void Responder_RejectsAnEncapsulationKeyOfTheWrongLengthOrOutOfRange()
    {
        using var initiator = CryptoRegistry.CreateKeyExchange(KeGroup.MlKem768, new SeededRandomSource(3));
        var ek = initiator.PublicValue.ToArray();

        using (var r = CryptoRegistry.CreateKeyExchange(KeGroup.MlKem768, new SeededRandomSource(4), responder: true))
        {
            r.TryDeriveSharedSecret(ek.AsSpan(0, 1183), out _, out var error).Should().BeFalse();
            error.Should().Contain("1184 bytes");
        }

        // A coefficient of 0xFFF (>= q = 3329) fails the FIPS 203 §7.2 modulus check.
        var bad = (byte[])ek.Clone();
        bad[0] = 0xFF;
        bad[1] |= 0x0F;
        using (var r = CryptoRegistry.CreateKeyExchange(KeGroup.MlKem768, new SeededRandomSource(4), responder: true))
        {
            r.TryDeriveSharedSecret(bad, out _, out var error).Should().BeFalse();
            error.Should().Contain("modulus check");
        }
    }

    [Fact]
    public void Initiator_RejectsACiphertextOfTheWrongLength()
    {
        using var initiator = CryptoRegistry.CreateKeyExchange(KeGroup.MlKem1024, new SeededRandomSource(5));
        initiator.TryDeriveSharedSecret(new byte[1088], out _, out var error).Should().BeFalse();
        error.Should().Contain("1568 bytes");
    }

    [Fact]
    public void Names_AreTheIanaNames()
    {
        CryptoRegistry.NameOf(Protocol.Wire.TransformType.KeyExchange, 36).Should().Be("ML-KEM-768");
        CryptoRegistry.NameOf(Protocol.Wire.TransformType.AdditionalKeyExchange1, 37).Should().Be("ML-KEM-1024");
    }
}
