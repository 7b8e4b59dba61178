using Ikev2Client.Connection;
using Ikev2Client.Platform;
using Ikev2Client.Platform.Linux;
using Ikev2Client.Platform.Userspace;

namespace Ikev2Client.Tests.Infrastructure;

/// <summary>The platform tests connect on (what the composition root would give them): a userspace IpSecManager and a kind of TUN.</summary>
internal static class TestPlatform
{
    /// <summary>Linux TUN devices named <paramref name="interfaceName"/> (a <c>%d</c> pattern), DNS only reported.</summary>
    public static ConnectionPlatform LinuxTun(string interfaceName) =>
        new(new UserspaceIpSecManager(), new VpnInterfaceBuilderFactory(() => new LinuxVpnInterfaceBuilder(new LinuxVpnOptions { InterfaceName = interfaceName })));

    /// <summary>The Linux platform as the service wires it (default TUN names, DNS only reported, no state files).</summary>
    public static ConnectionPlatform Linux() => new(new UserspaceIpSecManager(), new LinuxVpnInterfaceBuilderFactory(applyDns: false, stateDirectory: null));
}
