using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ikev2Client.Profiles;

/// <summary>
/// The native profile file: JSON whose keys are the builder's names in camelCase (docs/profiles.md has the
/// JSON Schema). Secret keys can be written to a separate object for the 0600 secrets file.
/// </summary>
public static class NativeProfileJson
{
    /// <summary>Keys that hold secrets.</summary>
    public static IReadOnlyList<string> SecretKeys { get; } = ["psk", "password", "privateKey", "pkcs12", "pkcs12Password"];

    private static readonly HashSet<string> KnownKeys =
    [
        "$schema", "name", "serverAddr", "serverPort", "userIdentity", "remoteIdentity", "authMethod", "eapMethod", "psk", "username",
        "password", "serverRootCaCert", "userCert", "privateKey", "pkcs12", "pkcs12Password", "ikeProposal", "espProposal",
        "allowedAlgorithms", "maxMtu", "bypassable", "metered", "proxy", "localRoutesExcluded",
        "automaticNattKeepaliveTimerEnabled", "automaticIpVersionSelectionEnabled", "requiresInternetValidation",
        "dnsServers", "splitTunneling", "allowedApps", "disallowedApps", "alwaysOn", "lockdown", "natKeepaliveSeconds", "dpdSeconds",
        "childRekeyBytes", "childLifeBytes", "childRekeyPackets", "childLifePackets",
    ];

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The profile as a JSON object; secrets only when <paramref name="includeSecrets"/>.</summary>
    public static JsonObject ToJson(Ikev2VpnProfile p, bool includeSecrets)
    {
        var o = new JsonObject
        {
            ["name"] = p.Name,
            ["serverAddr"] = p.ServerAddr,
            ["serverPort"] = p.ServerPort,
        };
        Put(o, "userIdentity", p.UserIdentity);
        Put(o, "remoteIdentity", p.RemoteIdentity);
        o["authMethod"] = ProfileValidator.Camel(p.AuthMethod);
        if (p.EapMethod is { } eap) o["eapMethod"] = EapName(eap);
        Put(o, "username", p.Username);
        if (p.ServerRootCaCert is { } ca) o["serverRootCaCert"] = ca.ExportCertificatePem();
        if (p.UserCert is { } uc) o["userCert"] = uc.ExportCertificatePem();
        Put(o, "ikeProposal", p.IkeProposal);
        Put(o, "espProposal", p.EspProposal);
        if (p.AllowedAlgorithms is { } algs) o["allowedAlgorithms"] = Array(algs);
        o["maxMtu"] = p.MaxMtu;
        o["bypassable"] = p.IsBypassable;
        o["metered"] = p.IsMetered;
        if (p.Proxy is { } proxy)
            o["proxy"] = new JsonObject { ["host"] = proxy.Host, ["port"] = proxy.Port, ["exclusions"] = Array(proxy.Exclusions) };
        o["localRoutesExcluded"] = p.LocalRoutesExcluded;
        o["automaticNattKeepaliveTimerEnabled"] = p.AutomaticNattKeepaliveTimerEnabled;
        o["automaticIpVersionSelectionEnabled"] = p.AutomaticIpVersionSelectionEnabled;
        o["requiresInternetValidation"] = p.RequiresInternetValidation;
        if (p.DnsServers.Count > 0) o["dnsServers"] = Array(p.DnsServers);
        if (!p.SplitTunneling.IsEmpty)
            o["splitTunneling"] = new JsonObject
            {
                ["include"] = Array(p.SplitTunneling.Include), ["exclude"] = Array(p.SplitTunneling.Exclude),
                ["blockIpv4"] = p.SplitTunneling.BlockIpv4, ["blockIpv6"] = p.SplitTunneling.BlockIpv6,
            };
        if (p.AllowedApps.Count > 0) o["allowedApps"] = Array(p.AllowedApps);
        if (p.DisallowedApps.Count > 0) o["disallowedApps"] = Array(p.DisallowedApps);
        o["alwaysOn"] = p.AlwaysOn;
        o["lockdown"] = p.Lockdown;
        if (p.NatKeepaliveSeconds is { } nat) o["natKeepaliveSeconds"] = nat;
        if (p.DpdSeconds is { } dpd) o["dpdSeconds"] = dpd;
        if (p.ChildRekeyBytes is { } rb) o["childRekeyBytes"] = rb;
        if (p.ChildLifeBytes is { } lb) o["childLifeBytes"] = lb;
        if (p.ChildRekeyPackets is { } rp) o["childRekeyPackets"] = rp;
        if (p.ChildLifePackets is { } lp) o["childLifePackets"] = lp;
        if (includeSecrets)
            foreach (var (k, v) in SecretsToJson(p)) o[k] = v?.DeepClone();
        return o;
    }

