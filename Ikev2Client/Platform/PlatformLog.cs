using Microsoft.Extensions.Logging;

namespace Ikev2Client.Platform;

/// <summary>The platform's log events (ids 2000–2099), source-generated: interfaces, DNS, lockdown.</summary>
internal static partial class PlatformLog
{
    [LoggerMessage(2000, LogLevel.Information, "interface {Name} (index {Index}) up: addresses {Addresses}; routes {Routes}; MTU {Mtu}")]
    public static partial void InterfaceUp(ILogger logger, string name, int index, string addresses, string routes, int mtu);

    [LoggerMessage(2001, LogLevel.Debug, "interface {Name}: blocked families {Blocked}; excluded routes {Excluded}")]
    public static partial void InterfaceDetails(ILogger logger, string name, string blocked, string excluded);

    [LoggerMessage(2002, LogLevel.Information, "interface {Name} removed with its routes and rules")]
    public static partial void InterfaceRemoved(ILogger logger, string name);

    [LoggerMessage(2003, LogLevel.Warning, "interface {Name}: cleanup incomplete ({Count} errors; the state file stays for the next start)")]
    public static partial void InterfaceCleanupIncomplete(ILogger logger, string name, int count);

    [LoggerMessage(2010, LogLevel.Information, "DNS for {Interface} through {Backend}: servers {Servers}; domains {Domains}")]
    public static partial void DnsApplied(ILogger logger, string @interface, string backend, string servers, string domains);

    [LoggerMessage(2011, LogLevel.Information, "DNS of {Backend} restored")]
    public static partial void DnsReverted(ILogger logger, string backend);

    [LoggerMessage(2020, LogLevel.Information, "lockdown table {Table}: {Policy}")]
    public static partial void LockdownApplied(ILogger logger, string table, string policy);

    [LoggerMessage(2021, LogLevel.Information, "lockdown table {Table} removed")]
    public static partial void LockdownRemoved(ILogger logger, string table);
}
