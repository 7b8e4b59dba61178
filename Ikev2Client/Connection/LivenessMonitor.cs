namespace Ikev2Client.Connection;

/// <summary>
/// When a connection checks that the gateway is alive. Two triggers, whichever comes first:
/// <list type="bullet">
/// <item><b>idle</b>: nothing received from the gateway (ESP or IKE) for <see cref="IdleInterval"/> — RFC 7296 §2.4's
/// liveness check, sent only when the peer has been silent;</item>
/// <item><b>traffic</b>: we sent packets and nothing came back for <see cref="TrafficTimeout"/> — WireGuard's rule of
/// thumb: a tunnel that carries traffic one way only for a few seconds is suspect, so it is checked at once.</item>
/// </list>
/// A gateway that lost its IKE SA (crashed and came back) never answers (strongSwan sends no INVALID_IKE_SPI), so
/// the check's retransmissions run out and the session fails with a recoverable ProtocolTimeout: always-on reconnects.
/// </summary>
/// <param name="IdleInterval">Silence before an idle check.</param>
/// <param name="TrafficTimeout">Outbound packets without any inbound one for this long start a check at once.</param>
/// <param name="SuspectAfter">A check unanswered for this long makes the gateway suspect. A live gateway answers far
/// sooner, so a connection carrying one-way traffic (checked every few seconds) does not flap.</param>
public sealed record LivenessPolicy(TimeSpan IdleInterval, TimeSpan TrafficTimeout, TimeSpan SuspectAfter)
{
    /// <summary>
    /// The defaults for every profile without <c>dpdSeconds</c>: an idle check after 30 s of silence (a gateway restart
    /// is found within 30 s + the 15.5 s of retransmissions even with no traffic; the cost is two ~80-byte datagrams per
    /// 30 s of silence — Android's 120 s would leave an always-on tunnel dead for up to 2.5 minutes), a traffic-driven
    /// check after 5 s of one-way traffic (a crashed gateway is declared dead ~20 s after the user's packets stopped
    /// getting answers: 5 s + 15.5 s of retransmissions), and suspicion after 1 s without an answer (twice the first
    /// retransmission timeout of 0.5 s).
    /// </summary>
    public static LivenessPolicy Default { get; } = new(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1));

    /// <summary>The policy for a profile's <c>dpdSeconds</c>: null the default, 0 none (no checks at all), else that idle interval.</summary>
    public static LivenessPolicy? ForProfile(int? dpdSeconds) => dpdSeconds switch
    {
        null => Default,
        0 => null,
        { } s => Default with { IdleInterval = TimeSpan.FromSeconds(s) },
    };
}

/// <summary>What <see cref="LivenessMonitor.Observe"/> decided.</summary>
/// <param name="CheckNow">Start a liveness check now (an empty INFORMATIONAL).</param>
/// <param name="Suspect">The gateway is not known to be alive right now: a liveness check has gone unanswered for
/// <see cref="LivenessPolicy.SuspectAfter"/>.</param>
/// <param name="Reason">Why, for people ("sent 12 packets in 5 s and received nothing").</param>
public readonly record struct LivenessVerdict(bool CheckNow, bool Suspect, string? Reason);

/// <summary>
/// Decides from the data plane's counters when to check the gateway's liveness (<see cref="LivenessPolicy"/>). Pure:
/// the caller passes the time and the counters at each tick (about once a second) and acts on the verdict, so it is
/// tested on a fake clock. Inbound counts everything that proves the gateway holds our SAs: ESP packets that
/// decrypted and IKE messages; outbound counts packets read from the tunnel (sent, or dropped for want of an SA).
/// </summary>
public sealed class LivenessMonitor
{
    private readonly LivenessPolicy _policy;
    private long _inbound, _outbound;
    private TimeSpan _lastInboundAt;
    private TimeSpan? _unansweredSince;
    private long _outboundAtUnanswered;
    private TimeSpan? _checkStartedAt;
    private bool _suspect;
    private string? _reason;

    /// <summary>Starts watching at <paramref name="now"/> with the counters as they are.</summary>
    public LivenessMonitor(LivenessPolicy policy, TimeSpan now, long outbound = 0, long inbound = 0)
    {
        _policy = policy ?? throw new ArgumentNullException(nameof(policy));
        _lastInboundAt = now;
        _outbound = outbound;
        _inbound = inbound;
    }

    /// <summary>True while the gateway is suspect (see <see cref="LivenessVerdict.Suspect"/>).</summary>
    public bool Suspect => _suspect;

    /// <summary>Takes the counters at <paramref name="now"/> and says whether to check the gateway now.</summary>
    public LivenessVerdict Observe(TimeSpan now, long outbound, long inbound)
    {
        bool answered = inbound != _inbound;
        if (answered)
        {
            // Anything from the gateway answers every question: it is alive and holds our SAs.
            _inbound = inbound;
            _lastInboundAt = now;
            _unansweredSince = null;
            _checkStartedAt = null;
            _suspect = false;
            _reason = null;
        }
        if (outbound != _outbound)
        {
            // Packets sent in the same tick as something arrived count as answered (the order within a tick is unknown).
            if (_unansweredSince == null && !answered)
            {
                _unansweredSince = now;
                _outboundAtUnanswered = _outbound;
            }
            _outbound = outbound;
        }
        bool check = false;
        if (_checkStartedAt is { } started)
        {
            if (!_suspect && now - started >= _policy.SuspectAfter)
            {
                _suspect = true;
                _reason = $"the gateway has not answered a liveness check for {(now - started).TotalSeconds:0} s ({_reason})";
            }
            // The session fails the check after its retransmissions; if it is still up after the idle interval (the
            // check was queued behind another exchange, or the answer was lost without a failure), ask again.
            if (now - started >= _policy.IdleInterval) _checkStartedAt = null;
        }
        if (_checkStartedAt == null)
        {
            if (_unansweredSince is { } since && now - since >= _policy.TrafficTimeout)
            {
                check = true;
                _reason = $"sent {_outbound - _outboundAtUnanswered} packets in {(now - since).TotalSeconds:0} s and received nothing";
            }
            else if (now - _lastInboundAt >= _policy.IdleInterval)
            {
                check = true;
                _reason = $"nothing received for {(now - _lastInboundAt).TotalSeconds:0} s";
            }
            if (check) _checkStartedAt = now;
        }
        return new LivenessVerdict(check, _suspect, _suspect || check ? _reason : null);
    }
}
