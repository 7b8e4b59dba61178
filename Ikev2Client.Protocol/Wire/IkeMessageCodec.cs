using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Wire;

/// <summary>
/// Encodes and decodes whole IKE messages: plaintext (IKE_SA_INIT), protected by SK, or fragmented into SKF
/// messages (RFC 7383). Decoding never throws on bad input; it returns an <see cref="IkeParseError"/>.
/// </summary>
public static class IkeMessageCodec
{
    /// <summary>Largest datagram we accept (IKE messages over UDP are bounded by the IP datagram size).</summary>
    public const int MaxMessageSize = 65535;

    /// <summary>Decodes the header and the outer payload chain (SK/SKF stay opaque).</summary>
    public static bool TryDecode(ReadOnlySpan<byte> datagram, out IkeMessage? message, out IkeParseError? error)
    {
        message = null;
        try
        {
            if (!IkeHeader.TryRead(datagram, out var header))
            {
                error = new IkeParseError(IkeParseErrorCode.Truncated, $"datagram of {datagram.Length} bytes is shorter than the 28-byte IKE header");
                return false;
            }
            if (header.MajorVersion != 2)
            {
                error = new IkeParseError(IkeParseErrorCode.InvalidMajorVersion, $"IKE major version {header.MajorVersion} is not supported");
                return false;
            }
            if (header.Length < IkeHeader.Size || header.Length > datagram.Length || header.Length > MaxMessageSize)
            {
                error = new IkeParseError(header.Length > datagram.Length ? IkeParseErrorCode.Truncated : IkeParseErrorCode.InvalidLength,
                    $"header length {header.Length} but the datagram has {datagram.Length} bytes");
                return false;
            }
            var m = new IkeMessage { Header = header };
            if (!PayloadChain.TryRead(header.NextPayload, datagram.Slice(IkeHeader.Size, (int)header.Length - IkeHeader.Size), m.Payloads, out error, out _))
                return false;
            message = m;
            return true;
        }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or OverflowException or FormatException)
        {
            // Defence in depth: a parser bug must not take the daemon down. The error carries the exception
            // (Fault), so a caller can tell a bug from bad input; the mutation test asserts no error has one.
            error = new IkeParseError(IkeParseErrorCode.InvalidSyntax, $"malformed message ({e.GetType().Name})") { Fault = e };
            return false;
        }
    }

    /// <summary>Encodes a plaintext message (payloads written as they are).</summary>
    public static byte[] Encode(IkeMessage message)
    {
        int length = IkeHeader.Size + PayloadChain.GetLength(message.Payloads);
        var buffer = new byte[length];
        var header = message.Header;
        header.NextPayload = message.Payloads.Count > 0 ? message.Payloads[0].Type : PayloadType.None;
        header.Length = (uint)length;
        header.Write(buffer);
        PayloadChain.Write(message.Payloads, buffer.AsSpan(IkeHeader.Size));
        message.Header = header;
        return buffer;
    }

    /// <summary>Encodes <paramref name="message"/>'s payloads inside one SK payload.</summary>
    public static byte[] EncodeEncrypted(IkeMessage message, ISkProtector protector, IRandomSource random)
    {
        int plainLength = PayloadChain.GetLength(message.Payloads);
        var plain = new byte[plainLength];
        PayloadChain.Write(message.Payloads, plain);
        int sealedLength = protector.GetSealedLength(plainLength);
        int total = IkeHeader.Size + Payload.GenericHeaderSize + sealedLength;
        var buffer = new byte[total];
        var header = message.Header;
        header.NextPayload = PayloadType.Encrypted;
        header.Length = (uint)total;
        header.Write(buffer);
        var w = new SpanWriter(buffer.AsSpan(IkeHeader.Size));
        w.U8((byte)(message.Payloads.Count > 0 ? message.Payloads[0].Type : PayloadType.None));
        w.U8(0);
        w.U16((ushort)(Payload.GenericHeaderSize + sealedLength));
        protector.Seal(buffer, IkeHeader.Size + Payload.GenericHeaderSize, plain, random);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(plain);
        return buffer;
    }

    /// <summary>
    /// Encodes the message as SKF fragments (RFC 7383) none larger than <paramref name="maxMessageSize"/> bytes
    /// (the IKE message, without IP/UDP headers or the non-ESP marker).
    /// </summary>
    public static List<byte[]> EncodeFragmented(IkeMessage message, ISkProtector protector, IRandomSource random, int maxMessageSize)
    {
        int plainLength = PayloadChain.GetLength(message.Payloads);
        var plain = new byte[plainLength];
        PayloadChain.Write(message.Payloads, plain);
        const int overhead = IkeHeader.Size + Payload.GenericHeaderSize + 4;
        int available = maxMessageSize - overhead;
        int chunk = available;
        while (chunk > 0 && protector.GetSealedLength(chunk) > available) chunk--;
        if (chunk <= 0) throw new ArgumentOutOfRangeException(nameof(maxMessageSize), "fragment size too small for the cipher overhead");
        int count = Math.Max(1, (plainLength + chunk - 1) / chunk);
        if (count > ushort.MaxValue) throw new ArgumentOutOfRangeException(nameof(maxMessageSize), "too many fragments");
        var result = new List<byte[]>(count);
        for (int i = 0; i < count; i++)
        {
            var part = plain.AsSpan(i * chunk, Math.Min(chunk, plainLength - i * chunk));
            int sealedLength = protector.GetSealedLength(part.Length);
            int total = overhead + sealedLength;
            var buffer = new byte[total];
            var header = message.Header;
            header.NextPayload = PayloadType.EncryptedFragment;
            header.Length = (uint)total;
            header.Write(buffer);
            var w = new SpanWriter(buffer.AsSpan(IkeHeader.Size));
            w.U8(i == 0 && message.Payloads.Count > 0 ? (byte)message.Payloads[0].Type : (byte)0);
            w.U8(0);
            w.U16((ushort)(Payload.GenericHeaderSize + 4 + sealedLength));
            w.U16((ushort)(i + 1));
            w.U16((ushort)count);
            protector.Seal(buffer, overhead, part, random);
            result.Add(buffer);
        }
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(plain);
        return result;
    }

    /// <summary>
    /// Verifies and decrypts the SK payload of a decoded message and parses the inner payloads. An integrity
    /// failure is <see cref="IkeParseErrorCode.IntegrityCheckFailed"/> (drop silently); any other error comes
    /// from an authenticated message (answer with the suggested notify).
    /// </summary>
    public static bool TryDecrypt(ReadOnlySpan<byte> datagram, IkeMessage outer, ISkProtector protector, out IkeMessage? inner, out IkeParseError? error)
    {
        inner = null;
        if (outer.Payloads.Count == 0 || outer.Payloads[^1] is not EncryptedPayload sk)
        {
            error = new IkeParseError(IkeParseErrorCode.PayloadRuleViolation, "message has no SK payload");
            return false;
        }
        int ivOffset = (int)outer.Header.Length - sk.Body.Length;
        if (!protector.TryOpen(datagram.Slice(0, (int)outer.Header.Length), ivOffset, out var plain))
        {
            error = new IkeParseError(IkeParseErrorCode.IntegrityCheckFailed, "SK payload failed the integrity check", PayloadType.Encrypted);
            return false;
        }
        return TryParseInner(outer.Header, sk.FirstInnerPayload, plain, outer.Payloads.Take(outer.Payloads.Count - 1), out inner, out error);
    }

    /// <summary>Verifies and decrypts one SKF fragment; returns its plaintext.</summary>
    public static bool TryDecryptFragment(ReadOnlySpan<byte> datagram, IkeMessage outer, ISkProtector protector, out EncryptedFragmentPayload? fragment, out byte[]? plaintext, out IkeParseError? error)
    {
        fragment = null;
        plaintext = null;
        if (outer.Payloads.Count == 0 || outer.Payloads[^1] is not EncryptedFragmentPayload skf)
        {
            error = new IkeParseError(IkeParseErrorCode.PayloadRuleViolation, "message has no SKF payload");
            return false;
        }
        int ivOffset = (int)outer.Header.Length - skf.Body.Length;
        if (!protector.TryOpen(datagram.Slice(0, (int)outer.Header.Length), ivOffset, out plaintext))
        {
            error = new IkeParseError(IkeParseErrorCode.IntegrityCheckFailed, $"fragment {skf.FragmentNumber}/{skf.TotalFragments} failed the integrity check", PayloadType.EncryptedFragment);
            return false;
        }
        fragment = skf;
        error = null;
        return true;
    }

    /// <summary>Parses decrypted inner payloads into a message carrying the outer header.</summary>
    public static bool TryParseInner(IkeHeader header, PayloadType first, ReadOnlySpan<byte> plaintext, IEnumerable<Payload> outerPrefix, out IkeMessage? inner, out IkeParseError? error)
    {
        inner = null;
        var m = new IkeMessage { Header = header };
        m.Payloads.AddRange(outerPrefix);
        try
        {
            if (!PayloadChain.TryRead(first, plaintext, m.Payloads, out error, out int encOffset)) return false;
            if (encOffset >= 0)
            {
                error = new IkeParseError(IkeParseErrorCode.InvalidSyntax, "an SK payload inside an SK payload", PayloadType.Encrypted);
                return false;
            }
        }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or OverflowException or FormatException)
        {
            error = new IkeParseError(IkeParseErrorCode.InvalidSyntax, $"malformed inner payloads ({e.GetType().Name})") { Fault = e };
            return false;
        }
        if (header.ExchangeType == ExchangeType.IkeIntermediate) m.InnerPlaintext = plaintext.ToArray();
        inner = m;
        return true;
    }
}
