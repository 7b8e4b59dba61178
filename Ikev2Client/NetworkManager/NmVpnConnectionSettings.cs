using System.Text;
using System.Text.Json.Nodes;
using Ikev2Client.Profiles;

namespace Ikev2Client.NetworkManager;

/// <summary>
/// What NetworkManager hands the plugin in Connect/NeedSecrets (<c>a{sa{sv}}</c>), reduced to what we use: the
/// connection's id and uuid, <c>vpn.data</c> (our profile as native JSON without secrets, key <see cref="ProfileKey"/>,
/// and a <c>KEY-flags</c> item for each secret it needs) and <c>vpn.secrets</c> (the profile's secret keys, from NetworkManager's secret agents).
/// </summary>
public sealed record NmVpnConnectionSettings(
    string Id, string Uuid, IReadOnlyDictionary<string, string> Data, IReadOnlyDictionary<string, string> Secrets)
{
    /// <summary>The D-Bus service (and <c>vpn.service-type</c>) of this plugin.</summary>
    public const string ServiceType = "org.freedesktop.NetworkManager.ikev2client";

    /// <summary>The <c>vpn.data</c> key holding the profile (native JSON, no secrets).</summary>
    public const string ProfileKey = "profile";

    /// <summary>
    /// The <c>vpn.data</c> key naming a profile in the plugin's own store (<c>nm-export --secrets store</c>): the
    /// connection is that stored profile, with the secrets kept there (0600, root's store); <see cref="ProfileKey"/> is
    /// then only what NetworkManager shows.
    /// </summary>
    public const string StoreProfileKey = "store-profile";

    /// <summary>The stored profile this connection runs, or null (the profile is in <c>vpn.data</c>).</summary>
    public string? StoreProfile => Data.TryGetValue(StoreProfileKey, out var n) && n.Length > 0 ? n : null;

    /// <summary>The secret keys NetworkManager may carry for us: the native profile's secret keys.</summary>
    public static IReadOnlyList<string> SecretKeys => NativeProfileJson.SecretKeys;

    /// <summary>
    /// The secret keys the profile needs: each one with a <c>KEY-flags</c> item in <c>vpn.data</c> (how NetworkManager
    /// itself learns which secrets a VPN connection has), unless its flags say not-required (4).
    /// </summary>
    public IReadOnlyList<string> RequiredSecrets =>
        SecretKeys.Where(k => Data.TryGetValue(k + "-flags", out var f) && (!uint.TryParse(f, out var flags) || (flags & 4) == 0)).ToList();

    /// <summary>The required secrets NetworkManager did not supply (empty or missing values).</summary>
    public IReadOnlyList<string> MissingSecrets =>
        RequiredSecrets.Where(k => !Secrets.TryGetValue(k, out var v) || v.Length == 0).ToList();

    /// <summary>
    /// The profile with the secrets from <c>vpn.secrets</c>. Throws <see cref="ProfileImportException"/> or
    /// <see cref="ProfileValidationException"/> (messages without secrets) when <c>vpn.data</c> holds no usable profile.
    /// </summary>
    /// <remarks>
    /// With <see cref="StoreProfile"/>, the profile is the one stored under that name (<paramref name="loadStored"/>),
    /// never <c>vpn.data</c>'s copy: a user who can add NetworkManager connections must not be able to send the stored
    /// secrets to a gateway of their choosing. vpn.secrets then only fills in what the store lacks.
    /// </remarks>
    public Ikev2VpnProfile ToProfile(Func<string, Ikev2VpnProfile>? loadStored = null)
    {
        if (StoreProfile is { } stored)
        {
            if (loadStored is null) throw new ProfileImportException($"'{Id}' names the stored profile '{stored}', but no store is available");
            var full = NativeProfileJson.ToJson(loadStored(stored), includeSecrets: true);
            foreach (var key in SecretKeys)
                if (full[key] is null && Secrets.TryGetValue(key, out var value) && value.Length > 0) full[key] = value;
            return NativeProfileJson.Import(Encoding.UTF8.GetBytes(full.ToJsonString())).Profile;
        }
        if (!Data.TryGetValue(ProfileKey, out var json) || json.Length == 0)
            throw new ProfileImportException($"the NetworkManager connection '{Id}' has no vpn.data key '{ProfileKey}' (export it with: ikev2 nm-export NAME)");
        JsonObject o;
        try { o = JsonNode.Parse(json) as JsonObject ?? throw new ProfileImportException($"vpn.data '{ProfileKey}' of '{Id}' is not a JSON object"); }
        catch (System.Text.Json.JsonException e)
        {
            throw new ProfileImportException($"vpn.data '{ProfileKey}' of '{Id}' is not valid JSON ({e.Message})");
        }
        // Secrets never come from vpn.data (it is readable by every user): only from vpn.secrets.
        foreach (var key in SecretKeys) o.Remove(key);
        foreach (var key in SecretKeys)
            if (Secrets.TryGetValue(key, out var value) && value.Length > 0) o[key] = value;
        return NativeProfileJson.Import(Encoding.UTF8.GetBytes(o.ToJsonString())).Profile;
    }
}
