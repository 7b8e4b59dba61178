namespace Ikev2Client.Protocol.Auth;

/// <summary>Why client credentials could not be loaded.</summary>
public enum CredentialErrorKind
{
    /// <summary>The PKCS#12 password is wrong (or the file is damaged).</summary>
    WrongPassword,
    /// <summary>No certificate, or no certificate with a private key, was found.</summary>
    NoCertificate,
    /// <summary>The private key could not be read (bad PEM, encrypted without a password, unsupported type).</summary>
    BadPrivateKey,
    /// <summary>The private key does not belong to the certificate.</summary>
    KeyMismatch,
    /// <summary>The key type is not usable for IKE (not RSA, ECDSA P-256/384/521 or Ed25519).</summary>
    UnsupportedKey,
}

/// <summary>A credential loading failure; the message never contains key material or passwords.</summary>
public sealed record CredentialError(CredentialErrorKind Kind, string Message)
{
    /// <summary>The kind and the message.</summary>
    public override string ToString() => $"{Kind}: {Message}";
}
