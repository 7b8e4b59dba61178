using System.Numerics;
using System.Security.Cryptography;

namespace Ikev2Client.Protocol.Crypto;

/// <summary>
/// Finite-field Diffie-Hellman over the RFC 3526 MODP groups 14–18. Public values and g^ir are big-endian,
/// left-padded to the length of p (RFC 7296 §3.4, §2.14). The peer's y must satisfy 1 &lt; y &lt; p-1.
/// </summary>
internal sealed class ModpKeyExchange : IKeyExchange
{
    private readonly BigInteger _prime;
    private readonly int _length;
    private BigInteger _exponent;
    private readonly byte[] _publicValue;

    public ModpKeyExchange(KeGroup group, IRandomSource random)
    {
        Group = group;
        (_prime, int exponentBits) = ModpGroups.Get(group);
        _length = (int)((_prime.GetBitLength() + 7) / 8);

        Span<byte> secret = stackalloc byte[exponentBits / 8];
        do
        {
            random.Fill(secret);
            _exponent = new BigInteger(secret, isUnsigned: true, isBigEndian: true);
        }
        while (_exponent < 2);
        CryptographicOperations.ZeroMemory(secret);

        _publicValue = ToFixedLength(BigInteger.ModPow(ModpGroups.Generator, _exponent, _prime));
    }

    public KeGroup Group { get; }
    public ReadOnlyMemory<byte> PublicValue => _publicValue;

    public bool TryDeriveSharedSecret(ReadOnlySpan<byte> peerPublicValue, out byte[] sharedSecret, out string? error)
    {
        sharedSecret = [];
        if (_exponent.IsZero)
        {
            error = "Key exchange has been disposed.";
            return false;
        }
        if (peerPublicValue.Length != _length)
        {
            error = $"{Name} public value must be {_length} bytes, got {peerPublicValue.Length}.";
            return false;
        }
        var y = new BigInteger(peerPublicValue, isUnsigned: true, isBigEndian: true);
        if (y <= BigInteger.One || y >= _prime - BigInteger.One)
        {
            error = $"{Name} public value is out of range (must be 1 < y < p-1).";
            return false;
        }
        sharedSecret = ToFixedLength(BigInteger.ModPow(y, _exponent, _prime));
        error = null;
        return true;
    }

    private string Name => CryptoRegistry.NameOf(Wire.TransformType.KeyExchange, (ushort)Group);

    private byte[] ToFixedLength(BigInteger value)
    {
        var result = new byte[_length];
        int size = value.GetByteCount(isUnsigned: true);
        value.TryWriteBytes(result.AsSpan(_length - size), out _, isUnsigned: true, isBigEndian: true);
        return result;
    }

    public void Dispose() => _exponent = BigInteger.Zero;
}
