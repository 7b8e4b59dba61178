using System.Security.Cryptography.X509Certificates;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Inspect;

/// <summary>Turns decoded payloads into the tree <c>ikev2 inspect</c> prints: algorithm, notify and attribute names.</summary>
public static class PayloadDescriber
{
    public static PayloadNode Describe(Payload p) => p switch
    {
        SaPayload sa => Sa(sa),
        KePayload ke => new PayloadNode("KE", $"{CryptoRegistry.NameOf(TransformType.KeyExchange, (ushort)ke.Group)}, {ke.Data.Length} bytes")
            .Field("group", CryptoRegistry.NameOf(TransformType.KeyExchange, (ushort)ke.Group)).Field("length", ke.Data.Length),
        IdPayload id => new PayloadNode(id.Type == PayloadType.IdInitiator ? "IDi" : "IDr", $"{IdTypeName(id.IdType)} {id.DisplayValue}")
            .Field("type", IdTypeName(id.IdType)).Field("value", id.DisplayValue),
        CertPayload c => Cert(c),
        CertReqPayload cr => new PayloadNode("CERTREQ", $"{cr.Encoding}, {cr.KeyHashes.Count()} CA key hash(es)")
            .Field("encoding", cr.Encoding.ToString()).Field("caKeyHashes", cr.KeyHashes.Select(Convert.ToHexString).ToArray()),
        AuthPayload a => new PayloadNode("AUTH", $"{a.Method}, {a.Data.Length} bytes").Field("method", a.Method.ToString()).Field("length", a.Data.Length),
        NoncePayload n => new PayloadNode("Nonce", $"{n.Data.Length} bytes").Field("value", Convert.ToHexString(n.Data)),
        NotifyPayload n => Notify(n),
        DeletePayload d => new PayloadNode("DELETE", d.ProtocolId == ProtocolId.Ike ? "IKE SA" : $"{d.ProtocolId} SPIs {string.Join(", ", d.SpiValues.Select(s => s.ToString("x8")))}")
            .Field("protocol", d.ProtocolId.ToString()).Field("spis", d.SpiValues.Select(s => s.ToString("x8")).ToArray()),
        VendorIdPayload v => new PayloadNode("VendorID", Convert.ToHexString(v.Data)).Field("value", Convert.ToHexString(v.Data)),
        TsPayload ts => Ts(ts),
        ConfigPayload cp => Cp(cp),
        EapPayload e => new PayloadNode("EAP", $"{e.Code} id={e.Identifier}{(e.EapType != 0 ? $" type={EapTypeName(e.EapType)}" : "")}")
            .Field("code", e.Code.ToString()).Field("identifier", e.Identifier).Field("type", EapTypeName(e.EapType)),
        EncryptedPayload sk => new PayloadNode("SK", $"encrypted, {sk.Body.Length} bytes, first inner payload {sk.FirstInnerPayload}"),
        EncryptedFragmentPayload f => new PayloadNode("SKF", $"fragment {f.FragmentNumber}/{f.TotalFragments}, {f.Body.Length} bytes")
            .Field("fragment", f.FragmentNumber).Field("total", f.TotalFragments),
        UnknownPayload u => new PayloadNode($"UNKNOWN({(byte)u.Type})", $"{u.Body.Length} bytes{(u.Critical ? ", critical" : "")}"),
        _ => new PayloadNode(p.Type.ToString()),
    };

    private static PayloadNode Sa(SaPayload sa)
    {
        var node = new PayloadNode("SA", $"{sa.Proposals.Count} proposal(s)");
        foreach (var p in sa.Proposals)
        {
            var algs = p.Transforms.Select(t => (t.Type >= TransformType.AdditionalKeyExchange1 ? $"ADDKE{(int)t.Type - 5}=" : "") + CryptoRegistry.NameOf(t.Type, t.Id, t.KeyLength)).ToArray();
            var pn = new PayloadNode($"Proposal #{p.Number}", $"{p.ProtocolId}{(p.Spi.Length > 0 ? $" SPI {Convert.ToHexString(p.Spi).ToLowerInvariant()}" : "")}: {string.Join(", ", algs)}")
                .Field("protocol", p.ProtocolId.ToString()).Field("spi", Convert.ToHexString(p.Spi).ToLowerInvariant()).Field("transforms", algs);
            node.Add(pn);
        }
        return node;
    }

