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
    /// <summary>An IPv6 virtual IP pool (CIDR) for dual-stack clients; its first address is the responder's own; null: none.</summary>
    public string? AddressPool6 { get; set; }
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
    /// <summary>CHILD SA rekey after this many inner bytes through one ESP SA (strongSwan <c>rekey_bytes</c>); 0: none.</summary>
    public long RekeyBytes { get; set; }
    /// <summary>CHILD SA hard byte limit (<c>life_bytes</c>); 0: <see cref="RekeyBytes"/> + 10%.</summary>
    public long LifeBytes { get; set; }
    /// <summary>CHILD SA rekey after this many packets through one ESP SA (<c>rekey_packets</c>); 0: none.</summary>
    public long RekeyPackets { get; set; }
    /// <summary>CHILD SA hard packet limit (<c>life_packets</c>); 0: <see cref="RekeyPackets"/> + 10%.</summary>
    public long LifePackets { get; set; }
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
        if (AddressPool6 != null && (!IPNetwork.TryParse(AddressPool6, out var six) || six.BaseAddress.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6))
            return $"addressPool6 '{AddressPool6}' is not an IPv6 CIDR prefix";
        foreach (var d in Dns) if (!IPAddress.TryParse(d, out _)) return $"dns '{d}' is not an IP address";
        foreach (var s in LocalSubnets) if (!IPNetwork.TryParse(s, out _)) return $"localSubnets '{s}' is not a CIDR prefix";
        if (Mtu is < 576 or > 65535) return "mtu must be 576..65535";
        return VolumeProblem(RekeyBytes, LifeBytes, "Bytes") ?? VolumeProblem(RekeyPackets, LifePackets, "Packets");
    }

    private static string? VolumeProblem(long rekey, long life, string unit)
    {
        if (rekey < 0 || life < 0) return $"rekey{unit} and life{unit} must not be negative";
        if (life > 0 && rekey >= life) return $"rekey{unit} must be below life{unit}";
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
