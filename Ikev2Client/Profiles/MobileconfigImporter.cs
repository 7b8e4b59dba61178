using System.Security.Cryptography.X509Certificates;

namespace Ikev2Client.Profiles;

/// <summary>
/// Imports Apple configuration profiles (<c>.mobileconfig</c>) carrying a <c>com.apple.vpn.managed</c> payload
/// with <c>VPNType</c> IKEv2 (or AlwaysOn with an IKEv2 tunnel). CMS-signed profiles are unwrapped (signature
/// not verified); encrypted profiles are refused. Certificates come from embedded
/// <c>com.apple.security.pkcs12</c> and <c>com.apple.security.root</c>/<c>.pem</c>/<c>.pkcs1</c> payloads.
/// </summary>
public static class MobileconfigImporter
{
    private const string Format = ".mobileconfig";

    private static readonly HashSet<string> HandledIkeKeys =
    [
        "RemoteAddress", "RemoteIdentifier", "LocalIdentifier", "AuthenticationMethod", "ExtendedAuthEnabled", "AuthName",
        "AuthPassword", "SharedSecret", "PayloadCertificateUUID", "ServerCertificateIssuerCommonName",
        "IKESecurityAssociationParameters", "ChildSecurityAssociationParameters", "EnablePFS", "DeadPeerDetectionRate",
        "NATKeepAliveInterval", "MTU", "ExcludeLocalNetworks", "ProtocolType", "Interfaces", "AllowPostQuantumKeyExchangeFallback",
    ];

    /// <summary>Imports a .mobileconfig (XML plist or CMS-signed).</summary>
    public static ImportResult Import(byte[] content, ImportOptions? options = null)
    {
        var notes = new ImportNotes();
        var xml = content;
        if (CmsUnwrapper.LooksLikeCms(content))
        {
            xml = CmsUnwrapper.Unwrap(content);
            notes.Add(new(ImportNoteKind.Unsupported, "(signature)", "the CMS signature was removed without being verified"));
        }
        using var stream = new MemoryStream(xml, writable: false);
        if (PlistReader.Parse(stream, Format) is not Dictionary<string, object> top)
            throw new ProfileImportException($"{Format}: the property list's root is not a dictionary");
        if (top.ContainsKey("EncryptedPayloadContent") || Bool(top, "IsEncrypted"))
            throw new ProfileImportException($"{Format}: the profile is encrypted for one device (EncryptedPayloadContent) and cannot be imported");
        var payloads = (top.GetValueOrDefault("PayloadContent") as List<object> ?? [])
            .OfType<Dictionary<string, object>>().ToList();
        var vpns = payloads.Where(p => Str(p, "PayloadType") == "com.apple.vpn.managed").ToList();
        if (vpns.Count == 0) throw new ProfileImportException($"{Format}: no com.apple.vpn.managed payload");
        var vpn = vpns.FirstOrDefault(v => Str(v, "VPNType") is "IKEv2" or "AlwaysOn")
                  ?? throw new ProfileImportException($"{Format}: VPNType {SafeText.Quote(Str(vpns[0], "VPNType"))} is not IKEv2");
        foreach (var other in vpns.Where(v => v != vpn))
            notes.Add(new(ImportNoteKind.Ignored, "PayloadContent", $"VPN payload {SafeText.Quote(Str(other, "UserDefinedName"))} not imported (one profile per import)"));

        var b = new Ikev2VpnProfile.Builder();
        Dictionary<string, object> ike;
        if (Str(vpn, "VPNType") == "AlwaysOn")
        {
            var tunnels = (Dict(vpn, "AlwaysOn")?.GetValueOrDefault("TunnelConfigurations") as List<object> ?? []).OfType<Dictionary<string, object>>();
            ike = tunnels.FirstOrDefault(t => Str(t, "ProtocolType") is null or "IKEv2")
                  ?? throw new ProfileImportException($"{Format}: AlwaysOn has no IKEv2 tunnel configuration");
            b.AlwaysOn = true;
            b.Lockdown = true;
            notes.Add(new(ImportNoteKind.DefaultApplied, "VPNType", "AlwaysOn: imported as alwaysOn with lockdown; service and application exceptions are ignored"));
        }
        else ike = Dict(vpn, "IKEv2") ?? throw new ProfileImportException($"{Format}: the VPN payload has no IKEv2 dictionary");

        var name = Str(vpn, "UserDefinedName") ?? Str(vpn, "PayloadDisplayName") ?? Str(top, "PayloadDisplayName") ?? "imported";
        b.Name = ProfileName.Sanitize(name);
        if (b.Name != name) notes.Add(new(ImportNoteKind.DefaultApplied, "UserDefinedName", $"renamed to {SafeText.Quote(b.Name)} to make a valid profile name"));
        b.ServerAddr = Str(ike, "RemoteAddress") ?? throw new ProfileImportException($"{Format}: IKEv2.RemoteAddress is missing");
        b.RemoteIdentity = Str(ike, "RemoteIdentifier");
        if (b.RemoteIdentity is null) notes.Add(new(ImportNoteKind.DefaultApplied, "RemoteIdentifier", "missing; the server address is used"));
        b.UserIdentity = string.IsNullOrEmpty(Str(ike, "LocalIdentifier")) ? null : Str(ike, "LocalIdentifier");

        MapAuth(ike, payloads, b, notes);
        MapProposals(ike, b, notes);
        MapOther(ike, vpn, b, notes);
        foreach (var key in ike.Keys.Where(k => !HandledIkeKeys.Contains(k)))
            notes.Add(new(ImportNoteKind.Ignored, "IKEv2." + key, "not supported by this client"));
        return ImportBuild.Finish(b, notes, ProfileFormat.Mobileconfig, options, Format);
    }

