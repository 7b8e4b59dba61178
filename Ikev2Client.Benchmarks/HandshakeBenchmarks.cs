using System.Net;
using BenchmarkDotNet.Attributes;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Ike;

namespace Ikev2Client.Benchmarks;

/// <summary>
/// Full IKEv2 handshakes (IKE_SA_INIT + IKE_AUTH with PSK, CP and the first CHILD SA) between an initiator and a
/// responder in one process, passing datagrams in memory (no sockets). X25519, AES-GCM-16-256, PRF HMAC-SHA2-256.
/// One operation = one handshake, so handshakes per second = 1 s / mean.
/// </summary>
[MemoryDiagnoser]
public class HandshakeBenchmarks
{
    private static readonly IPEndPoint InitiatorEp = new(IPAddress.Parse("10.0.0.2"), 40000);
    private static readonly IPEndPoint ResponderEp = new(IPAddress.Parse("10.0.0.1"), 500);
    private IkeSessionOptions _initiator = null!;
    private IkeSessionOptions _responder = null!;

    [GlobalSetup]
    public void Setup()
    {
        var psk = new PskAuthenticator("benchmark pre-shared key");
        var ike = new[] { ProposalSpec.Parse("aes256gcm16-prfsha256-x25519") };
        var esp = new[] { ProposalSpec.Parse("aes256gcm16", esp: true) };
        _initiator = new IkeSessionOptions
        {
            LocalIdentity = IkeIdentity.Parse("client@bench"), RemoteIdentity = IkeIdentity.Parse("@gw.bench"),
            Authenticator = psk, IkeProposals = ike, EspProposals = esp,
        };
        _responder = new IkeSessionOptions
        {
            Role = IkeRole.Responder, LocalIdentity = IkeIdentity.Parse("@gw.bench"), Authenticator = psk, IkeProposals = ike, EspProposals = esp,
            Responder = new IkeResponderOptions
            {
                AddressPool = new IkeAddressPool(IPNetwork.Parse("10.0.0.0/8")),
                DnsServers = new[] { IPAddress.Parse("10.0.0.53") },
            },
        };
    }

    [Benchmark]
    public int Handshake()
    {
        using var initiator = new IkeSession(_initiator);
        using var responder = new IkeSession(_responder);
        var toResponder = new Queue<OutgoingDatagram>(initiator.Connect(InitiatorEp, ResponderEp).Datagrams);
        var toInitiator = new Queue<OutgoingDatagram>();
        int messages = 0;
        while (toResponder.Count > 0 || toInitiator.Count > 0)
        {
            while (toResponder.TryDequeue(out var d))
            {
                messages++;
                foreach (var r in responder.HandleDatagram(d.Data, InitiatorEp, ResponderEp, d.NonEspMarker).Datagrams) toInitiator.Enqueue(r);
            }
            while (toInitiator.TryDequeue(out var d))
            {
                messages++;
                foreach (var r in initiator.HandleDatagram(d.Data, ResponderEp, InitiatorEp, d.NonEspMarker).Datagrams) toResponder.Enqueue(r);
            }
        }
        if (initiator.State != IkeSessionState.Established || responder.State != IkeSessionState.Established)
            throw new InvalidOperationException($"handshake did not complete: {initiator} / {responder}");
        return messages;
    }
}
