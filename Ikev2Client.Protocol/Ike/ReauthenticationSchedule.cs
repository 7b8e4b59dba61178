namespace Ikev2Client.Protocol.Ike;

/// <summary>
/// When to reauthenticate (RFC 4478) after the peer's N(AUTH_LIFETIME): the lifetime minus a margin of
/// min(10 %, 60 s) and a jitter of up to a further 5 % (at most 10 s), so a new IKE SA is up before the old one expires.
/// </summary>
public static class ReauthenticationSchedule
{
    /// <summary>The delay after establishment at which to start the new IKE SA.</summary>
    public static TimeSpan Deadline(TimeSpan authLifetime)
    {
        if (authLifetime <= TimeSpan.Zero) return TimeSpan.Zero;
        var margin = TimeSpan.FromTicks(Math.Min(authLifetime.Ticks / 10, TimeSpan.FromSeconds(60).Ticks));
        var jitterMax = Math.Min(authLifetime.Ticks / 20, TimeSpan.FromSeconds(10).Ticks);
        var jitter = jitterMax > 0 ? Random.Shared.NextInt64(jitterMax) : 0;
        return authLifetime - margin - TimeSpan.FromTicks(jitter);
    }
}
