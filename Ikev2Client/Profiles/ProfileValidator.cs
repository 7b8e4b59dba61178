using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ikev2Client.Protocol.Crypto;

namespace Ikev2Client.Profiles;

/// <summary>Checks a <see cref="Ikev2VpnProfile.Builder"/> and collects every problem, each naming its field.</summary>
internal static class ProfileValidator
{
    public static IReadOnlyList<ProfileProblem> Validate(Ikev2VpnProfile.Builder b)
    {
        var p = new List<ProfileProblem>();
        void Add(string field, string message) => p.Add(new ProfileProblem(field, message));
        // A value over its limit gets that one problem; it is not parsed or echoed further.
        bool Fits(string field, string? value, int max)
        {
            if (value is null || value.Length <= max) return true;
            Add(field, $"is {value.Length} characters long; the limit is {max}");
            return false;
        }
        bool ListFits(string field, IReadOnlyList<string>? list, int maxEntries)
        {
            if (list is null) return true;
            if (list.Count > maxEntries) { Add(field, $"has {list.Count} entries; the limit is {maxEntries}"); return false; }
            var longest = list.FirstOrDefault(e => e.Length > ProfileLimits.MaxListEntryLength);
            if (longest is null) return true;
            Add(field, $"has an entry {longest.Length} characters long; the limit is {ProfileLimits.MaxListEntryLength}");
            return false;
        }

        if (ProfileName.Check(b.Name) is { } nameProblem) Add("name", nameProblem);
        if (string.IsNullOrWhiteSpace(b.ServerAddr)) Add("serverAddr", "is required");
        else if (!Fits("serverAddr", b.ServerAddr, ProfileLimits.MaxHostLength)) { }
        else if (NetworkSyntax.IsPlaceholder(b.ServerAddr)) Add("serverAddr", "contains an unsubstituted template placeholder");
        else if (!NetworkSyntax.IsHost(b.ServerAddr)) Add("serverAddr", $"{SafeText.Quote(b.ServerAddr)} is not a host name or IP address");
        if (b.ServerPort is < 1 or > 65535) Add("serverPort", "must be 1–65535");
        if (Fits("userIdentity", b.UserIdentity, ProfileLimits.MaxIdentityLength) && NetworkSyntax.IsPlaceholder(b.UserIdentity))
            Add("userIdentity", "contains an unsubstituted template placeholder");
        if (Fits("remoteIdentity", b.RemoteIdentity, ProfileLimits.MaxIdentityLength) && NetworkSyntax.IsPlaceholder(b.RemoteIdentity))
            Add("remoteIdentity", "contains an unsubstituted template placeholder");
        if (Fits("username", b.Username, ProfileLimits.MaxUsernameLength) && HasControl(b.Username)) Add("username", "contains a control character");
        if (HasControl(b.UserIdentity)) Add("userIdentity", "contains a control character");
        if (HasControl(b.RemoteIdentity)) Add("remoteIdentity", "contains a control character");
        Fits("password", b.Password, ProfileLimits.MaxPasswordLength);
        // An oversized credential is not opened (no key derivation or key parsing over megabytes).
        bool credentialFits = Fits("pkcs12Password", b.Pkcs12Password, ProfileLimits.MaxPkcs12PasswordLength)
                              & Fits("privateKey", b.UserPrivateKeyPem, ProfileLimits.MaxPrivateKeyChars);
        if (b.Psk is { Length: > ProfileLimits.MaxPskBytes }) Add("psk", $"is {b.Psk.Length} bytes long; the limit is {ProfileLimits.MaxPskBytes}");
        if (b.Pkcs12 is { Length: > ProfileLimits.MaxPkcs12Bytes })
        {
            Add("pkcs12", $"is {b.Pkcs12.Length} bytes long; the limit is {ProfileLimits.MaxPkcs12Bytes}");
            credentialFits = false;
        }
        if (b.UserCert is { } uc && uc.RawData.Length > ProfileLimits.MaxCertificateBytes)
            Add("userCert", $"is {uc.RawData.Length} bytes long; the limit is {ProfileLimits.MaxCertificateBytes}");
        if (b.ServerRootCaCert is { } ca && ca.RawData.Length > ProfileLimits.MaxCertificateBytes)
            Add("serverRootCaCert", $"is {ca.RawData.Length} bytes long; the limit is {ProfileLimits.MaxCertificateBytes}");
        if (credentialFits) ValidateAuth(b, Add);

        var ike = Fits("ikeProposal", b.IkeProposal, ProfileLimits.MaxProposalLength) ? CheckProposal(b.IkeProposal, isEsp: false, "ikeProposal", Add) : null;
        var esp = Fits("espProposal", b.EspProposal, ProfileLimits.MaxProposalLength) ? CheckProposal(b.EspProposal, isEsp: true, "espProposal", Add) : null;
        if (ike != null) CheckRunnable(ike, isEsp: false, "ikeProposal", Add);
        if (esp != null) CheckRunnable(esp, isEsp: true, "espProposal", Add);
        if (b.AllowedAlgorithms is { } allowed && ListFits("allowedAlgorithms", allowed, ProfileLimits.MaxAllowedAlgorithms))
        {
            foreach (var problem in IpSecAlgorithmNames.Check(allowed)) Add("allowedAlgorithms", problem);
            CheckAgainstAllowed(ike, allowed, "ikeProposal", Add);
            CheckAgainstAllowed(esp, allowed, "espProposal", Add);
        }

        if (b.MaxMtu < Ikev2VpnProfile.MinimumMtu) Add("maxMtu", $"must be at least {Ikev2VpnProfile.MinimumMtu}");
        else if (b.MaxMtu > 65535) Add("maxMtu", "must be at most 65535");
        if (b.Proxy is { } proxy)
        {
            if (string.IsNullOrWhiteSpace(proxy.Host)) Add("proxy", "host must be a host name or IP address");
            else if (proxy.Host.Length > ProfileLimits.MaxHostLength) Add("proxy", $"host is {proxy.Host.Length} characters long; the limit is {ProfileLimits.MaxHostLength}");
            else if (!NetworkSyntax.IsHost(proxy.Host)) Add("proxy", $"host {SafeText.Quote(proxy.Host)} is not a host name or IP address");
            if (proxy.Port is < 1 or > 65535) Add("proxy", "port must be 1–65535");
            ListFits("proxy.exclusions", proxy.Exclusions, ProfileLimits.MaxListEntries);
        }
        if (ListFits("splitTunneling.include", b.SplitTunneling.Include, ProfileLimits.MaxListEntries))
            foreach (var s in b.SplitTunneling.Include)
                if (!NetworkSyntax.IsSubnetOrRange(s)) Add("splitTunneling", $"include entry {SafeText.Quote(s)} is not a subnet or range");
        if (ListFits("splitTunneling.exclude", b.SplitTunneling.Exclude, ProfileLimits.MaxListEntries))
            foreach (var s in b.SplitTunneling.Exclude)
                if (!NetworkSyntax.IsSubnetOrRange(s)) Add("splitTunneling", $"exclude entry {SafeText.Quote(s)} is not a subnet or range");
        if (ListFits("dnsServers", b.DnsServers, ProfileLimits.MaxDnsServers))
            foreach (var d in b.DnsServers)
                if (!NetworkSyntax.IsIp(d)) Add("dnsServers", $"{SafeText.Quote(d)} is not an IP address");
        if (b.AllowedApps.Count > 0 && b.DisallowedApps.Count > 0)
            Add("disallowedApps", "cannot be combined with allowedApps");
        var allowedOk = ListFits("allowedApps", b.AllowedApps, ProfileLimits.MaxListEntries);
        var disallowedOk = ListFits("disallowedApps", b.DisallowedApps, ProfileLimits.MaxListEntries);
        if (allowedOk && disallowedOk)
        {
            foreach (var a in b.AllowedApps)
                if (string.IsNullOrWhiteSpace(a) || a.Any(char.IsWhiteSpace)) Add("allowedApps", $"{SafeText.Quote(a)} is not an app identifier");
            foreach (var a in b.DisallowedApps)
                if (string.IsNullOrWhiteSpace(a) || a.Any(char.IsWhiteSpace)) Add("disallowedApps", $"{SafeText.Quote(a)} is not an app identifier");
        }
        if (b.Lockdown && !b.AlwaysOn) Add("lockdown", "requires alwaysOn");
        if (b.NatKeepaliveSeconds is { } nat && nat is < 10 or > 3600) Add("natKeepaliveSeconds", "must be 10–3600");
        if (b.DpdSeconds is { } dpd && dpd != 0 && dpd is < 20 or > 1800) Add("dpdSeconds", "must be 0 (off) or 20–1800");
        CheckVolume(b.ChildRekeyBytes, b.ChildLifeBytes, "Bytes", 1_000_000, "1 MB", Add);
        CheckVolume(b.ChildRekeyPackets, b.ChildLifePackets, "Packets", 1_000, "1000 packets", Add);
        return p;
    }

