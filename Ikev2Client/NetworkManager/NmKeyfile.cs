using System.Security.Cryptography;
using System.Text;
using Ikev2Client.Profiles;

namespace Ikev2Client.NetworkManager;

/// <summary>How NetworkManager keeps a secret of the exported connection (the <c>KEY-flags</c> of <c>vpn.data</c>).</summary>
public enum NmSecretFlags
{
    /// <summary>1, agent-owned: the user's secret agent (GNOME Shell, KDE, <c>nmcli --ask</c>) stores and supplies it.</summary>
    AgentOwned = 1,
    /// <summary>2, not-saved: asked for at every connect, stored nowhere.</summary>
    NotSaved = 2,
}

/// <summary>
/// A profile as a NetworkManager keyfile (<c>/etc/NetworkManager/system-connections/NAME.nmconnection</c>, mode 0600):
/// <c>vpn.service-type</c> is ours, <c>vpn.data</c> holds the profile as native JSON without its secrets and the list of
/// secret keys it needs as NetworkManager's <c>KEY-flags</c> items, flags that keep it out of the file (agent-owned or not-saved). Secrets are never written.
/// </summary>
public static class NmKeyfile
{
    /// <summary>The keyfile text for <paramref name="profile"/>.</summary>
    /// <param name="profile">The profile.</param>
    /// <param name="flags">How NetworkManager keeps each secret the connection asks for.</param>
    /// <param name="uuid">The connection UUID (default: <see cref="UuidFor"/> the name).</param>
    /// <param name="storeBacked">
    /// The connection runs the stored profile of that name in the plugin's store (<c>store-profile</c>), whose secrets
    /// stay there: NetworkManager asks only for the secrets the store lacks (a password left to be asked for).
    /// </param>
    public static string Create(Ikev2VpnProfile profile, NmSecretFlags flags = NmSecretFlags.AgentOwned, string? uuid = null, bool storeBacked = false)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var json = NativeProfileJson.ToJson(profile.WithoutSecrets(), includeSecrets: false).ToJsonString();
        var held = NativeProfileJson.SecretsToJson(profile).Select(kv => kv.Key).ToHashSet(StringComparer.Ordinal);
        var secrets = RequiredSecrets(profile).Where(k => !storeBacked || !held.Contains(k)).ToList();
        var sb = new StringBuilder();
        sb.Append("[connection]\n");
        sb.Append("id=").Append(Escape(profile.Name)).Append('\n');
        sb.Append("uuid=").Append(uuid ?? UuidFor(profile.Name)).Append('\n');
        sb.Append("type=vpn\n");
        sb.Append("autoconnect=").Append(profile.AlwaysOn ? "true" : "false").Append('\n');
        sb.Append('\n');
        sb.Append("[vpn]\n");
        sb.Append("service-type=").Append(NmVpnConnectionSettings.ServiceType).Append('\n');
        if (profile.AlwaysOn) sb.Append("persistent=true\n");
        sb.Append(NmVpnConnectionSettings.ProfileKey).Append('=').Append(Escape(json)).Append('\n');
        if (storeBacked) sb.Append(NmVpnConnectionSettings.StoreProfileKey).Append('=').Append(Escape(profile.Name)).Append('\n');
        foreach (var key in secrets) sb.Append(key).Append("-flags=").Append((int)flags).Append('\n');
        sb.Append('\n');
        sb.Append("[ipv4]\nmethod=auto\n\n[ipv6]\naddr-gen-mode=stable-privacy\nmethod=auto\n");
        return sb.ToString();
    }

    /// <summary>
    /// The secret keys the profile needs at connect time: those it holds, and the ones its authentication method
    /// requires even when the profile leaves them to be asked for (an EAP password, a PKCS#12 password).
    /// </summary>
    public static IReadOnlyList<string> RequiredSecrets(Ikev2VpnProfile profile)
    {
        var keys = NativeProfileJson.SecretsToJson(profile).Select(kv => kv.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var missing in ProfileCredentials.Missing(profile))
            if (NativeProfileJson.SecretKeys.Contains(missing.Key)) keys.Add(missing.Key);
        return NativeProfileJson.SecretKeys.Where(keys.Contains).ToList();
    }

    /// <summary>A passwd-file for <c>nmcli connection up NAME passwd-file FILE</c> with the profile's secrets (write it 0600).</summary>
    public static string PasswdFile(Ikev2VpnProfile profile)
    {
        var sb = new StringBuilder();
        foreach (var (key, value) in NativeProfileJson.SecretsToJson(profile))
        {
            var text = value!.GetValue<string>();
            if (text.Contains('\n', StringComparison.Ordinal))
                throw new ProfileStoreException($"the secret '{key}' spans several lines and cannot go in an nmcli passwd-file; let a secret agent supply it");
            sb.Append("vpn.secrets.").Append(key).Append(':').Append(text).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>The same UUID for the same profile name every time (a re-export replaces the connection, not adds one).</summary>
    public static string UuidFor(string name)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("ikev2client:" + name));
        hash[6] = (byte)((hash[6] & 0x0f) | 0x50); // version 5-style (name-based)
        hash[8] = (byte)((hash[8] & 0x3f) | 0x80); // RFC 4122 variant
        return new Guid(hash.AsSpan(0, 16), bigEndian: true).ToString();
    }

    /// <summary>GKeyFile string escaping: backslash, control characters, a leading space.</summary>
    internal static string Escape(string value)
    {
        var sb = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '\\': sb.Append(@"\\"); break;
                case '\n': sb.Append(@"\n"); break;
                case '\r': sb.Append(@"\r"); break;
                case '\t': sb.Append(@"\t"); break;
                case ' ' when i == 0: sb.Append(@"\s"); break;
                default: sb.Append(c); break;
            }
        }
        return sb.ToString();
    }
}
