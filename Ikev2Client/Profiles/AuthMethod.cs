namespace Ikev2Client.Profiles;

/// <summary>How the client authenticates itself (the server always authenticates with a certificate,
/// except with <see cref="Psk"/>). JSON names: psk, usernamePassword, digitalSignature, eapTls, eapOnly, certificateThenEap.</summary>
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
    /// <summary>
    /// Two authentication rounds (RFC 4739, strongSwan <c>ikev2-cert-eap</c>): the user certificate, then EAP with
    /// username and password (<see cref="Profiles.EapMethod.MsChapV2"/> unless <c>eapMethod</c> says md5); the server
    /// authenticates with a certificate.
    /// </summary>
    CertificateThenEap,
}

/// <summary>EAP method used with <see cref="AuthMethod.EapOnly"/> and (second round) <see cref="AuthMethod.CertificateThenEap"/>. JSON names: msChapV2, tls, md5.</summary>
public enum EapMethod
{
    /// <summary>EAP-MSCHAPv2 (username and password).</summary>
    MsChapV2,
    /// <summary>EAP-TLS (user certificate).</summary>
    Tls,
    /// <summary>EAP-MD5 (username and password; no mutual authentication).</summary>
    Md5,
}