    /// <summary>Only the secret keys of a profile.</summary>
    public static JsonObject SecretsToJson(Ikev2VpnProfile p)
    {
        var o = new JsonObject();
        if (p.Psk is { } psk) o["psk"] = Encoding.UTF8.GetString(psk);
        Put(o, "password", p.Password);
        Put(o, "privateKey", p.UserPrivateKeyPem);
        if (p.Pkcs12 is { } p12) o["pkcs12"] = Convert.ToBase64String(p12);
        Put(o, "pkcs12Password", p.Pkcs12Password);
        return o;
    }

    /// <summary>Serialises to indented UTF-8 JSON text.</summary>
    public static string Serialize(Ikev2VpnProfile p, bool includeSecrets) => ToJson(p, includeSecrets).ToJsonString(Indented);

    /// <summary>Serialises any JSON object indented.</summary>
    internal static string Serialize(JsonObject o) => o.ToJsonString(Indented);

    /// <summary>Reads a native profile file; unknown keys become Ignored notes.</summary>
    public static ImportResult Import(ReadOnlySpan<byte> utf8, ImportOptions? options = null)
    {
        var o = LenientJson.ParseObject(utf8, "profile JSON");
        var notes = new List<ImportNote>();
        var b = ReadBuilder(o, notes);
        return ImportBuild.Finish(b, notes, ProfileFormat.Native, options, "profile JSON");
    }

