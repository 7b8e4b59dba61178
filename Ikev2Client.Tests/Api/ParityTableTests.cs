using System.Reflection;
using System.Text.RegularExpressions;
using FluentAssertions;
using Ikev2Client.Tests.Infrastructure;
using Xunit;

namespace Ikev2Client.Tests.Api;

/// <summary>
/// Keeps docs/android-parity.md honest: every test it names exists as a test method, every Android member of the
/// covered classes has a row, and no row describes a setting that silently does nothing.
/// </summary>
public sealed partial class ParityTableTests
{
    private sealed record Row(string Section, string Android, string Ours, string Linux, IReadOnlyList<string> Tests);

    /// <summary>The Android members each section must cover (developer.android.com reference pages).</summary>
    private static readonly Dictionary<string, string[]> Required = new()
    {
        ["IpSecManager"] =
        [
            "allocateSecurityParameterIndex(InetAddress)", "allocateSecurityParameterIndex(InetAddress, int)", "openUdpEncapsulationSocket()",
            "openUdpEncapsulationSocket(int)", "applyTransportModeTransform", "removeTransportModeTransforms", "DIRECTION_IN", "DIRECTION_OUT",
            "createIpSecTunnelInterface", "applyTunnelModeTransform", "SecurityParameterIndex.getSpi()", "SecurityParameterIndex.close()",
            "UdpEncapsulationSocket.getPort()", "UdpEncapsulationSocket.getFileDescriptor()", "ResourceUnavailableException", "SpiUnavailableException",
        ],
        ["IpSecTransform and IpSecTransform.Builder"] =
        [
            "IpSecTransform.close()", "requestIpSecTransformState", "Builder(Context)", "setEncryption", "setAuthentication(",
            "setAuthenticatedEncryption", "setIpv4Encapsulation", "buildTransportModeTransform", "buildTunnelModeTransform",
        ],
        ["IpSecAlgorithm"] =
        [
            "CRYPT_AES_CBC", "CRYPT_AES_CTR", "AUTH_HMAC_MD5", "AUTH_HMAC_SHA1", "AUTH_HMAC_SHA256", "AUTH_HMAC_SHA384", "AUTH_HMAC_SHA512",
            "AUTH_AES_XCBC", "AUTH_AES_CMAC", "AUTH_CRYPT_AES_GCM", "AUTH_CRYPT_CHACHA20_POLY1305", "getSupportedAlgorithms()",
            "IpSecAlgorithm(String, byte[])", "IpSecAlgorithm(String, byte[], int)", "getName()", "getKey()", "getTruncationLengthBits()",
            "toString()", "writeToParcel",
        ],
        ["VpnService"] =
        [
            "prepare(Context)", "protect(int)", "protect(Socket)", "protect(DatagramSocket)", "setUnderlyingNetworks", "isAlwaysOn()",
            "isLockdownEnabled()", "onRevoke()", "onBind(Intent)", "SERVICE_INTERFACE", "SERVICE_META_DATA_SUPPORTS_ALWAYS_ON",
        ],
        ["VpnService.Builder"] =
        [
            "addAddress", "addRoute", "excludeRoute", "addDnsServer", "addSearchDomain", "setMtu", "allowFamily", "allowBypass",
            "addAllowedApplication", "addDisallowedApplication", "setBlocking", "setSession", "setConfigureIntent", "setHttpProxy",
            "setUnderlyingNetworks", "setMetered", "establish()",
        ],
        ["VpnManager"] =
        [
            "provisionVpnProfile", "deleteProvisionedVpnProfile", "startProvisionedVpnProfile()", "startProvisionedVpnProfileSession",
            "stopProvisionedVpnProfile", "getProvisionedVpnProfileState", "ACTION_VPN_MANAGER_EVENT", "CATEGORY_EVENT_IKE_ERROR",
            "CATEGORY_EVENT_NETWORK_ERROR", "CATEGORY_EVENT_DEACTIVATED_BY_USER", "CATEGORY_EVENT_ALWAYS_ON_STATE_CHANGED",
            "ERROR_CLASS_RECOVERABLE", "ERROR_CLASS_NOT_RECOVERABLE", "ERROR_CODE_NETWORK_", "TYPE_VPN_PLATFORM",
        ],
        ["VpnProfileState"] =
        [
            "getState()", "STATE_CONNECTED", "STATE_CONNECTING", "STATE_DISCONNECTED", "STATE_FAILED", "getSessionId()", "isAlwaysOn()",
            "isLockdownEnabled()",
        ],
        ["Ikev2VpnProfile and Ikev2VpnProfile.Builder"] =
        [
            "Builder(String, String)", "Builder(IkeTunnelConnectionParams)", "getIkeTunnelConnectionParams()", "build()", "setAuthPsk",
            "getPresharedKey()", "setAuthUsernamePassword", "getUsername()", "getPassword()", "getServerRootCaCert()", "setAuthDigitalSignature",
            "getUserCert()", "getRsaPrivateKey()", "getServerAddr()", "getUserIdentity()", "setAllowedAlgorithms", "getAllowedAlgorithms()",
            "setMaxMtu", "getMaxMtu()", "setLocalRoutesExcluded", "areLocalRoutesExcluded()", "setAutomaticNattKeepaliveTimerEnabled",
            "isAutomaticNattKeepaliveTimerEnabled()", "setAutomaticIpVersionSelectionEnabled", "isAutomaticIpVersionSelectionEnabled()",
            "setBypassable", "isBypassable()", "setMetered", "isMetered()", "setProxy", "getProxyInfo()", "setRequiresInternetValidation",
            "isInternetValidationRequired()", "getType()", "getTypeString()",
        ],
    };

