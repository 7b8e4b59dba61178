using System.Text.Json.Nodes;

namespace Ikev2Client.Profiles;

/// <summary>
/// Imports strongSwan's Android managed configuration (app restrictions) delivered as JSON, e.g. the Android
/// Management API's <c>ApplicationPolicy.managedConfiguration</c>. Accepts the bare restrictions object, an
/// ApplicationPolicy, a whole Policy (then <c>alwaysOnVpnPackage</c> sets always-on/lockdown) or one profile
/// bundle. Absent negative flags are read as off, as <c>Bundle.getBoolean</c> does; both spellings of the
/// split-tunnelling block flags are accepted.
/// </summary>
public static class ManagedConfigImporter
{
    private const string Format = "managed configuration";
    private const string StrongSwanPackage = "org.strongswan.android";

    /// <summary>True when the object looks like strongSwan managed configuration in one of the accepted shapes.</summary>
    internal static bool Matches(JsonObject o) =>
        o["managed_profiles"] is not null || o["managedConfiguration"] is not null || o["_uuid"] is not null
        || o["vpn_type"] is not null || (o["applications"] is JsonArray apps && apps.OfType<JsonObject>().Any(a => a["managedConfiguration"] is not null));

    /// <summary>Imports the JSON; when several profiles are present the default (or first valid) one is imported.</summary>
    public static ImportResult Import(ReadOnlySpan<byte> utf8, ImportOptions? options = null)
    {
        var root = LenientJson.ParseObject(utf8, Format);
        var notes = new ImportNotes();
        bool alwaysOn = false, lockdown = false;
        var config = root;
        if (root["applications"] is JsonArray applications)
        {
            var app = applications.OfType<JsonObject>().FirstOrDefault(a => a["packageName"]?.ToString() == StrongSwanPackage)
                      ?? applications.OfType<JsonObject>().FirstOrDefault(a => a["managedConfiguration"] is not null)
                      ?? throw new ProfileImportException($"{Format}: no application in the policy has a managedConfiguration");
            var package = app["packageName"]?.ToString();
            if (LenientJson.Object(root, "alwaysOnVpnPackage") is { } aov && package is not null && aov["packageName"]?.ToString() == package)
            {
                alwaysOn = true;
                lockdown = LenientJson.Bool(aov, "lockdownEnabled", "alwaysOnVpnPackage.") ?? false;
            }
            config = LenientJson.Object(app, "managedConfiguration", "applications[].")
                     ?? throw new ProfileImportException($"{Format}: the application {SafeText.Quote(package)} in the policy has no managedConfiguration");
        }
        else if (LenientJson.Object(root, "managedConfiguration") is { } mc) config = mc;

        JsonObject profile;
        if (config["managed_profiles"] is JsonArray profiles)
        {
            var preferred = LenientJson.String(config, "pref_default_vpn_profile");
            var valid = profiles.OfType<JsonObject>().Where(p => Guid.TryParse(p["_uuid"]?.ToString(), out _)).ToList();
            if (valid.Count < profiles.Count)
                notes.Add(new(ImportNoteKind.Ignored, "managed_profiles", $"{profiles.Count - valid.Count} profile(s) without a valid _uuid skipped"));
            if (valid.Count == 0) throw new ProfileImportException($"{Format}: managed_profiles has no profile with a valid _uuid");
            profile = valid.FirstOrDefault(p => p["_uuid"]?.ToString() == preferred) ?? valid[0];
            foreach (var other in valid.Where(p => p != profile))
                notes.Add(new(ImportNoteKind.Ignored, "managed_profiles", $"profile {SafeText.Quote(other["name"]?.ToString())} not imported (one profile per import)"));
        }
        else if (config["_uuid"] is not null || config["vpn_type"] is not null)
        {
            profile = config;
            if (!Guid.TryParse(LenientJson.String(profile, "_uuid"), out _)) throw new ProfileImportException($"{Format}: _uuid is missing or not a UUID");
        }
        else throw new ProfileImportException($"{Format}: no managed_profiles");

        var b = ReadProfile(profile, notes);
        b.AlwaysOn = alwaysOn;
        b.Lockdown = lockdown;
        return ImportBuild.Finish(b, notes, ProfileFormat.AndroidManagedConfiguration, options, Format);
    }

