using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ikev2Client.Inspect;

/// <summary>Prints an <see cref="InspectReport"/> as an indented payload tree or as JSON.</summary>
public static class InspectRenderer
{
    public static string ToJson(InspectReport report) => JsonSerializer.Serialize(report, InspectJsonContext.Default.InspectReport);

    public static string ToText(InspectReport report)
    {
        var sb = new StringBuilder();
        foreach (var p in report.Packets)
        {
            sb.Append($"#{p.Frame} {p.Time:HH:mm:ss.ffffff} {p.Source} -> {p.Destination} {p.Kind}");
            if (p.Kind == "ESP") sb.Append($" SPI {p.EspSpi} seq {p.EspSequence} ({p.Length} bytes)");
            if (p.Exchange != null)
                sb.Append($" {p.Exchange} {p.Role} #{p.MessageId} SPIs {p.SpiI}/{p.SpiR} ({p.Length} bytes)");
            sb.AppendLine();
            if (p.Error != null) sb.AppendLine($"  ! malformed: {p.Error}");
            if (p.Payloads != null)
                foreach (var node in p.Payloads) Append(sb, node, 1);
            if (p.Decryption != null) sb.AppendLine($"  ({p.Decryption})");
        }
        if (report.CaptureError != null)
            sb.AppendLine($"capture error: {report.CaptureError} ({report.Packets.Count} IKE/ESP packets read before it)");
        return sb.ToString();
    }

    private static void Append(StringBuilder sb, PayloadNode node, int depth)
    {
        sb.Append(' ', depth * 2).Append(node.Name);
        if (node.Summary != null) sb.Append(": ").Append(node.Summary);
        sb.AppendLine();
        if (node.Children != null)
            foreach (var c in node.Children) Append(sb, c, depth + 1);
    }
}

/// <summary>
/// Compile-time JSON metadata for the inspect report (no reflection: the native build is trimmed). The value types
/// that <see cref="PayloadNode.Field"/> stores as <c>object</c> are listed so they serialize by their runtime type.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(InspectReport))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(uint))]
[JsonSerializable(typeof(ushort))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(bool))]
internal sealed partial class InspectJsonContext : JsonSerializerContext;
