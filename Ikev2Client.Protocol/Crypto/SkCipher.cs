using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Ikev2Client.Protocol.Crypto;

/// <summary>
/// Protects the SK (RFC 7296 §3.14, RFC 5282 for AEAD) and SKF (RFC 7383) payloads at the byte level:
/// <c>IV | Encrypted(plaintext | padding | pad length) | ICV</c> after the already-written headers.
/// Holds one direction's keys; dispose to release them.
/// </summary>
public sealed class SkCipher : IDisposable, Ikev2Client.Protocol.Wire.ISkProtector
{
    private readonly IIkeEncryption _encryption;
    private readonly IIkeIntegrity? _integrity;
    private readonly ISkEngine _engine;
    private readonly byte[] _integrityKey;
    private bool _disposed;

    private SkCipher(IIkeEncryption encryption, IIkeIntegrity? integrity, ISkEngine engine, byte[] integrityKey)
    {
        _encryption = encryption;
        _integrity = integrity;
        _engine = engine;
        _integrityKey = integrityKey;
        IvLength = encryption.IvLength;
        IcvLength = encryption.IsAead ? encryption.IcvLength : integrity!.IcvLength;
    }

    /// <summary>
    /// The SK protection of one direction of an IKE SA from its negotiated transforms and keys (SK_ei and SK_ai for
    /// what the original initiator sends, SK_er and SK_ar for the responder), e.g. to decrypt captured messages.
    /// </summary>
    /// <param name="encryption">The ENCR transform.</param>
    /// <param name="keyBits">Its key size in bits (0 or 256 for ChaCha20-Poly1305).</param>
    /// <param name="integrity">The INTEG transform; <see cref="IntegId.None"/> with an AEAD cipher.</param>
    /// <param name="encryptionKey">SK_e, including the salt for AES-GCM, AES-CTR and ChaCha20-Poly1305.</param>
    /// <param name="integrityKey">SK_a; empty with an AEAD cipher.</param>
    /// <param name="cipher">The protection, when the transforms are supported and the keys have their lengths.</param>
    /// <param name="error">Otherwise why not, naming the lengths the keys need (never the keys).</param>
    public static bool TryCreate(EncrId encryption, int keyBits, IntegId integrity, ReadOnlySpan<byte> encryptionKey, ReadOnlySpan<byte> integrityKey,
        [NotNullWhen(true)] out SkCipher? cipher, [NotNullWhen(false)] out string? error)
    {
        cipher = null;
        if (!CryptoRegistry.TryGetEncryption(encryption, keyBits, out var encr))
        {
            error = $"{CryptoRegistry.NameOf(Wire.TransformType.Encryption, (ushort)encryption, keyBits)} is not supported";
            return false;
        }
        IIkeIntegrity? integ = null;
        if (!encr.IsAead && (integrity == IntegId.None || !CryptoRegistry.TryGetIntegrity(integrity, out integ)))
        {
            error = integrity == IntegId.None ? $"{encr.Name} needs an integrity algorithm"
                : $"{CryptoRegistry.NameOf(Wire.TransformType.Integrity, (ushort)integrity)} is not supported";
            return false;
        }
        string names = integ is null ? encr.Name : $"{encr.Name}/{integ.Name}";
        if (encryptionKey.Length != encr.KeyMaterialLength || (integ is null ? !integrityKey.IsEmpty : integrityKey.Length != integ.KeyLength))
        {
            error = $"the keys' lengths don't fit {names} (SK_e needs {encr.KeyMaterialLength} bytes" +
                    (integ is null ? ", and there is no SK_a)" : $", SK_a {integ.KeyLength})");
            return false;
        }
        cipher = Create(encr, integ, encryptionKey, integrityKey);
        error = null;
        return true;
    }

    /// <summary>
    /// <paramref name="encryptionKey"/> includes the salt for AEAD/CTR; <paramref name="integrityKey"/> is empty
    /// (and <paramref name="integrity"/> null) for AEAD.
    /// </summary>
    internal static SkCipher Create(IIkeEncryption encryption, IIkeIntegrity? integrity, ReadOnlySpan<byte> encryptionKey, ReadOnlySpan<byte> integrityKey)
    {
        ArgumentNullException.ThrowIfNull(encryption);
        if (encryption is not EncryptionAlgorithm algorithm)
            throw new ArgumentException("Use an encryption transform from CryptoRegistry.", nameof(encryption));
        if (encryption.IsAead)
        {
            if (integrity is not null || !integrityKey.IsEmpty)
                throw new ArgumentException("AEAD transforms take no integrity transform or key.", nameof(integrity));
        }
        else
        {
            if (integrity is null)
                throw new ArgumentException($"{encryption.Name} needs an integrity transform.", nameof(integrity));
            if (integrityKey.Length != integrity.KeyLength)
                throw new ArgumentException($"{integrity.Name} needs a {integrity.KeyLength}-byte key.", nameof(integrityKey));
        }
        return new SkCipher(encryption, integrity, algorithm.CreateEngine(encryptionKey), integrityKey.ToArray());
    }