    /// <summary>Byte/packet limits: at least a minimum (a smaller one would rekey all the time), life above rekey.</summary>
    private static void CheckVolume(long? rekey, long? life, string unit, long minimum, string minimumText, Action<string, string> add)
    {
        if (rekey is { } r && r < minimum) add($"childRekey{unit}", $"must be at least {minimumText}");
        if (life is { } l && l < minimum) add($"childLife{unit}", $"must be at least {minimumText}");
        if (rekey is { } r2 && life is { } l2 && l2 <= r2) add($"childLife{unit}", $"must be above childRekey{unit}");
    }

    private static void ValidateAuth(Ikev2VpnProfile.Builder b, Action<string, string> add)
    {
        switch (b.AuthMethod)
        {
            case null:
                add("authMethod", "is required");
                break;
            case AuthMethod.Psk:
                if (b.Psk is not { Length: > 0 }) add("psk", "is required for authMethod psk");
                break;
            case AuthMethod.UsernamePassword:
                RequireUsername(b, add);
                break;
            case AuthMethod.DigitalSignature:
            case AuthMethod.EapTls:
                ValidateCredential(b, add);
                break;
            case AuthMethod.CertificateThenEap:
                ValidateCredential(b, add);
                RequireUsername(b, add);
                if (b.EapMethod == EapMethod.Tls) add("eapMethod", "must be msChapV2 or md5 for authMethod certificateThenEap (the second round uses a password)");
                break;
            case AuthMethod.EapOnly:
                if (b.EapMethod is null) add("eapMethod", "is required for authMethod eapOnly");
                else if (b.EapMethod == EapMethod.Tls) ValidateCredential(b, add);
                else RequireUsername(b, add);
                break;
        }
        if (b.AuthMethod is not (AuthMethod.EapOnly or AuthMethod.CertificateThenEap) && b.EapMethod is not null)
            add("eapMethod", "is only used with authMethod eapOnly or certificateThenEap");
        if (b.AuthMethod != AuthMethod.Psk && b.Psk is not null) add("psk", "is only used with authMethod psk");
    }

