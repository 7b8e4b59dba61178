using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using Ikev2Client.Tests.Infrastructure;

namespace Ikev2Client.Tests.Interop;

/// <summary>
/// Pings a target from inside a namespace every <c>interval</c> on a thread of its own until stopped, recording each
/// echo's time and outcome, so a test can say how long traffic stopped (the longest run of lost echoes) and how many
/// were lost, while it does something else (kills the gateway, deletes a CHILD SA).
/// </summary>
internal sealed class PingProbe : IDisposable
{
    private readonly List<(TimeSpan At, bool Ok)> _samples = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private volatile bool _stop;
    private readonly Thread _thread;

    public PingProbe(NetworkNamespace ns, IPAddress target, TimeSpan interval, TimeSpan timeout)
    {
        _thread = new Thread(() => ns.Run(() =>
        {
            using var ping = new Ping();
            var payload = new byte[56];
            while (!_stop)
            {
                var at = _clock.Elapsed;
                bool ok;
                try { ok = ping.Send(target, (int)timeout.TotalMilliseconds, payload).Status == IPStatus.Success; }
                catch (PingException) { ok = false; }
                lock (_samples) _samples.Add((at, ok));
                var spent = _clock.Elapsed - at;
                if (spent < interval) Thread.Sleep(interval - spent);
            }
            return 0;
        })) { IsBackground = true, Name = "ping-probe" };
        _thread.Start();
    }

    /// <summary>Time since the probe started (the clock of the samples).</summary>
    public TimeSpan Now => _clock.Elapsed;

    public int Sent { get { lock (_samples) return _samples.Count; } }
    public int Lost { get { lock (_samples) return _samples.Count(s => !s.Ok); } }

    /// <summary>Lost echoes sent at or after <paramref name="from"/>.</summary>
    public int LostSince(TimeSpan from) { lock (_samples) return _samples.Count(s => !s.Ok && s.At >= from); }

    /// <summary>True once an echo sent at or after <paramref name="from"/> was answered.</summary>
    public bool AnsweredSince(TimeSpan from) { lock (_samples) return _samples.Any(s => s.Ok && s.At >= from); }

    /// <summary>
    /// The longest time traffic stopped at or after <paramref name="from"/>: from the first echo of a run of lost ones
    /// to the next answered one (or now, if none was answered since).
    /// </summary>
    public TimeSpan LongestOutage(TimeSpan from = default)
    {
        lock (_samples)
        {
            TimeSpan longest = TimeSpan.Zero;
            TimeSpan? start = null;
            foreach (var (at, ok) in _samples.Where(s => s.At >= from))
            {
                if (!ok) start ??= at;
                else if (start is { } s) { longest = TimeSpan.FromTicks(Math.Max(longest.Ticks, (at - s).Ticks)); start = null; }
            }
            if (start is { } open) longest = TimeSpan.FromTicks(Math.Max(longest.Ticks, (_clock.Elapsed - open).Ticks));
            return longest;
        }
    }

    /// <summary>Waits until an echo sent after <paramref name="from"/> is answered, or <paramref name="timeout"/> passes.</summary>
    public bool WaitForAnswerSince(TimeSpan from, TimeSpan timeout)
    {
        var deadline = _clock.Elapsed + timeout;
        while (_clock.Elapsed < deadline)
        {
            if (AnsweredSince(from)) return true;
            Thread.Sleep(20);
        }
        return AnsweredSince(from);
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join(TimeSpan.FromSeconds(5));
    }
}
