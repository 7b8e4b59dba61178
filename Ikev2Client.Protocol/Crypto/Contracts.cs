namespace Ikev2Client.Protocol.Crypto;

/// <summary>A pseudorandom function (transform type 2).</summary>
internal interface IIkePrf
{
    PrfId Id { get; }
    /// <summary>IANA-style name, e.g. PRF_HMAC_SHA2_256.</summary>
    string Name { get; }
    /// <summary>Output length in bytes.</summary>
    int OutputLength { get; }
    /// <summary>Preferred key length in bytes (HMAC: output length; AES-XCBC/CMAC: 16, fixed).</summary>
    int KeyLength { get; }
    /// <summary>True for PRFs that need a fixed-length key (AES-XCBC, AES-CMAC; RFC 7296 §2.14).</summary>
    bool HasFixedKeyLength { get; }
    void Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> destination);
}

/// <summary>An integrity algorithm (transform type 3).</summary>
internal interface IIkeIntegrity
{
    IntegId Id { get; }
    string Name { get; }
    int KeyLength { get; }
    /// <summary>Truncated ICV length in bytes.</summary>
    int IcvLength { get; }
    void Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> icv);
}

/// <summary>An encryption algorithm (transform type 1) with a fixed key size.</summary>
internal interface IIkeEncryption
{
    EncrId Id { get; }
    /// <summary>Key size in bits (the Key Length attribute); 256 for ChaCha20-Poly1305.</summary>
    int KeyBits { get; }
    string Name { get; }
    bool IsAead { get; }
    /// <summary>Bytes of keying material taken from prf+: key plus salt (AES-GCM: 4, AES-CTR: 4, ChaCha20-Poly1305: 4).</summary>
    int KeyMaterialLength { get; }
    /// <summary>Explicit IV length carried in the packet (AES-CBC: 16; GCM/CTR/ChaCha: 8).</summary>
    int IvLength { get; }
    /// <summary>ICV length for AEAD algorithms, 0 otherwise.</summary>
    int IcvLength { get; }
    /// <summary>Alignment of plaintext plus pad-length byte (AES-CBC: 16; stream and AEAD: 1).</summary>
    int BlockSize { get; }
}

/// <summary>One side of a key exchange (transform type 4).</summary>
internal interface IKeyExchange : IDisposable
{
    KeGroup Group { get; }
    /// <summary>Our public value as carried in the KE payload's Key Exchange Data.</summary>
    ReadOnlyMemory<byte> PublicValue { get; }
    /// <summary>
    /// Validates the peer's public value (length, point on curve, 1 &lt; y &lt; p-1, non-zero shared secret)
    /// and computes g^ir in the RFC 7296 encoding. Returns false with a reason when the value is invalid.
    /// </summary>
    bool TryDeriveSharedSecret(ReadOnlySpan<byte> peerPublicValue, out byte[] sharedSecret, out string? error);
}
