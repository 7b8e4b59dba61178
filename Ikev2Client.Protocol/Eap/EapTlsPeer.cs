using Org.BouncyCastle.Tls;

namespace Ikev2Client.Protocol.Eap;

/// <summary>
/// EAP-TLS peer (RFC 5216) over BouncyCastle's non-blocking TLS 1.2 client: Start → ClientHello; server
/// flights are reassembled from fragments (each acknowledged), fed to TLS, and TLS output is sent back in
/// fragments; once the handshake completes the peer answers the server's last flight with an empty
/// response and waits for EAP-Success. MSK from the RFC 5216 key derivation.
/// </summary>
internal sealed class EapTlsPeer : IEapPeerMethod, IDisposable
{
    private readonly EapTlsClient _client;
    private readonly TlsClientProtocol _protocol;
    private readonly EapTlsFragmenter _fragmenter;
    private bool _started;
    private byte[]? _msk;

    public EapTlsPeer(EapPeerOptions options)
    {
        _client = new EapTlsClient(options);
        _protocol = new TlsClientProtocol();
        _fragmenter = new EapTlsFragmenter(options.TlsFragmentSize);
    }

    public EapMethodType Type => EapMethodType.Tls;
    public bool IsComplete { get; private set; }
    public byte[]? Msk => _msk;
    public EapError? FailureReason { get; private set; }

    public EapMethodStep Process(EapPacket request)
    {
        switch (_fragmenter.Read(request.TypeData, out var tls))
        {
            case EapTlsFragmenter.ReadResult.Start:
                if (_started) return Malformed("a second EAP-TLS Start");
                _started = true;
                return Run(request, () => _protocol.Connect(_client));
            case EapTlsFragmenter.ReadResult.Ack:
                if (!_fragmenter.HasPendingOutput) return Malformed("an acknowledgement with nothing outstanding");
                return Send(request);
            case EapTlsFragmenter.ReadResult.NeedMore:
                return new(EapPacket.Response(request.Identifier, Type, EapTlsFragmenter.Ack()), null);
            case EapTlsFragmenter.ReadResult.Complete:
                if (!_started) return Malformed("TLS data before Start");
                return Run(request, () => _protocol.OfferInput(tls));
            default:
                return Malformed("bad flags or length");
        }
    }

    private EapMethodStep Run(EapPacket request, Action tlsStep)
    {
        try
        {
            tlsStep();
        }
        catch (Exception e) when (e is TlsException or IOException or InvalidOperationException or ArgumentException)
        {
            FailureReason = _client.ValidationError ?? new EapError(EapErrorKind.TlsFailed,
                $"The EAP-TLS handshake with the gateway failed ({(e is TlsFatalAlert a ? AlertDescription.GetText(a.AlertDescription) : e.GetType().Name)}).");
            return new(null, FailureReason);
        }
        if (_client.HandshakeComplete && _msk == null)
        {
            _msk = _client.Msk;
            IsComplete = true;
        }
        int available = _protocol.GetAvailableOutputBytes();
        if (available > 0)
        {
            var output = new byte[available];
            _protocol.ReadOutput(output, 0, available);
            _fragmenter.Queue(output);
            return Send(request);
        }
        // Nothing to say (the handshake finished with the server's flight): an empty response.
        return new(EapPacket.Response(request.Identifier, Type, EapTlsFragmenter.Ack()), null);
    }

    private EapMethodStep Send(EapPacket request) => new(EapPacket.Response(request.Identifier, Type, _fragmenter.NextFragment()), null);

    private EapMethodStep Malformed(string what)
    {
        FailureReason = new EapError(EapErrorKind.Malformed, $"The gateway sent a malformed EAP-TLS message ({what}).");
        return new(null, FailureReason);
    }

    public void Dispose()
    {
        if (_msk != null) System.Security.Cryptography.CryptographicOperations.ZeroMemory(_msk);
    }
}
