using System.Security.Cryptography;
using System.Text;

namespace Ikev2Client.Protocol.Eap;

/// <summary>
/// EAP-MD5-Challenge (RFC 3748 §5.4, CHAP RFC 1994): Response Value = MD5(Identifier | password | Challenge).
/// One-way and without an MSK: the IKE AUTH then uses SK_pi / SK_pr (RFC 7296 §2.16).
/// </summary>
internal sealed class EapMd5Peer(string password) : IEapPeerMethod
{
    public EapMethodType Type => EapMethodType.Md5Challenge;
    public bool IsComplete { get; private set; }
    public byte[]? Msk => null;
    public EapError? FailureReason => IsComplete ? EapError.WrongPassword("EAP-MD5") : null;

    public EapMethodStep Process(EapPacket request)
    {
        var data = request.TypeData;
        if (data.Length < 1 || data[0] == 0 || data.Length < 1 + data[0])
            return new(null, new EapError(EapErrorKind.Malformed, "The gateway sent a malformed EAP-MD5 challenge."));
        var value = ComputeResponse(request.Identifier, password, data.AsSpan(1, data[0]));
        var typeData = new byte[1 + value.Length];
        typeData[0] = (byte)value.Length;
        value.CopyTo(typeData, 1);
        IsComplete = true;
        return new(EapPacket.Response(request.Identifier, Type, typeData), null);
    }

    /// <summary>MD5(Identifier | secret | Challenge).</summary>
    public static byte[] ComputeResponse(byte identifier, string password, ReadOnlySpan<byte> challenge)
    {
        var secret = Encoding.UTF8.GetBytes(password);
        var buffer = new byte[1 + secret.Length + challenge.Length];
        buffer[0] = identifier;
        secret.CopyTo(buffer, 1);
        challenge.CopyTo(buffer.AsSpan(1 + secret.Length));
        try { return MD5.HashData(buffer); }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
            CryptographicOperations.ZeroMemory(secret);
        }
    }
}
