using System.Text.Json.Nodes;

namespace Ikev2Client.Profiles;

/// <summary>
/// Imports strongSwan Android <c>.sswan</c> files (VpnProfileImportActivity.parseProfile): lenient like
/// <c>org.json</c> about strings for booleans and numbers, lists as arrays or whitespace strings and wrapped
/// base64; strict about the UUID, the certificates and the proposals; loud about every key it drops.
/// </summary>
public static class SswanImporter
{
    private const string Format = ".sswan";

    /// <summary>What happens instead of a revocation setting (ProfileAuthentication: RevocationCheck.BestEffort, 5 s).</summary>
    internal const string RevocationNote =
        "revocation settings can't be changed: the gateway's certificate is always checked against its CRL and OCSP, best effort "
        + "(a revoked certificate fails; a status that can't be fetched within 5 s passes)";

    private static readonly Dictionary<string, string[]> Known = new()
    {
        [""] = ["uuid", "name", "type", "remote", "local", "ike-proposal", "esp-proposal", "dns-servers", "mtu", "nat-keepalive",
                "ipv6-transport", "proxy", "split-tunneling", "apps", "excluded-apps"],
        ["remote"] = ["addr", "port", "id", "cert", "certreq", "revocation"],
        ["remote.revocation"] = ["crl", "ocsp", "strict"],
        ["local"] = ["id", "eap_id", "shared_secret", "p12", "rsa-pss"],
        ["proxy"] = ["host", "port", "exclusions"],
        ["split-tunneling"] = ["subnets", "excluded", "block-ipv4", "block-ipv6"],
    };

    /// <summary>Imports a .sswan file's UTF-8 bytes.</summary>
    public static ImportResult Import(ReadOnlySpan<byte> utf8, ImportOptions? options = null)
    {
        var root = LenientJson.ParseObject(utf8, Format);
        var notes = new ImportNotes();
        NoteUnknown(root, "", notes);

        var uuid = LenientJson.String(root, "uuid");
        if (uuid is null || !Guid.TryParse(uuid, out _)) throw new ProfileImportException(".sswan: uuid is missing or not a UUID");
        var name = LenientJson.String(root, "name") ?? throw new ProfileImportException(".sswan: name is missing");
        var type = LenientJson.String(root, "type") ?? throw new ProfileImportException(".sswan: type is missing");
        var remote = LenientJson.Object(root, "remote") ?? throw new ProfileImportException(".sswan: remote is missing");
        var addr = LenientJson.String(remote, "addr", "remote.") ?? throw new ProfileImportException(".sswan: remote.addr is missing");
        var local = LenientJson.Object(root, "local") ?? new JsonObject();

        var b = new Ikev2VpnProfile.Builder { Name = ProfileName.Sanitize(name), ServerAddr = addr };
        if (b.Name != name) notes.Add(new(ImportNoteKind.DefaultApplied, "name", $"renamed to {SafeText.Quote(b.Name)} to make a valid profile name"));
        if (LenientJson.Int(remote, "port", "remote.") is { } port)
        {
            if (port is >= 1 and <= 65535) b.ServerPort = port;
            else notes.Add(new(ImportNoteKind.DefaultApplied, "remote.port", "out of range 1–65535; using 500"));
        }
        b.RemoteIdentity = LenientJson.String(remote, "id", "remote.");
        if (LenientJson.String(remote, "cert", "remote.") is { } certText)
        {
            var der = CertificateText.RequireBase64(certText, ".sswan: remote.cert", ProfileLimits.MaxCertificateBytes);
            b.ServerRootCaCert = CertificateText.RequireCertificate(der, ".sswan: remote.cert");
        }
        if (LenientJson.Bool(remote, "certreq", "remote.") == false)
            notes.Add(new(ImportNoteKind.Ignored, "remote.certreq", "CERTREQ payloads are always sent"));
        if (LenientJson.Object(remote, "revocation", "remote.") is { } rev)
        {
            if (LenientJson.Bool(rev, "crl", "remote.revocation.") == false || LenientJson.Bool(rev, "ocsp", "remote.revocation.") == false
                || LenientJson.Bool(rev, "strict", "remote.revocation.") == true)
                notes.Add(new(ImportNoteKind.Unsupported, "remote.revocation", RevocationNote));
        }

        MapType(type, b, notes);
        b.UserIdentity = LenientJson.String(local, "id", "local.");
        // ikev2-cert-eap (RFC 4739) needs both: the certificate for the first round, EAP credentials for the second.
        bool usesEap = b.AuthMethod is AuthMethod.UsernamePassword or AuthMethod.CertificateThenEap;
        if (usesEap)
        {
            b.Username = LenientJson.String(local, "eap_id", "local.") ?? b.UserIdentity;
            b.Password = LenientJson.String(local, "shared_secret", "local.");
            if (b.Password is null) notes.Add(new(ImportNoteKind.DefaultApplied, "local.shared_secret", "no password in the file; it is asked when connecting"));
        }
        if (b.AuthMethod != AuthMethod.UsernamePassword)
        {
            if (!usesEap && local["eap_id"] is not null) notes.Add(new(ImportNoteKind.Ignored, "local.eap_id", $"not used by type {SafeText.Quote(type)}"));
            if (!usesEap && local["shared_secret"] is not null) notes.Add(new(ImportNoteKind.Ignored, "local.shared_secret", $"not used by type {SafeText.Quote(type)}"));
            if (LenientJson.String(local, "p12", "local.") is { } p12)
            {
                b.Pkcs12 = CertificateText.RequireBase64(p12, ".sswan: local.p12", ProfileLimits.MaxPkcs12Bytes);
                b.Pkcs12Field = "local.p12";
            }
            else
                throw new ProfileImportException($".sswan: type {SafeText.Quote(type)} needs local.p12 (the user certificate)");
        }
        if (LenientJson.Bool(local, "rsa-pss", "local.") == true)
            notes.Add(new(ImportNoteKind.Unsupported, "local.rsa-pss", "RSASSA-PSS is not selectable; the signature scheme is negotiated (RFC 7427)"));

        b.IkeProposal = LenientJson.String(root, "ike-proposal");
        b.EspProposal = LenientJson.String(root, "esp-proposal");
        b.DnsServers = LenientJson.List(root, "dns-servers") ?? [];
        if (LenientJson.Int(root, "mtu") is { } mtu)
        {
            if (mtu is >= 1280 and <= 1500) b.MaxMtu = mtu;
            else notes.Add(new(ImportNoteKind.DefaultApplied, "mtu", $"out of range 1280–1500; using {Ikev2VpnProfile.DefaultMaxMtu}"));
        }
        if (LenientJson.Int(root, "nat-keepalive") is { } ka)
        {
            if (ka is >= 10 and <= 120) b.NatKeepaliveSeconds = ka;
            else notes.Add(new(ImportNoteKind.DefaultApplied, "nat-keepalive", "out of range 10–120; using the default"));
        }
        if (LenientJson.Bool(root, "ipv6-transport") == true)
            notes.Add(new(ImportNoteKind.Unsupported, "ipv6-transport", "mapped to automatic IP version selection"));
        b.AutomaticIpVersionSelectionEnabled = LenientJson.Bool(root, "ipv6-transport") ?? false;
        if (LenientJson.Object(root, "proxy") is { } proxy && LenientJson.String(proxy, "host", "proxy.") is { } host)
            b.Proxy = new ProxyInfo(host, LenientJson.Int(proxy, "port", "proxy.") ?? ProxyInfo.DefaultPort,
                LenientJson.List(proxy, "exclusions", "proxy.") ?? []);
        if (LenientJson.Object(root, "split-tunneling") is { } st)
            b.SplitTunneling = new SplitTunneling(JoinRanges(LenientJson.List(st, "subnets", "split-tunneling.")),
                JoinRanges(LenientJson.List(st, "excluded", "split-tunneling.")),
                LenientJson.Bool(st, "block-ipv4", "split-tunneling.") ?? false, LenientJson.Bool(st, "block-ipv6", "split-tunneling.") ?? false);
        var apps = LenientJson.List(root, "apps") ?? [];
        var excluded = LenientJson.List(root, "excluded-apps") ?? [];
        if (apps.Count > 0)
        {
            b.AllowedApps = apps;
            if (excluded.Count > 0) notes.Add(new(ImportNoteKind.Ignored, "excluded-apps", "apps is set and wins, as in the strongSwan app"));
        }
        else b.DisallowedApps = excluded;
        return ImportBuild.Finish(b, notes, ProfileFormat.Sswan, options, Format);
    }