    private static void MapAuth(Dictionary<string, object> ike, List<Dictionary<string, object>> payloads, Ikev2VpnProfile.Builder b, ImportNotes notes)
    {
        var method = Str(ike, "AuthenticationMethod") ?? "None";
        var eap = Bool(ike, "ExtendedAuthEnabled");
        var certUuid = Str(ike, "PayloadCertificateUUID");
        b.ServerRootCaCert = FindRoot(payloads, Str(ike, "ServerCertificateIssuerCommonName"), notes);

        if (method == "SharedSecret" || (method == "None" && !eap))
        {
            b.AuthMethod = AuthMethod.Psk;
            if (Str(ike, "SharedSecret") is { } s) b.Psk = System.Text.Encoding.UTF8.GetBytes(s);
            if (eap) notes.Add(new(ImportNoteKind.Unsupported, "ExtendedAuthEnabled", "EAP after a shared secret is not supported; PSK only"));
            return;
        }
        if (method == "Certificate" && !eap)
        {
            b.AuthMethod = AuthMethod.DigitalSignature;
            LoadCredential(payloads, certUuid, b);
            return;
        }
        if (method is not ("Certificate" or "None"))
            throw new ProfileImportException($"{Format}: AuthenticationMethod {SafeText.Quote(method)} is not None, SharedSecret or Certificate");
        var useTls = certUuid is not null && Str(ike, "AuthName") is null;
        if (method == "None")
        {
            b.AuthMethod = AuthMethod.EapOnly;
            b.EapMethod = useTls ? EapMethod.Tls : EapMethod.MsChapV2;
        }
        else b.AuthMethod = useTls ? AuthMethod.EapTls : AuthMethod.UsernamePassword;
        if (useTls) LoadCredential(payloads, certUuid, b);
        else
        {
            b.Username = Str(ike, "AuthName");
            b.Password = Str(ike, "AuthPassword");
            if (b.Username is null) notes.Add(new(ImportNoteKind.DefaultApplied, "AuthName", "no user name in the file; it is asked when connecting"));
        }
    }