    /// <summary>Reads a JSON object into an unvalidated builder.</summary>
    internal static Ikev2VpnProfile.Builder ReadBuilder(JsonObject o, List<ImportNote> notes)
    {
        foreach (var (k, _) in o)
            if (!KnownKeys.Contains(k)) notes.Add(new(ImportNoteKind.Ignored, k, "unknown key"));
        var b = new Ikev2VpnProfile.Builder
        {
            Name = LenientJson.String(o, "name"),
            ServerAddr = LenientJson.String(o, "serverAddr"),
            ServerPort = LenientJson.Int(o, "serverPort") ?? Ikev2VpnProfile.DefaultServerPort,
            UserIdentity = LenientJson.String(o, "userIdentity"),
            RemoteIdentity = LenientJson.String(o, "remoteIdentity"),
            Username = LenientJson.String(o, "username"),
            Password = LenientJson.String(o, "password"),
            IkeProposal = LenientJson.String(o, "ikeProposal"),
            EspProposal = LenientJson.String(o, "espProposal"),
            AllowedAlgorithms = LenientJson.List(o, "allowedAlgorithms"),
            MaxMtu = LenientJson.Int(o, "maxMtu") ?? Ikev2VpnProfile.DefaultMaxMtu,
            IsBypassable = LenientJson.Bool(o, "bypassable") ?? false,
            IsMetered = LenientJson.Bool(o, "metered") ?? true,
            LocalRoutesExcluded = LenientJson.Bool(o, "localRoutesExcluded") ?? false,
            AutomaticNattKeepaliveTimerEnabled = LenientJson.Bool(o, "automaticNattKeepaliveTimerEnabled") ?? false,
            AutomaticIpVersionSelectionEnabled = LenientJson.Bool(o, "automaticIpVersionSelectionEnabled") ?? false,
            RequiresInternetValidation = LenientJson.Bool(o, "requiresInternetValidation") ?? false,
            DnsServers = LenientJson.List(o, "dnsServers") ?? [],
            AllowedApps = LenientJson.List(o, "allowedApps") ?? [],
            DisallowedApps = LenientJson.List(o, "disallowedApps") ?? [],
            AlwaysOn = LenientJson.Bool(o, "alwaysOn") ?? false,
            Lockdown = LenientJson.Bool(o, "lockdown") ?? false,
            NatKeepaliveSeconds = LenientJson.Int(o, "natKeepaliveSeconds"),
            DpdSeconds = LenientJson.Int(o, "dpdSeconds"),
            ChildRekeyBytes = LenientJson.Long(o, "childRekeyBytes"),
            ChildLifeBytes = LenientJson.Long(o, "childLifeBytes"),
            ChildRekeyPackets = LenientJson.Long(o, "childRekeyPackets"),
            ChildLifePackets = LenientJson.Long(o, "childLifePackets"),
            Pkcs12Password = LenientJson.String(o, "pkcs12Password"),
        };
        var auth = LenientJson.String(o, "authMethod");
        b.AuthMethod = auth switch
        {
            null => null,
            "psk" => AuthMethod.Psk, "usernamePassword" => AuthMethod.UsernamePassword,
            "digitalSignature" => AuthMethod.DigitalSignature, "eapTls" => AuthMethod.EapTls, "eapOnly" => AuthMethod.EapOnly,
            "certificateThenEap" => AuthMethod.CertificateThenEap,
            _ => throw new ProfileImportException("authMethod: must be psk, usernamePassword, digitalSignature, eapTls, eapOnly or certificateThenEap"),
        };
        var eap = LenientJson.String(o, "eapMethod");
        b.EapMethod = eap switch
        {
            null => null, "msChapV2" => EapMethod.MsChapV2, "tls" => EapMethod.Tls, "md5" => EapMethod.Md5,
            _ => throw new ProfileImportException("eapMethod: must be msChapV2, tls or md5"),
        };
        if (LenientJson.String(o, "psk") is { } psk) b.Psk = Encoding.UTF8.GetBytes(psk);
        if (LenientJson.String(o, "serverRootCaCert") is { } ca)
            b.ServerRootCaCert = CertificateText.TryCertificate(ca) ?? throw new ProfileImportException("serverRootCaCert: not a PEM certificate");
        if (LenientJson.String(o, "userCert") is { } uc)
            b.UserCert = CertificateText.TryCertificate(uc) ?? throw new ProfileImportException("userCert: not a PEM certificate");
        if (LenientJson.String(o, "privateKey") is { } key)
            b.UserPrivateKeyPem = CertificateText.TryNormalizePrivateKey(key) ?? throw new ProfileImportException("privateKey: not a PEM private key");
        if (LenientJson.String(o, "pkcs12") is { } p12)
            b.Pkcs12 = CertificateText.TryBase64(p12) ?? throw new ProfileImportException("pkcs12: invalid base64");
        if (LenientJson.Object(o, "proxy") is { } proxy)
            b.Proxy = new ProxyInfo(LenientJson.String(proxy, "host", "proxy.") ?? "",
                LenientJson.Int(proxy, "port", "proxy.") ?? ProxyInfo.DefaultPort, LenientJson.List(proxy, "exclusions", "proxy.") ?? []);
        if (LenientJson.Object(o, "splitTunneling") is { } st)
            b.SplitTunneling = new SplitTunneling(LenientJson.List(st, "include", "splitTunneling.") ?? [],
                LenientJson.List(st, "exclude", "splitTunneling.") ?? [],
                LenientJson.Bool(st, "blockIpv4", "splitTunneling.") ?? false, LenientJson.Bool(st, "blockIpv6", "splitTunneling.") ?? false);
        return b;
    }

    internal static string EapName(EapMethod m) => m switch { EapMethod.MsChapV2 => "msChapV2", EapMethod.Tls => "tls", _ => "md5" };

    private static void Put(JsonObject o, string key, string? value)
    {
        if (value is not null) o[key] = value;
    }

    private static JsonArray Array(IEnumerable<string> items) => new(items.Select(i => (JsonNode?)JsonValue.Create(i)).ToArray());
}
