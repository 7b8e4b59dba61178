using System.Net;
using BenchmarkDotNet.Attributes;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Ike;

namespace Ikev2Client.Benchmarks;

/// <summary>
/// Full IKEv2 handshakes (IKE_SA_INIT + IKE_AUTH with PSK, CP and the first CHILD SA) between an initiator and a
/// responder in one process, passing datagrams in memory (no sockets). X25519, AES-GCM-16-256, PRF HMAC-SHA2-256, and
/// for the hybrid rows ML-KEM in one IKE_INTERMEDIATE exchange (RFC 9370). One operation = one handshake, so handshakes
/// per second = 1 s / mean. The global setup prints each exchange's bytes (and fragments, at the default 1280-byte limit).
/// </summary>
[MemoryDiagnoser]
public class HandshakeBenchmarks
{
    private static readonly IPEndPoint InitiatorEp = new(IPAddress.Parse("10.0.0.2"), 40000);
    private static readonly IPEndPoint ResponderEp = new(IPAddress.Parse("10.0.0.1"), 500);
    private IkeSessionOptions _initiator = null!;
    private IkeSessionOptions _responder = null!;

    /// <summary>The IKE proposal: classical, or hybrid with an additional ML-KEM exchange.</summary>
    [Params("aes256gcm16-prfsha256-x25519", "aes256gcm16-prfsha256-x25519-ke1_mlkem768", "aes256gcm16-prfsha256-x25519-ke1_mlkem1024")]
    public string Proposal { get; set; } = "aes256gcm16-prfsha256-x25519";

    [GlobalSetup]
    public void Setup()
    {
        var psk = new PskAuthenticator("benchmark pre-shared key");
        var ike = new[] { ProposalSpec.Parse(Proposal) };
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
        Console.WriteLine($"// {Proposal}: {Sizes()}");
    }

    /// <summary>One handshake's messages: exchange, direction, bytes on the wire (fragments).</summary>
    private string Sizes()
    {
        var trace = new List<IkeEvent.MessageTraced>();
        Run(trace);
        return string.Join("; ", trace.Select(t => $"{t.Exchange} {(t.IsResponse ? "resp" : "req")} {t.Bytes} B" + (t.Fragments > 1 ? $" ({t.Fragments} fragments)" : "")))
            + $"; total {trace.Sum(t => t.Bytes)} B";
    }

    [Benchmark]
    public int Handshake() => Run(null);

    private int Run(List<IkeEvent.MessageTraced>? trace)
    {
        using var initiator = new IkeSession(_initiator);
        using var responder = new IkeSession(_responder);
        var first = initiator.Connect(InitiatorEp, ResponderEp);
        trace?.AddRange(first.Events.OfType<IkeEvent.MessageTraced>().Where(t => t.Sent));
        var toResponder = new Queue<OutgoingDatagram>(first.Datagrams);
        var toInitiator = new Queue<OutgoingDatagram>();
        int messages = 0;
        while (toResponder.Count > 0 || toInitiator.Count > 0)
        {
            while (toResponder.TryDequeue(out var d))
            {
                messages++;
                var output = responder.HandleDatagram(d.Data, InitiatorEp, ResponderEp, d.NonEspMarker);
                trace?.AddRange(output.Events.OfType<IkeEvent.MessageTraced>().Where(t => t.Sent));
                foreach (var r in output.Datagrams) toInitiator.Enqueue(r);
            }
            while (toInitiator.TryDequeue(out var d))
            {
                messages++;
                var output = initiator.HandleDatagram(d.Data, ResponderEp, InitiatorEp, d.NonEspMarker);
                trace?.AddRange(output.Events.OfType<IkeEvent.MessageTraced>().Where(t => t.Sent));
                foreach (var r in output.Datagrams) toResponder.Enqueue(r);
            }
        }
        if (initiator.State != IkeSessionState.Established || responder.State != IkeSessionState.Established)
            throw new InvalidOperationException($"handshake did not complete: {initiator} / {responder}");
        return messages;
    }
}