    private static void RequireUsername(Ikev2VpnProfile.Builder b, Action<string, string> add)
    {
        if (NetworkSyntax.IsPlaceholder(b.Username)) add("username", "contains an unsubstituted template placeholder");
        else if (string.IsNullOrWhiteSpace(b.Username) && b.AuthMethod is AuthMethod.EapOnly or AuthMethod.CertificateThenEap)
        {
            // usernamePassword asks for a missing user name when connecting (as the strongSwan app, iOS and Windows do);
            // the EAP-only and certificate-then-EAP methods need it in the profile (docs/profiles.md).
            add("username", b.AuthMethod == AuthMethod.EapOnly
                ? $"is required for authMethod eapOnly with eapMethod {NativeProfileJson.EapName(b.EapMethod ?? EapMethod.MsChapV2)}"
                : "is required for authMethod certificateThenEap (the EAP round's identity)");
        }
    }

    private static void ValidateCredential(Ikev2VpnProfile.Builder b, Action<string, string> add)
    {
        if (b.Pkcs12 is not null)
        {
            if (b.UserPrivateKeyPem is not null) add("privateKey", "give either pkcs12 or userCert with privateKey, not both");
            if (b.Pkcs12Opened is { } opened && ReferenceEquals(opened.Data, b.Pkcs12) && opened.Password == b.Pkcs12Password) return;
            if (b.Pkcs12Password is null)
            {
                if (Pkcs12Reader.CheckStructure(b.Pkcs12) is { } problem) add("pkcs12", problem);
            }
            else if (Pkcs12Reader.Open(b.Pkcs12, b.Pkcs12Password, out var error) is { } leaf) leaf.Dispose();
            else add(error!.StartsWith("the password", StringComparison.Ordinal) ? "pkcs12Password" : "pkcs12", error);
            return;
        }
        if (b.UserCert is null) add("userCert", $"is required for authMethod {Camel(b.AuthMethod)} (or give pkcs12)");
        if (b.UserPrivateKeyPem is null) { add("privateKey", $"is required for authMethod {Camel(b.AuthMethod)} (or give pkcs12)"); return; }
        if (b.UserCert is null) return;
        try
        {
            using var cert = CombineWithKey(b.UserCert, b.UserPrivateKeyPem);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or InvalidOperationException)
        {
            add("privateKey", "is not a PEM private key matching userCert");
        }
    }

    /// <summary>Attaches a PEM key to a certificate; throws when the key is unreadable or does not match.</summary>
    internal static X509Certificate2 CombineWithKey(X509Certificate2 cert, string pem)
    {
        var oid = cert.PublicKey.Oid.Value;
        if (oid == "1.2.840.10045.2.1")
        {
            using var ec = ECDsa.Create();
            ec.ImportFromPem(pem);
            return cert.CopyWithPrivateKey(ec);
        }
        using var rsa = RSA.Create();
        rsa.ImportFromPem(pem);
        return cert.CopyWithPrivateKey(rsa);
    }

