namespace Ikev2Client.Protocol.Auth;

/// <summary>Why a peer's public-key AUTH payload was not accepted.</summary>
internal enum SignatureFailure
{
    None,
    /// <summary>The AUTH method is not a public-key method we support (e.g. DSS, or PSK where a signature was expected).</summary>
    UnsupportedMethod,
    /// <summary>Method 14 with an AlgorithmIdentifier we do not support.</summary>
    UnsupportedAlgorithm,
    /// <summary>The AUTH data is truncated or its structure is wrong.</summary>
    Malformed,
    /// <summary>The method or algorithm needs a different key type or curve than the certificate's key.</summary>
    KeyMismatch,
    /// <summary>The algorithm uses a hash we did not offer in SIGNATURE_HASH_ALGORITHMS.</summary>
    HashNotOffered,
    /// <summary>The signature is well-formed but does not verify: wrong key, or the signed octets differ.</summary>
    BadSignature,
}

/// <summary>The outcome of verifying a peer's AUTH payload. Never an exception.</summary>
/// <param name="Failure"><see cref="SignatureFailure.None"/> when the signature verified.</param>
/// <param name="Scheme">The signature scheme the peer used, when it could be determined.</param>
/// <param name="Message">A sentence a person can act on; empty on success.</param>
internal sealed record SignatureVerification(SignatureFailure Failure, SignatureScheme? Scheme, string Message)
{
    public bool IsValid => Failure == SignatureFailure.None;

    internal static SignatureVerification Ok(SignatureScheme scheme) => new(SignatureFailure.None, scheme, "");
    internal static SignatureVerification Fail(SignatureFailure failure, string message, SignatureScheme? scheme = null) => new(failure, scheme, message);
}
