namespace Ikev2Client.Service;

/// <summary>
/// Always-on reconnect delays: the first is uniformly random in [5 s, 10 s) (jitter, so many clients behind one
/// gateway do not reconnect in step), each next one doubles, capped at 2 minutes; <see cref="Reset"/> after a
/// successful connect starts over.
/// </summary>
public sealed class ReconnectBackoff
{
    /// <summary>Lower bound of the first delay.</summary>
    public static readonly TimeSpan InitialMin = TimeSpan.FromSeconds(5);
    /// <summary>Upper bound (exclusive) of the first delay.</summary>
    public static readonly TimeSpan InitialMax = TimeSpan.FromSeconds(10);
    /// <summary>No delay is longer.</summary>
    public static readonly TimeSpan Cap = TimeSpan.FromMinutes(2);

    private readonly Func<double> _random;
    private TimeSpan? _last;

    /// <summary>Back-off using <paramref name="random"/> (values in [0, 1)) for the jitter; null: <see cref="Random.Shared"/>.</summary>
    public ReconnectBackoff(Func<double>? random = null) => _random = random ?? Random.Shared.NextDouble;

    /// <summary>The number of delays handed out since the last reset.</summary>
    public int Attempts { get; private set; }

    /// <summary>The next delay.</summary>
    public TimeSpan Next()
    {
        TimeSpan next;
        if (_last is not { } last)
        {
            var r = Math.Clamp(_random(), 0.0, 0.999999);
            next = InitialMin + (InitialMax - InitialMin) * r;
        }
        else next = last * 2;
        if (next > Cap) next = Cap;
        _last = next;
        Attempts++;
        return next;
    }

    /// <summary>Starts over (after a successful connect).</summary>
    public void Reset()
    {
        _last = null;
        Attempts = 0;
    }
}
