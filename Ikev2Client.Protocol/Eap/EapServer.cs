using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Ikev2Client.Protocol.Wire.Payloads;
using Org.BouncyCastle.Tls;

namespace Ikev2Client.Protocol.Eap;

/// <summary>The authenticator's next message: an EAP request, EAP-Success or EAP-Failure, and the state.</summary>
internal sealed record EapServerStep(byte[] Message, EapState State, string? FailureReason);

/// <summary>
/// A minimal EAP authenticator (server) for our own responder and in-process tests, sans-I/O: <see cref="Start"/>
/// gives EAP-Request/Identity, then each peer response yields the next request until EAP-Success (with
/// <see cref="Msk"/>) or EAP-Failure. Supports EAP-MD5, EAP-MSCHAPv2 and EAP-TLS.
/// </summary>
internal sealed class EapServer
{
    private readonly EapServerOptions _options;
    private byte _id;
    private bool _methodStarted;

    // MS-CHAPv2 and MD5 state
    private byte[]? _challenge;
    private byte _msChapId;
    private string? _authenticatorResponse;
    private bool _awaitingSuccessAck;
    private bool _awaitingFailureAck;

    // EAP-TLS state
    private EapTlsServer? _tlsServer;
    private TlsServerProtocol? _tls;
    private EapTlsFragmenter? _fragmenter;

