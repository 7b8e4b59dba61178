namespace Ikev2Client.Service;

/// <summary>What an established connection looks like (no key material): gateway, addresses, algorithms, SPIs.</summary>
public sealed record VpnConnectionInfo
{
    /// <summary>The gateway's endpoint as used (address:port).</summary>
    public required string Gateway { get; init; }
    /// <summary>Our local endpoint, if known.</summary>
    public string? LocalEndpoint { get; init; }
    /// <summary>Virtual addresses assigned by the gateway (CIDR).</summary>
    public IReadOnlyList<string> VirtualAddresses { get; init; } = [];
    /// <summary>DNS servers in use.</summary>
    public IReadOnlyList<string> DnsServers { get; init; } = [];
    /// <summary>Prefixes routed into the tunnel (CIDR).</summary>
    public IReadOnlyList<string> Routes { get; init; } = [];
    /// <summary>Address families blocked while connected ("IPv4", "IPv6"): a full tunnel got no address of them.</summary>
    public IReadOnlyList<string> BlockedFamilies { get; init; } = [];
    /// <summary>The gateway's split-DNS domains (INTERNAL_DNS_DOMAIN, RFC 8598), if it sent any.</summary>
    public IReadOnlyList<string> DnsDomains { get; init; } = [];
    /// <summary>IKE SA algorithms, strongSwan style (AES_GCM_16_256/PRF_HMAC_SHA2_256/CURVE_25519).</summary>
    public string? IkeAlgorithms { get; init; }
    /// <summary>CHILD SA algorithms.</summary>
    public string? EspAlgorithms { get; init; }
    /// <summary>Initiator's IKE SPI, 16 hex digits.</summary>
    public string? IkeSpiInitiator { get; init; }
    /// <summary>Responder's IKE SPI, 16 hex digits.</summary>
    public string? IkeSpiResponder { get; init; }
    /// <summary>Inbound ESP SPI (ours), 8 hex digits.</summary>
    public string? EspSpiIn { get; init; }
    /// <summary>Outbound ESP SPI (the gateway's), 8 hex digits.</summary>
    public string? EspSpiOut { get; init; }
    /// <summary>True when ESP is UDP-encapsulated (NAT-T).</summary>
    public bool UdpEncapsulation { get; init; }
    /// <summary>When the connection came up.</summary>
    public DateTimeOffset ConnectedAt { get; init; }
    /// <summary>The tunnel interface (null on the transport-mode path or without a data plane).</summary>
    public string? InterfaceName { get; init; }
    /// <summary>When the next CHILD SA rekey is due, if known.</summary>
    public DateTimeOffset? NextRekeyAt { get; init; }
}
