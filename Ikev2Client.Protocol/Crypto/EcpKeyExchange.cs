using System.Numerics;
using System.Security.Cryptography;

namespace Ikev2Client.Protocol.Crypto;

/// <summary>
/// ECDH over the NIST curves P-256/384/521 (RFC 5903). The public value is x | y without the 0x04 prefix;
/// g^ir is the x coordinate only. Peer points are validated on import (on the curve, not infinity).
/// </summary>
internal sealed class EcpKeyExchange : IKeyExchange
{
    private readonly ECCurve _curve;
    private readonly int _fieldLength;
    private readonly ECDiffieHellman _ecdh;
    private readonly byte[] _publicValue;

    public EcpKeyExchange(KeGroup group, IRandomSource random)
    {
        Group = group;
        (_curve, _fieldLength, string order) = group switch
        {
            KeGroup.Ecp256 => (ECCurve.NamedCurves.nistP256, 32, "P-256"),
            KeGroup.Ecp384 => (ECCurve.NamedCurves.nistP384, 48, "P-384"),
            KeGroup.Ecp521 => (ECCurve.NamedCurves.nistP521, 66, "P-521"),
            _ => throw new NotSupportedException("Not a supported ECP group."),
        };
        byte[] d = DrawPrivateKey(random, _fieldLength, group == KeGroup.Ecp521, CurveOrder(order));
        _ecdh = ECDiffieHellman.Create();
        _ecdh.ImportParameters(new ECParameters { Curve = _curve, D = d });
        CryptographicOperations.ZeroMemory(d);

        ECParameters parameters = _ecdh.ExportParameters(includePrivateParameters: false);
        _publicValue = new byte[2 * _fieldLength];
        parameters.Q.X!.CopyTo(_publicValue.AsSpan(_fieldLength - parameters.Q.X!.Length));
        parameters.Q.Y!.CopyTo(_publicValue.AsSpan(2 * _fieldLength - parameters.Q.Y!.Length));
    }

    public KeGroup Group { get; }
    public ReadOnlyMemory<byte> PublicValue => _publicValue;

    public bool TryDeriveSharedSecret(ReadOnlySpan<byte> peerPublicValue, out byte[] sharedSecret, out string? error)
    {
        sharedSecret = [];
        if (peerPublicValue.Length != 2 * _fieldLength)
        {
            error = $"ECP public value must be {2 * _fieldLength} bytes, got {peerPublicValue.Length}.";
            return false;
        }
        try
        {
            using var peer = ECDiffieHellman.Create();
            peer.ImportParameters(new ECParameters
            {
                Curve = _curve,
                Q = new ECPoint { X = peerPublicValue[.._fieldLength].ToArray(), Y = peerPublicValue[_fieldLength..].ToArray() },
            });
            sharedSecret = _ecdh.DeriveRawSecretAgreement(peer.PublicKey);
        }
        catch (CryptographicException)
        {
            error = "ECP public value is not a valid point on the curve.";
            return false;
        }
        catch (ObjectDisposedException)
        {
            error = "Key exchange has been disposed.";
            return false;
        }
        error = null;
        return true;
    }

    /// <summary>Rejection-samples 1 ≤ d &lt; n from the injected randomness (P-521: top 7 bits masked).</summary>
    private static byte[] DrawPrivateKey(IRandomSource random, int length, bool mask521, BigInteger order)
    {
        var d = new byte[length];
        for (int attempt = 0; attempt < 1000; attempt++)
        {
            random.Fill(d);
            if (mask521)
                d[0] &= 0x01;
            var value = new BigInteger(d, isUnsigned: true, isBigEndian: true);
            if (!value.IsZero && value < order)
                return d;
        }
        throw new CryptographicException("Random source did not yield a valid private key.");
    }

    private static BigInteger CurveOrder(string name) =>
        new(Org.BouncyCastle.Asn1.Nist.NistNamedCurves.GetByName(name).N.ToByteArrayUnsigned(), isUnsigned: true, isBigEndian: true);

    public void Dispose() => _ecdh.Dispose();
}
