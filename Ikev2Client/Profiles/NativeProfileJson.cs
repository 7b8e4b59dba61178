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

    /// <summary>Every key the reader knows (others get an <c>Ignored</c> note).</summary>
    internal static readonly IReadOnlySet<string> KnownKeys = new HashSet<string>(
    [
        "$schema", "name", "serverAddr", "serverPort", "userIdentity", "remoteIdentity", "authMethod", "eapMethod", "psk", "username",
        "password", "serverRootCaCert", "userCert", "privateKey", "pkcs12", "pkcs12Password", "ikeProposal", "espProposal",
        "allowedAlgorithms", "maxMtu", "bypassable", "metered", "proxy", "localRoutesExcluded",
        "automaticNattKeepaliveTimerEnabled", "automaticIpVersionSelectionEnabled", "requiresInternetValidation",
        "dnsServers", "splitTunneling", "allowedApps", "disallowedApps", "alwaysOn", "lockdown", "natKeepaliveSeconds", "dpdSeconds",
        "childRekeyBytes", "childLifeBytes", "childRekeyPackets", "childLifePackets",
    ]);

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
        var o = JsonInput.ParseObject(utf8, "profile JSON");
        var notes = new ImportNotes();
        var b = ReadBuilder(o, notes);
        return ImportBuild.Finish(b, notes, ProfileFormat.Native, options, "profile JSON");
    }

    /// <summary>Reads a JSON object into an unvalidated builder; every value must have its JSON type (no coercion).</summary>
    internal static Ikev2VpnProfile.Builder ReadBuilder(JsonObject o, ImportNotes notes)
    {
        foreach (var (k, _) in o)
            if (!KnownKeys.Contains(k)) notes.Add(new(ImportNoteKind.Ignored, k, "unknown key"));
        var b = new Ikev2VpnProfile.Builder
        {
            Name = StrictJson.String(o, "name"),
            ServerAddr = StrictJson.String(o, "serverAddr"),
            ServerPort = StrictJson.Int(o, "serverPort") ?? Ikev2VpnProfile.DefaultServerPort,
            UserIdentity = StrictJson.String(o, "userIdentity"),
            RemoteIdentity = StrictJson.String(o, "remoteIdentity"),
            Username = StrictJson.String(o, "username"),
            Password = StrictJson.String(o, "password"),
            IkeProposal = StrictJson.String(o, "ikeProposal"),
            EspProposal = StrictJson.String(o, "espProposal"),
            AllowedAlgorithms = StrictJson.List(o, "allowedAlgorithms"),
            MaxMtu = StrictJson.Int(o, "maxMtu") ?? Ikev2VpnProfile.DefaultMaxMtu,
            IsBypassable = StrictJson.Bool(o, "bypassable") ?? false,
            IsMetered = StrictJson.Bool(o, "metered") ?? true,
            LocalRoutesExcluded = StrictJson.Bool(o, "localRoutesExcluded") ?? false,
            AutomaticNattKeepaliveTimerEnabled = StrictJson.Bool(o, "automaticNattKeepaliveTimerEnabled") ?? false,
            AutomaticIpVersionSelectionEnabled = StrictJson.Bool(o, "automaticIpVersionSelectionEnabled") ?? false,
            RequiresInternetValidation = StrictJson.Bool(o, "requiresInternetValidation") ?? false,
            DnsServers = StrictJson.List(o, "dnsServers") ?? [],
            AllowedApps = StrictJson.List(o, "allowedApps") ?? [],
            DisallowedApps = StrictJson.List(o, "disallowedApps") ?? [],
            AlwaysOn = StrictJson.Bool(o, "alwaysOn") ?? false,
            Lockdown = StrictJson.Bool(o, "lockdown") ?? false,
            NatKeepaliveSeconds = StrictJson.Int(o, "natKeepaliveSeconds"),
            DpdSeconds = StrictJson.Int(o, "dpdSeconds"),
            Pkcs12Password = StrictJson.String(o, "pkcs12Password"),
            ChildRekeyBytes = StrictJson.Long(o, "childRekeyBytes"),
            ChildLifeBytes = StrictJson.Long(o, "childLifeBytes"),
            ChildRekeyPackets = StrictJson.Long(o, "childRekeyPackets"),
            ChildLifePackets = StrictJson.Long(o, "childLifePackets"),
        };
        var auth = StrictJson.String(o, "authMethod");
        b.AuthMethod = auth switch
        {
            null => null,
            "psk" => AuthMethod.Psk, "usernamePassword" => AuthMethod.UsernamePassword,
            "digitalSignature" => AuthMethod.DigitalSignature, "eapTls" => AuthMethod.EapTls, "eapOnly" => AuthMethod.EapOnly,
            "certificateThenEap" => AuthMethod.CertificateThenEap,
            _ => throw new ProfileImportException($"authMethod: {SafeText.Quote(auth)} is not one of psk, usernamePassword, digitalSignature, eapTls, eapOnly, certificateThenEap"),
        };
        var eap = StrictJson.String(o, "eapMethod");
        b.EapMethod = eap switch
        {
            null => null, "msChapV2" => EapMethod.MsChapV2, "tls" => EapMethod.Tls, "md5" => EapMethod.Md5,
            _ => throw new ProfileImportException($"eapMethod: {SafeText.Quote(eap)} is not one of msChapV2, tls, md5"),
        };
        if (StrictJson.String(o, "psk") is { } psk) b.Psk = Encoding.UTF8.GetBytes(psk);
        if (StrictJson.String(o, "serverRootCaCert") is { } ca) b.ServerRootCaCert = CertificateText.RequireCertificate(ca, "serverRootCaCert");
        if (StrictJson.String(o, "userCert") is { } uc) b.UserCert = CertificateText.RequireCertificate(uc, "userCert");
        if (StrictJson.String(o, "privateKey") is { } key) b.UserPrivateKeyPem = CertificateText.RequirePrivateKey(key, "privateKey");
        if (StrictJson.String(o, "pkcs12") is { } p12) b.Pkcs12 = CertificateText.RequireBase64(p12, "pkcs12", ProfileLimits.MaxPkcs12Bytes);
        if (StrictJson.Object(o, "proxy") is { } proxy)
            b.Proxy = new ProxyInfo(StrictJson.String(proxy, "host", "proxy.") ?? "",
                StrictJson.Int(proxy, "port", "proxy.") ?? ProxyInfo.DefaultPort, StrictJson.List(proxy, "exclusions", "proxy.") ?? []);
        if (StrictJson.Object(o, "splitTunneling") is { } st)
            b.SplitTunneling = new SplitTunneling(StrictJson.List(st, "include", "splitTunneling.") ?? [],
                StrictJson.List(st, "exclude", "splitTunneling.") ?? [],
                StrictJson.Bool(st, "blockIpv4", "splitTunneling.") ?? false, StrictJson.Bool(st, "blockIpv6", "splitTunneling.") ?? false);
        return b;
    }

    internal static string EapName(EapMethod m) => m switch { EapMethod.MsChapV2 => "msChapV2", EapMethod.Tls => "tls", _ => "md5" };

    private static void Put(JsonObject o, string key, string? value)
    {
        if (value is not null) o[key] = value;
    }

    private static JsonArray Array(IEnumerable<string> items) => new(items.Select(i => (JsonNode?)JsonValue.Create(i)).ToArray());
}
