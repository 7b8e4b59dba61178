namespace Ikev2Client.Protocol.Crypto;

/// <summary>
/// An encryption transform with a fixed key size: AES-CBC, AES-CTR, AES-GCM (8/12/16-byte ICV) or
/// ChaCha20-Poly1305. Obtain instances from <see cref="CryptoRegistry.TryGetEncryption"/>.
/// </summary>
internal sealed class EncryptionAlgorithm : IIkeEncryption
{
    private EncryptionAlgorithm(EncrId id, int keyBits, bool isAead, int saltLength, int ivLength, int icvLength, int blockSize)
    {
        Id = id;
        KeyBits = keyBits;
        IsAead = isAead;
        KeyMaterialLength = keyBits / 8 + saltLength;
        IvLength = ivLength;
        IcvLength = icvLength;
        BlockSize = blockSize;
        Name = CryptoNames.Encryption((ushort)id, id == EncrId.ChaCha20Poly1305 ? 0 : keyBits);
    }

    public EncrId Id { get; }
    public int KeyBits { get; }
    public string Name { get; }
    public bool IsAead { get; }
    public int KeyMaterialLength { get; }
    public int IvLength { get; }
    public int IcvLength { get; }
    public int BlockSize { get; }

    internal static EncryptionAlgorithm AesCbc(int keyBits) => new(EncrId.AesCbc, keyBits, false, 0, 16, 0, 16);
    internal static EncryptionAlgorithm AesCtr(int keyBits) => new(EncrId.AesCtr, keyBits, false, 4, 8, 0, 1);
    internal static EncryptionAlgorithm AesGcm(EncrId id, int keyBits) =>
        new(id, keyBits, true, 4, 8, id switch { EncrId.AesGcm8 => 8, EncrId.AesGcm12 => 12, _ => 16 }, 1);
    internal static EncryptionAlgorithm ChaCha20Poly1305() => new(EncrId.ChaCha20Poly1305, 256, true, 4, 8, 16, 1);

    /// <summary>Creates a keyed engine; <paramref name="keyMaterial"/> includes the salt/nonce.</summary>
    internal ISkEngine CreateEngine(ReadOnlySpan<byte> keyMaterial)
    {
        if (keyMaterial.Length != KeyMaterialLength)
            throw new ArgumentException($"{Name} needs {KeyMaterialLength} bytes of key material.", nameof(keyMaterial));
        return Id switch
        {
            EncrId.AesCbc => new AesCbcEngine(keyMaterial),
            EncrId.AesCtr => new AesCtrEngine(keyMaterial),
            EncrId.AesGcm8 => new AesGcm8Engine(keyMaterial),
            EncrId.AesGcm12 or EncrId.AesGcm16 => new AesGcmEngine(keyMaterial, IcvLength),
            EncrId.ChaCha20Poly1305 => new ChaCha20Poly1305Engine(keyMaterial),
            _ => throw new NotSupportedException($"{Name} is not supported."),
        };
    }

    public override string ToString() => Name;
}
