using System.Globalization;
using System.Text;
using System.Text.Json;
using Ikev2Client.Profiles;

namespace Ikev2Client.Inspect;

/// <summary>
/// Prints inspected packets as an indented payload tree or as JSON, one packet at a time (so a capture is
/// printed while it is read, never held whole). Text from the capture (identities, certificate names, error
/// details) is made safe for a terminal with <see cref="SafeText.Line"/>; JSON escapes it.
/// </summary>
public static class InspectRenderer
{
    public static string ToJson(InspectReport report)
    {
        var buffer = new MemoryStream();
        using (var writer = new InspectJsonWriter(buffer, report.File))
        {
            foreach (var p in report.Packets) writer.Write(p);
            writer.Finish(report.Frames, report.CaptureError);
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static string ToText(InspectReport report)
    {
        var w = new StringWriter();
        foreach (var p in report.Packets) WriteText(w, p);
        WriteTextEnd(w, report.Packets.Count, report.CaptureError);
        return w.ToString();
    }

    /// <summary>One packet as text: a header line, its payload tree, and the decryption note.</summary>
    public static void WriteText(TextWriter w, InspectedPacket p)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"#{p.Frame} {p.Time:HH:mm:ss.ffffff} {p.Source} -> {p.Destination} {p.Kind}");
        if (p.Kind == "ESP") sb.Append(CultureInfo.InvariantCulture, $" SPI {p.EspSpi} seq {p.EspSequence} ({p.Length} bytes)");
        if (p.Exchange != null)
            sb.Append(CultureInfo.InvariantCulture, $" {p.Exchange} {p.Role} #{p.MessageId} SPIs {p.SpiI}/{p.SpiR} ({p.Length} bytes)");
        sb.AppendLine();
        if (p.Error != null) sb.Append("  ! malformed: ").AppendLine(SafeText.Line(p.Error));
        if (p.Payloads != null)
            foreach (var node in p.Payloads) Append(sb, node, 1);
        if (p.Decryption != null) sb.Append("  (").Append(SafeText.Line(p.Decryption)).AppendLine(")");
        w.Write(sb.ToString());
    }

    /// <summary>The closing line when the capture could not be read to the end.</summary>
    public static void WriteTextEnd(TextWriter w, int packets, string? captureError)
    {
        if (captureError != null)
            w.WriteLine($"capture error: {SafeText.Line(captureError)} ({packets} IKE/ESP packets read before it)");
    }

    private static void Append(StringBuilder sb, PayloadNode node, int depth)
    {
        sb.Append(' ', depth * 2).Append(SafeText.Line(node.Name));
        if (node.Summary != null) sb.Append(": ").Append(SafeText.Line(node.Summary));
        sb.AppendLine();
        if (node.Children != null)
            foreach (var c in node.Children) Append(sb, c, depth + 1);
    }
}

/// <summary>
/// Writes the JSON report incrementally: <c>{"file":…,"packets":[…],"frames":N,"captureError":…}</c>, camelCase,
/// absent values left out. Built on <see cref="Utf8JsonWriter"/> (no reflection).
/// </summary>
public sealed class InspectJsonWriter : IDisposable
{
    private readonly Utf8JsonWriter _json;

    public InspectJsonWriter(Stream output, string file)
    {
        _json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        _json.WriteStartObject();
        _json.WriteString("file", file);
        _json.WriteStartArray("packets");
    }

    public void Write(InspectedPacket p)
    {
        _json.WriteStartObject();
        _json.WriteNumber("frame", p.Frame);
        _json.WriteString("time", p.Time);
        _json.WriteString("source", p.Source);
        _json.WriteString("destination", p.Destination);
        _json.WriteString("kind", p.Kind);
        _json.WriteNumber("length", p.Length);
        if (p.Exchange != null) _json.WriteString("exchange", p.Exchange);
        if (p.Role != null) _json.WriteString("role", p.Role);
        if (p.MessageId is { } id) _json.WriteNumber("messageId", id);
        if (p.SpiI != null) _json.WriteString("spiI", p.SpiI);
        if (p.SpiR != null) _json.WriteString("spiR", p.SpiR);
        if (p.Payloads != null)
        {
            _json.WriteStartArray("payloads");
            foreach (var n in p.Payloads) WriteNode(n);
            _json.WriteEndArray();
        }
        if (p.Decryption != null) _json.WriteString("decryption", p.Decryption);
        if (p.EspSpi != null) _json.WriteString("espSpi", p.EspSpi);
        if (p.EspSequence is { } seq) _json.WriteNumber("espSequence", seq);
        if (p.Error != null) _json.WriteString("error", p.Error);
        _json.WriteEndObject();
        if (_json.BytesPending > 64 * 1024) _json.Flush();
    }

    /// <summary>Closes the packet list and the report.</summary>
    public void Finish(int frames, string? captureError)
    {
        _json.WriteEndArray();
        _json.WriteNumber("frames", frames);
        if (captureError != null) _json.WriteString("captureError", captureError);
        _json.WriteEndObject();
        _json.Flush();
    }

    private void WriteNode(PayloadNode node)
    {
        _json.WriteStartObject();
        _json.WriteString("name", node.Name);
        if (node.Summary != null) _json.WriteString("summary", node.Summary);
        if (node.Fields != null)
        {
            _json.WritePropertyName("fields");
            _json.WriteStartObject();
            foreach (var (key, value) in node.Fields)
            {
                _json.WritePropertyName(key);
                WriteValue(value);
            }
            _json.WriteEndObject();
        }
        if (node.Children != null)
        {
            _json.WriteStartArray("children");
            foreach (var c in node.Children) WriteNode(c);
            _json.WriteEndArray();
        }
        _json.WriteEndObject();
    }

    private void WriteValue(object? value)
    {
        switch (value)
        {
            case null: _json.WriteNullValue(); break;
            case string s: _json.WriteStringValue(s); break;
            case bool b: _json.WriteBooleanValue(b); break;
            case byte or sbyte or short or ushort or int: _json.WriteNumberValue(Convert.ToInt32(value, CultureInfo.InvariantCulture)); break;
            case uint or long: _json.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture)); break;
            case ulong u: _json.WriteNumberValue(u); break;
            case System.Collections.IEnumerable items:
                _json.WriteStartArray();
                foreach (var item in items) WriteValue(item);
                _json.WriteEndArray();
                break;
            default: _json.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture)); break;
        }
    }

    public void Dispose() => _json.Dispose();
}
