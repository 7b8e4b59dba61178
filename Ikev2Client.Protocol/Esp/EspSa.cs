using System.Buffers.Binary;
using System.Security.Cryptography;
using Ikev2Client.Protocol.Crypto;

namespace Ikev2Client.Protocol.Esp;

/// <summary>
/// One direction of an ESP CHILD SA (RFC 4303): seals outbound packets and opens inbound ones, in place and
/// without allocating per packet. Sans-I/O: no sockets, no clock.
/// </summary>
/// <remarks>
/// Packet layout: SPI(4) | Sequence(4) | IV | payload | padding | pad length | next header | ICV.
/// Callers reserve <see cref="HeaderLength"/> bytes before the payload and <see cref="GetTrailerLength"/>
/// (at most <see cref="MaxTrailerLength"/>, never more than <see cref="MaxOverhead"/> in total) after it.
/// Threading: one thread seals (it owns the sequence counter) and one thread opens (it owns the replay
/// window); <see cref="Counters"/> and <see cref="NeedsRekey"/> may be read from anywhere.
/// </remarks>
public sealed class EspSa : IDisposable
{
    /// <summary>
    /// Upper bound of header plus trailer for every supported algorithm: AES-CBC with HMAC-SHA2-512 untruncated
    /// (24 + 15 + 2 + 64); 73 with the truncations IKE negotiates.
    /// </summary>
    public const int MaxOverhead = 105;

    /// <summary>Next Header value of an IPv4 packet in tunnel mode.</summary>
    public const byte NextHeaderIpv4 = 4;
    /// <summary>Next Header value of an IPv6 packet in tunnel mode.</summary>
    public const byte NextHeaderIpv6 = 41;
    /// <summary>Next Header of a dummy packet (RFC 4303 §2.6), to be dropped by the receiver.</summary>
    public const byte NextHeaderNone = 59;

    private const int SpiAndSequenceLength = 8;

    private readonly EspCipher _cipher;
    private readonly ReplayWindow _window;
    private readonly ulong _maxSequence;
    private readonly EspLifetime _lifetime = EspLifetime.Unlimited;
    private readonly bool _hardLimited;
    private ulong _lastSent;
    private bool _disposed;

    /// <summary>Creates an SA from the negotiated transforms and the keys as IKE derives them (RFC 7296 §2.17).</summary>
    /// <param name="spi">The SPI carried in this SA's packets (the receiver's choice).</param>
    /// <param name="encryption">AES-GCM with an 8-, 12- or 16-byte ICV, ChaCha20-Poly1305, AES-CBC or AES-CTR.</param>
    /// <param name="keyBits">128, 192 or 256 for AES; 256 for ChaCha20-Poly1305.</param>
    /// <param name="integrity"><see cref="IntegId.None"/> for AEAD; for AES-CBC and AES-CTR HMAC-MD5-96, HMAC-SHA1-96,
    /// HMAC-SHA2-256-128/384-192/512-256, AES-XCBC-MAC-96 or AES-CMAC-96.</param>
    /// <param name="encryptionKeyMaterial">Encryption key; for AEAD and AES-CTR the key followed by the 4-byte salt/nonce.</param>
    /// <param name="integrityKey">Integrity key (16/20/32/48/64 bytes); empty for AEAD.</param>
    /// <param name="extendedSequenceNumbers">True when ESN (RFC 4304) was negotiated.</param>
    /// <param name="mode">Tunnel or transport.</param>
    /// <param name="random">IV key source for CBC; the system CSPRNG when null.</param>
    /// <param name="replayWindowSize">Anti-replay window in packets (inbound use).</param>
    /// <param name="icvLength">ICV bytes for an HMAC truncated other than IKE negotiates it (Android's IpSecAlgorithm
    /// allows 12 bytes up to the full hash); 0 takes the transform's own (e.g. 16 for HMAC-SHA2-256-128).</param>
    public EspSa(uint spi, EncrId encryption, int keyBits, IntegId integrity, ReadOnlySpan<byte> encryptionKeyMaterial,
        ReadOnlySpan<byte> integrityKey, bool extendedSequenceNumbers, EspMode mode, IRandomSource? random = null,
        int replayWindowSize = ReplayWindow.DefaultSize, int icvLength = 0)
    {
        if (spi == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(spi), "SPI 0 is reserved");
        }

