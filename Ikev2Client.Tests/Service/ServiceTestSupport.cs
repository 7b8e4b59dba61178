using System.Collections.Concurrent;
using System.Threading.Channels;
using Ikev2Client.Profiles;
using Ikev2Client.Service;

namespace Ikev2Client.Tests.Service;

/// <summary>Profiles, temp stores and short socket paths for the service tests.</summary>
internal static class ServiceTestData
{
    public const string Psk = "Sup3r-Secret-PSK-do-not-leak";

    public static Ikev2VpnProfile Profile(string name = "office", bool alwaysOn = false, bool lockdown = false) =>
        new Ikev2VpnProfile.Builder().SetName(name).SetServer("vpn.example.com", 4500)
            .SetUserIdentity("client@example.com").SetAuthPsk(System.Text.Encoding.UTF8.GetBytes(Psk))
            .SetAlwaysOn(alwaysOn, lockdown).Build();

    /// <summary>A temporary directory with a short path (Unix socket paths are limited to 107 bytes).</summary>
    public static string NewTempDir()
    {
        var dir = Path.Combine("/tmp", "ikv2s-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static VpnConnectionInfo Info(string gateway = "192.0.2.1:4500") => new()
    {
        Gateway = gateway, LocalEndpoint = "198.51.100.7:4500", VirtualAddresses = ["10.10.0.2/32"], DnsServers = ["10.10.0.1"],
        Routes = ["0.0.0.0/0"], BlockedFamilies = ["IPv6"],
        IkeAlgorithms = "AES_GCM_16_256/PRF_HMAC_SHA2_256/CURVE_25519", EspAlgorithms = "AES_GCM_16_256",
        IkeSpiInitiator = "0123456789abcdef", IkeSpiResponder = "fedcba9876543210", EspSpiIn = "c1a2b3c4", EspSpiOut = "d1e2f3a4",
        UdpEncapsulation = true, ConnectedAt = DateTimeOffset.UnixEpoch.AddDays(20000),
    };

    public static VpnError AuthFailed() => new(VpnErrorCategory.Ike, VpnErrorCodes.ErrorClassNotRecoverable, 24,
        "ERROR_CODE_IKE_AUTHENTICATION_FAILED", "The gateway rejected our authentication.", "Check the pre-shared key.");

    public static VpnError Timeout() => VpnError.Network(VpnErrorCodes.ErrorCodeNetworkProtocolTimeout, "No answer.");
}

/// <summary>What a fake connection does when asked to connect.</summary>
internal abstract record FakeOutcome
{
    public sealed record Succeed(VpnConnectionInfo Info) : FakeOutcome;
    public sealed record Fail(VpnError Error) : FakeOutcome;
    /// <summary>Never completes until cancelled (a gateway that does not answer, for stop tests).</summary>
    public sealed record Hang : FakeOutcome;
}

/// <summary>Scripted connections: <see cref="Next"/> decides each attempt's outcome; tests drop live ones.</summary>
internal sealed class FakeVpnConnectionFactory : IVpnConnectionFactory
{
    public Func<Ikev2VpnProfile, int, FakeOutcome> Next { get; set; } = (_, _) => new FakeOutcome.Succeed(ServiceTestData.Info());
    public ConcurrentQueue<FakeVpnConnection> Created { get; } = new();
    public Channel<FakeVpnConnection> Connected { get; } = Channel.CreateUnbounded<FakeVpnConnection>();
    private int _count;

    public IVpnConnection Create(Ikev2VpnProfile profile)
    {
        var c = new FakeVpnConnection(this, Next(profile, Interlocked.Increment(ref _count)));
        Created.Enqueue(c);
        return c;
    }

    public int Attempts => _count;
}

internal sealed class FakeVpnConnection(FakeVpnConnectionFactory owner, FakeOutcome outcome) : IVpnConnection
{
    public event Action<VpnConnectionEvent>? EventRaised;
    public VpnState State { get; private set; }
    public VpnConnectionStatistics Statistics { get; set; } = new()
    {
        PacketsIn = 12, PacketsOut = 34, BytesIn = 5600, BytesOut = 7800, NextRekeyAt = DateTimeOffset.UtcNow.AddMinutes(50),
    };
    public bool DisconnectCalled { get; private set; }
    public bool Disposed { get; private set; }
    public Ikev2VpnProfile? Profile { get; private set; }

    public async Task<VpnConnectionInfo> ConnectAsync(Ikev2VpnProfile profile, CancellationToken cancellationToken)
    {
        Profile = profile;
        State = VpnState.Connecting;
        EventRaised?.Invoke(new VpnConnectionEvent.Connecting("IKE_SA_INIT"));
        await Task.Yield();
        switch (outcome)
        {
            case FakeOutcome.Succeed s:
                State = VpnState.Connected;
                EventRaised?.Invoke(new VpnConnectionEvent.Connected(s.Info));
                owner.Connected.Writer.TryWrite(this);
                return s.Info;
            case FakeOutcome.Fail f:
                State = VpnState.Failed;
                throw new VpnConnectionException(f.Error);
            default:
                await Task.Delay(Timeout.Infinite, cancellationToken);
                throw new InvalidOperationException("unreachable");
        }
    }

    /// <summary>The gateway deleted the SA / the connection failed.</summary>
    public void Drop(VpnConnectionEvent e)
    {
        State = e is VpnConnectionEvent.Failed ? VpnState.Failed : VpnState.Disconnected;
        EventRaised?.Invoke(e);
    }

    public Task DisconnectAsync()
    {
        DisconnectCalled = true;
        State = VpnState.Disconnected;
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        return ValueTask.CompletedTask;
    }
}

/// <summary>A clock whose delays complete only when the test advances time; every requested delay is recorded.</summary>
internal sealed class ManualClock : IServiceClock
{
    private readonly object _gate = new();
    private readonly List<(DateTimeOffset Due, TaskCompletionSource Tcs)> _pending = [];
    public Channel<TimeSpan> Requested { get; } = Channel.CreateUnbounded<TimeSpan>();
    public DateTimeOffset UtcNow { get; private set; } = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public Task Delay(TimeSpan delay, CancellationToken cancellationToken)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate) _pending.Add((UtcNow + delay, tcs));
        cancellationToken.Register(() => tcs.TrySetCanceled(cancellationToken));
        Requested.Writer.TryWrite(delay);
        return tcs.Task;
    }

    public void Advance(TimeSpan by)
    {
        List<TaskCompletionSource> due;
        lock (_gate)
        {
            UtcNow += by;
            due = _pending.Where(p => p.Due <= UtcNow).Select(p => p.Tcs).ToList();
            _pending.RemoveAll(p => p.Due <= UtcNow);
        }
        foreach (var t in due) t.TrySetResult();
    }

    /// <summary>The next delay the service asked for (fails the test after 10 s of real time).</summary>
    public async Task<TimeSpan> NextDelayAsync() =>
        await Requested.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
}