    /// <summary>
    /// strongSwan's VpnType names (shared with the managed-configuration importer, whose key is
    /// <paramref name="key"/>): unknown values become ikev2-eap, as the app does.
    /// </summary>
    internal static void MapType(string type, Ikev2VpnProfile.Builder b, ImportNotes notes, string key = "type")
    {
        switch (type)
        {
            case "ikev2-eap": b.AuthMethod = AuthMethod.UsernamePassword; break;
            case "ikev2-cert": b.AuthMethod = AuthMethod.DigitalSignature; break;
            case "ikev2-eap-tls": b.AuthMethod = AuthMethod.EapTls; break;
            case "ikev2-cert-eap": b.AuthMethod = AuthMethod.CertificateThenEap; break;
            case "ikev2-byod-eap":
                b.AuthMethod = AuthMethod.UsernamePassword;
                notes.Add(new(ImportNoteKind.Unsupported, key, "EAP-TNC (BYOD) is not supported; plain EAP-MSCHAPv2 is used"));
                break;
            default:
                b.AuthMethod = AuthMethod.UsernamePassword;
                notes.Add(new(ImportNoteKind.Unsupported, key, $"unknown type {SafeText.Quote(type)}; treated as ikev2-eap like the strongSwan app"));
                break;
        }
    }

    /// <summary>Re-joins "a - b" ranges that whitespace splitting tore apart.</summary>
    internal static List<string> JoinRanges(List<string>? items)
    {
        var result = new List<string>();
        if (items is null) return result;
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] == "-" && result.Count > 0 && i + 1 < items.Count) { result[^1] = $"{result[^1]} - {items[++i]}"; continue; }
            result.Add(items[i]);
        }
        return result;
    }

    private static void NoteUnknown(JsonObject o, string path, ImportNotes notes)
    {
        if (!Known.TryGetValue(path, out var known)) return;
        foreach (var (key, value) in o)
        {
            var full = path.Length == 0 ? key : $"{path}.{key}";
            if (!known.Contains(key)) notes.Add(new(ImportNoteKind.Ignored, full, "unknown key"));
            else if (value is JsonObject child) NoteUnknown(child, full, notes);
        }
    }
}
