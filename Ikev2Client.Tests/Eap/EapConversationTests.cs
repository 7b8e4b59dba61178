using System.Security.Cryptography;
using System.Text;
using FluentAssertions;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Eap;
using Ikev2Client.Protocol.Wire.Payloads;
using Ikev2Client.Tests.Auth;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Ikev2Client.Tests.Eap;

public sealed class EapConversationTests
{
    private static EapServer Server(EapMethodType method, string password = "correct horse", int fragment = 1024) => new(new EapServerOptions
    {
        Method = method,
        PasswordLookup = id => id is "alice" or @"CORP\alice" ? password : null,
        TlsCredential = EapTestSetup.ServerCredential,
        TlsClientCas = new[] { EapTestSetup.Ca },
        Time = new FakeTimeProvider(TestPki.Now),
        TlsFragmentSize = fragment,
    });

    private static EapPeer Peer(string password = "correct horse", string identity = "alice", EapMethodType[]? allowed = null, int fragment = 1024,
        string? serverName = "eap.example.com", bool trustCa = true) => new(new EapPeerOptions
    {
        Identity = identity,
        Password = password,
        TlsCredential = EapTestSetup.ClientTlsCredential,
        TlsTrustedCas = trustCa ? new[] { EapTestSetup.Ca } : new[] { TestPki.CreateCa("Some other CA") },
        TlsServerName = serverName,
        AllowedMethods = allowed ?? new[] { EapMethodType.MsChapV2, EapMethodType.Tls, EapMethodType.Md5Challenge },
        Time = new FakeTimeProvider(TestPki.Now),
        TlsFragmentSize = fragment,
    });

    [Theory]
    [InlineData("alice")]
    [InlineData(@"CORP\alice")]
    public void MsChapV2_full_conversation_both_sides_share_the_msk(string identity)
    {
        using var peer = Peer(identity: identity);
        var server = Server(EapMethodType.MsChapV2);
        EapTestSetup.Run(peer, server);
        peer.State.Should().Be(EapState.Succeeded, peer.Error?.Message);
        server.State.Should().Be(EapState.Succeeded);
        server.PeerIdentity.Should().Be(identity);
        peer.Msk.Should().HaveCount(64).And.Equal(server.Msk);
        peer.Method.Should().Be(EapMethodType.MsChapV2);
    }

    [Fact]
    public void MsChapV2_wrong_password_is_wrong_credentials_with_advice()
    {
        using var peer = Peer(password: "wrong");
        var server = Server(EapMethodType.MsChapV2);
        EapTestSetup.Run(peer, server);
        peer.State.Should().Be(EapState.Failed);
        peer.Error!.Kind.Should().Be(EapErrorKind.WrongCredentials);
        peer.Error.Message.Should().Contain("check your username and password").And.NotContain("wrong");
        server.State.Should().Be(EapState.Failed);
        peer.Msk.Should().BeNull();
    }

    [Fact]
    public void MsChapV2_server_with_wrong_authenticator_response_is_refused()
    {
        using var peer = Peer();
        var server = Server(EapMethodType.MsChapV2);
        var message = server.Start();
        message = server.Process(peer.Process(message).Response!).Message;       // identity → challenge
        message = server.Process(peer.Process(message).Response!).Message;       // response → success request "S=..."
        var text = Encoding.ASCII.GetString(message, 9, message.Length - 9);
        text.Should().StartWith("S=");
        message[9 + 3] ^= 0x01; // corrupt one hex digit of S=
        var step = peer.Process(message);
        step.State.Should().Be(EapState.Failed);
        step.Error!.Kind.Should().Be(EapErrorKind.ServerAuthenticationFailed);
    }

    [Fact]
    public void Early_eap_success_is_refused()
    {
        using var peer = Peer();
        var server = Server(EapMethodType.MsChapV2);
        var challenge = server.Process(peer.Process(server.Start()).Response!).Message;
        peer.Process(challenge);
        var step = peer.Process(new EapPacket(EapCode.Success, challenge[1]).ToBytes());
        step.Error!.Kind.Should().Be(EapErrorKind.ServerAuthenticationFailed);
    }

    [Fact]
    public void Md5_full_conversation_has_no_msk()
    {
        using var peer = Peer(allowed: new[] { EapMethodType.Md5Challenge });
        var server = Server(EapMethodType.Md5Challenge);
        EapTestSetup.Run(peer, server);
        peer.State.Should().Be(EapState.Succeeded, peer.Error?.Message);
        server.State.Should().Be(EapState.Succeeded);
        peer.Msk.Should().BeNull();
    }

    [Fact]
    public void Md5_wrong_password()
    {
        using var peer = Peer(password: "nope", allowed: new[] { EapMethodType.Md5Challenge });
        var server = Server(EapMethodType.Md5Challenge);
        EapTestSetup.Run(peer, server);
        peer.Error!.Kind.Should().Be(EapErrorKind.WrongCredentials);
        peer.Error.Message.Should().Contain("check your username and password");
    }

    [Fact]
    public void Md5_response_is_md5_of_identifier_password_challenge()
    {
        // RFC 1994 / RFC 3748 §5.4, computed independently (Python hashlib.md5(b"\x07secret" + bytes(range(16)))).
        EapMd5Peer.ComputeResponse(7, "secret", Enumerable.Range(0, 16).Select(i => (byte)i).ToArray())
            .Should().Equal(Convert.FromHexString("821643665b430359e52ac524d29c8f95"));
    }

