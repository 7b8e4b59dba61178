using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Parameters;

namespace Ikev2Client.Protocol.Crypto;

/// <summary>Curve25519 (RFC 7748 X25519, RFC 8031 for IKEv2): 32-byte public values, all-zero results rejected.</summary>
internal sealed class X25519KeyExchange : IKeyExchange
{
    private const int Length = 32;
    private byte[] _privateKey;
    private readonly byte[] _publicValue = new byte[Length];

    public X25519KeyExchange(IRandomSource random)
    {
        _privateKey = new byte[Length];
        random.Fill(_privateKey);
        new X25519PrivateKeyParameters(_privateKey, 0).GeneratePublicKey().Encode(_publicValue, 0);
    }

    public KeGroup Group => KeGroup.Curve25519;
    public ReadOnlyMemory<byte> PublicValue => _publicValue;

    public bool TryDeriveSharedSecret(ReadOnlySpan<byte> peerPublicValue, out byte[] sharedSecret, out string? error)
    {
        if (_privateKey.Length == 0)
        {
            sharedSecret = [];
            error = "Key exchange has been disposed.";
            return false;
        }
        return MontgomeryAgreement.TryDerive(peerPublicValue, Length, "CURVE_25519", (peer, output) =>
            new X25519PrivateKeyParameters(_privateKey, 0).GenerateSecret(new X25519PublicKeyParameters(peer, 0), output, 0),
            out sharedSecret, out error);
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_privateKey);
        _privateKey = [];
    }
}