    public EapServer(EapServerOptions options)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        var b = new byte[1];
        options.Random.Fill(b);
        _id = b[0];
    }

    public EapState State { get; private set; } = EapState.InProgress;
    /// <summary>The identity from the peer's EAP-Identity response.</summary>
    public string? PeerIdentity { get; private set; }
    public byte[]? Msk { get; private set; }
    /// <summary>For EAP-TLS: the subject of the peer's certificate.</summary>
    public string? PeerCertificateSubject => _tlsServer?.ClientSubject;

    /// <summary>The first message: EAP-Request/Identity.</summary>
    public byte[] Start() => EapPacket.Request(_id, EapMethodType.Identity, ReadOnlySpan<byte>.Empty);

    /// <summary>Processes one peer response; never throws for bad input.</summary>
    public EapServerStep Process(ReadOnlySpan<byte> response)
    {
        if (State != EapState.InProgress) return Failure("the conversation is over");
        if (!EapPacket.TryParse(response, out var packet, out var error) || packet!.Code != EapCode.Response)
            return Failure($"malformed response ({error ?? "not a response"})");
        if (packet.Identifier != _id) return Failure($"response identifier {packet.Identifier} does not match request {_id}");

        if (packet.Type == EapMethodType.Identity && PeerIdentity == null)
        {
            PeerIdentity = Encoding.UTF8.GetString(packet.TypeData);
            return StartMethod();
        }
        if (packet.Type == EapMethodType.Nak) return Failure($"the peer refused EAP-{_options.Method}");
        if (packet.Type != _options.Method || !_methodStarted) return Failure($"unexpected {packet}");
        return _options.Method switch
        {
            EapMethodType.Md5Challenge => Md5(packet),
            EapMethodType.MsChapV2 => MsChap(packet),
            EapMethodType.Tls => Tls(packet),
            _ => Failure("method not supported"),
        };
    }

    private EapServerStep StartMethod()
    {
        _methodStarted = true;
        _id++;
        switch (_options.Method)
        {
            case EapMethodType.Md5Challenge:
            {
                _challenge = new byte[16];
                _options.Random.Fill(_challenge);
                var data = new[] { (byte)16 }.Concat(_challenge).Concat(Encoding.ASCII.GetBytes(_options.ServerName)).ToArray();
                return Request(EapMethodType.Md5Challenge, data);
            }
            case EapMethodType.MsChapV2:
            {
                _challenge = new byte[16];
                _options.Random.Fill(_challenge);
                _msChapId = _id;
                var name = Encoding.ASCII.GetBytes(_options.ServerName);
                var data = new byte[4 + 1 + 16 + name.Length];
                data[0] = (byte)MsChapV2OpCode.Challenge;
                data[1] = _msChapId;
                BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(2), (ushort)data.Length);
                data[4] = 16;
                _challenge.CopyTo(data, 5);
                name.CopyTo(data, 21);
                return Request(EapMethodType.MsChapV2, data);
            }
            case EapMethodType.Tls:
                if (_options.TlsCredential == null) return Failure("no server certificate for EAP-TLS");
                _tlsServer = new EapTlsServer(_options);
                _tls = new TlsServerProtocol();
                _tls.Accept(_tlsServer);
                _fragmenter = new EapTlsFragmenter(_options.TlsFragmentSize);
                return Request(EapMethodType.Tls, new[] { EapTlsFragmenter.FlagStart });
            default:
                return Failure("method not supported");
        }
    }

    private EapServerStep Md5(EapPacket packet)
    {
        var password = _options.PasswordLookup(PeerIdentity!);
        var d = packet.TypeData;
        if (password == null || d.Length < 17 || d[0] != 16) return Failure("unknown user or malformed MD5 response");
        var expected = EapMd5Peer.ComputeResponse((byte)(_id), password, _challenge);
        return CryptographicOperations.FixedTimeEquals(expected, d.AsSpan(1, 16)) ? Success(null) : Failure("wrong password");
    }

    private EapServerStep MsChap(EapPacket packet)
    {
        var d = packet.TypeData;
        if (d.Length < 1) return Failure("empty MS-CHAPv2 response");
        var op = (MsChapV2OpCode)d[0];
        if (_awaitingSuccessAck) return op == MsChapV2OpCode.Success ? Success(Msk) : Failure("expected the Success acknowledgement");
        if (_awaitingFailureAck) return Failure("wrong password");
        if (op != MsChapV2OpCode.Response || d.Length < 5 + EapMsChapV2Peer.ResponseValueLength || d[4] != EapMsChapV2Peer.ResponseValueLength)
            return Failure("malformed MS-CHAPv2 response");
        var peerChallenge = d.AsSpan(5, 16);
        var ntResponse = d.AsSpan(5 + 24, 24);
        var name = Encoding.UTF8.GetString(d, 5 + EapMsChapV2Peer.ResponseValueLength, d.Length - 5 - EapMsChapV2Peer.ResponseValueLength);
        var user = EapMsChapV2Peer.UserName(name);
        var password = _options.PasswordLookup(PeerIdentity!);
        _id++;
        if (password != null)
        {
            var pwHash = MsChapV2.NtPasswordHash(password);
            var expected = MsChapV2.NtResponse(_challenge, peerChallenge, user, pwHash);
            if (CryptographicOperations.FixedTimeEquals(expected, ntResponse))
            {
                _authenticatorResponse = MsChapV2.AuthenticatorResponse(pwHash, ntResponse, peerChallenge, _challenge, user);
                Msk = MsChapV2.Msk(MsChapV2.HashNtPasswordHash(pwHash), ntResponse);
                _awaitingSuccessAck = true;
                var text = Encoding.ASCII.GetBytes($"{_authenticatorResponse} M=Welcome");
                return Request(EapMethodType.MsChapV2, OpMessage(MsChapV2OpCode.Success, text));
            }
        }
        _awaitingFailureAck = true;
        var retry = new byte[16];
        _options.Random.Fill(retry);
        var failure = Encoding.ASCII.GetBytes($"E=691 R=0 C={Convert.ToHexString(retry)} V=3 M=Authentication failed");
        return Request(EapMethodType.MsChapV2, OpMessage(MsChapV2OpCode.Failure, failure));
    }

    private byte[] OpMessage(MsChapV2OpCode op, byte[] text)
    {
        var data = new byte[4 + text.Length];
        data[0] = (byte)op;
        data[1] = _msChapId;
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(2), (ushort)data.Length);
        text.CopyTo(data, 4);
        return data;
    }

    private EapServerStep Tls(EapPacket packet)
    {
        _id++;
        switch (_fragmenter!.Read(packet.TypeData, out var tls))
        {
            case EapTlsFragmenter.ReadResult.Ack:
                if (_fragmenter.HasPendingOutput) return Request(EapMethodType.Tls, _fragmenter.NextFragment());
                if (_tlsServer!.HandshakeComplete) return Success(_tlsServer.Msk);
                return Failure("unexpected acknowledgement");
            case EapTlsFragmenter.ReadResult.NeedMore:
                return Request(EapMethodType.Tls, EapTlsFragmenter.Ack());
            case EapTlsFragmenter.ReadResult.Complete:
                try { _tls!.OfferInput(tls); }
                catch (Exception e) when (e is TlsException or IOException or InvalidOperationException or ArgumentException)
                {
                    return Failure($"TLS handshake failed ({e.GetType().Name})");
                }
                int available = _tls.GetAvailableOutputBytes();
                if (available == 0) return Failure("TLS produced no answer");
                var output = new byte[available];
                _tls.ReadOutput(output, 0, available);
                _fragmenter.Queue(output);
                return Request(EapMethodType.Tls, _fragmenter.NextFragment());
            default:
                return Failure("malformed EAP-TLS response");
        }
    }

    private EapServerStep Request(EapMethodType type, byte[] data) => new(EapPacket.Request(_id, type, data), State, null);

    private EapServerStep Success(byte[]? msk)
    {
        Msk = msk;
        State = EapState.Succeeded;
        return new(new EapPacket(EapCode.Success, _id).ToBytes(), State, null);
    }

    private EapServerStep Failure(string reason)
    {
        State = EapState.Failed;
        Msk = null;
        return new(new EapPacket(EapCode.Failure, _id).ToBytes(), State, reason);
    }

    public override string ToString() => $"EAP server ({_options.Method}): {State}";
}