    private static IReadOnlyList<ProposalSpec>? CheckProposal(string? text, bool isEsp, string field, Action<string, string> add)
    {
        if (text is null) return null;
        if (ProposalSyntax.TryParse(text, isEsp, out var list, out var error)) return list;
        add(field, SafeText.Line(error, 256));
        return null;
    }

    /// <summary>
    /// Refuses proposals naming an algorithm this client cannot run: for ESP whatever the managed data plane lacks
    /// (<see cref="Platform.IpSecAlgorithm.GetSupportedAlgorithms"/>: no AES-CCM, NULL, 3DES, Camellia, HMAC-SHA1-160),
    /// for IKE (and ESP's PFS groups) what the IKE code does not implement. Otherwise the proposal would be offered,
    /// possibly chosen, and then fail when the SA is installed.
    /// </summary>
    private static void CheckRunnable(IReadOnlyList<ProposalSpec> proposals, bool isEsp, string field, Action<string, string> add)
    {
        var reported = new HashSet<string>();
        void Refuse(string keyword, string name, string why)
        {
            if (reported.Add(keyword)) add(field, $"'{keyword}' ({name}) {why}");
        }
        const string EspRuns = "cannot run in the ESP data plane, which supports AES-CBC, AES-CTR and AES-GCM (16/12/8-byte ICV) with "
            + "128/192/256-bit keys, ChaCha20-Poly1305, and HMAC-SHA2/SHA1/MD5, AES-XCBC or AES-CMAC integrity";
        foreach (var p in proposals)
        {
            foreach (var e in p.Encryption)
            {
                bool ok = isEsp ? Platform.IpSecAlgorithm.TryMapEncryption(e.Id, e.KeyBits, out _, out _) : CryptoRegistry.IsSupported(e.Id, e.KeyBits);
                if (!ok) Refuse(ProposalSyntax.Keyword(e), e.ToString(), isEsp ? EspRuns : "is not implemented for IKE SAs");
            }
            foreach (var i in p.Integrity)
            {
                bool ok = isEsp ? Platform.IpSecAlgorithm.TryMapIntegrity(i, out _, out _) : CryptoRegistry.IsSupported(i);
                if (!ok) Refuse(ProposalSyntax.Keyword(i), CryptoRegistry.NameOf(Protocol.Wire.TransformType.Integrity, (ushort)i), isEsp ? EspRuns : "is not implemented for IKE SAs");
            }
            foreach (var f in p.Prfs.Where(f => !CryptoRegistry.IsSupported(f)))
                Refuse(ProposalSyntax.Keyword(f), CryptoRegistry.NameOf(Protocol.Wire.TransformType.Prf, (ushort)f), "is not implemented");
            foreach (var g in p.KeGroups.Where(g => !CryptoRegistry.IsSupported(g)))
                Refuse(ProposalSyntax.Keyword(g), CryptoRegistry.NameOf(Protocol.Wire.TransformType.KeyExchange, (ushort)g),
                    "is not implemented (groups: ecp256/384/521, curve25519/448, modp2048–8192, mlkem512/768/1024)");
            foreach (var g in p.AdditionalKeyExchanges.SelectMany(l => l).Where(g => g != KeGroup.None && !CryptoRegistry.IsSupported(g)))
                Refuse(ProposalSyntax.Keyword(g), CryptoRegistry.NameOf(Protocol.Wire.TransformType.KeyExchange, (ushort)g),
                    "is not implemented as an additional key exchange");
        }
    }

    private static void CheckAgainstAllowed(IReadOnlyList<ProposalSpec>? proposals, List<string> allowed, string field, Action<string, string> add)
    {
        if (proposals is null) return;
        var names = new HashSet<string>();
        foreach (var p in proposals)
        {
            foreach (var e in p.Encryption) names.Add(IpSecAlgorithmNames.ForCipher(e.Id) ?? e.Id.ToString());
            foreach (var i in p.Integrity) names.Add(IpSecAlgorithmNames.ForIntegrity(i) ?? i.ToString());
        }
        foreach (var n in names.Where(n => !allowed.Contains(n)))
            add(field, $"uses '{n}', which allowedAlgorithms does not allow");
    }

    private static bool HasControl(string? text) => text is not null && text.Length <= ProfileLimits.MaxIdentityLength && text.Any(char.IsControl);

    internal static string Camel(AuthMethod? m) => m switch
    {
        AuthMethod.Psk => "psk", AuthMethod.UsernamePassword => "usernamePassword", AuthMethod.DigitalSignature => "digitalSignature",
        AuthMethod.EapTls => "eapTls", AuthMethod.EapOnly => "eapOnly", AuthMethod.CertificateThenEap => "certificateThenEap", _ => "none",
    };
}
