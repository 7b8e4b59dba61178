namespace Ikev2Client.Profiles;

/// <summary>
/// Every size, depth, length and count limit on profile input (docs/profiles.md, "Limits"). Each is enforced with
/// an error that names the limit; none is near what a real profile needs.
/// </summary>
public static class ProfileLimits
{
    /// <summary>Bytes of a profile file (any format).</summary>
    public const int MaxFileBytes = 4 * 1024 * 1024;
    /// <summary>Nesting of JSON objects and arrays (profile files and the service's line protocol).</summary>
    public const int MaxJsonDepth = 32;
    /// <summary>JSON tokens (keys and values) in one document.</summary>
    public const int MaxJsonTokens = 100_000;
    /// <summary>Nesting of XML elements (ProfileXML, SyncML; the real ones nest about 12 deep).</summary>
    public const int MaxXmlDepth = 64;
    /// <summary>XML elements in one ProfileXML document.</summary>
    public const int MaxXmlElements = 10_000;
    /// <summary>Nesting of property-list values (.mobileconfig).</summary>
    public const int MaxPlistDepth = 32;
    /// <summary>Property-list values in one .mobileconfig.</summary>
    public const int MaxPlistValues = 100_000;
    /// <summary>Import notes kept per import (the rest are counted in one last note).</summary>
    public const int MaxNotes = 100;

    /// <summary>Characters of <c>serverAddr</c> and <c>proxy.host</c> (a DNS name is at most 253).</summary>
    public const int MaxHostLength = 253;
    /// <summary>Characters of <c>userIdentity</c> and <c>remoteIdentity</c> (a distinguished name can be long).</summary>
    public const int MaxIdentityLength = 1024;
    /// <summary>Characters of <c>username</c> (EAP identity; MS-CHAPv2 allows 256, RFC 2759).</summary>
    public const int MaxUsernameLength = 256;
    /// <summary>Characters of <c>password</c> (MS-CHAPv2 allows 256, RFC 2759).</summary>
    public const int MaxPasswordLength = 256;
    /// <summary>Bytes of <c>psk</c>.</summary>
    public const int MaxPskBytes = 1024;
    /// <summary>Bytes of <c>pkcs12</c>.</summary>
    public const int MaxPkcs12Bytes = 256 * 1024;
    /// <summary>Characters of <c>pkcs12Password</c>.</summary>
    public const int MaxPkcs12PasswordLength = 1024;
    /// <summary>Bytes of one certificate (DER, or its PEM text).</summary>
    public const int MaxCertificateBytes = 64 * 1024;
    /// <summary>Characters of <c>privateKey</c> (PEM).</summary>
    public const int MaxPrivateKeyChars = 64 * 1024;
    /// <summary>Characters of <c>ikeProposal</c> and <c>espProposal</c>.</summary>
    public const int MaxProposalLength = 1024;
    /// <summary>Entries of <c>allowedAlgorithms</c>.</summary>
    public const int MaxAllowedAlgorithms = 32;
    /// <summary>Entries of <c>dnsServers</c>.</summary>
    public const int MaxDnsServers = 16;
    /// <summary>Entries of each of <c>splitTunneling.include</c>, <c>splitTunneling.exclude</c>, <c>allowedApps</c>,
    /// <c>disallowedApps</c> and <c>proxy.exclusions</c>.</summary>
    public const int MaxListEntries = 1024;
    /// <summary>Characters of one list entry (an app id, a subnet, a DNS address, an algorithm, a proxy exclusion).</summary>
    public const int MaxListEntryLength = 256;
}