    private static Ikev2VpnProfile.Builder ReadProfile(JsonObject p, ImportNotes notes)
    {
        var name = LenientJson.String(p, "name") ?? throw new ProfileImportException($"{Format}: name is missing");
        var remote = LenientJson.Object(p, "remote") ?? throw new ProfileImportException($"{Format}: remote is missing");
        var local = LenientJson.Object(p, "local") ?? new JsonObject();
        var gateway = LenientJson.String(remote, "gateway", "remote.") ?? throw new ProfileImportException($"{Format}: remote.gateway is missing");
        var b = new Ikev2VpnProfile.Builder { Name = ProfileName.Sanitize(name), ServerAddr = gateway };
        if (b.Name != name) notes.Add(new(ImportNoteKind.DefaultApplied, "name", $"renamed to {SafeText.Quote(b.Name)} to make a valid profile name"));
        var port = LenientJson.Int(remote, "port", "remote.");
        b.ServerPort = port is >= 1 and <= 65535 ? port.Value : Ikev2VpnProfile.DefaultServerPort;
        b.RemoteIdentity = LenientJson.String(remote, "remote_id", "remote.");
        if (LenientJson.String(remote, "certificate", "remote.") is { } certText)
        {
            var der = CertificateText.RequireBase64(certText, $"{Format}: remote.certificate", ProfileLimits.MaxCertificateBytes);
            b.ServerRootCaCert = CertificateText.RequireCertificate(der, $"{Format}: remote.certificate");
        }
        if (LenientJson.Bool(remote, "remote_cert_req", "remote.") != true)
            notes.Add(new(ImportNoteKind.Ignored, "remote.remote_cert_req", "absent or false (the strongSwan app then sends no CERTREQ); this client always sends CERTREQ"));
        if (LenientJson.Bool(remote, "remote_revocation_crl", "remote.") == true || LenientJson.Bool(remote, "remote_revocation_ocsp", "remote.") == true
            || LenientJson.Bool(remote, "remote_revocation_strict", "remote.") == true)
            notes.Add(new(ImportNoteKind.Unsupported, "remote.remote_revocation_*", SswanImporter.RevocationNote));

        var type = LenientJson.String(p, "vpn_type") ?? "ikev2-eap";
        SswanImporter.MapType(type, b, notes, key: "vpn_type");
        b.UserIdentity = LenientJson.String(local, "local_id", "local.");
        if (b.AuthMethod is AuthMethod.UsernamePassword or AuthMethod.CertificateThenEap)
        {
            b.Username = LenientJson.String(local, "username", "local.") ?? b.UserIdentity;
            b.Password = LenientJson.String(local, "password", "local.");
        }
        if (b.AuthMethod != AuthMethod.UsernamePassword)
        {
            if (LenientJson.String(local, "user_certificate", "local.") is { } p12)
            {
                b.Pkcs12 = CertificateText.RequireBase64(p12, $"{Format}: local.user_certificate", ProfileLimits.MaxPkcs12Bytes);
                b.Pkcs12Field = "local.user_certificate";
                b.Pkcs12Password = LenientJson.String(local, "user_certificate_password", "local.");
            }
            else if (LenientJson.String(local, "user_certificate_alias", "local.") is not null)
                throw new ProfileImportException($"{Format}: local.user_certificate_alias refers to an Android KeyChain alias, which cannot be used here; deliver user_certificate instead");
            else throw new ProfileImportException($"{Format}: vpn_type {SafeText.Quote(type)} needs local.user_certificate");
        }
        if (LenientJson.Bool(local, "local_rsa_pss", "local.") == true)
            notes.Add(new(ImportNoteKind.Unsupported, "local.local_rsa_pss", "RSASSA-PSS is not selectable; the signature scheme is negotiated"));

        b.AllowedApps = LenientJson.List(p, "included_apps") ?? [];
        b.DisallowedApps = LenientJson.List(p, "excluded_apps") ?? [];
        if (b.AllowedApps.Count > 0 && b.DisallowedApps.Count > 0)
        {
            notes.Add(new(ImportNoteKind.Ignored, "excluded_apps", "included_apps is set and wins"));
            b.DisallowedApps = [];
        }
        b.DnsServers = LenientJson.List(p, "dns_servers") ?? [];
        b.IkeProposal = Blank(LenientJson.String(p, "ike_proposal"));
        b.EspProposal = Blank(LenientJson.String(p, "esp_proposal"));
        if (LenientJson.Int(p, "mtu") is { } mtu && mtu != -1)
        {
            if (mtu is >= 1280 and <= 1500) b.MaxMtu = mtu;
            else notes.Add(new(ImportNoteKind.DefaultApplied, "mtu", $"out of range 1280–1500; using {Ikev2VpnProfile.DefaultMaxMtu}"));
        }
        if (LenientJson.Int(p, "nat_keepalive") is { } ka && ka != -1)
        {
            if (ka is >= 10 and <= 120) b.NatKeepaliveSeconds = ka;
            else notes.Add(new(ImportNoteKind.DefaultApplied, "nat_keepalive", "out of range 10–120; using the default"));
        }
        b.AutomaticIpVersionSelectionEnabled = LenientJson.Bool(p, "transport_ipv6") ?? false;
        if (LenientJson.Object(p, "split_tunneling") is { } st)
        {
            const string sp = "split_tunneling.";
            b.SplitTunneling = new SplitTunneling(SswanImporter.JoinRanges(LenientJson.List(st, "included_subnets", sp)),
                SswanImporter.JoinRanges(LenientJson.List(st, "excluded_subnets", sp)),
                (LenientJson.Bool(st, "split_tunnelling_block_ipv4", sp) ?? false) || (LenientJson.Bool(st, "split_tunnelling_block_IPv4", sp) ?? false),
                (LenientJson.Bool(st, "split_tunnelling_block_ipv6", sp) ?? false) || (LenientJson.Bool(st, "split_tunnelling_block_IPv6", sp) ?? false));
        }
        if (LenientJson.Object(p, "proxy_server") is { } proxy && Blank(LenientJson.String(proxy, "proxy_host", "proxy_server.")) is { } host)
            b.Proxy = new ProxyInfo(host, LenientJson.Int(proxy, "proxy_port", "proxy_server.") ?? ProxyInfo.DefaultPort,
                LenientJson.List(proxy, "proxy_exclusions", "proxy_server.") ?? []);
        return b;
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
}
