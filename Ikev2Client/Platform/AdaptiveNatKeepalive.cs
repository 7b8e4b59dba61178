namespace Ikev2Client.Platform;

/// <summary>
/// The NAT-T keepalive interval of a profile with <c>automaticNattKeepaliveTimerEnabled</c> (Android lets the platform pick
/// the timer from the network): start short, lengthen while the NAT binding is seen to survive, fall back when it is lost.
/// </summary>
/// <remarks>
/// <para>The rule, one step per keepalive period (the time the socket may stay silent before a keepalive goes out):</para>
/// <list type="bullet">
/// <item>Start at <see cref="Initial"/> (20 s, RFC 3948's and strongSwan's default).</item>
/// <item>A period in which a datagram from the gateway arrived while we sent nothing but keepalives shows the binding was
/// still open after up to that much silence on our side. After <see cref="ConfirmationsPerStep"/> such periods in a row at one interval, the interval grows by
/// <see cref="Step"/>, up to <see cref="Maximum"/> (RFC 4787 REQ-5 asks NATs for at least 2 minutes).</item>
/// <item>When the binding is lost (the connection's liveness check finds the gateway silent, or the NAT mapping changed),
/// the interval goes back to the last one that was confirmed (one step shorter if the lost one had been confirmed) and
/// stays there for the rest of the connection.</item>
/// </list>
/// <para>Periods without anything from the gateway prove nothing and leave the interval as it is.</para>
/// </remarks>
public sealed class AdaptiveNatKeepalive
{
    /// <summary>Confirmed periods in a row before a step.</summary>
    public const int ConfirmationsPerStep = 3;

    private readonly object _gate = new();
    private TimeSpan _interval;
    private TimeSpan _confirmed;
    private int _confirmations;
    private bool _pinned;

    /// <summary>The rule with 20 s, 10 s steps and 120 s (null), or other bounds (tests).</summary>
    public AdaptiveNatKeepalive(TimeSpan? initial = null, TimeSpan? step = null, TimeSpan? maximum = null)
    {
        Initial = initial ?? TimeSpan.FromSeconds(20);
        Step = step ?? TimeSpan.FromSeconds(10);
        Maximum = maximum ?? TimeSpan.FromSeconds(120);
        if (Initial <= TimeSpan.Zero || Step <= TimeSpan.Zero || Maximum < Initial)
            throw new ArgumentOutOfRangeException(nameof(initial), "need 0 < initial <= maximum and a positive step");
        _interval = _confirmed = Initial;
    }

    /// <summary>First interval (20 s).</summary>
    public TimeSpan Initial { get; }
    /// <summary>How much one step lengthens the interval (10 s).</summary>
    public TimeSpan Step { get; }
    /// <summary>Longest interval (120 s).</summary>
    public TimeSpan Maximum { get; }

    /// <summary>The interval to wait now.</summary>
    public TimeSpan Interval { get { lock (_gate) return _interval; } }

    /// <summary>True once a loss fixed the interval for good.</summary>
    public bool Pinned { get { lock (_gate) return _pinned; } }

    /// <summary>
    /// One keepalive period ended; <paramref name="heardFromGateway"/>: a datagram from the gateway arrived during it while
    /// we sent nothing but keepalives.
    /// Returns the next interval.
    /// </summary>
    public TimeSpan PeriodEnded(bool heardFromGateway)
    {
        lock (_gate)
        {
            if (_pinned) return _interval;
            if (!heardFromGateway) return _interval;
            _confirmed = _interval;
            if (++_confirmations >= ConfirmationsPerStep && _interval < Maximum)
            {
                _interval = _interval + Step > Maximum ? Maximum : _interval + Step;
                _confirmations = 0;
            }
            return _interval;
        }
    }

    /// <summary>The binding was lost: back to the last confirmed interval (never longer than now), for good.</summary>
    public TimeSpan BindingLost()
    {
        lock (_gate)
        {
            // Lost at an interval not yet confirmed: the last confirmed one. Lost at a confirmed one (the NAT changed its
            // mind): one step shorter, never below the initial interval.
            _interval = _confirmed < _interval ? _confirmed : (_interval - Step < Initial ? Initial : _interval - Step);
            _confirmed = _interval;
            _pinned = true;
            return _interval;
        }
    }
}
