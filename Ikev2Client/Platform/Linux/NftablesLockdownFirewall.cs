using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Ikev2Client.Platform.Linux;

/// <summary>
/// Lockdown with nftables: one table of ours (<c>inet ikev2_lockdown</c> by default, both address families) whose
/// <c>output</c> and <c>forward</c> chains drop everything except loopback, the tunnel interface, IKE (UDP to the
/// gateway's ports) and ESP (IP protocol 50) to the gateway addresses, and the link housekeeping a host needs to keep
/// its own address (DHCPv4/DHCPv6 requests, IPv6 router and neighbour solicitations and advertisements).
/// Every change is one <c>nft -f</c> transaction that creates, deletes and recreates the table, so switching gateway
/// addresses or adding the tunnel interface never leaves a moment with no rules. The table is recorded in a state file
/// before it is first installed, so the next start removes it after a crash (<see cref="LinuxNetworkCleanup"/>).
/// Acts on the network namespace of the calling thread. Remove it by hand with <c>nft delete table inet ikev2_lockdown</c>.
/// </summary>
public sealed class NftablesLockdownFirewall : ILockdownFirewall
{
    /// <summary>The default table name.</summary>
    public const string DefaultTable = "ikev2_lockdown";

    private readonly object _gate = new();
    private readonly IReadOnlyList<string> _command;
    private readonly LinuxNetworkState _state;
    private readonly LinuxNetworkResource.NftTable _table;
    private LockdownPolicy? _current;
    private readonly Microsoft.Extensions.Logging.ILogger? _log;

    /// <summary>
    /// A firewall recording its table in <paramref name="stateFile"/> (null: none), running <paramref name="nftCommand"/>
    /// (default <c>nft</c>; tests prefix <c>ip netns exec NS</c>) on table <paramref name="table"/>.
    /// </summary>
    public NftablesLockdownFirewall(string? stateFile, IReadOnlyList<string>? nftCommand = null, string table = DefaultTable,
        Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        _log = logger;
        if (!LinuxNetworkResource.IsNftName(table)) throw new ArgumentException($"invalid nftables table name '{table}'", nameof(table));
        _command = nftCommand ?? Nft.DefaultCommand;
        _state = new LinuxNetworkState(stateFile);
        _table = new LinuxNetworkResource.NftTable("inet", table);
    }

    /// <summary>The table name.</summary>
    public string TableName => _table.Name;

    /// <inheritdoc />
    public LockdownPolicy? Current { get { lock (_gate) return _current; } }

    /// <inheritdoc />
    public void Apply(LockdownPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        lock (_gate)
        {
            if (policy.Equals(_current)) return;
            if (!_state.Resources.Contains(_table)) _state.Record(_table); // write-ahead: recorded before it exists
            Nft.Run(_command, Ruleset(_table.Name, policy));
            _current = policy;
            if (_log != null) PlatformLog.LockdownApplied(_log, _table.Name, policy.ToString());
        }
    }

    /// <inheritdoc />
    public void Remove()
    {
        lock (_gate)
        {
            if (_current is null && _state.Resources.Count == 0) return;
            Nft.DeleteTable(_command, _table.Family, _table.Name);
            _current = null;
            _state.Delete();
            if (_log != null) PlatformLog.LockdownRemoved(_log, _table.Name);
        }
    }

    /// <summary>The nft script that atomically replaces the table with <paramref name="policy"/>.</summary>
    public static string Ruleset(string table, LockdownPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (!LinuxNetworkResource.IsNftName(table)) throw new ArgumentException($"invalid nftables table name '{table}'", nameof(table));
        var v4 = policy.Gateways.Select(Normalize).Where(a => a.AddressFamily == AddressFamily.InterNetwork).Distinct().ToList();
        var v6 = policy.Gateways.Select(Normalize).Where(a => a.AddressFamily == AddressFamily.InterNetworkV6).Distinct().ToList();
        var ports = string.Join(", ", policy.IkePorts.Where(p => p is > 0 and < 65536).Distinct().Order());
        var tun = policy.TunnelInterface;
        if (tun is not null && !IsInterfaceName(tun)) throw new ArgumentException($"invalid interface name '{tun}'", nameof(policy));

        var s = new StringBuilder();
        // Create-if-missing, delete, recreate: one transaction, so the old rules stay until the new ones are in.
        s.Append("table inet ").Append(table).Append('\n');
        s.Append("delete table inet ").Append(table).Append('\n');
        s.Append("table inet ").Append(table).Append(" {\n");
        s.Append("\tchain output {\n");
        s.Append("\t\ttype filter hook output priority filter; policy drop;\n");
        s.Append("\t\toifname \"lo\" accept\n");
        if (tun is not null) s.Append("\t\toifname \"").Append(tun).Append("\" accept\n");
        foreach (var (family, list) in new[] { ("ip", v4), ("ip6", v6) })
        {
            if (list.Count == 0) continue;
            var set = string.Join(", ", list);
            if (ports.Length > 0) s.Append("\t\t").Append(family).Append(" daddr { ").Append(set).Append(" } udp dport { ").Append(ports).Append(" } accept\n");
            s.Append("\t\t").Append(family).Append(" daddr { ").Append(set).Append(" } meta l4proto esp accept\n");
        }
        s.Append("\t\tmeta nfproto ipv4 udp sport 68 udp dport 67 accept\n");
        s.Append("\t\tmeta nfproto ipv6 udp sport 546 udp dport 547 accept\n");
        s.Append("\t\ticmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert } accept\n");
        s.Append("\t\tcounter drop\n");
        s.Append("\t}\n");
        s.Append("\tchain forward {\n");
        s.Append("\t\ttype filter hook forward priority filter; policy drop;\n");
        if (tun is not null)
        {
            s.Append("\t\toifname \"").Append(tun).Append("\" accept\n");
            s.Append("\t\tiifname \"").Append(tun).Append("\" ct state established,related accept\n");
        }
        s.Append("\t\tcounter drop\n");
        s.Append("\t}\n");
        s.Append("}\n");
        return s.ToString();
    }

    private static IPAddress Normalize(IPAddress a) =>
        a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a.AddressFamily == AddressFamily.InterNetworkV6 && a.ScopeId != 0 ? new IPAddress(a.GetAddressBytes()) : a;

    private static bool IsInterfaceName(string name) =>
        name.Length is > 0 and < 16 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.');
}
