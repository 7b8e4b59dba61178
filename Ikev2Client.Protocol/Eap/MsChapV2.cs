using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Parameters;

namespace Ikev2Client.Protocol.Eap;

/// <summary>
/// MS-CHAPv2 (RFC 2759 §8) and its MPPE key derivation (RFC 3079 §3.4): NT-Response, authenticator response,
/// master keys, and the 64-byte EAP-MSCHAPv2 MSK as strongSwan and Windows use it:
/// MSK = MasterReceiveKey | MasterSendKey | 32 zero bytes, where the "receive"/"send" names are the
/// authenticator's (MasterReceiveKey uses the "client send" magic). Both sides derive the same bytes.
/// </summary>
internal static class MsChapV2
{
    private static readonly byte[] AuthMagic1 = Encoding.ASCII.GetBytes("Magic server to client signing constant");
    private static readonly byte[] AuthMagic2 = Encoding.ASCII.GetBytes("Pad to make it do more than one iteration");
    private static readonly byte[] MasterMagic = Encoding.ASCII.GetBytes("This is the MPPE Master Key");
    private static readonly byte[] ClientSendMagic = Encoding.ASCII.GetBytes("On the client side, this is the send key; on the server side, it is the receive key.");
    private static readonly byte[] ClientReceiveMagic = Encoding.ASCII.GetBytes("On the client side, this is the receive key; on the server side, it is the send key.");

    /// <summary>NtPasswordHash: MD4 of the UTF-16LE password (RFC 2759 §8.3).</summary>
    public static byte[] NtPasswordHash(string password)
    {
        var unicode = Encoding.Unicode.GetBytes(password);
        try { return Md4(unicode); }
        finally { CryptographicOperations.ZeroMemory(unicode); }
    }

    /// <summary>HashNtPasswordHash: MD4 of the password hash (RFC 2759 §8.4).</summary>
    public static byte[] HashNtPasswordHash(ReadOnlySpan<byte> passwordHash) => Md4(passwordHash.ToArray());

    private static byte[] Md4(byte[] data)
    {
        var md4 = new MD4Digest();
        md4.BlockUpdate(data, 0, data.Length);
        var output = new byte[16];
        md4.DoFinal(output, 0);
        return output;
    }

    /// <summary>ChallengeHash: the first 8 bytes of SHA1(PeerChallenge | AuthenticatorChallenge | UserName) (RFC 2759 §8.2).</summary>
    public static byte[] ChallengeHash(ReadOnlySpan<byte> peerChallenge, ReadOnlySpan<byte> authenticatorChallenge, string userName)
    {
        var user = Encoding.UTF8.GetBytes(userName);
        var buffer = new byte[peerChallenge.Length + authenticatorChallenge.Length + user.Length];
        peerChallenge.CopyTo(buffer);
        authenticatorChallenge.CopyTo(buffer.AsSpan(peerChallenge.Length));
        user.CopyTo(buffer, peerChallenge.Length + authenticatorChallenge.Length);
        return SHA1.HashData(buffer)[..8];
    }

    /// <summary>GenerateNTResponse (RFC 2759 §8.1): 24 bytes.</summary>
    public static byte[] NtResponse(ReadOnlySpan<byte> authenticatorChallenge, ReadOnlySpan<byte> peerChallenge, string userName, ReadOnlySpan<byte> passwordHash)
    {
        var challenge = ChallengeHash(peerChallenge, authenticatorChallenge, userName);
        return ChallengeResponse(challenge, passwordHash);
    }

    /// <summary>ChallengeResponse (RFC 2759 §8.5): three DES encryptions of the challenge with the padded password hash.</summary>
    public static byte[] ChallengeResponse(ReadOnlySpan<byte> challenge, ReadOnlySpan<byte> passwordHash)
    {
        var zHash = new byte[21];
        passwordHash.CopyTo(zHash);
        var response = new byte[24];
        for (int i = 0; i < 3; i++) DesEncrypt(challenge, zHash.AsSpan(i * 7, 7), response.AsSpan(i * 8, 8));
        CryptographicOperations.ZeroMemory(zHash);
        return response;
    }

