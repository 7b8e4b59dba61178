using System.Globalization;
using System.Xml;

namespace Ikev2Client.Profiles;

/// <summary>
/// A small XML property-list reader: dict → <see cref="Dictionary{TKey,TValue}"/> (string keys, ordinal),
/// array → <see cref="List{T}"/>, string/date → string, integer → long, real → double, true/false → bool,
/// data → byte[] (whitespace-tolerant base64). The DOCTYPE is skipped, never processed (no DTD, no external
/// entities, no resolver); comments and the XML declaration are optional.
/// </summary>
internal static class PlistReader
{
    /// <summary>Parses the plist's root value; throws <see cref="ProfileImportException"/> with a one-line reason.</summary>
    public static object Parse(Stream stream, string formatName)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Ignore, XmlResolver = null, IgnoreComments = true,
            IgnoreWhitespace = true, IgnoreProcessingInstructions = true, MaxCharactersFromEntities = 0,
            MaxCharactersInDocument = ProfileLimits.MaxFileBytes,
        };
        try
        {
            using var reader = XmlReader.Create(stream, settings);
            reader.MoveToContent();
            if (reader.NodeType != XmlNodeType.Element || reader.LocalName != "plist")
                throw new ProfileImportException($"{formatName}: not a property list (root element is not <plist>)");
            if (reader.IsEmptyElement) throw new ProfileImportException($"{formatName}: empty <plist>");
            reader.Read();
            int values = 0;
            return ReadValue(reader, formatName, 0, ref values);
        }
        catch (XmlException e)
        {
            throw new ProfileImportException($"{formatName}: malformed XML (line {e.LineNumber}, position {e.LinePosition})");
        }
    }

    private static object ReadValue(XmlReader r, string fmt, int depth, ref int values)
    {
        if (depth > ProfileLimits.MaxPlistDepth)
            throw new ProfileImportException($"{fmt}: the property list is nested deeper than {ProfileLimits.MaxPlistDepth} levels (the limit)");
        if (++values > ProfileLimits.MaxPlistValues)
            throw new ProfileImportException($"{fmt}: the property list has more than {ProfileLimits.MaxPlistValues} values (the limit)");
        if (r.NodeType != XmlNodeType.Element) throw new ProfileImportException($"{fmt}: expected a value element near line {(r as IXmlLineInfo)?.LineNumber}");
        var name = r.LocalName;
        switch (name)
        {
            case "dict": return ReadDict(r, fmt, depth, ref values);
            case "array":
            {
                var list = new List<object>();
                if (r.IsEmptyElement) { r.Read(); return list; }
                r.Read();
                while (r.NodeType != XmlNodeType.EndElement) list.Add(ReadValue(r, fmt, depth + 1, ref values));
                r.ReadEndElement();
                return list;
            }
            case "true": case "false":
            {
                var empty = r.IsEmptyElement;
                r.Read();
                if (!empty) r.ReadEndElement();
                return name == "true";
            }
            case "string": case "date": return r.ReadElementContentAsString();
            case "integer":
            {
                var s = r.ReadElementContentAsString().Trim();
                return long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? l
                    : throw new ProfileImportException($"{fmt}: <integer> does not hold an integer");
            }
            case "real":
            {
                var s = r.ReadElementContentAsString().Trim();
                return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d
                    : throw new ProfileImportException($"{fmt}: <real> does not hold a number");
            }
            case "data":
                return CertificateText.TryBase64(r.ReadElementContentAsString()) is { } bytes ? bytes
                    : throw new ProfileImportException($"{fmt}: <data> does not hold valid base64");
            default:
                throw new ProfileImportException($"{fmt}: unknown property list element <{SafeText.Clip(name)}>");
        }
    }

    private static Dictionary<string, object> ReadDict(XmlReader r, string fmt, int depth, ref int values)
    {
        var dict = new Dictionary<string, object>(StringComparer.Ordinal);
        if (r.IsEmptyElement) { r.Read(); return dict; }
        r.Read();
        while (r.NodeType != XmlNodeType.EndElement)
        {
            if (r.NodeType != XmlNodeType.Element || r.LocalName != "key") throw new ProfileImportException($"{fmt}: <dict> entry without <key>");
            var key = r.ReadElementContentAsString();
            if (r.NodeType == XmlNodeType.EndElement) throw new ProfileImportException($"{fmt}: key {SafeText.Quote(key)} has no value");
            dict[key] = ReadValue(r, fmt, depth + 1, ref values);
        }
        r.ReadEndElement();
        return dict;
    }
}
