using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ikev2Client.Protocol;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Eap;
using Ikev2Client.Tests.Auth;

namespace Ikev2Client.Tests.Eap;

/// <summary>Runs peer ↔ server EAP conversations in memory and builds EAP-TLS credentials.</summary>
internal static class EapTestSetup
{
    public static readonly X509Certificate2 Ca = TestPki.CreateCa("EAP Test CA");

    public static ClientCredential Credential(string subject, string[] dns, string eku)
    {
        var rsa = RSA.Create(2048);
        var cert = TestPki.CreateLeaf(Ca, new TestPki.LeafOptions { Subject = subject, Dns = dns, Ekus = new[] { eku } }, rsa);
        return ClientCredential.Create(cert, IkeSigningKey.FromRsa(rsa), new[] { Ca }).Credential!;
    }

    public static readonly ClientCredential ServerCredential = Credential("CN=eap.example.com", new[] { "eap.example.com" }, "1.3.6.1.5.5.7.3.1");
    public static readonly ClientCredential ClientTlsCredential = Credential("CN=alice", Array.Empty<string>(), "1.3.6.1.5.5.7.3.2");

    /// <summary>Relays messages until one side stops; returns the number of round trips.</summary>
    public static int Run(EapPeer peer, EapServer server, Action<byte[]>? onServerMessage = null)
    {
        var message = server.Start();
        int rounds = 0;
        while (rounds++ < 200)
        {
            onServerMessage?.Invoke(message);
            var step = peer.Process(message);
            if (step.Response == null || server.State != EapState.InProgress) return rounds;
            var next = server.Process(step.Response);
            message = next.Message;
            if (next.State != EapState.InProgress)
            {
                onServerMessage?.Invoke(message);
                peer.Process(message);
                return rounds;
            }
        }
        throw new InvalidOperationException("EAP conversation did not end");
    }

    public sealed class CountingRandom : IRandomSource
    {
        public void Fill(Span<byte> destination) => RandomNumberGenerator.Fill(destination);
    }
}