        Spi = spi;
        Encryption = encryption;
        KeyBits = keyBits;
        Integrity = integrity;
        ExtendedSequenceNumbers = extendedSequenceNumbers;
        Mode = mode;
        _cipher = CreateCipher(encryption, keyBits, integrity, encryptionKeyMaterial, integrityKey, icvLength, random ?? SystemRandomSource.Instance);
        _window = new ReplayWindow(replayWindowSize);
        _maxSequence = extendedSequenceNumbers ? ulong.MaxValue : uint.MaxValue;
        // Leave 2^20 packets (2^32 with ESN) of head room for the IKE layer to finish a rekey.
        RekeyThreshold = extendedSequenceNumbers ? ulong.MaxValue - uint.MaxValue /* 2^64 - 2^32 */ : (1UL << 32) - (1UL << 20);
        HeaderLength = SpiAndSequenceLength + _cipher.IvLength;
        MaxTrailerLength = _cipher.Alignment - 1 + 2 + _cipher.IcvLength;
    }

    /// <summary>The SPI of this SA.</summary>
    public uint Spi { get; }
    /// <summary>Encryption transform.</summary>
    public EncrId Encryption { get; }
    /// <summary>Encryption key size in bits.</summary>
    public int KeyBits { get; }
    /// <summary>Integrity transform (None for AEAD).</summary>
    public IntegId Integrity { get; }
    /// <summary>True when 64-bit extended sequence numbers are in use.</summary>
    public bool ExtendedSequenceNumbers { get; }
    /// <summary>Tunnel or transport mode.</summary>
    public EspMode Mode { get; }
    /// <summary>Bytes of ESP header (SPI, sequence number, IV) in front of the payload.</summary>
    public int HeaderLength { get; }
    /// <summary>Largest possible trailer (padding, pad length, next header, ICV).</summary>
    public int MaxTrailerLength { get; }
    /// <summary>ICV length in bytes.</summary>
    public int IcvLength => _cipher.IcvLength;
    /// <summary>Outbound sequence number at which <see cref="NeedsRekey"/> turns true.</summary>
    public ulong RekeyThreshold { get; set; }
    /// <summary>Last outbound sequence number used (0 before the first packet).</summary>
    public ulong LastSentSequence => Volatile.Read(ref _lastSent);
    /// <summary>
    /// True once the outbound sequence number reached <see cref="RekeyThreshold"/> or a soft volume limit of
    /// <see cref="Lifetime"/> was reached: rekey before the SA runs out.
    /// </summary>
    public bool NeedsRekey => Volatile.Read(ref _lastSent) >= RekeyThreshold || (_lifetime.HasSoftLimit && Reached(_lifetime.SoftBytes, _lifetime.SoftPackets));

    /// <summary>True once a hard volume limit of <see cref="Lifetime"/> was reached: the SA seals and opens nothing more.</summary>
    public bool IsExpired => _hardLimited && Reached(_lifetime.HardBytes, _lifetime.HardPackets);

    /// <summary>Soft and hard volume limits (default none). Set before the SA is used.</summary>
    public EspLifetime Lifetime
    {
        get => _lifetime;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            _lifetime = value;
            _hardLimited = value.HasHardLimit;
        }
    }

    private bool Reached(long bytes, long packets) =>
        (bytes > 0 && Counters.Bytes >= bytes) || (packets > 0 && Counters.Packets >= packets);
    /// <summary>The anti-replay window of the inbound direction.</summary>
    public ReplayWindow ReplayWindow => _window;
    /// <summary>Packet, byte and drop counters.</summary>
    public EspSaCounters Counters { get; } = new();

    /// <summary>Trailer bytes (padding to the cipher alignment, pad length, next header, ICV) for a payload.</summary>
    public int GetTrailerLength(int payloadLength)
    {
        int align = _cipher.Alignment;
        int pad = (align - ((payloadLength + 2) % align)) % align;
        return pad + 2 + _cipher.IcvLength;
    }

    /// <summary>Reads the SPI of an ESP packet without any other check; false when shorter than 4 bytes.</summary>
    public static bool TryReadSpi(ReadOnlySpan<byte> packet, out uint spi)
    {
        if (packet.Length < 4)
        {
            spi = 0;
            return false;
        }

        spi = BinaryPrimitives.ReadUInt32BigEndian(packet);
        return true;
    }

    /// <summary>
    /// Tunnel mode: seals the IP packet at <paramref name="payloadOffset"/>, taking the Next Header (4 or 41)
    /// from its version nibble. See <see cref="Seal(Span{byte}, int, int, byte, out int, out int)"/>.
    /// </summary>
    public EspSealResult Seal(Span<byte> buffer, int payloadOffset, int payloadLength, out int packetOffset, out int packetLength)
    {
        packetOffset = 0;
        packetLength = 0;
        if (payloadLength < 1 || (uint)payloadOffset >= (uint)buffer.Length)
        {
            return EspSealResult.InvalidPayload;
        }

        int version = buffer[payloadOffset] >> 4;
        byte nextHeader = version switch { 4 => NextHeaderIpv4, 6 => NextHeaderIpv6, _ => 0 };
        return nextHeader == 0
            ? EspSealResult.InvalidPayload
            : Seal(buffer, payloadOffset, payloadLength, nextHeader, out packetOffset, out packetLength);
    }

    /// <summary>
    /// Seals in place: the payload at <paramref name="payloadOffset"/> stays where it is; the ESP header is
    /// written into the <see cref="HeaderLength"/> bytes before it and the trailer after it.
    /// The ESP packet is <c>buffer[packetOffset..(packetOffset + packetLength)]</c>.
    /// </summary>
    public EspSealResult Seal(Span<byte> buffer, int payloadOffset, int payloadLength, byte nextHeader, out int packetOffset, out int packetLength)
    {
        packetOffset = 0;
        packetLength = 0;
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (payloadOffset < HeaderLength || payloadLength < 0
            || (long)payloadOffset + payloadLength + GetTrailerLength(payloadLength) > buffer.Length)
        {
            return EspSealResult.BufferTooSmall;
        }

        if (_lastSent >= _maxSequence)
        {
            return EspSealResult.SequenceExhausted;
        }

        if (IsExpired)
        {
            return EspSealResult.LifetimeExpired;
        }

        ulong sequence = _lastSent + 1;
        Span<byte> iv = buffer.Slice(payloadOffset - _cipher.IvLength, _cipher.IvLength);
        _cipher.GenerateIv(sequence, iv);
        SealCore(buffer, payloadOffset, payloadLength, nextHeader, sequence, out packetOffset, out packetLength);
        return EspSealResult.Ok;
    }

    /// <summary>Test hook: seals with a caller-chosen IV (known-answer vectors) at the next sequence number.</summary>
    internal EspSealResult SealWithIv(Span<byte> buffer, int payloadOffset, int payloadLength, byte nextHeader, ReadOnlySpan<byte> iv, out int packetOffset, out int packetLength)
    {
        packetOffset = 0;
        packetLength = 0;
        if (payloadOffset < HeaderLength || (long)payloadOffset + payloadLength + GetTrailerLength(payloadLength) > buffer.Length)
        {
            return EspSealResult.BufferTooSmall;
        }

        if (_lastSent >= _maxSequence)
        {
            return EspSealResult.SequenceExhausted;
        }

        iv.CopyTo(buffer.Slice(payloadOffset - _cipher.IvLength, _cipher.IvLength));
        SealCore(buffer, payloadOffset, payloadLength, nextHeader, _lastSent + 1, out packetOffset, out packetLength);
        return EspSealResult.Ok;
    }

    /// <summary>
    /// Test hook: encrypts <paramref name="dataLength"/> bytes at <paramref name="dataOffset"/> that already hold
    /// payload, padding, pad length and next header (so tests can authenticate deliberately bad trailers).
    /// </summary>
    internal void SealPreformatted(Span<byte> buffer, int dataOffset, int dataLength, out int packetOffset, out int packetLength,
        ReadOnlySpan<byte> iv = default)
    {
        ulong sequence = _lastSent + 1;
        packetOffset = dataOffset - HeaderLength;
        packetLength = HeaderLength + dataLength + _cipher.IcvLength;
        Span<byte> packet = buffer.Slice(packetOffset, packetLength);
        BinaryPrimitives.WriteUInt32BigEndian(packet, Spi);
        BinaryPrimitives.WriteUInt32BigEndian(packet[4..], (uint)sequence);
        if (iv.IsEmpty)
        {
            _cipher.GenerateIv(sequence, packet.Slice(SpiAndSequenceLength, _cipher.IvLength));
        }
        else
        {
            iv.CopyTo(packet.Slice(SpiAndSequenceLength, _cipher.IvLength));
        }

        _cipher.Seal(packet, dataLength, (uint)(sequence >> 32), ExtendedSequenceNumbers);
        _lastSent = sequence;
    }

    /// <summary>Test hook: makes the next outbound packet use <paramref name="lastSent"/> + 1.</summary>
    internal void SetLastSentSequence(ulong lastSent) => Volatile.Write(ref _lastSent, lastSent);

    private void SealCore(Span<byte> buffer, int payloadOffset, int payloadLength, byte nextHeader, ulong sequence, out int packetOffset, out int packetLength)
    {
        int align = _cipher.Alignment;
        int pad = (align - ((payloadLength + 2) % align)) % align;
        int dataLength = payloadLength + pad + 2;
        Span<byte> trailer = buffer.Slice(payloadOffset + payloadLength, pad + 2);
        for (int i = 0; i < pad; i++)
        {
            trailer[i] = (byte)(i + 1);
        }

        trailer[pad] = (byte)pad;
        trailer[pad + 1] = nextHeader;

        packetOffset = payloadOffset - HeaderLength;
        packetLength = HeaderLength + dataLength + _cipher.IcvLength;
        Span<byte> packet = buffer.Slice(packetOffset, packetLength);
        BinaryPrimitives.WriteUInt32BigEndian(packet, Spi);
        BinaryPrimitives.WriteUInt32BigEndian(packet[4..], (uint)sequence);
        _cipher.Seal(packet, dataLength, (uint)(sequence >> 32), ExtendedSequenceNumbers);
        Volatile.Write(ref _lastSent, sequence);
        Counters.AddPacket(payloadLength);
    }

    /// <summary>
    /// Opens an ESP packet in place. Order (RFC 4303 §3.4): parse, anti-replay check, ICV verification and
    /// decryption, then mark the sequence number, then check padding and Next Header. Never throws on bad input.
    /// On <see cref="EspOpenResult.Ok"/> the inner packet is <c>packet[innerOffset..(innerOffset + innerLength)]</c>;
    /// a Next Header of 59 marks a dummy packet the caller drops.
    /// </summary>
    public EspOpenResult TryOpen(Span<byte> packet, out int innerOffset, out int innerLength, out byte nextHeader)
    {
        innerOffset = 0;
        innerLength = 0;
        nextHeader = 0;
        EspOpenResult result = OpenCore(packet, ref innerOffset, ref innerLength, ref nextHeader);
        if (result == EspOpenResult.Ok)
        {
            Counters.AddPacket(innerLength);
        }
        else
        {
            Counters.AddDrop(result);
        }

        return result;
    }

    private EspOpenResult OpenCore(Span<byte> packet, ref int innerOffset, ref int innerLength, ref byte nextHeader)
    {
        if (_disposed)
        {
            return EspOpenResult.UnknownSpi;
        }

        if (IsExpired)
        {
            return EspOpenResult.LifetimeExpired;
        }

        int dataLength = packet.Length - HeaderLength - _cipher.IcvLength;
        if (dataLength < 2 || (_cipher.Alignment > 4 && dataLength % _cipher.Alignment != 0))
        {
            return EspOpenResult.Malformed;
        }

        if (BinaryPrimitives.ReadUInt32BigEndian(packet) != Spi)
        {
            return EspOpenResult.UnknownSpi;
        }

        uint low = BinaryPrimitives.ReadUInt32BigEndian(packet[4..]);
        ulong sequence = ExtendedSequenceNumbers ? _window.ReconstructEsn(low) : low;
        if (!_window.IsAcceptable(sequence))
        {
            return EspOpenResult.ReplayedOrTooOld;
        }

        if (!_cipher.Open(packet, dataLength, (uint)(sequence >> 32), ExtendedSequenceNumbers))
        {
            return EspOpenResult.AuthenticationFailed;
        }

        _window.Mark(sequence);

        Span<byte> data = packet.Slice(HeaderLength, dataLength);
        int padLength = data[^2];
        byte next = data[^1];
        if (padLength + 2 > dataLength)
        {
            return EspOpenResult.BadPadding;
        }

        ReadOnlySpan<byte> padding = data.Slice(dataLength - 2 - padLength, padLength);
        for (int i = 0; i < padding.Length; i++)
        {
            if (padding[i] != (byte)(i + 1))
            {
                return EspOpenResult.BadPadding;
            }
        }

        if (Mode == EspMode.Tunnel && next is not (NextHeaderIpv4 or NextHeaderIpv6 or NextHeaderNone))
        {
            return EspOpenResult.BadNextHeader;
        }

        innerOffset = HeaderLength;
        innerLength = dataLength - 2 - padLength;
        nextHeader = next;
        return EspOpenResult.Ok;
    }

    private static EspCipher CreateCipher(EncrId encryption, int keyBits, IntegId integrity, ReadOnlySpan<byte> keyMaterial,
        ReadOnlySpan<byte> integrityKey, int icvLength, IRandomSource random)
    {
        bool aes = keyBits is 128 or 192 or 256;
        switch (encryption)
        {
            case EncrId.AesGcm8 or EncrId.AesGcm12 or EncrId.AesGcm16 when aes:
                RequireAead(integrity, integrityKey);
                RequireLength(keyMaterial, keyBits / 8 + 4, nameof(keyMaterial));
                return new EspAeadCipher(chacha: false, keyMaterial, encryption switch { EncrId.AesGcm8 => 8, EncrId.AesGcm12 => 12, _ => 16 });
            case EncrId.ChaCha20Poly1305 when keyBits == 256:
                RequireAead(integrity, integrityKey);
                RequireLength(keyMaterial, 36, nameof(keyMaterial));
                return new EspAeadCipher(chacha: true, keyMaterial);
            case EncrId.AesCbc when aes:
                RequireLength(keyMaterial, keyBits / 8, nameof(keyMaterial));
                return Classic(new EspCbcEncryption(keyMaterial, random), encryption, integrity, integrityKey, icvLength);
            case EncrId.AesCtr when aes:
                RequireLength(keyMaterial, keyBits / 8 + 4, nameof(keyMaterial));
                return Classic(new EspCtrEncryption(keyMaterial), encryption, integrity, integrityKey, icvLength);
            default:
                throw new NotSupportedException($"ESP encryption {encryption} with {keyBits}-bit keys is not supported");
        }
    }

    /// <summary>Pairs a classic cipher with its integrity algorithm (one MAC instance per direction).</summary>
    private static EspCipher Classic(EspEncryption encryption, EncrId encr, IntegId integrity, ReadOnlySpan<byte> integrityKey, int icvLength)
    {
        try
        {
            if (!IntegrityParameters(integrity, out int keyLength, out int standardIcv, out int minIcv, out int maxIcv, out HashAlgorithmName hash))
            {
                throw new NotSupportedException($"integrity {integrity} is not supported with {encr}");
            }

            RequireLength(integrityKey, keyLength, nameof(integrityKey));
            int icv = icvLength == 0 ? standardIcv : icvLength;
            if (icv < minIcv || icv > maxIcv)
            {
                throw new ArgumentOutOfRangeException(nameof(icvLength), $"an ICV of {icv} bytes is not valid for {integrity}");
            }

            EspIntegrity seal = Mac(integrity, hash, integrityKey, icv);
            EspIntegrity open = Mac(integrity, hash, integrityKey, icv);
            return new EspEncryptThenMacCipher(encryption, seal, open);
        }
        catch
        {
            encryption.Dispose();
            throw;
        }
    }

    private static EspIntegrity Mac(IntegId integrity, HashAlgorithmName hash, ReadOnlySpan<byte> key, int icv) => hash == default
        ? new EspAesMacIntegrity(cmac: integrity == IntegId.AesCmac96, key)
        : new EspHmacIntegrity(hash, key, icv);

    /// <summary>
    /// Key length and ICV lengths (the one IKE negotiates, the smallest and largest allowed) of an ESP integrity
    /// transform, with Android's IpSecAlgorithm truncation ranges (HMAC-MD5 and HMAC-SHA1 and HMAC-SHA2-256 from 96
    /// bits, HMAC-SHA2-384 from 192, HMAC-SHA2-512 from 256, each up to the full hash; the AES MACs 96 bits only).
    /// <paramref name="hash"/> is the HMAC hash, default for the AES MACs.
    /// </summary>
    internal static bool IntegrityParameters(IntegId integrity, out int keyLength, out int standardIcv, out int minIcv, out int maxIcv,
        out HashAlgorithmName hash)
    {
        (keyLength, standardIcv, minIcv, maxIcv, hash) = integrity switch
        {
            IntegId.HmacMd5_96 => (16, 12, 12, 16, HashAlgorithmName.MD5),
            IntegId.HmacSha1_96 => (20, 12, 12, 20, HashAlgorithmName.SHA1),
            IntegId.HmacSha2_256_128 => (32, 16, 12, 32, HashAlgorithmName.SHA256),
            IntegId.HmacSha2_384_192 => (48, 24, 24, 48, HashAlgorithmName.SHA384),
            IntegId.HmacSha2_512_256 => (64, 32, 32, 64, HashAlgorithmName.SHA512),
            IntegId.AesXcbc96 or IntegId.AesCmac96 => (16, 12, 12, 12, default),
            _ => (0, 0, 0, 0, default),
        };
        return keyLength > 0;
    }

    private static void RequireAead(IntegId integrity, ReadOnlySpan<byte> integrityKey)
    {
        if (integrity != IntegId.None || !integrityKey.IsEmpty)
        {
            throw new ArgumentException("AEAD transforms take no integrity algorithm or key");
        }
    }

    private static void RequireLength(ReadOnlySpan<byte> key, int expected, string name)
    {
        if (key.Length != expected)
        {
            throw new ArgumentException($"expected {expected} bytes of key material, got {key.Length}", name);
        }
    }

    /// <summary>Releases the cipher contexts and wipes key copies.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _cipher.Dispose();
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"ESP SA 0x{Spi:x8} {Encryption}/{KeyBits} {Integrity} {Mode}{(ExtendedSequenceNumbers ? " ESN" : "")}";
}