    private static void LoadCredential(List<Dictionary<string, object>> payloads, string? uuid, Ikev2VpnProfile.Builder b)
    {
        if (uuid is null) throw new ProfileImportException($"{Format}: certificate authentication needs IKEv2.PayloadCertificateUUID");
        var p12 = payloads.FirstOrDefault(p => string.Equals(Str(p, "PayloadUUID"), uuid, StringComparison.OrdinalIgnoreCase))
                  ?? throw new ProfileImportException($"{Format}: PayloadCertificateUUID {SafeText.Quote(uuid)} does not name a payload in this profile");
        if (Str(p12, "PayloadType") != "com.apple.security.pkcs12")
            throw new ProfileImportException($"{Format}: PayloadCertificateUUID names a {SafeText.Quote(Str(p12, "PayloadType"))} payload; only com.apple.security.pkcs12 is supported");
        b.Pkcs12 = p12.GetValueOrDefault("PayloadContent") as byte[] ?? throw new ProfileImportException($"{Format}: the pkcs12 payload has no data");
        if (b.Pkcs12.Length > ProfileLimits.MaxPkcs12Bytes)
            throw new ProfileImportException($"{Format}: the pkcs12 payload is {b.Pkcs12.Length} bytes; the limit is {ProfileLimits.MaxPkcs12Bytes} bytes");
        b.Pkcs12Field = "the com.apple.security.pkcs12 payload's PayloadContent";
        b.Pkcs12Password = Str(p12, "Password");
    }

    private static X509Certificate2? FindRoot(List<Dictionary<string, object>> payloads, string? issuerCn, ImportNotes notes)
    {
        var roots = new List<X509Certificate2>();
        foreach (var p in payloads.Where(p => Str(p, "PayloadType") is "com.apple.security.root" or "com.apple.security.pem" or "com.apple.security.pkcs1"))
        {
            var what = $"{Format}: certificate payload {SafeText.Quote(Str(p, "PayloadDisplayName"))}";
            var data = p.GetValueOrDefault("PayloadContent") as byte[] ?? throw new ProfileImportException($"{what} has no data");
            roots.Add(CertificateText.RequireCertificate(data, what));
        }
        if (roots.Count == 0) return null;
        var match = issuerCn is null ? null : roots.FirstOrDefault(r => r.GetNameInfo(X509NameType.SimpleName, false) == issuerCn);
        if (match is not null) return match;
        if (roots.Count > 1) notes.Add(new(ImportNoteKind.DefaultApplied, "com.apple.security.root", "several root certificates; the first is used as serverRootCaCert"));
        return roots[0];
    }

    private static void MapProposals(Dictionary<string, object> ike, Ikev2VpnProfile.Builder b, ImportNotes notes)
    {
        var ikeSa = Dict(ike, "IKESecurityAssociationParameters");
        var childSa = Dict(ike, "ChildSecurityAssociationParameters") ?? ikeSa;
        // Apple's AllowPostQuantumKeyExchangeFallback: a gateway without ML-KEM may skip it. As proposals: the hybrid one,
        // then the same without its additional key exchanges (docs/post-quantum.md).
        bool fallback = Bool(ike, "AllowPostQuantumKeyExchangeFallback");
        if (ikeSa is not null) b.IkeProposal = WithFallback(SaToProposal(ikeSa, isEsp: false, pfs: true, "IKESecurityAssociationParameters", notes), fallback);
        if (childSa is not null)
            b.EspProposal = WithFallback(SaToProposal(childSa, isEsp: true, pfs: Bool(ike, "EnablePFS"), "ChildSecurityAssociationParameters", notes), fallback);
    }

    private static string WithFallback(string proposal, bool fallback)
    {
        if (!fallback || !proposal.Contains("-ke", StringComparison.Ordinal)) return proposal;
        return proposal + "," + string.Join('-', proposal.Split('-').Where(t => !(t.Length > 4 && t.StartsWith("ke", StringComparison.Ordinal) && t[3] == '_')));
    }

