using FluentAssertions;
using Ikev2Client.Connection;
using Ikev2Client.Platform;
using Xunit;

namespace Ikev2Client.Tests.Connection;

/// <summary><c>automaticNattKeepaliveTimerEnabled</c>: the keepalive interval adapts to the NAT binding, period by period.</summary>
public sealed class AdaptiveNatKeepaliveTests
{
    private static readonly TimeSpan S20 = TimeSpan.FromSeconds(20), S30 = TimeSpan.FromSeconds(30), S40 = TimeSpan.FromSeconds(40);

    [Fact]
    public void Starts_at_20_s_and_lengthens_only_after_the_binding_survived_three_periods_in_a_row()
    {
        var k = new AdaptiveNatKeepalive();
        k.Interval.Should().Be(S20);
        k.PeriodEnded(heardFromGateway: true).Should().Be(S20);
        k.PeriodEnded(heardFromGateway: false).Should().Be(S20, "silence from the gateway proves nothing");
        k.PeriodEnded(true).Should().Be(S20);
        k.PeriodEnded(true).Should().Be(S30, "three confirmations at 20 s");
        for (var i = 0; i < 3; i++) k.PeriodEnded(true);
        k.Interval.Should().Be(S40);
    }

    [Fact]
    public void Never_exceeds_the_maximum()
    {
        var k = new AdaptiveNatKeepalive();
        for (var i = 0; i < 200; i++) k.PeriodEnded(true);
        k.Interval.Should().Be(k.Maximum).And.Be(TimeSpan.FromSeconds(120));
    }

    [Fact]
    public void A_lost_binding_falls_back_to_the_last_confirmed_interval_and_stays_there()
    {
        var k = new AdaptiveNatKeepalive();
        for (var i = 0; i < 3; i++) k.PeriodEnded(true);
        k.Interval.Should().Be(S30, "not yet confirmed");
        k.BindingLost().Should().Be(S20, "30 s was never shown to survive");
        k.Pinned.Should().BeTrue();
        for (var i = 0; i < 10; i++) k.PeriodEnded(true);
        k.Interval.Should().Be(S20, "pinned for the rest of the connection");
    }

    [Fact]
    public void A_binding_lost_at_a_confirmed_interval_steps_back_but_never_below_the_start()
    {
        var k = new AdaptiveNatKeepalive();
        for (var i = 0; i < 4; i++) k.PeriodEnded(true); // 30 s, then one confirmation of it
        k.BindingLost().Should().Be(S20);
        new AdaptiveNatKeepalive().BindingLost().Should().Be(S20);
    }
}