    /// <summary>Bytes of IV at the start of the protected data.</summary>
    public int IvLength { get; }
    /// <summary>Bytes of integrity check value at its end.</summary>
    public int IcvLength { get; }

    /// <summary>Bytes of IV + ciphertext(plaintext + padding + pad-length byte) + ICV that Seal writes.</summary>
    public int GetSealedLength(int plaintextLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(plaintextLength);
        return IvLength + CiphertextLength(plaintextLength) + IcvLength;
    }

    private int CiphertextLength(int plaintextLength)
    {
        int block = _encryption.BlockSize;
        return (plaintextLength + 1 + block - 1) / block * block;
    }

    /// <summary>
    /// message[0..ivOffset) is the already-written IKE header plus SK/SKF header with final lengths (the AEAD
    /// associated data); message.Length must equal ivOffset + GetSealedLength(plaintext.Length).
    /// Writes the IV (from <paramref name="random"/>), the ciphertext and the ICV. Padding bytes are zero.
    /// </summary>
    public void Seal(Span<byte> message, int ivOffset, ReadOnlySpan<byte> plaintext, IRandomSource random)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(ivOffset);
        if (message.Length != ivOffset + GetSealedLength(plaintext.Length))
            throw new ArgumentException("Message length does not match GetSealedLength.", nameof(message));

        int ctLength = CiphertextLength(plaintext.Length);
        Span<byte> iv = message.Slice(ivOffset, IvLength);
        Span<byte> body = message.Slice(ivOffset + IvLength, ctLength);
        Span<byte> icv = message[^IcvLength..];
        random.Fill(iv);

        plaintext.CopyTo(body);
        int padLength = ctLength - plaintext.Length - 1;
        body.Slice(plaintext.Length, padLength).Clear();
        body[^1] = (byte)padLength;

        if (_encryption.IsAead)
        {
            _engine.Encrypt(iv, body, body, icv, message[..ivOffset]);
        }
        else
        {
            _engine.Encrypt(iv, body, body, default, default);
            _integrity!.Compute(_integrityKey, message[..^IcvLength], icv);
        }
    }

    /// <summary>
    /// Verifies the ICV first (constant time), decrypts and checks the pad length. Returns false on any
    /// failure and never throws on bad input.
    /// </summary>
    public bool TryOpen(ReadOnlySpan<byte> message, int ivOffset, [NotNullWhen(true)] out byte[]? plaintext)
    {
        plaintext = null;
        if (_disposed || ivOffset < 0 || ivOffset > message.Length)
            return false;
        int ctLength = message.Length - ivOffset - IvLength - IcvLength;
        if (ctLength < 1 || ctLength % _encryption.BlockSize != 0)
            return false;

        ReadOnlySpan<byte> iv = message.Slice(ivOffset, IvLength);
        ReadOnlySpan<byte> body = message.Slice(ivOffset + IvLength, ctLength);
        ReadOnlySpan<byte> icv = message[^IcvLength..];

        if (!_encryption.IsAead)
        {
            Span<byte> expected = stackalloc byte[64];
            expected = expected[..IcvLength];
            _integrity!.Compute(_integrityKey, message[..^IcvLength], expected);
            if (!CryptographicOperations.FixedTimeEquals(expected, icv))
                return false;
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(ctLength);
        try
        {
            Span<byte> decrypted = buffer.AsSpan(0, ctLength);
            if (!_engine.Decrypt(iv, body, icv, decrypted, message[..ivOffset]))
                return false;
            int padLength = decrypted[^1];
            if (padLength + 1 > ctLength)
                return false;
            plaintext = decrypted[..(ctLength - padLength - 1)].ToArray();
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer.AsSpan(0, ctLength));
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Clears the keys.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _engine.Dispose();
        CryptographicOperations.ZeroMemory(_integrityKey);
    }

    /// <summary>The transform names, never the keys.</summary>
    public override string ToString() => _integrity is null ? _encryption.Name : $"{_encryption.Name}/{_integrity.Name}";
}
