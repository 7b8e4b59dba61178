using System.Globalization;
using System.Text.Json.Nodes;
using Ikev2Client.Connection;

namespace Ikev2Client.Service;

/// <summary>
/// JSON of <see cref="VpnProfileState"/> for the control socket and <c>ikev2 status --json</c> (camelCase keys,
/// states and error classes as Android names them, times in ISO 8601 UTC). It is built field by field from the
/// state, which holds no secrets, so no profile secret can reach it.
/// </summary>
public static class StateJson
{
    /// <summary>The state as a JSON object.</summary>
    public static JsonObject ToJson(VpnProfileState s)
    {
        var o = new JsonObject
        {
            ["name"] = s.Name,
            ["state"] = s.State.ToWire(),
            ["sessionKey"] = s.SessionKey,
            ["alwaysOn"] = s.AlwaysOn,
            ["lockdown"] = s.Lockdown,
            ["lockdownActive"] = s.LockdownActive,
            ["ephemeral"] = s.Ephemeral,
            ["server"] = s.Server,
            ["since"] = Time(s.Since),
            ["attempt"] = s.Attempt,
            ["sequence"] = s.Sequence,
        };
        if (s.Detail is not null) o["detail"] = s.Detail;
        if (s.NextRetryAt is { } r) o["nextRetryAt"] = Time(r);
        if (s.Error is { } e) o["error"] = ToJson(e);
        if (s.Connection is { } c) o["connection"] = ToJson(c);
        if (s.Statistics is { } st) o["statistics"] = ToJson(st);
        if (s.ManagedBy is { } managedBy) o["managedBy"] = managedBy;
        return o;
    }

    /// <summary>The error as JSON: category, class (number and name), code (number and name), message, advice.</summary>
    public static JsonObject ToJson(VpnError e) => new()
    {
        ["category"] = e.Category.ToString().ToLowerInvariant(),
        ["errorClass"] = e.ErrorClass,
        ["errorClassName"] = e.ClassName,
        ["errorCode"] = e.ErrorCode,
        ["errorCodeName"] = e.CodeName,
        ["message"] = e.Message,
        ["advice"] = e.Advice,
    };

    private static JsonObject ToJson(VpnConnectionInfo c) => new()
    {
        ["gateway"] = c.Gateway,
        ["localEndpoint"] = c.LocalEndpoint,
        ["virtualAddresses"] = Strings(c.VirtualAddresses),
        ["dnsServers"] = Strings(c.DnsServers),
        ["routes"] = Strings(c.Routes),
        ["blockedFamilies"] = Strings(c.BlockedFamilies),
        ["dnsDomains"] = Strings(c.DnsDomains),
        ["ikeAlgorithms"] = c.IkeAlgorithms,
        ["espAlgorithms"] = c.EspAlgorithms,
        ["ikeSpiInitiator"] = c.IkeSpiInitiator,
        ["ikeSpiResponder"] = c.IkeSpiResponder,
        ["espSpiIn"] = c.EspSpiIn,
        ["espSpiOut"] = c.EspSpiOut,
        ["udpEncapsulation"] = c.UdpEncapsulation,
        ["connectedAt"] = Time(c.ConnectedAt),
        ["interfaceName"] = c.InterfaceName,
        ["nextRekeyAt"] = c.NextRekeyAt is { } t ? Time(t) : null,
    };

    private static JsonObject ToJson(Platform.DataPlaneStatistics s) => new()
    {
        ["packetsIn"] = s.PacketsReceived, ["packetsOut"] = s.PacketsSent, ["bytesIn"] = s.BytesReceived, ["bytesOut"] = s.BytesSent,
    };

