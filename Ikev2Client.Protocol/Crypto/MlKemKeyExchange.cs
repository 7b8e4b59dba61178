using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Kems;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Prng;
using Org.BouncyCastle.Security;

namespace Ikev2Client.Protocol.Crypto;

/// <summary>
/// ML-KEM-512/768/1024 (FIPS 203) as an IKEv2 key exchange method (draft-ietf-ipsecme-ikev2-mlkem; transform IDs 35–37),
/// normally an additional key exchange of RFC 9370. The KEM is asymmetric: the initiator's KE payload carries its
/// encapsulation key ek, the responder's the ciphertext c; the shared secret is the 32-byte key K. The initiator side
/// generates (ek, dk) from a 64-byte seed d‖z; the responder side has no value of its own until it encapsulates to the
/// peer's ek (<see cref="TryDeriveSharedSecret"/>), after which <see cref="PublicValue"/> is the ciphertext.
/// The responder checks ek as FIPS 203 §7.2 requires (length, and every coefficient below q = 3329);
/// the initiator checks the ciphertext length (decapsulation itself never fails: implicit rejection).
/// </summary>
internal sealed class MlKemKeyExchange : IKeyExchange
{
    private const int Q = 3329;
    private readonly MLKemParameters _parameters;
    private readonly IRandomSource _random;
    private readonly bool _encapsulating;
    private MLKemPrivateKeyParameters? _privateKey;
    private byte[] _publicValue = [];
    private bool _disposed;

    private MlKemKeyExchange(KeGroup group, IRandomSource random, bool encapsulating)
    {
        Group = group;
        _random = random;
        _encapsulating = encapsulating;
        _parameters = ParametersOf(group);
        if (!encapsulating)
        {
            var seed = new byte[64];
            random.Fill(seed);
            _privateKey = MLKemPrivateKeyParameters.FromSeed(_parameters, seed);
            CryptographicOperations.ZeroMemory(seed);
            _publicValue = _privateKey.GetPublicKeyEncoded();
        }
    }

    /// <summary>The side that sends the encapsulation key (the initiator of the exchange).</summary>
    public static MlKemKeyExchange Initiator(KeGroup group, IRandomSource random) => new(group, random, encapsulating: false);

    /// <summary>The side that encapsulates to the peer's key and sends the ciphertext (the responder).</summary>
    public static MlKemKeyExchange Responder(KeGroup group, IRandomSource random) => new(group, random, encapsulating: true);

    /// <summary>The initiator side with a given decapsulation key dk in the FIPS 203 encoding (known-answer tests).</summary>
    internal static MlKemKeyExchange FromDecapsulationKey(KeGroup group, byte[] dk)
    {
        var ke = new MlKemKeyExchange(group, SystemRandomSource.Instance, encapsulating: true);
        ke._privateKey = MLKemPrivateKeyParameters.FromEncoding(ke._parameters, dk);
        ke._publicValue = ke._privateKey.GetPublicKeyEncoded();
        ke._decapsulatesOnly = true;
        return ke;
    }

    private bool _decapsulatesOnly;

    public static bool IsMlKem(KeGroup group) => group is KeGroup.MlKem512 or KeGroup.MlKem768 or KeGroup.MlKem1024;

    /// <summary>FIPS 203 sizes: encapsulation key (k·384+32) and ciphertext bytes.</summary>
    public static (int EncapsulationKey, int Ciphertext) Sizes(KeGroup group) => group switch
    {
        KeGroup.MlKem512 => (800, 768),
        KeGroup.MlKem768 => (1184, 1088),
        KeGroup.MlKem1024 => (1568, 1568),
        _ => throw new ArgumentOutOfRangeException(nameof(group)),
    };

    private static MLKemParameters ParametersOf(KeGroup group) => group switch
    {
        KeGroup.MlKem512 => MLKemParameters.ml_kem_512,
        KeGroup.MlKem768 => MLKemParameters.ml_kem_768,
        KeGroup.MlKem1024 => MLKemParameters.ml_kem_1024,
        _ => throw new ArgumentOutOfRangeException(nameof(group)),
    };

