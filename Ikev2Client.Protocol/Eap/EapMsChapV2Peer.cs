using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Ikev2Client.Protocol.Eap;

/// <summary>EAP-MSCHAPv2 OpCodes (draft-kamath-pppext-eap-mschapv2).</summary>
internal enum MsChapV2OpCode : byte
{
    Challenge = 1,
    Response = 2,
    Success = 3,
    Failure = 4,
    ChangePassword = 7,
}

/// <summary>
/// EAP-MSCHAPv2 peer with the framing strongSwan and Windows use: Type-Data = OpCode | MS-CHAPv2-ID |
/// MS-Length (EAP Length - 5) | value. Challenge → Response (PeerChallenge, 8 zero bytes, NT-Response,
/// Flags, Name); Success request "S=… M=…" → verify the authenticator response, answer OpCode Success;
/// Failure request "E=691 R=0 C=… V=3 M=…" → typed error.
/// </summary>
internal sealed class EapMsChapV2Peer(EapPeerOptions options) : IEapPeerMethod
{
    internal const int ChallengeLength = 16;
    internal const int ResponseValueLength = 49;

    private string? _expectedAuthenticatorResponse;
    private byte[]? _msk;

    public EapMethodType Type => EapMethodType.MsChapV2;
    public bool IsComplete { get; private set; }
    public byte[]? Msk => IsComplete ? _msk : null;
    public EapError? FailureReason { get; private set; }

    /// <summary>The user part of "DOMAIN\user", as the NT-Response hashes it.</summary>
    internal static string UserName(string identity) => identity.LastIndexOf('\\') is var i and >= 0 ? identity[(i + 1)..] : identity;

    public EapMethodStep Process(EapPacket request)
    {
        var d = request.TypeData;
        if (d.Length < 1) return Malformed("empty");
        switch ((MsChapV2OpCode)d[0])
        {
            case MsChapV2OpCode.Challenge:
                return OnChallenge(request, d);
            case MsChapV2OpCode.Success:
                return OnSuccess(request, d);
            case MsChapV2OpCode.Failure:
                return OnFailure(request, d);
            default:
                return Malformed($"OpCode {d[0]} is not supported");
        }
    }

    private EapMethodStep OnChallenge(EapPacket request, byte[] d)
    {
        if (d.Length < 4 + 1 + ChallengeLength || d[4] != ChallengeLength) return Malformed("bad challenge");
        byte msChapId = d[1];
        var authChallenge = d.AsSpan(5, ChallengeLength);
        var peerChallenge = new byte[ChallengeLength];
        options.Random.Fill(peerChallenge);

        var user = UserName(options.Identity);
        var pwHash = MsChapV2.NtPasswordHash(options.Password!);
        try
        {
            var ntResponse = MsChapV2.NtResponse(authChallenge, peerChallenge, user, pwHash);
            _expectedAuthenticatorResponse = MsChapV2.AuthenticatorResponse(pwHash, ntResponse, peerChallenge, authChallenge, user);
            var hashHash = MsChapV2.HashNtPasswordHash(pwHash);
            _msk = MsChapV2.Msk(hashHash, ntResponse);
            CryptographicOperations.ZeroMemory(hashHash);

            var name = Encoding.UTF8.GetBytes(options.Identity);
            var typeData = new byte[4 + 1 + ResponseValueLength + name.Length];
            typeData[0] = (byte)MsChapV2OpCode.Response;
            typeData[1] = msChapId;
            BinaryPrimitives.WriteUInt16BigEndian(typeData.AsSpan(2), (ushort)typeData.Length); // = EAP length - 5
            typeData[4] = ResponseValueLength;
            peerChallenge.CopyTo(typeData, 5);
            // 8 reserved zero bytes at 21..28
            ntResponse.CopyTo(typeData, 5 + 16 + 8);
            // Flags (0) at 53
            name.CopyTo(typeData, 5 + ResponseValueLength);
            return new(EapPacket.Response(request.Identifier, Type, typeData), null);
        }
        finally { CryptographicOperations.ZeroMemory(pwHash); }
    }

    private EapMethodStep OnSuccess(EapPacket request, byte[] d)
    {
        if (_expectedAuthenticatorResponse == null) return Malformed("Success before Challenge");
        var text = d.Length > 4 ? Encoding.ASCII.GetString(d, 4, d.Length - 4) : "";
        var s = Field(text, "S=");
        if (s == null || !CryptographicOperations.FixedTimeEquals(
                Encoding.ASCII.GetBytes(s.ToUpperInvariant()), Encoding.ASCII.GetBytes(_expectedAuthenticatorResponse[2..])))
        {
            FailureReason = new EapError(EapErrorKind.ServerAuthenticationFailed,
                "The gateway's MS-CHAPv2 authenticator response is wrong: it does not know your password, so it may be an impostor. The connection was refused.");
            return new(null, FailureReason);
        }
        IsComplete = true;
        return new(EapPacket.Response(request.Identifier, Type, new[] { (byte)MsChapV2OpCode.Success }), null);
    }

    private EapMethodStep OnFailure(EapPacket request, byte[] d)
    {
        var text = d.Length > 4 ? Encoding.ASCII.GetString(d, 4, d.Length - 4) : "";
        FailureReason = ParseFailure(text);
        // The Failure response (OpCode 4); the gateway then ends with EAP-Failure.
        return new(EapPacket.Response(request.Identifier, Type, new[] { (byte)MsChapV2OpCode.Failure }), FailureReason);
    }

    /// <summary>Maps "E=eeeeeeeeee R=r C=… V=v M=msg" to a typed error.</summary>
    internal static EapError ParseFailure(string text)
    {
        var e = Field(text, "E=");
        int code = int.TryParse(e, out var c) ? c : 0;
        var m = text.IndexOf("M=", StringComparison.Ordinal) is var mi and >= 0 ? text[(mi + 2)..].Trim() : null;
        string suffix = string.IsNullOrEmpty(m) ? "" : $" The gateway said: \"{Sanitize(m)}\".";
        return code switch
        {
            691 => new EapError(EapErrorKind.WrongCredentials, $"The server rejected the user name or password (MS-CHAPv2 error 691); check your username and password.{suffix}"),
            646 => new EapError(EapErrorKind.AccountRestricted, $"Your account may not log in at this time (MS-CHAPv2 error 646, restricted logon hours).{suffix}"),
            647 => new EapError(EapErrorKind.AccountRestricted, $"Your account is disabled (MS-CHAPv2 error 647); ask your administrator.{suffix}"),
            648 => new EapError(EapErrorKind.PasswordExpired, $"Your password has expired (MS-CHAPv2 error 648); change it, then connect again.{suffix}"),
            649 => new EapError(EapErrorKind.AccountRestricted, $"Your account has no permission to dial in (MS-CHAPv2 error 649); ask your administrator.{suffix}"),
            _ => new EapError(EapErrorKind.Rejected, $"The server refused MS-CHAPv2 authentication (error {code}).{suffix}"),
        };
    }

    private static string? Field(string text, string prefix)
    {
        foreach (var token in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            if (token.StartsWith(prefix, StringComparison.Ordinal)) return token[prefix.Length..];
        return null;
    }

    private static string Sanitize(string s) => new(s.Select(ch => char.IsControl(ch) ? '?' : ch).Take(200).ToArray());

    private EapMethodStep Malformed(string what) =>
        new(null, new EapError(EapErrorKind.Malformed, $"The gateway sent a malformed EAP-MSCHAPv2 message ({what})."));
}