    /// <summary>Reads a state written by <see cref="ToJson(VpnProfileState)"/>; null when it is not one.</summary>
    public static VpnProfileState? FromJson(JsonNode? node)
    {
        if (node is not JsonObject o || Str(o, "name") is not { } name || !VpnStateNames.TryParse(Str(o, "state"), out var state)) return null;
        return new VpnProfileState
        {
            Name = name, State = state, SessionKey = Str(o, "sessionKey"), AlwaysOn = Bool(o, "alwaysOn"), Lockdown = Bool(o, "lockdown"), LockdownActive = Bool(o, "lockdownActive"),
            Ephemeral = Bool(o, "ephemeral"), Server = Str(o, "server"), Since = TimeOf(o, "since") ?? default,
            Attempt = (int)Long(o, "attempt"), Sequence = Long(o, "sequence"), Detail = Str(o, "detail"), NextRetryAt = TimeOf(o, "nextRetryAt"),
            Error = ErrorFromJson(o["error"]), Connection = InfoFromJson(o["connection"]), Statistics = StatsFromJson(o["statistics"]),
            ManagedBy = Str(o, "managedBy"),
        };
    }

    /// <summary>Reads an error object; null when absent or malformed.</summary>
    public static VpnError? ErrorFromJson(JsonNode? node)
    {
        if (node is not JsonObject o) return null;
        var category = Enum.TryParse<VpnErrorCategory>(Str(o, "category"), ignoreCase: true, out var c) ? c : VpnErrorCategory.Internal;
        return new VpnError(category, (int)Long(o, "errorClass"), (int)Long(o, "errorCode"), Str(o, "errorCodeName") ?? "",
            Str(o, "message") ?? "", Str(o, "advice"));
    }

    private static VpnConnectionInfo? InfoFromJson(JsonNode? node) => node is not JsonObject o ? null : new VpnConnectionInfo
    {
        Gateway = Str(o, "gateway") ?? "", LocalEndpoint = Str(o, "localEndpoint"), VirtualAddresses = StrList(o, "virtualAddresses"),
        DnsServers = StrList(o, "dnsServers"), DnsDomains = StrList(o, "dnsDomains"), Routes = StrList(o, "routes"), BlockedFamilies = StrList(o, "blockedFamilies"),
        IkeAlgorithms = Str(o, "ikeAlgorithms"), EspAlgorithms = Str(o, "espAlgorithms"),
        IkeSpiInitiator = Str(o, "ikeSpiInitiator"), IkeSpiResponder = Str(o, "ikeSpiResponder"), EspSpiIn = Str(o, "espSpiIn"),
        EspSpiOut = Str(o, "espSpiOut"), UdpEncapsulation = Bool(o, "udpEncapsulation"), ConnectedAt = TimeOf(o, "connectedAt") ?? default,
        InterfaceName = Str(o, "interfaceName"), NextRekeyAt = TimeOf(o, "nextRekeyAt"),
    };

    /// <summary>The counters the wire carries (packets and bytes each way; the others read as zero).</summary>
    private static Platform.DataPlaneStatistics? StatsFromJson(JsonNode? node) => node is not JsonObject o ? null : Platform.DataPlaneStatistics.Empty with
    {
        PacketsReceived = Long(o, "packetsIn"), PacketsSent = Long(o, "packetsOut"), BytesReceived = Long(o, "bytesIn"), BytesSent = Long(o, "bytesOut"),
    };

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
    private static string Time(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    internal static string? Str(JsonObject o, string key) =>
        o[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    internal static bool Bool(JsonObject o, string key) => o[key] is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    internal static long Long(JsonObject o, string key) =>
        o[key] is JsonValue v ? (v.TryGetValue<long>(out var l) ? l : v.TryGetValue<int>(out var i) ? i : v.TryGetValue<double>(out var d) && d is >= long.MinValue and <= long.MaxValue ? (long)d : 0) : 0;

    private static DateTimeOffset? TimeOf(JsonObject o, string key) =>
        Str(o, key) is { } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    private static IReadOnlyList<string> StrList(JsonObject o, string key) =>
        o[key] is JsonArray a ? a.Select(n => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null).OfType<string>().ToList() : [];
}
