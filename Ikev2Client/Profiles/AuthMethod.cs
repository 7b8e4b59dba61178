namespace Ikev2Client.Profiles;

/// <summary>How the client authenticates itself (the server always authenticates with a certificate,
/// except with <see cref="Psk"/>). JSON names: psk, usernamePassword, digitalSignature, eapTls, eapOnly.</summary>
public enum AuthMethod
{
    /// <summary>IKE pre-shared key on both sides.</summary>
    Psk,
    /// <summary>EAP-MSCHAPv2 with username and password; server authenticates with a certificate.</summary>
    UsernamePassword,
    /// <summary>Public-key signature with the user certificate and private key.</summary>
    DigitalSignature,
    /// <summary>EAP-TLS with the user certificate; server authenticates with a certificate.</summary>
    EapTls,
    /// <summary>EAP-only authentication (RFC 5998): the server authenticates inside the EAP method too.</summary>
    EapOnly,
}

/// <summary>EAP method used with <see cref="AuthMethod.EapOnly"/>. JSON names: msChapV2, tls, md5.</summary>
public enum EapMethod
{
    /// <summary>EAP-MSCHAPv2 (username and password).</summary>
    MsChapV2,
    /// <summary>EAP-TLS (user certificate).</summary>
    Tls,
    /// <summary>EAP-MD5 (username and password; no mutual authentication).</summary>
    Md5,
}