    private string Name => CryptoNames.Of(Wire.TransformType.KeyExchange, (ushort)Group, 0);

    public KeGroup Group { get; }

    /// <summary>ek (initiator side), or c once the responder side has encapsulated; empty before that.</summary>
    public ReadOnlyMemory<byte> PublicValue => _publicValue;

    public bool TryDeriveSharedSecret(ReadOnlySpan<byte> peerPublicValue, out byte[] sharedSecret, out string? error)
    {
        sharedSecret = [];
        if (_disposed)
        {
            error = "Key exchange has been disposed.";
            return false;
        }
        var (ekLength, ctLength) = Sizes(Group);
        if (_encapsulating && !_decapsulatesOnly)
        {
            if (_publicValue.Length != 0)
            {
                error = $"{Name}: already encapsulated.";
                return false;
            }
            if (peerPublicValue.Length != ekLength)
            {
                error = $"{Name} encapsulation key must be {ekLength} bytes, got {peerPublicValue.Length}";
                return false;
            }
            if (!PassesModulusCheck(peerPublicValue[..(ekLength - 32)]))
            {
                error = $"{Name} encapsulation key fails the FIPS 203 modulus check";
                return false;
            }
            var encapsulator = new MLKemEncapsulator(_parameters);
            encapsulator.Init(new ParametersWithRandom(MLKemPublicKeyParameters.FromEncoding(_parameters, peerPublicValue.ToArray()),
                new SecureRandom(new RandomSourceGenerator(_random))));
            var ciphertext = new byte[encapsulator.EncapsulationLength];
            var secret = new byte[encapsulator.SecretLength];
            encapsulator.Encapsulate(ciphertext, 0, ciphertext.Length, secret, 0, secret.Length);
            _publicValue = ciphertext;
            sharedSecret = secret;
            error = null;
            return true;
        }
        if (peerPublicValue.Length != ctLength)
        {
            error = $"{Name} ciphertext must be {ctLength} bytes, got {peerPublicValue.Length}";
            return false;
        }
        var decapsulator = new MLKemDecapsulator(_parameters);
        decapsulator.Init(_privateKey!);
        var k = new byte[decapsulator.SecretLength];
        decapsulator.Decapsulate(peerPublicValue.ToArray(), 0, ctLength, k, 0, k.Length);
        sharedSecret = k;
        error = null;
        return true;
    }

    /// <summary>FIPS 203 §7.2 input check: ByteEncode12(ByteDecode12(ek[0:384k])) == ek[0:384k], i.e. every 12-bit coefficient is below q.</summary>
    internal static bool PassesModulusCheck(ReadOnlySpan<byte> t)
    {
        for (int i = 0; i + 2 < t.Length; i += 3)
        {
            int a = t[i] | ((t[i + 1] & 0x0F) << 8);
            int b = (t[i + 1] >> 4) | (t[i + 2] << 4);
            if (a >= Q || b >= Q) return false;
        }
        return true;
    }

    public void Dispose()
    {
        _disposed = true;
        _privateKey = null;
    }

    /// <summary>Feeds BouncyCastle's encapsulation randomness (the message m) from the injected <see cref="IRandomSource"/>.</summary>
    private sealed class RandomSourceGenerator(IRandomSource source) : IRandomGenerator
    {
        public void AddSeedMaterial(byte[] seed) { }
        public void AddSeedMaterial(ReadOnlySpan<byte> seed) { }
        public void AddSeedMaterial(long seed) { }
        public void NextBytes(byte[] bytes) => source.Fill(bytes);
        public void NextBytes(byte[] bytes, int start, int len) => source.Fill(bytes.AsSpan(start, len));
        public void NextBytes(Span<byte> bytes) => source.Fill(bytes);
    }
}
