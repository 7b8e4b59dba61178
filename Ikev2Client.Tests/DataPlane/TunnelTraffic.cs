using Ikev2Client.Connection;
using Ikev2Client.Platform;

namespace Ikev2Client.Tests.DataPlane;

/// <summary>Paced two-way traffic through an <see cref="InProcessTunnel"/> with its echo running: which packets came back.</summary>
internal static class TunnelTraffic
{
    /// <summary>
    /// Sends packets <paramref name="first"/> .. first + count − 1 from the client's TUN in bursts of
    /// <paramref name="burst"/> with a short pause between bursts, and waits (up to <paramref name="timeout"/>) until
    /// every one was echoed back into the client's TUN. Returns the ids that came back.
    /// </summary>
    public static HashSet<int> EchoRoundTrip(InProcessTunnel t, int first, int count, int burst = 16, TimeSpan? timeout = null,
        Action<int>? beforeEach = null)
    {
        var back = new HashSet<int>();
        var tun = t.ClientTun;
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        for (int i = first; i < first + count; i++)
        {
            beforeEach?.Invoke(i);
            if (!tun.InjectPacket(t.Packet(i))) throw new InvalidOperationException("the client TUN refused a packet");
            if ((i - first) % burst == burst - 1)
            {
                Drain(tun, back);
                Thread.Sleep(2);
            }
        }

        while (back.Count(id => id >= first && id < first + count) < count && DateTime.UtcNow < deadline)
        {
            if (!Drain(tun, back)) Thread.Sleep(5);
        }

        return back;
    }

    private static bool Drain(Ikev2Client.Platform.InMemory.InMemoryVpnInterface tun, HashSet<int> into)
    {
        bool any = false;
        while (tun.TakeWritten() is { } p)
        {
            into.Add(InProcessTunnel.IdOf(p));
            any = true;
        }

        return any;
    }

    /// <summary>Waits for a condition with a generous deadline.</summary>
    public static bool WaitUntil(Func<bool> condition, TimeSpan timeout) => PumpTestSupport.WaitUntil(condition, timeout);

    public static string Describe(InProcessTunnel t) =>
        $"client {t.Client.Statistics}; responder {t.Responder.Statistics}\n" + string.Join("\n", t.Log);

    public static long Drops(DataPlaneStatistics s) => s.ReplayDrops + s.AuthenticationDrops + s.MalformedDrops + s.NoSaDrops + s.TrafficSelectorDrops;
}