    [Fact]
    public void Unsupported_method_is_answered_with_a_nak_listing_ours()
    {
        using var peer = Peer(allowed: new[] { EapMethodType.MsChapV2 });
        var server = Server(EapMethodType.Md5Challenge);
        var md5Request = server.Process(peer.Process(server.Start()).Response!).Message;
        var step = peer.Process(md5Request);
        EapPacket.TryParse(step.Response, out var nak, out _).Should().BeTrue();
        nak!.Type.Should().Be(EapMethodType.Nak);
        nak.TypeData.Should().Equal((byte)EapMethodType.MsChapV2);
        server.Process(step.Response).State.Should().Be(EapState.Failed);
    }

    [Theory]
    [InlineData(1024)]
    [InlineData(200)]
    public void Tls_full_conversation_with_fragments_shares_the_msk(int fragment)
    {
        using var peer = Peer(allowed: new[] { EapMethodType.Tls }, fragment: fragment);
        var server = Server(EapMethodType.Tls, fragment: fragment);
        int fragments = 0, acks = 0;
        EapTestSetup.Run(peer, server, m =>
        {
            if (EapPacket.TryParse(m, out var p, out _) && p!.Type == EapMethodType.Tls && p.TypeData.Length > 0)
            {
                if ((p.TypeData[0] & 0x40) != 0) fragments++;
                if (p.TypeData.Length == 1 && p.TypeData[0] == 0) acks++;
            }
        });
        peer.State.Should().Be(EapState.Succeeded, peer.Error?.Message);
        server.State.Should().Be(EapState.Succeeded);
        peer.Msk.Should().HaveCount(64).And.Equal(server.Msk);
        server.PeerCertificateSubject.Should().Be("CN=alice");
        if (fragment == 200) fragments.Should().BeGreaterThan(3, "the server's flight is split into M-flagged fragments");
        if (fragment == 200) acks.Should().BeGreaterThan(0, "the server acknowledges the peer's fragments");
    }

    [Fact]
    public void Tls_server_from_an_untrusted_ca_is_refused()
    {
        using var peer = Peer(allowed: new[] { EapMethodType.Tls }, trustCa: false);
        var server = Server(EapMethodType.Tls);
        EapTestSetup.Run(peer, server);
        peer.State.Should().Be(EapState.Failed);
        peer.Error!.Kind.Should().Be(EapErrorKind.ServerAuthenticationFailed);
        peer.Error.Message.Should().Contain("CA certificate");
        server.State.Should().NotBe(EapState.Succeeded);
    }

    [Fact]
    public void Tls_server_with_the_wrong_name_is_refused()
    {
        using var peer = Peer(allowed: new[] { EapMethodType.Tls }, serverName: "radius.example.org");
        var server = Server(EapMethodType.Tls);
        EapTestSetup.Run(peer, server);
        peer.Error!.Kind.Should().Be(EapErrorKind.ServerAuthenticationFailed);
    }

    [Fact]
    public void Garbage_never_throws()
    {
        var rnd = new Random(5);
        for (int i = 0; i < 2000; i++)
        {
            using var peer = Peer(allowed: new[] { (EapMethodType)new[] { 4, 13, 26 }[i % 3] });
            var data = new byte[rnd.Next(0, 80)];
            rnd.NextBytes(data);
            if (data.Length >= 5)
            {
                data[0] = 1;
                data[2] = 0;
                data[3] = (byte)data.Length;
                data[4] = (byte)new[] { 1, 2, 3, 4, 13, 26, 99 }[rnd.Next(7)];
            }
            var step = peer.Process(data);
            step.Should().NotBeNull();
            var server = Server((EapMethodType)new[] { 4, 13, 26 }[i % 3]);
            server.Start();
            server.Process(data).Should().NotBeNull();
        }
    }

    [Fact]
    public void Eap_auth_uses_msk_or_sk_p()
    {
        CryptoRegistry.TryGetPrf(PrfId.HmacSha2_256, out var prf).Should().BeTrue();
        var msk = RandomNumberGenerator.GetBytes(64);
        var skPi = RandomNumberGenerator.GetBytes(32);
        var octets = RandomNumberGenerator.GetBytes(100);
        using var hmacPad = new HMACSHA256(msk);
        var expected = new HMACSHA256(hmacPad.ComputeHash("Key Pad for IKEv2"u8.ToArray())).ComputeHash(octets);
        EapAuth.Compute(prf!, msk, skPi, octets).Should().Equal(expected);
        var withoutMsk = new HMACSHA256(new HMACSHA256(skPi).ComputeHash("Key Pad for IKEv2"u8.ToArray())).ComputeHash(octets);
        EapAuth.Compute(prf!, ReadOnlySpan<byte>.Empty, skPi, octets).Should().Equal(withoutMsk);
        EapAuth.Verify(prf!, msk, skPi, octets, EapAuth.Create(prf!, msk, skPi, octets)).Should().BeTrue();
        EapAuth.Verify(prf!, ReadOnlySpan<byte>.Empty, skPi, octets, EapAuth.Create(prf!, msk, skPi, octets)).Should().BeFalse();
    }
}
