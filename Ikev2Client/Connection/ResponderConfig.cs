using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ikev2Client.Connection;

/// <summary>
/// Settings of the test responder (<c>ikev2 responder --config FILE</c>), read from camelCase JSON. A test and
/// benchmark tool, not a production gateway: PSK only, one client at a time.
/// </summary>
public sealed class ResponderConfig
{
    /// <summary>Address to listen on (IKE and NAT-T sockets).</summary>
    public string ListenAddress { get; set; } = "0.0.0.0";
    /// <summary>IKE port.</summary>
    public int ListenPort { get; set; } = 500;
    /// <summary>NAT-T port (IKE after the switch, and ESP-in-UDP).</summary>
    public int NatTPort { get; set; } = 4500;
    /// <summary>Pre-shared key (required).</summary>
    public string Psk { get; set; } = "";
    /// <summary>Our identity (e.g. <c>@gw.test</c>, an address, or <c>user@host</c>).</summary>
    public string LocalId { get; set; } = "";
    /// <summary>The identity clients must use; null accepts any.</summary>
    public string? RemoteId { get; set; }
    /// <summary>Virtual IP pool (CIDR); its first address becomes the responder's own TUN address.</summary>
    public string AddressPool { get; set; } = "10.3.0.0/24";
    /// <summary>DNS servers sent to clients.</summary>
    public List<string> Dns { get; set; } = [];
    /// <summary>Local subnets offered as traffic selectors (TSr); "0.0.0.0/0" offers everything.</summary>
    public List<string> LocalSubnets { get; set; } = ["0.0.0.0/0"];
    /// <summary>IKE proposals, strongSwan syntax (comma-separated); null: the defaults.</summary>
    public string? IkeProposals { get; set; }
    /// <summary>ESP proposals, strongSwan syntax; null: the defaults.</summary>
    public string? EspProposals { get; set; }
    /// <summary>TUN MTU.</summary>
    public int Mtu { get; set; } = 1400;
    /// <summary>TUN name pattern.</summary>
    public string InterfaceName { get; set; } = "ikev2rsp%d";

    /// <summary>Parses and validates the JSON; the error is one line naming the field.</summary>
    public static bool TryParse(string json, out ResponderConfig? config, out string? error)
    {
        config = null;
        try
        {
            config = JsonSerializer.Deserialize(json, ResponderConfigJsonContext.Default.ResponderConfig);
        }
        catch (JsonException e)
        {
            error = $"invalid responder config: {e.Message}";
            return false;
        }
        if (config == null) { error = "invalid responder config: empty"; return false; }
        error = config.Validate();
        if (error != null) config = null;
        return error == null;
    }

    private string? Validate()
    {
        if (string.IsNullOrEmpty(Psk)) return "psk is required";
        if (string.IsNullOrEmpty(LocalId)) return "localId is required";
        if (!IPAddress.TryParse(ListenAddress, out _)) return $"listenAddress '{ListenAddress}' is not an IP address";
        if (ListenPort is < 1 or > 65535 || NatTPort is < 1 or > 65535) return "ports must be 1..65535";
        if (!IPNetwork.TryParse(AddressPool, out _)) return $"addressPool '{AddressPool}' is not a CIDR prefix";
        foreach (var d in Dns) if (!IPAddress.TryParse(d, out _)) return $"dns '{d}' is not an IP address";
        foreach (var s in LocalSubnets) if (!IPNetwork.TryParse(s, out _)) return $"localSubnets '{s}' is not a CIDR prefix";
        if (Mtu is < 576 or > 65535) return "mtu must be 576..65535";
        return null;
    }

    /// <inheritdoc />
    public override string ToString() => $"responder {ListenAddress}:{ListenPort}/{NatTPort} id {LocalId} pool {AddressPool} (PSK not shown)";
}

/// <summary>
/// Compile-time JSON metadata for <see cref="ResponderConfig"/> (no reflection: the native build is trimmed). The
/// properties are settable, not init-only: for init-only properties the generated code would construct the object
/// with every omitted key at its type's default, losing the initializers' defaults.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(ResponderConfig))]
internal sealed partial class ResponderConfigJsonContext : JsonSerializerContext;
