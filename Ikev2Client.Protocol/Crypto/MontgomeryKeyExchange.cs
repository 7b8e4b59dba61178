using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Parameters;

namespace Ikev2Client.Protocol.Crypto;

/// <summary>
/// Curve25519 and Curve448 (RFC 7748 X25519/X448, RFC 8031 for IKEv2): public values of exactly 32 or 56 bytes;
/// an all-zero shared secret (a low-order peer point) is rejected as RFC 8031 §2 requires.
/// </summary>
internal sealed class MontgomeryKeyExchange : IKeyExchange
{
    private readonly int _length;
    private readonly string _name;
    private readonly Action<byte[], byte[], byte[]> _agree;
    private byte[] _privateKey;
    private readonly byte[] _publicValue;

    private MontgomeryKeyExchange(KeGroup group, int length, string name, IRandomSource random,
        Action<byte[], byte[]> derivePublic, Action<byte[], byte[], byte[]> agree)
    {
        Group = group;
        _length = length;
        _name = name;
        _agree = agree;
        _privateKey = new byte[length];
        random.Fill(_privateKey);
        _publicValue = new byte[length];
        derivePublic(_privateKey, _publicValue);
    }

    public static MontgomeryKeyExchange X25519(IRandomSource random) => new(KeGroup.Curve25519, 32, "CURVE_25519", random,
        (priv, pub) => new X25519PrivateKeyParameters(priv, 0).GeneratePublicKey().Encode(pub, 0),
        (priv, peer, output) => new X25519PrivateKeyParameters(priv, 0).GenerateSecret(new X25519PublicKeyParameters(peer, 0), output, 0));

    public static MontgomeryKeyExchange X448(IRandomSource random) => new(KeGroup.Curve448, 56, "CURVE_448", random,
        (priv, pub) => new X448PrivateKeyParameters(priv, 0).GeneratePublicKey().Encode(pub, 0),
        (priv, peer, output) => new X448PrivateKeyParameters(priv, 0).GenerateSecret(new X448PublicKeyParameters(peer, 0), output, 0));

    public KeGroup Group { get; }
    public ReadOnlyMemory<byte> PublicValue => _publicValue;

    public bool TryDeriveSharedSecret(ReadOnlySpan<byte> peerPublicValue, out byte[] sharedSecret, out string? error)
    {
        sharedSecret = [];
        if (_privateKey.Length == 0)
        {
            error = "Key exchange has been disposed.";
            return false;
        }
        if (peerPublicValue.Length != _length)
        {
            error = $"{_name} public value must be {_length} bytes, got {peerPublicValue.Length}.";
            return false;
        }
        var output = new byte[_length];
        try
        {
            _agree(_privateKey, peerPublicValue.ToArray(), output);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or IndexOutOfRangeException)
        {
            // BouncyCastle reports an all-zero agreement (low-order peer point) as a failure.
            error = $"{_name} shared secret is all zeros (invalid peer public value).";
            return false;
        }
        if (!output.AsSpan().ContainsAnyExcept((byte)0))
        {
            error = $"{_name} shared secret is all zeros (invalid peer public value).";
            return false;
        }
        sharedSecret = output;
        error = null;
        return true;
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_privateKey);
        _privateKey = [];
    }
}