    [Fact]
    public void Every_test_the_parity_table_names_exists()
    {
        var tests = typeof(ParityTableTests).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
                .Where(m => m.GetCustomAttributes<FactAttribute>(inherit: true).Any())
                .Select(m => $"{t.Name}.{m.Name}"))
            .ToHashSet(StringComparer.Ordinal);
        var rows = Rows();
        rows.Should().HaveCountGreaterThan(60);
        var missing = rows.SelectMany(r => r.Tests).Distinct().Where(t => !tests.Contains(t)).ToList();
        string.Join(", ", missing).Should().BeEmpty("every test named in docs/android-parity.md must exist ([Fact] or [Theory])");
    }

    [Fact]
    public void Every_row_does_something_or_says_why_not_and_names_a_test()
    {
        foreach (var row in Rows())
        {
            row.Tests.Should().NotBeEmpty($"the row for {row.Android} needs a test that shows its Linux behaviour");
            row.Linux.Should().NotBeNullOrWhiteSpace($"the row for {row.Android} must say what happens on Linux");
            SilentWords().IsMatch(row.Linux).Should().BeFalse($"the row for {row.Android} must not describe a silent setting: {row.Linux}");
            if (row.Linux.Contains("not supported", StringComparison.OrdinalIgnoreCase) || row.Linux.StartsWith("Refused", StringComparison.Ordinal))
                row.Linux.Should().MatchRegex(@"\(|:", $"a refusal says why ({row.Android})");
        }
    }

    [Fact]
    public void Every_android_member_of_the_covered_classes_has_a_row()
    {
        var rows = Rows();
        foreach (var (section, members) in Required)
        {
            var android = string.Join(" ", rows.Where(r => r.Section == section).Select(r => r.Android));
            android.Should().NotBeEmpty($"docs/android-parity.md needs a section '{section}'");
            foreach (var member in members)
                android.Should().Contain(member, $"'{member}' of {section} needs a row");
        }
    }

    private static List<Row> Rows()
    {
        var rows = new List<Row>();
        string? section = null;
        foreach (var line in File.ReadLines(RepositoryFiles.Path("docs", "android-parity.md")))
        {
            if (line.StartsWith("## ", StringComparison.Ordinal)) { section = line[3..].Trim(); continue; }
            if (!line.StartsWith('|') || section is null) continue;
            var cells = SplitCells(line);
            if (cells.Count != 4) throw new FormatException($"a parity row needs 4 cells: {line}");
            if (cells[0] == "Android" || cells[0].StartsWith("---", StringComparison.Ordinal)) continue;
            var tests = TestName().Matches(cells[3]).Select(m => m.Groups[1].Value).ToList();
            rows.Add(new Row(section, cells[0], cells[1], cells[2], tests));
        }
        return rows;
    }

    /// <summary>The cells of a table row; <c>\|</c> is a literal bar inside a cell.</summary>
    private static List<string> SplitCells(string line)
    {
        var cells = new List<string>();
        var current = new System.Text.StringBuilder();
        for (var i = 1; i < line.Length; i++)
        {
            if (line[i] == '\\' && i + 1 < line.Length && line[i + 1] == '|') { current.Append('|'); i++; }
            else if (line[i] == '|') { cells.Add(current.ToString().Trim()); current.Clear(); }
            else current.Append(line[i]);
        }
        return cells;
    }

    [GeneratedRegex(@"`([A-Za-z0-9]+\.[A-Za-z0-9_]+)`")]
    private static partial Regex TestName();

    [GeneratedRegex(@"\b(no effect|ignored|does nothing|no-op|nothing happens|silently|recorded without)\b", RegexOptions.IgnoreCase)]
    private static partial Regex SilentWords();
}
