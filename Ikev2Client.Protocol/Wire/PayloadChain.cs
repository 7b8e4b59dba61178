using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Wire;

/// <summary>
/// Reads and writes a chain of payloads linked by their Next Payload fields. Reading is bounded by the data
/// (every payload consumes at least its 4-byte header), so a chain can't loop.
/// </summary>
internal static class PayloadChain
{
    /// <summary>
    /// Parses payloads starting with type <paramref name="first"/>. An SK or SKF payload must be the last one;
    /// its Next Payload names the first inner payload. Returns the offset of the SK/SKF body through
    /// <paramref name="encryptedBodyOffset"/> (relative to <paramref name="data"/>), or -1.
    /// </summary>
    internal static bool TryRead(PayloadType first, ReadOnlySpan<byte> data, List<Payload> into, out IkeParseError? error, out int encryptedBodyOffset)
    {
        encryptedBodyOffset = -1;
        var next = first;
        int offset = 0;
        while (next != PayloadType.None)
        {
            var current = next;
            if (data.Length - offset < Payload.GenericHeaderSize)
            {
                error = new IkeParseError(IkeParseErrorCode.Truncated, $"payload {current} header runs past the end of the message", current);
                return false;
            }
            var h = new SpanReader(data.Slice(offset, Payload.GenericHeaderSize));
            next = (PayloadType)h.U8();
            bool critical = (h.U8() & 0x80) != 0;
            ushort length = h.U16();
            if (length < Payload.GenericHeaderSize || length > data.Length - offset)
            {
                error = new IkeParseError(IkeParseErrorCode.InvalidLength, $"payload length {length} is outside 4..{data.Length - offset}", current);
                return false;
            }
            var body = data.Slice(offset + Payload.GenericHeaderSize, length - Payload.GenericHeaderSize);
            if (current is PayloadType.Encrypted or PayloadType.EncryptedFragment)
            {
                if (offset + length != data.Length)
                {
                    error = new IkeParseError(IkeParseErrorCode.InvalidSyntax, "the SK/SKF payload must be the last payload", current);
                    return false;
                }
                Payload enc;
                if (current == PayloadType.Encrypted)
                {
                    enc = new EncryptedPayload { FirstInnerPayload = next, Body = body.ToArray() };
                    encryptedBodyOffset = offset + Payload.GenericHeaderSize;
                }
                else
                {
                    if (!EncryptedFragmentPayload.TryRead(body, next, out var skf, out var msg))
                    {
                        error = new IkeParseError(IkeParseErrorCode.InvalidSyntax, msg!, current);
                        return false;
                    }
                    enc = skf!;
                    encryptedBodyOffset = offset + Payload.GenericHeaderSize + 4;
                }
                enc.Critical = critical;
                into.Add(enc);
                error = null;
                return true;
            }
            if (!TryReadBody(current, critical, body, out var payload, out var err))
            {
                error = err;
                return false;
            }
            payload!.Critical = critical;
            into.Add(payload);
            offset += length;
        }
        if (offset != data.Length)
        {
            error = new IkeParseError(IkeParseErrorCode.InvalidLength, $"{data.Length - offset} bytes after the last payload");
            return false;
        }
        error = null;
        return true;
    }

    private static bool TryReadBody(PayloadType type, bool critical, ReadOnlySpan<byte> body, out Payload? payload, out IkeParseError? error)
    {
        string? msg;
        bool ok;
        switch (type)
        {
            case PayloadType.SecurityAssociation: ok = SaPayload.TryRead(body, out var sa, out msg); payload = sa; break;
            case PayloadType.KeyExchange: ok = KePayload.TryRead(body, out var ke, out msg); payload = ke; break;
            case PayloadType.IdInitiator: ok = IdPayload.TryRead(body, true, out var idi, out msg); payload = idi; break;
            case PayloadType.IdResponder: ok = IdPayload.TryRead(body, false, out var idr, out msg); payload = idr; break;
            case PayloadType.Certificate: ok = CertPayload.TryRead(body, out var cert, out msg); payload = cert; break;
            case PayloadType.CertificateRequest: ok = CertReqPayload.TryRead(body, out var cr, out msg); payload = cr; break;
            case PayloadType.Authentication: ok = AuthPayload.TryRead(body, out var auth, out msg); payload = auth; break;
            case PayloadType.Nonce: ok = NoncePayload.TryRead(body, out var no, out msg); payload = no; break;
            case PayloadType.Notify: ok = NotifyPayload.TryRead(body, out var n, out msg); payload = n; break;
            case PayloadType.Delete: ok = DeletePayload.TryRead(body, out var d, out msg); payload = d; break;
            case PayloadType.VendorId: ok = VendorIdPayload.TryRead(body, out var v, out msg); payload = v; break;
            case PayloadType.TrafficSelectorInitiator: ok = TsPayload.TryRead(body, true, out var tsi, out msg); payload = tsi; break;
            case PayloadType.TrafficSelectorResponder: ok = TsPayload.TryRead(body, false, out var tsr, out msg); payload = tsr; break;
            case PayloadType.Configuration: ok = ConfigPayload.TryRead(body, out var cp, out msg); payload = cp; break;
            case PayloadType.Eap: ok = EapPayload.TryRead(body, out var eap, out msg); payload = eap; break;
            default:
                if (critical)
                {
                    payload = null;
                    error = new IkeParseError(IkeParseErrorCode.UnsupportedCriticalPayload,
                        $"unknown payload type {(byte)type} is marked critical", type, (byte)type);
                    return false;
                }
                payload = new UnknownPayload(type, body.ToArray());
                error = null;
                return true;
        }
        error = ok ? null : new IkeParseError(IkeParseErrorCode.InvalidSyntax, msg ?? "invalid payload", type);
        return ok;
    }

    /// <summary>Total length of the payloads with their generic headers.</summary>
    public static int GetLength(IReadOnlyList<Payload> payloads)
    {
        int n = 0;
        foreach (var p in payloads) n += p.TotalLength;
        return n;
    }

    /// <summary>Writes the payloads with generic headers; the last one's Next Payload is <paramref name="lastNext"/>.</summary>
    public static void Write(IReadOnlyList<Payload> payloads, Span<byte> destination, PayloadType lastNext = PayloadType.None)
    {
        int offset = 0;
        for (int i = 0; i < payloads.Count; i++)
        {
            var p = payloads[i];
            var w = new SpanWriter(destination.Slice(offset));
            PayloadType next = i + 1 < payloads.Count ? payloads[i + 1].Type : lastNext;
            if (p is EncryptedPayload sk) next = sk.FirstInnerPayload;
            if (p is EncryptedFragmentPayload skf) next = skf.FirstInnerPayload;
            w.U8((byte)next);
            w.U8(p.Critical ? (byte)0x80 : (byte)0);
            w.U16((ushort)p.TotalLength);
            p.WriteBody(destination.Slice(offset + Payload.GenericHeaderSize, p.BodyLength));
            offset += p.TotalLength;
        }
    }
}
