using System.Text.Json.Serialization;

namespace Ikev2Client.Inspect;

/// <summary>A node of the payload tree shown by <c>ikev2 inspect</c> (text and JSON).</summary>
public sealed class PayloadNode
{
    public PayloadNode(string name, string? summary = null)
    {
        Name = name;
        Summary = summary;
    }

    public string Name { get; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Summary { get; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public Dictionary<string, object>? Fields { get; private set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public List<PayloadNode>? Children { get; private set; }

    public PayloadNode Field(string key, object value)
    {
        (Fields ??= new())[key] = value;
        return this;
    }

    public PayloadNode Add(PayloadNode child)
    {
        (Children ??= new()).Add(child);
        return this;
    }
}

/// <summary>One packet of the capture as inspect reports it.</summary>
public sealed class InspectedPacket
{
    public int Frame { get; init; }
    public DateTimeOffset Time { get; init; }
    public string Source { get; init; } = "";
    public string Destination { get; init; } = "";
    /// <summary>IKE, ESP or NAT-keepalive.</summary>
    public string Kind { get; init; } = "";
    public int Length { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Exchange { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Role { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public uint? MessageId { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? SpiI { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? SpiR { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public List<PayloadNode>? Payloads { get; set; }
    /// <summary>"decrypted", "integrity check failed (wrong key?)", "no keys for this IKE SA", "fragment 1/3 held"...</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Decryption { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? EspSpi { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public uint? EspSequence { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Error { get; set; }
}

/// <summary>The whole report.</summary>
public sealed class InspectReport
{
    public string File { get; init; } = "";
    public int Frames { get; set; }
    public List<InspectedPacket> Packets { get; } = new();
    /// <summary>Set when the capture is truncated or corrupt; packets before the problem are still listed.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? CaptureError { get; set; }
}
