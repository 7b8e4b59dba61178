using FluentAssertions;
using Ikev2Client.Connection;
using Xunit;

namespace Ikev2Client.Tests.Connection;

/// <summary>
/// When the connection checks that the gateway is alive (<see cref="LivenessMonitor"/>), stepped second by second on
/// a fake clock with the counters a tunnel would show: idle silence, one-way traffic, answers, unanswered checks.
/// </summary>
public sealed class LivenessMonitorTests
{
    private static readonly LivenessPolicy Policy = LivenessPolicy.Default;
    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public void Defaults_check_after_30_s_of_silence_and_after_5_s_of_one_way_traffic()
    {
        Policy.IdleInterval.Should().Be(S(30));
        Policy.TrafficTimeout.Should().Be(S(5));
        LivenessPolicy.ForProfile(null).Should().Be(Policy, "a profile without dpdSeconds gets the defaults");
        LivenessPolicy.ForProfile(0).Should().BeNull("dpdSeconds 0 turns liveness checks off");
        LivenessPolicy.ForProfile(120)!.IdleInterval.Should().Be(S(120));
        LivenessPolicy.ForProfile(120)!.TrafficTimeout.Should().Be(S(5), "one-way traffic is checked whatever the DPD interval");
    }

    [Fact]
    public void A_silent_idle_tunnel_is_checked_once_per_idle_interval()
    {
        var m = new LivenessMonitor(Policy, S(0));
        for (int t = 1; t < 30; t++) m.Observe(S(t), 0, 0).CheckNow.Should().BeFalse($"at {t} s");
        var v = m.Observe(S(30), 0, 0);
        v.CheckNow.Should().BeTrue();
        v.Suspect.Should().BeFalse("a routine check is not suspicion");
        v.Reason.Should().Contain("nothing received for 30 s");
        m.Observe(S(30.5), 0, 1).Suspect.Should().BeFalse("the answer arrived (an IKE response counts as inbound)");
        for (int t = 31; t < 60; t++) m.Observe(S(t), 0, 1).CheckNow.Should().BeFalse($"at {t} s");
        m.Observe(S(61), 0, 1).CheckNow.Should().BeTrue("30 s after the last answer");
    }

    [Fact]
    public void Traffic_in_both_directions_never_triggers_a_check()
    {
        var m = new LivenessMonitor(Policy, S(0));
        for (int t = 1; t <= 300; t++)
        {
            var v = m.Observe(S(t), outbound: t * 10, inbound: t * 9);
            v.CheckNow.Should().BeFalse($"at {t} s");
            v.Suspect.Should().BeFalse();
        }
    }

    [Fact]
    public void One_way_traffic_starts_a_check_after_five_seconds_and_an_unanswered_check_makes_the_gateway_suspect()
    {
        var m = new LivenessMonitor(Policy, S(0));
        m.Observe(S(1), 10, 10);
        // The gateway crashes at 1 s: our packets go out, nothing comes back.
        for (int t = 2; t < 7; t++) m.Observe(S(t), 10 + t, 10).CheckNow.Should().BeFalse($"at {t} s");
        var v = m.Observe(S(7), 17, 10);
        v.CheckNow.Should().BeTrue("5 s after the first unanswered packet (sent at 2 s)");
        v.Reason.Should().Contain("received nothing");
        v.Suspect.Should().BeFalse("not before the check had a chance to be answered");
        var later = m.Observe(S(8), 18, 10);
        later.CheckNow.Should().BeFalse("one check at a time");
        later.Suspect.Should().BeTrue("the check has gone unanswered for 1 s");
        later.Reason.Should().Contain("has not answered");
        m.Suspect.Should().BeTrue();
        for (int t = 9; t < 30; t++) m.Observe(S(t), 10 + t, 10).CheckNow.Should().BeFalse("the session's retransmissions decide");
    }

    [Fact]
    public void An_answer_clears_suspicion_at_once()
    {
        var m = new LivenessMonitor(Policy, S(0));
        m.Observe(S(1), 1, 0);
        m.Observe(S(6), 6, 0).CheckNow.Should().BeTrue();
        m.Observe(S(8), 8, 0).Suspect.Should().BeTrue();
        var v = m.Observe(S(9), 9, 1);
        v.Suspect.Should().BeFalse();
        v.Reason.Should().BeNull();
        m.Observe(S(10), 10, 1).CheckNow.Should().BeFalse("the 5 s of one-way traffic start again from the next unanswered packet");
        m.Observe(S(15), 15, 1).CheckNow.Should().BeTrue();
    }

    [Fact]
    public void A_check_that_neither_succeeds_nor_fails_is_repeated_after_the_idle_interval()
    {
        var m = new LivenessMonitor(Policy, S(0));
        m.Observe(S(30), 0, 0).CheckNow.Should().BeTrue();
        m.Observe(S(45), 0, 0).CheckNow.Should().BeFalse();
        m.Observe(S(60), 0, 0).CheckNow.Should().BeTrue("the first check was lost without the session failing");
    }
}
