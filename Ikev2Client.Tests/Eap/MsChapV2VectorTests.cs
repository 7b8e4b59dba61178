using System.Text;
using FluentAssertions;
using Ikev2Client.Protocol.Eap;
using Xunit;

namespace Ikev2Client.Tests.Eap;

/// <summary>RFC 2759 §9.2 (MS-CHAPv2 worked example) and RFC 3079 §3.5.3 (128-bit MPPE keys).</summary>
public sealed class MsChapV2VectorTests
{
    private static byte[] H(string s) => Convert.FromHexString(s.Replace(" ", ""));

    private const string UserName = "User";
    private const string Password = "clientPass";
    private static readonly byte[] AuthenticatorChallenge = H("5B 5D 7C 7D 7B 3F 2F 3E 3C 2C 60 21 32 26 26 28");
    private static readonly byte[] PeerChallenge = H("21 40 23 24 25 5E 26 2A 28 29 5F 2B 3A 33 7C 7E");

    [Fact]
    public void Rfc2759_section_9_2()
    {
        MsChapV2.ChallengeHash(PeerChallenge, AuthenticatorChallenge, UserName).Should().Equal(H("D0 2E 43 86 BC E9 12 26"));
        var pwHash = MsChapV2.NtPasswordHash(Password);
        pwHash.Should().Equal(H("44 EB BA 8D 53 12 B8 D6 11 47 44 11 F5 69 89 AE"));
        var ntResponse = MsChapV2.NtResponse(AuthenticatorChallenge, PeerChallenge, UserName, pwHash);
        ntResponse.Should().Equal(H("82 30 9E CD 8D 70 8B 5E A0 8F AA 39 81 CD 83 54 42 33 11 4A 3D 85 D6 DF"));
        MsChapV2.HashNtPasswordHash(pwHash).Should().Equal(H("41 C0 0C 58 4B D2 D9 1C 40 17 A2 A1 2F A5 9F 3F"));
        MsChapV2.AuthenticatorResponse(pwHash, ntResponse, PeerChallenge, AuthenticatorChallenge, UserName)
            .Should().Be("S=407A5589115FD0D6209F510FE9C04566932CDA56");
    }

    [Fact]
    public void Rfc3079_section_3_5_3_master_and_send_keys()
    {
        var hashHash = H("41 C0 0C 58 4B D2 D9 1C 40 17 A2 A1 2F A5 9F 3F");
        var ntResponse = H("82 30 9E CD 8D 70 8B 5E A0 8F AA 39 81 CD 83 54 42 33 11 4A 3D 85 D6 DF");
        var master = MsChapV2.MasterKey(hashHash, ntResponse);
        master.Should().Equal(H("FD EC E3 71 7A 8C 83 8C B3 88 E5 27 AE 3C DD 31"));
        // The RFC's SendStartKey128 is the server's send key (= the client's receive key, Magic3).
        MsChapV2.AsymmetricStartKey(master, clientSend: false).Should().Equal(H("8B 7C DC 14 9B 99 3A 1B A1 18 CB 15 3F 56 DC CB"));
    }

    [Fact]
    public void Msk_is_receive_key_send_key_and_32_zero_bytes()
    {
        var hashHash = H("41 C0 0C 58 4B D2 D9 1C 40 17 A2 A1 2F A5 9F 3F");
        var ntResponse = H("82 30 9E CD 8D 70 8B 5E A0 8F AA 39 81 CD 83 54 42 33 11 4A 3D 85 D6 DF");
        var msk = MsChapV2.Msk(hashHash, ntResponse);
        msk.Length.Should().Be(64);
        var master = MsChapV2.MasterKey(hashHash, ntResponse);
        msk[..16].Should().Equal(MsChapV2.AsymmetricStartKey(master, clientSend: true));   // MasterReceiveKey (server's name)
        msk[16..32].Should().Equal(H("8B 7C DC 14 9B 99 3A 1B A1 18 CB 15 3F 56 DC CB")); // MasterSendKey
        msk[32..].Should().OnlyContain(b => b == 0);
    }

    [Fact]
    public void Failure_codes_map_to_typed_errors_with_advice()
    {
        var e = EapMsChapV2PeerAccess.ParseFailure("E=691 R=0 C=00112233445566778899AABBCCDDEEFF V=3 M=Authentication failure");
        e.Kind.Should().Be(EapErrorKind.WrongCredentials);
        e.Message.Should().Contain("check your username and password");
        EapMsChapV2PeerAccess.ParseFailure("E=648 R=0 V=3").Kind.Should().Be(EapErrorKind.PasswordExpired);
        EapMsChapV2PeerAccess.ParseFailure("E=647 R=0 V=3").Kind.Should().Be(EapErrorKind.AccountRestricted);
        EapMsChapV2PeerAccess.ParseFailure("garbage").Kind.Should().Be(EapErrorKind.Rejected);
        EapMsChapV2PeerAccess.ParseFailure("").Kind.Should().Be(EapErrorKind.Rejected);
    }
}

internal static class EapMsChapV2PeerAccess
{
    public static EapError ParseFailure(string text) => EapMsChapV2Peer.ParseFailure(text);
}
