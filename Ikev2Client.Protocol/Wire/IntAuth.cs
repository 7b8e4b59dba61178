using System.Buffers.Binary;
using Ikev2Client.Protocol.Crypto;

namespace Ikev2Client.Protocol.Wire;

/// <summary>
/// The IntAuth chain of RFC 9242 §3.3.2, which binds the IKE_INTERMEDIATE messages into AUTH:
/// <code>
/// IntAuth_i1 = prf(SK_pi1,              IntAuth_i1_A | IntAuth_i1_P)
/// IntAuth_in = prf(SK_pin, IntAuth_i(n-1) | IntAuth_in_A | IntAuth_in_P)      (the same for r with SK_pr)
/// </code>
/// where A is the message from the first octet of the IKE header to the last octet of the Encrypted payload's generic
/// header, and P the inner payloads in plaintext. The IKE header Length and the SK Payload Length are set as if the
/// Encrypted payload held P alone (no IV, padding, pad length or ICV), and a fragmented message counts as unfragmented,
/// so the value depends on neither the cipher nor fragmentation. SK_p is the key that protected the exchange.
/// </summary>
internal static class IntAuth
{
    public static byte[] Chain(IIkePrf prf, ReadOnlySpan<byte> skP, ReadOnlySpan<byte> previous, IkeMessage message)
    {
        byte[] inner;
        if (message.InnerPlaintext is { } received) inner = received;
        else
        {
            inner = new byte[PayloadChain.GetLength(message.Payloads)];
            PayloadChain.Write(message.Payloads, inner);
        }
        var firstInner = message.Payloads.Count > 0 ? message.Payloads[0].Type : PayloadType.None;
        var data = new byte[previous.Length + IkeHeader.Size + Payload.GenericHeaderSize + inner.Length];
        previous.CopyTo(data);
        var header = message.Header;
        header.NextPayload = PayloadType.Encrypted;
        header.Length = (uint)(IkeHeader.Size + Payload.GenericHeaderSize + inner.Length);
        header.Write(data.AsSpan(previous.Length));
        var sk = data.AsSpan(previous.Length + IkeHeader.Size);
        sk[0] = (byte)firstInner;
        sk[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(sk[2..], (ushort)(Payload.GenericHeaderSize + inner.Length));
        inner.CopyTo(sk[Payload.GenericHeaderSize..]);
        return KeyDerivation.Prf(prf, skP, data);
    }
}