    /// <summary>
    /// Apple's PostQuantumKeyExchangeMethods (iOS/macOS 26): up to seven methods, one per additional key exchange ADDKE1–7
    /// of RFC 9370; 0 is none, 36 ML-KEM-768, 37 ML-KEM-1024 (35, ML-KEM-512, is accepted too).
    /// </summary>
    private static IEnumerable<string> AdditionalKeyExchanges(Dictionary<string, object> sa, string key)
    {
        if (sa.GetValueOrDefault("PostQuantumKeyExchangeMethods") is not { } value) yield break;
        var methods = value as List<object> ?? throw new ProfileImportException($"{Format}: {key}.PostQuantumKeyExchangeMethods must be an array of integers");
        if (methods.Count > 7) throw new ProfileImportException($"{Format}: {key}.PostQuantumKeyExchangeMethods has {methods.Count} entries; at most 7 (ADDKE1–ADDKE7)");
        for (int i = 0; i < methods.Count; i++)
        {
            var name = methods[i] switch
            {
                0L => "none", 35L => "mlkem512", 36L => "mlkem768", 37L => "mlkem1024",
                long other => throw new ProfileImportException($"{Format}: {key}.PostQuantumKeyExchangeMethods[{i}] is {other}; 0, 36 (ML-KEM-768) or 37 (ML-KEM-1024) expected"),
                _ => throw new ProfileImportException($"{Format}: {key}.PostQuantumKeyExchangeMethods[{i}] must be an integer"),
            };
            if (name != "none") yield return $"ke{i + 1}_{name}";
        }
    }

    private static string SaToProposal(Dictionary<string, object> sa, bool isEsp, bool pfs, string key, ImportNotes notes)
    {
        var enc = Str(sa, "EncryptionAlgorithm") ?? "AES-256";
        var integ = Str(sa, "IntegrityAlgorithm") ?? "SHA2-256";
        var group = Int(sa, "DiffieHellmanGroup") ?? 14;
        var encKw = enc switch
        {
            "DES" => "des", "3DES" => "3des", "AES-128" => "aes128", "AES-256" => "aes256", "AES-128-GCM" => "aes128gcm16",
            "AES-256-GCM" => "aes256gcm16", "ChaCha20Poly1305" => "chacha20poly1305",
            _ => throw new ProfileImportException($"{Format}: {key}.EncryptionAlgorithm {SafeText.Quote(enc)} is unknown"),
        };
        var integKw = integ switch
        {
            "SHA1-96" => "sha1", "SHA1-160" => "sha1_160", "SHA2-256" => "sha256", "SHA2-384" => "sha384", "SHA2-512" => "sha512",
            _ => throw new ProfileImportException($"{Format}: {key}.IntegrityAlgorithm {SafeText.Quote(integ)} is unknown"),
        };
        var groupKw = group switch
        {
            1 => "modp768", 2 => "modp1024", 5 => "modp1536", 14 => "modp2048", 15 => "modp3072", 16 => "modp4096", 17 => "modp6144",
            18 => "modp8192", 19 => "ecp256", 20 => "ecp384", 21 => "ecp521", 31 => "curve25519", 32 => "curve448",
            _ => throw new ProfileImportException($"{Format}: {key}.DiffieHellmanGroup {group} is unknown"),
        };
        if (sa.ContainsKey("LifeTimeInMinutes")) notes.Add(new(ImportNoteKind.Ignored, key + ".LifeTimeInMinutes", "lifetimes follow this client's defaults"));
        var aead = encKw.Contains("gcm") || encKw.StartsWith("chacha", StringComparison.Ordinal);
        var parts = new List<string> { encKw };
        // For AEAD, Apple's IntegrityAlgorithm selects the PRF; for classic ciphers it is the integrity algorithm (PRF derived).
        parts.Add(aead ? (isEsp ? null : "prf" + integKw.Replace("_160", "", StringComparison.Ordinal))! : integKw);
        if (pfs)
        {
            parts.Add(groupKw);
            parts.AddRange(AdditionalKeyExchanges(sa, key));
        }
        else if (sa.ContainsKey("PostQuantumKeyExchangeMethods"))
            notes.Add(new(ImportNoteKind.Ignored, key + ".PostQuantumKeyExchangeMethods", "CHILD SA key exchanges need EnablePFS"));
        return string.Join('-', parts.Where(p => p is not null));
    }

