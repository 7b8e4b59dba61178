using System.Xml;
using System.Xml.Linq;

namespace Ikev2Client.Profiles;

/// <summary>
/// Imports a Windows VPNv2 CSP <c>ProfileXML</c> whose <c>NativeProfile</c> uses IKEv2 (or Automatic /
/// ProtocolList including IKEv2). Elements are matched case-insensitively and in any order; the
/// <c>CryptographySuite</c> becomes strongSwan IKE and ESP proposals. Windows keeps user certificates in
/// its store, so certificate profiles need the credential from <see cref="ImportOptions.Pkcs12"/>.
/// </summary>
public static class WindowsProfileXmlImporter
{
    private const string Format = "ProfileXML";

    private static readonly HashSet<string> Handled =
        new(["NativeProfile", "Route", "DomainNameInformation", "AlwaysOn", "LockDown", "Proxy", "RememberCredentials"], StringComparer.OrdinalIgnoreCase);

    /// <summary>True when the document contains a VPNProfile (directly, or escaped inside SyncML).</summary>
    internal static bool Matches(string text) => text.Contains("VPNProfile", StringComparison.OrdinalIgnoreCase);

    /// <summary>Imports ProfileXML text.</summary>
    public static ImportResult Import(string text, ImportOptions? options = null)
    {
        var notes = new ImportNotes();
        var profile = FindProfile(Load(text)) ?? throw new ProfileImportException($"{Format}: no <VPNProfile> element");
        var native = El(profile, "NativeProfile")
                     ?? throw new ProfileImportException($"{Format}: no <NativeProfile>; only the built-in IKEv2 client's profiles can be imported");
        var protocol = Val(native, "NativeProtocolType") ?? "Automatic";
        var protocolOk = protocol.ToUpperInvariant() switch
        {
            "IKEV2" or "AUTOMATIC" => true,
            "PROTOCOLLIST" => native.Descendants().Any(e => Eq(e.Name.LocalName, "Type") && Eq(e.Value.Trim(), "IKEv2")),
            _ => false,
        };
        if (!protocolOk) throw new ProfileImportException($"{Format}: NativeProtocolType {SafeText.Quote(protocol)} is not IKEv2");

        var servers = (Val(native, "Servers") ?? throw new ProfileImportException($"{Format}: NativeProfile/Servers is missing"))
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (servers.Length == 0) throw new ProfileImportException($"{Format}: NativeProfile/Servers is empty");
        var first = servers[0].Split(';');
        var b = new Ikev2VpnProfile.Builder { ServerAddr = first[0].Trim() };
        b.Name = ProfileName.Sanitize(first.Length > 1 ? first[1] : first[0]);
        foreach (var s in servers.Skip(1)) notes.Add(new(ImportNoteKind.Ignored, "Servers", $"additional server {SafeText.Quote(s.Split(';')[0])} not used"));

        MapAuth(native, b, options, notes);
        MapCrypto(native, b);
        MapRoutes(profile, native, b, notes);

        b.AlwaysOn = Flag(profile, "AlwaysOn") || Flag(profile, "LockDown");
        b.Lockdown = Flag(profile, "LockDown");
        if (El(profile, "Proxy") is { } proxy && Val(El(proxy, "Manual"), "Server") is { } server)
        {
            var colon = server.LastIndexOf(':');
            b.Proxy = colon > 0 && int.TryParse(server[(colon + 1)..], out var port)
                ? new ProxyInfo(server[..colon], port, []) : new ProxyInfo(server, ProxyInfo.DefaultPort, []);
        }
        foreach (var e in native.Elements().Where(e => !Eq(e.Name.LocalName, "Servers") && !Eq(e.Name.LocalName, "NativeProtocolType")
                     && !Eq(e.Name.LocalName, "Authentication") && !Eq(e.Name.LocalName, "CryptographySuite") && !Eq(e.Name.LocalName, "RoutingPolicyType")))
            notes.Add(new(ImportNoteKind.Ignored, "NativeProfile/" + e.Name.LocalName, "not supported by this client"));
        foreach (var e in profile.Elements().Where(e => !Handled.Contains(e.Name.LocalName)))
            notes.Add(new(Eq(e.Name.LocalName, "TrafficFilter") ? ImportNoteKind.Unsupported : ImportNoteKind.Ignored, e.Name.LocalName, "not supported by this client"));
        return ImportBuild.Finish(b, notes, ProfileFormat.WindowsProfileXml, options, Format);
    }

