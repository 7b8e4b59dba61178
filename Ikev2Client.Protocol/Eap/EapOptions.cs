using System.Security.Cryptography.X509Certificates;
using Ikev2Client.Protocol.Auth;

namespace Ikev2Client.Protocol.Eap;

/// <summary>What the EAP peer (our client) authenticates with. The password never appears in ToString.</summary>
public sealed class EapPeerOptions
{
    /// <summary>The EAP identity (user name); for MS-CHAPv2 a "DOMAIN\user" form hashes only the user part.</summary>
    public required string Identity { get; init; }

    /// <summary>The password for EAP-MD5 and EAP-MSCHAPv2.</summary>
    public string? Password { get; init; }

    /// <summary>Our certificate and key for EAP-TLS.</summary>
    public ClientCredential? TlsCredential { get; init; }

    /// <summary>CA certificates the EAP-TLS server's certificate must chain to.</summary>
    public IReadOnlyList<X509Certificate2> TlsTrustedCas { get; init; } = Array.Empty<X509Certificate2>();

    /// <summary>The name the EAP-TLS server certificate must carry (dNSName); null accepts any name from a trusted CA.</summary>
    public string? TlsServerName { get; init; }

    /// <summary>Methods we accept, in order of preference (sent in a Nak when the server proposes another).</summary>
    public IReadOnlyList<EapMethodType> AllowedMethods { get; init; } = new[] { EapMethodType.MsChapV2, EapMethodType.Tls, EapMethodType.Md5Challenge };

    /// <summary>Randomness for challenges and TLS (the system CSPRNG unless a test injects another).</summary>
    public IRandomSource Random { get; init; } = SystemRandomSource.Instance;

    /// <summary>Time for certificate validity checks.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Largest EAP-TLS fragment we send (TLS bytes per EAP message).</summary>
    public int TlsFragmentSize { get; init; } = 1024;

    /// <summary>The identity and methods, never the password.</summary>
    public override string ToString() => $"EAP peer '{Identity}'";
}

/// <summary>The minimal EAP authenticator (server) used by our responder and in-process tests.</summary>
public sealed class EapServerOptions
{
    /// <summary>The method the server proposes after EAP-Identity.</summary>
    public required EapMethodType Method { get; init; }

    /// <summary>Looks up the password of an identity; null for an unknown user.</summary>
    public Func<string, string?> PasswordLookup { get; init; } = _ => null;

    /// <summary>The server's certificate and key for EAP-TLS.</summary>
    public ClientCredential? TlsCredential { get; init; }

    /// <summary>CAs a peer's EAP-TLS certificate must chain to.</summary>
    public IReadOnlyList<X509Certificate2> TlsClientCas { get; init; } = Array.Empty<X509Certificate2>();

    /// <summary>The name the server reports in EAP-MSCHAPv2 (its Name field).</summary>
    public string ServerName { get; init; } = "ikev2";

    /// <summary>Randomness for challenges and TLS (the system CSPRNG unless a test injects another).</summary>
    public IRandomSource Random { get; init; } = SystemRandomSource.Instance;

    /// <summary>The clock for EAP-TLS certificate validity checks.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Largest EAP-TLS fragment we send (TLS bytes per EAP message).</summary>
    public int TlsFragmentSize { get; init; } = 1024;

    /// <summary>The method, never a password.</summary>
    public override string ToString() => $"EAP server ({Method})";
}