    private static void MapOther(Dictionary<string, object> ike, Dictionary<string, object> vpn, Ikev2VpnProfile.Builder b, ImportNotes notes)
    {
        switch (Str(ike, "DeadPeerDetectionRate"))
        {
            case null: break;
            case "None": b.DpdSeconds = 0; break;
            case "Low": b.DpdSeconds = 1800; break;
            case "Medium": b.DpdSeconds = 600; break;
            case "High": b.DpdSeconds = 60; break;
            case var other: notes.Add(new(ImportNoteKind.DefaultApplied, "DeadPeerDetectionRate", $"unknown value {SafeText.Quote(other)}; default used")); break;
        }
        if (Int(ike, "NATKeepAliveInterval") is { } ka)
        {
            if (ka is >= 10 and <= 3600) b.NatKeepaliveSeconds = (int)ka;
            else notes.Add(new(ImportNoteKind.DefaultApplied, "NATKeepAliveInterval", "out of range; default used"));
        }
        if (Int(ike, "MTU") is { } mtu)
        {
            if (mtu is >= Ikev2VpnProfile.MinimumMtu and <= 65535) b.MaxMtu = (int)mtu;
            else notes.Add(new(ImportNoteKind.DefaultApplied, "MTU", $"below {Ikev2VpnProfile.MinimumMtu}; default used"));
        }
        b.LocalRoutesExcluded = Bool(ike, "ExcludeLocalNetworks");
        if (Dict(vpn, "DNS") is { } dns)
        {
            b.DnsServers = (dns.GetValueOrDefault("ServerAddresses") as List<object> ?? []).OfType<string>().ToList();
            foreach (var k in dns.Keys.Where(k => k != "ServerAddresses"))
                notes.Add(new(ImportNoteKind.Ignored, "DNS." + k, "only DNS.ServerAddresses is used"));
        }
        if (Dict(vpn, "Proxies") is { } proxies)
        {
            var https = Bool(proxies, "HTTPSEnable");
            var host = https ? Str(proxies, "HTTPSProxy") : Str(proxies, "HTTPProxy");
            if ((https || Bool(proxies, "HTTPEnable")) && host is not null)
                b.Proxy = new ProxyInfo(host, (int)Math.Clamp(Int(proxies, https ? "HTTPSPort" : "HTTPPort") ?? ProxyInfo.DefaultPort, -1, 65536), // out of range stays out of range
                    (proxies.GetValueOrDefault("ExceptionsList") as List<object> ?? []).OfType<string>().ToList());
            if (Bool(proxies, "ProxyAutoConfigEnable")) notes.Add(new(ImportNoteKind.Unsupported, "Proxies.ProxyAutoConfigEnable", "PAC proxies are not supported"));
        }
        if (vpn.ContainsKey("IPv4")) notes.Add(new(ImportNoteKind.Ignored, "IPv4", "OverridePrimary is not used for IKEv2"));
        if (Bool(vpn, "OnDemandEnabled") || Bool(ike, "OnDemandEnabled"))
            notes.Add(new(ImportNoteKind.Unsupported, "OnDemandEnabled", "on-demand rules are not supported; use alwaysOn"));
    }

    private static string? Str(Dictionary<string, object> d, string key) => d.GetValueOrDefault(key) as string;
    private static Dictionary<string, object>? Dict(Dictionary<string, object> d, string key) => d.GetValueOrDefault(key) as Dictionary<string, object>;

    private static long? Int(Dictionary<string, object> d, string key) => d.GetValueOrDefault(key) switch
    {
        long l => l,
        double r when r == Math.Floor(r) => (long)r,
        string s when long.TryParse(s, out var l) => l,
        null => null,
        _ => throw new ProfileImportException($"{Format}: {key} must be an integer"),
    };

    /// <summary>Booleans as &lt;true/&gt;/&lt;false/&gt; or &lt;integer&gt;0|1&lt;/integer&gt;.</summary>
    private static bool Bool(Dictionary<string, object> d, string key) => d.GetValueOrDefault(key) switch
    {
        bool b => b,
        long l => l != 0,
        null => false,
        _ => throw new ProfileImportException($"{Format}: {key} must be a boolean or 0/1"),
    };
}