    private static PayloadNode Cert(CertPayload c)
    {
        if (c.Encoding == CertEncoding.X509Signature)
        {
            try
            {
                using var cert = X509CertificateLoader.LoadCertificate(c.Data);
                return new PayloadNode("CERT", $"X.509 \"{cert.Subject}\" issued by \"{cert.Issuer}\", {c.Data.Length} bytes")
                    .Field("encoding", c.Encoding.ToString()).Field("length", c.Data.Length)
                    .Field("subject", cert.Subject).Field("issuer", cert.Issuer).Field("notAfter", cert.NotAfter.ToUniversalTime().ToString("u"));
            }
            catch (System.Security.Cryptography.CryptographicException) { }
        }
        return new PayloadNode("CERT", $"{c.Encoding}, {c.Data.Length} bytes").Field("encoding", c.Encoding.ToString()).Field("length", c.Data.Length);
    }

    private static PayloadNode Notify(NotifyPayload n)
    {
        string name = Enum.IsDefined(n.NotifyType) ? NotifyName(n.NotifyType) : $"NOTIFY({(ushort)n.NotifyType})";
        string? detail = n.NotifyType switch
        {
            NotifyType.InvalidKePayload when n.TryGetAcceptedGroup(out var g) => $"accepted group {CryptoRegistry.NameOf(TransformType.KeyExchange, (ushort)g)}",
            NotifyType.SignatureHashAlgorithms => string.Join(", ", n.GetHashAlgorithms().Select(HashName)),
            NotifyType.AuthLifetime when n.TryGetAuthLifetime(out var s) => $"{s} s",
            NotifyType.RekeySa => $"{n.ProtocolId} SPI {n.SpiValue:x8}",
            _ => n.Data.Length > 0 ? Convert.ToHexString(n.Data).ToLowerInvariant() : null,
        };
        var node = new PayloadNode("N", detail == null ? name : $"{name} {detail}").Field("type", name).Field("code", (ushort)n.NotifyType);
        if (n.Spi.Length > 0) node.Field("spi", Convert.ToHexString(n.Spi).ToLowerInvariant());
        if (n.Data.Length > 0) node.Field("data", Convert.ToHexString(n.Data).ToLowerInvariant());
        return node;
    }

    private static PayloadNode Ts(TsPayload ts)
    {
        var name = ts.Type == PayloadType.TrafficSelectorInitiator ? "TSi" : "TSr";
        return new PayloadNode(name, string.Join(", ", ts.Selectors)).Field("selectors", ts.Selectors.Select(s => s.ToString()).ToArray());
    }

    private static PayloadNode Cp(ConfigPayload cp)
    {
        var node = new PayloadNode("CP", $"CFG_{cp.ConfigType.ToString().ToUpperInvariant()}").Field("type", $"CFG_{cp.ConfigType.ToString().ToUpperInvariant()}");
        foreach (var a in cp.Attributes)
        {
            var attrName = Enum.IsDefined(a.Type) ? Upper(a.Type.ToString()) : $"ATTRIBUTE({(ushort)a.Type})";
            var value = a.Value.Length == 0 ? "(request)" : a.ToString().Substring(a.Type.ToString().Length).Trim();
            node.Add(new PayloadNode(attrName, value));
        }
        return node;
    }

    public static string NotifyName(NotifyType t) => Upper(t.ToString());

    private static string IdTypeName(IdType t) => t switch
    {
        IdType.Ipv4Addr => "ID_IPV4_ADDR",
        IdType.Ipv6Addr => "ID_IPV6_ADDR",
        IdType.Fqdn => "ID_FQDN",
        IdType.Rfc822Addr => "ID_RFC822_ADDR",
        IdType.DerAsn1Dn => "ID_DER_ASN1_DN",
        IdType.DerAsn1Gn => "ID_DER_ASN1_GN",
        IdType.KeyId => "ID_KEY_ID",
        _ => $"ID({(byte)t})",
    };

    private static string HashName(ushort h) => h switch
    {
        1 => "SHA1", 2 => "SHA2_256", 3 => "SHA2_384", 4 => "SHA2_512", 5 => "IDENTITY", _ => $"HASH({h})",
    };

    private static string EapTypeName(byte t) => t switch
    {
        0 => "none", 1 => "Identity", 2 => "Notification", 3 => "Nak", 4 => "MD5-Challenge", 13 => "TLS", 26 => "MSCHAPv2", _ => $"type {t}",
    };

    /// <summary>PascalCase enum name to the RFC spelling: NatDetectionSourceIp → NAT_DETECTION_SOURCE_IP.</summary>
    private static string Upper(string pascal)
    {
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < pascal.Length; i++)
        {
            char c = pascal[i];
            if (i > 0 && char.IsUpper(c) && (char.IsLower(pascal[i - 1]) || (i + 1 < pascal.Length && char.IsLower(pascal[i + 1]))) && pascal[i - 1] != '_')
                sb.Append('_');
            sb.Append(char.ToUpperInvariant(c));
        }
        return sb.ToString().Replace("__", "_");
    }
}
