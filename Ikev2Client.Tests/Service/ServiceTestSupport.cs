using System.Collections.Concurrent;
using System.Threading.Channels;
using Ikev2Client.Connection;
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
        UdpEncapsulation = true, ConnectedAt = DateTimeOffset.UnixEpoch.AddDays(20000), NextRekeyAt = new DateTimeOffset(2100, 1, 1, 0, 50, 0, TimeSpan.Zero),
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
    public Ikev2Client.Platform.DataPlaneStatistics Statistics { get; set; } = Ikev2Client.Platform.DataPlaneStatistics.Empty with
    {
        PacketsReceived = 12, PacketsSent = 34, BytesReceived = 5600, BytesSent = 7800,
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
                throw new VpnErrorException(f.Error);
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
/// <summary>
/// A <see cref="TimeProvider"/> that moves only when told (<see cref="Advance"/>) and reports every delay the service
/// arms (<see cref="Requested"/>), so back-off is stepped without waiting.
/// </summary>
internal sealed class ManualClock : TimeProvider
{
    private readonly object _gate = new();
    private readonly List<ManualTimer> _armed = [];
    private DateTimeOffset _now = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public Channel<TimeSpan> Requested { get; } = Channel.CreateUnbounded<TimeSpan>();
    public DateTimeOffset UtcNow => GetUtcNow();

    public override DateTimeOffset GetUtcNow() { lock (_gate) return _now; }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    public void Advance(TimeSpan by)
    {
        List<ManualTimer> due;
        lock (_gate)
        {
            _now += by;
            due = _armed.Where(t => t.Due <= _now).ToList();
            _armed.RemoveAll(t => t.Due <= _now);
        }
        foreach (var t in due) t.Fire();
    }

    /// <summary>The next delay the service asked for (fails the test after 10 s of real time).</summary>
    public async Task<TimeSpan> NextDelayAsync() =>
        await Requested.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

    private void Arm(ManualTimer timer, TimeSpan dueTime)
    {
        lock (_gate)
        {
            _armed.Remove(timer);
            if (dueTime == Timeout.InfiniteTimeSpan) return;
            timer.Due = _now + dueTime;
            _armed.Add(timer);
        }
        Requested.Writer.TryWrite(dueTime);
    }

    private void Disarm(ManualTimer timer) { lock (_gate) _armed.Remove(timer); }

    /// <summary>One-shot timers (periods are not needed by the service).</summary>
    private sealed class ManualTimer(ManualClock clock, TimerCallback callback, object? state) : ITimer
    {
        public DateTimeOffset Due;
        public bool Change(TimeSpan dueTime, TimeSpan period) { clock.Arm(this, dueTime); return true; }
        public void Fire() => ThreadPool.QueueUserWorkItem(_ => callback(state)); // never inline in the test's Advance
        public void Dispose() => clock.Disarm(this);
        public ValueTask DisposeAsync() { Dispose(); return ValueTask.CompletedTask; }
    }
}