    private static readonly XmlReaderSettings Settings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersFromEntities = 1024,
        MaxCharactersInDocument = ProfileLimits.MaxFileBytes,
    };

    /// <summary>
    /// Parses the document after a first streaming pass has checked it stays within
    /// <see cref="ProfileLimits.MaxXmlDepth"/> and <see cref="ProfileLimits.MaxXmlElements"/>, so no tree is ever
    /// built for a 600,000-deep nesting and the later walks over it are linear.
    /// </summary>
    private static XDocument Load(string text)
    {
        try
        {
            using (var scan = XmlReader.Create(new StringReader(text), Settings))
            {
                int elements = 0;
                while (scan.Read())
                {
                    if (scan.NodeType != XmlNodeType.Element) continue;
                    if (scan.Depth >= ProfileLimits.MaxXmlDepth)
                        throw new ProfileImportException($"{Format}: elements are nested deeper than {ProfileLimits.MaxXmlDepth} levels (the limit), line {(scan as IXmlLineInfo)?.LineNumber}");
                    if (++elements > ProfileLimits.MaxXmlElements)
                        throw new ProfileImportException($"{Format}: more than {ProfileLimits.MaxXmlElements} elements (the limit)");
                }
            }
            using var reader = XmlReader.Create(new StringReader(text), Settings);
            return XDocument.Load(reader);
        }
        catch (XmlException e)
        {
            throw new ProfileImportException($"{Format}: malformed XML (line {e.LineNumber}, position {e.LinePosition})");
        }
    }

    private static XElement? FindProfile(XDocument doc)
    {
        var direct = doc.Descendants().FirstOrDefault(e => Eq(e.Name.LocalName, "VPNProfile"));
        if (direct is not null) return direct;
        // SyncML: the ProfileXML is an XML-escaped string inside <Data>, a leaf element (only leaves are looked at, so
        // each character of text is read once).
        var escaped = doc.Descendants().Where(e => !e.HasElements).Select(e => e.Value.Trim())
            .FirstOrDefault(v => v.StartsWith("<VPNProfile", StringComparison.OrdinalIgnoreCase));
        return escaped is null ? null : Load(escaped).Root;
    }

    private static void MapAuth(XElement native, Ikev2VpnProfile.Builder b, ImportOptions? options, ImportNotes notes)
    {
        var auth = El(native, "Authentication") ?? throw new ProfileImportException($"{Format}: NativeProfile/Authentication is missing");
        var user = Val(auth, "UserMethod");
        var machine = Val(auth, "MachineMethod");
        bool needsCert;
        if (user is not null && Eq(user, "MSChapv2")) throw new ProfileImportException($"{Format}: UserMethod MSChapv2 is not valid for IKEv2 (use EAP)");
        if (user is not null && Eq(user, "EAP") || machine is not null && Eq(machine, "EAP"))
        {
            var type = El(auth, "Eap")?.Descendants().FirstOrDefault(e => Eq(e.Name.LocalName, "Type") && e.Parent is { } p && Eq(p.Name.LocalName, "EapMethod"))?.Value.Trim();
            switch (type)
            {
                case "13": b.AuthMethod = AuthMethod.EapTls; needsCert = true; break;
                case "26": b.AuthMethod = AuthMethod.UsernamePassword; needsCert = false; break;
                case "25" or "27": throw new ProfileImportException($"{Format}: EAP method PEAP ({type}) is not supported (EAP-TLS 13 and EAP-MSCHAPv2 26 are)");
                default: throw new ProfileImportException($"{Format}: EAP configuration has no supported EapMethod/Type (13 or 26)");
            }
            var trusted = El(auth, "Eap")?.Descendants().FirstOrDefault(e => Eq(e.Name.LocalName, "TrustedRootCA"))?.Value.Trim();
            if (trusted is not null)
                notes.Add(new(ImportNoteKind.Unsupported, "TrustedRootCA", $"root CA thumbprint {SafeText.Quote(trusted)} cannot be resolved here; the system trust store is used"));
        }
        else if (machine is not null && Eq(machine, "Certificate")) { b.AuthMethod = AuthMethod.DigitalSignature; needsCert = true; }
        else throw new ProfileImportException($"{Format}: Authentication needs UserMethod EAP or MachineMethod Certificate");

        if (!needsCert)
        {
            notes.Add(new(ImportNoteKind.DefaultApplied, "Authentication", "Windows profiles carry no credentials; user name and password are asked when connecting"));
            return;
        }
        b.Pkcs12 = options?.Pkcs12?.ToArray()
                   ?? throw new ProfileImportException($"{Format}: the user certificate lives in the Windows certificate store; supply it as a PKCS#12 (--pkcs12)");
        b.Pkcs12Field = "the PKCS#12 given with --pkcs12";
        b.Pkcs12Password = options.Pkcs12Password;
    }

    private static void MapCrypto(XElement native, Ikev2VpnProfile.Builder b)
    {
        var suite = El(native, "CryptographySuite");
        if (suite is null) return;
        string Need(string name) => Val(suite, name) ?? throw new ProfileImportException($"{Format}: CryptographySuite/{name} is missing");
        string Bad(string name, string v) => throw new ProfileImportException($"{Format}: CryptographySuite/{name} {SafeText.Quote(v)} is unknown");

        var enc = Need("EncryptionMethod");
        var encKw = enc.ToUpperInvariant() switch
        {
            "DES" => "des", "DES3" => "3des", "AES128" => "aes128", "AES192" => "aes192", "AES256" => "aes256",
            "AES_GCM_128" => "aes128gcm16", "AES_GCM_256" => "aes256gcm16", _ => Bad("EncryptionMethod", enc),
        };
        var integ = Need("IntegrityCheckMethod");
        var integKw = integ.ToUpperInvariant() switch
        {
            "MD5" => "md5", "SHA196" => "sha1", "SHA256" => "sha256", "SHA384" => "sha384", _ => Bad("IntegrityCheckMethod", integ),
        };
        var dh = Need("DHGroup");
        var dhKw = dh.ToUpperInvariant() switch
        {
            "GROUP1" => "modp768", "GROUP2" => "modp1024", "GROUP14" => "modp2048", "ECP256" => "ecp256", "ECP384" => "ecp384",
            "GROUP24" => "modp2048s256",
            "NONE" => throw new ProfileImportException($"{Format}: CryptographySuite/DHGroup None is not possible for IKEv2"),
            _ => Bad("DHGroup", dh),
        };
        b.IkeProposal = encKw.Contains("gcm") ? $"{encKw}-prf{integKw}-{dhKw}" : $"{encKw}-{integKw}-{dhKw}";

        var cipher = Need("CipherTransformConstants");
        var cipherKw = cipher.ToUpperInvariant() switch
        {
            "DES" => "des", "DES3" => "3des", "AES128" => "aes128", "AES192" => "aes192", "AES256" => "aes256",
            "GCMAES128" => "aes128gcm16", "GCMAES192" => "aes192gcm16", "GCMAES256" => "aes256gcm16", _ => Bad("CipherTransformConstants", cipher),
        };
        var authT = Need("AuthenticationTransformConstants");
        var authKw = authT.ToUpperInvariant() switch
        {
            "MD596" => "md5", "SHA196" => "sha1", "SHA256128" => "sha256", "GCMAES128" or "GCMAES192" or "GCMAES256" => null,
            _ => Bad("AuthenticationTransformConstants", authT),
        };
        var pfs = Val(suite, "PfsGroup") ?? "None";
        var pfsKw = pfs.ToUpperInvariant() switch
        {
            "NONE" => null, "PFS1" => "modp768", "PFS2" => "modp1024", "PFS2048" => "modp2048", "ECP256" => "ecp256", "ECP384" => "ecp384",
            "PFSMM" => dhKw, "PFS24" => "modp2048s256", _ => Bad("PfsGroup", pfs),
        };
        if (cipherKw.Contains("gcm") != (authKw is null))
            throw new ProfileImportException($"{Format}: CipherTransformConstants {SafeText.Quote(cipher)} and AuthenticationTransformConstants {SafeText.Quote(authT)} do not match");
        b.EspProposal = string.Join('-', new[] { cipherKw, authKw, pfsKw }.Where(s => s is not null));
    }

    private static void MapRoutes(XElement profile, XElement native, Ikev2VpnProfile.Builder b, ImportNotes notes)
    {
        var split = Eq(Val(native, "RoutingPolicyType") ?? "", "SplitTunnel");
        var include = new List<string>();
        var exclude = new List<string>();
        foreach (var r in profile.Elements().Where(e => Eq(e.Name.LocalName, "Route")))
        {
            var cidr = $"{Val(r, "Address")}/{Val(r, "PrefixSize")}";
            if (Flag(r, "ExclusionRoute")) exclude.Add(cidr);
            else if (split) include.Add(cidr);
        }
        if (split && include.Count == 0) notes.Add(new(ImportNoteKind.DefaultApplied, "RoutingPolicyType", "SplitTunnel without routes: the gateway's traffic selectors decide"));
        b.SplitTunneling = new SplitTunneling(include, exclude, false, false);
        foreach (var d in profile.Elements().Where(e => Eq(e.Name.LocalName, "DomainNameInformation")))
        {
            var servers = (Val(d, "DnsServers") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (Val(d, "DomainName") == ".") b.DnsServers.AddRange(servers);
            else notes.Add(new(ImportNoteKind.Unsupported, "DomainNameInformation", $"per-domain DNS for {SafeText.Quote(Val(d, "DomainName"))} is not supported"));
        }
    }

    private static bool Eq(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
    private static XElement? El(XElement? parent, string name) => parent?.Elements().FirstOrDefault(e => Eq(e.Name.LocalName, name));
    private static string? Val(XElement? parent, string name) => El(parent, name)?.Value.Trim() is { Length: > 0 } v ? v : null;
    private static bool Flag(XElement parent, string name) => Eq(Val(parent, name) ?? "", "true");
}
