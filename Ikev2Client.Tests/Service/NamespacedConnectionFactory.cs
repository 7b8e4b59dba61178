using Ikev2Client.Connection;
using Ikev2Client.Profiles;
using Ikev2Client.Service;
using Ikev2Client.Tests.Infrastructure;

namespace Ikev2Client.Tests.Service;

/// <summary>Creates each connection's sockets and TUN inside a namespace (they are made synchronously in ConnectAsync).</summary>
internal sealed class NamespacedFactory(NetworkNamespace ns, IVpnConnectionFactory inner) : IVpnConnectionFactory
{
    public IVpnConnection Create(Ikev2VpnProfile profile) => new Namespaced(ns, inner.Create(profile));

    private sealed class Namespaced(NetworkNamespace ns, IVpnConnection inner) : IVpnConnection
    {
        public event Action<VpnConnectionEvent>? EventRaised
        {
            add => inner.EventRaised += value;
            remove => inner.EventRaised -= value;
        }
        public VpnState State => inner.State;
        public Ikev2Client.Platform.DataPlaneStatistics Statistics => inner.Statistics;
        public Task<VpnConnectionInfo> ConnectAsync(Ikev2VpnProfile profile, CancellationToken ct) => ns.Run(() => inner.ConnectAsync(profile, ct));
        public Task DisconnectAsync() => inner.DisconnectAsync();
        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