    private static void DesEncrypt(ReadOnlySpan<byte> clear, ReadOnlySpan<byte> key7, Span<byte> cypher)
    {
        // 56 key bits spread over 8 bytes, 7 bits each (the parity bit is ignored by DES).
        var key = new byte[8];
        key[0] = key7[0];
        key[1] = (byte)((key7[0] << 7) | (key7[1] >> 1));
        key[2] = (byte)((key7[1] << 6) | (key7[2] >> 2));
        key[3] = (byte)((key7[2] << 5) | (key7[3] >> 3));
        key[4] = (byte)((key7[3] << 4) | (key7[4] >> 4));
        key[5] = (byte)((key7[4] << 3) | (key7[5] >> 5));
        key[6] = (byte)((key7[5] << 2) | (key7[6] >> 6));
        key[7] = (byte)(key7[6] << 1);
        var des = new DesEngine(); // BouncyCastle: no weak-key rejection, which MS-CHAP must not have
        des.Init(true, new KeyParameter(key));
        var output = new byte[8];
        des.ProcessBlock(clear[..8].ToArray(), 0, output, 0);
        output.CopyTo(cypher);
        CryptographicOperations.ZeroMemory(key);
    }

    /// <summary>GenerateAuthenticatorResponse (RFC 2759 §8.7): "S=" and 40 upper-case hex digits.</summary>
    public static string AuthenticatorResponse(ReadOnlySpan<byte> passwordHash, ReadOnlySpan<byte> ntResponse,
        ReadOnlySpan<byte> peerChallenge, ReadOnlySpan<byte> authenticatorChallenge, string userName)
    {
        var hashHash = HashNtPasswordHash(passwordHash);
        var digest = SHA1.HashData(Concat(hashHash, ntResponse, AuthMagic1));
        var challenge = ChallengeHash(peerChallenge, authenticatorChallenge, userName);
        var final = SHA1.HashData(Concat(digest, challenge, AuthMagic2));
        return "S=" + Convert.ToHexString(final);
    }

    /// <summary>GetMasterKey (RFC 3079 §3.4): 16 bytes.</summary>
    public static byte[] MasterKey(ReadOnlySpan<byte> passwordHashHash, ReadOnlySpan<byte> ntResponse) =>
        SHA1.HashData(Concat(passwordHashHash, ntResponse, MasterMagic))[..16];

    /// <summary>GetAsymmetricStartKey (RFC 3079 §3.4) for 128-bit keys.</summary>
    /// <param name="masterKey">The 16-byte master key.</param>
    /// <param name="clientSend">True for the client's send key (= the server's receive key).</param>
    public static byte[] AsymmetricStartKey(ReadOnlySpan<byte> masterKey, bool clientSend)
    {
        Span<byte> pad1 = stackalloc byte[40];
        Span<byte> pad2 = stackalloc byte[40];
        pad1.Clear();
        pad2.Fill(0xF2);
        return SHA1.HashData(Concat(masterKey, pad1, clientSend ? ClientSendMagic : ClientReceiveMagic, pad2))[..16];
    }

    /// <summary>The 64-byte EAP-MSCHAPv2 MSK: MasterReceiveKey | MasterSendKey | 32 zero bytes (authenticator's names).</summary>
    public static byte[] Msk(ReadOnlySpan<byte> passwordHashHash, ReadOnlySpan<byte> ntResponse)
    {
        var master = MasterKey(passwordHashHash, ntResponse);
        var msk = new byte[64];
        AsymmetricStartKey(master, clientSend: true).CopyTo(msk, 0);
        AsymmetricStartKey(master, clientSend: false).CopyTo(msk, 16);
        CryptographicOperations.ZeroMemory(master);
        return msk;
    }

    private static byte[] Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c, ReadOnlySpan<byte> d = default)
    {
        var result = new byte[a.Length + b.Length + c.Length + d.Length];
        a.CopyTo(result);
        b.CopyTo(result.AsSpan(a.Length));
        c.CopyTo(result.AsSpan(a.Length + b.Length));
        d.CopyTo(result.AsSpan(a.Length + b.Length + c.Length));
        return result;
    }
}
