using FluentAssertions;
using Ikev2Client.Service;
using Xunit;

namespace Ikev2Client.Tests.Service;

public sealed class ReconnectBackoffTests
{
    [Theory]
    [InlineData(0.0, 5.0)]
    [InlineData(0.5, 7.5)]
    [InlineData(0.99, 9.95)]
    public void First_delay_is_jittered_between_five_and_ten_seconds_then_doubles_up_to_two_minutes(double random, double first)
    {
        var backoff = new ReconnectBackoff(() => random);
        var delays = Enumerable.Range(0, 8).Select(_ => backoff.Next().TotalSeconds).ToList();
        delays[0].Should().BeApproximately(first, 1e-9);
        for (int i = 1; i < delays.Count; i++)
            delays[i].Should().BeApproximately(Math.Min(delays[i - 1] * 2, 120), 1e-9);
        delays.Should().OnlyContain(d => d >= 5 && d <= 120);
        delays[^1].Should().Be(120);
    }

    [Fact]
    public void Reset_starts_over_from_the_jittered_initial_delay()
    {
        var backoff = new ReconnectBackoff(() => 0.2);
        for (int i = 0; i < 6; i++) backoff.Next();
        backoff.Attempts.Should().Be(6);
        backoff.Reset();
        backoff.Attempts.Should().Be(0);
        backoff.Next().Should().Be(TimeSpan.FromSeconds(6));
    }

    [Fact]
    public void Real_jitter_stays_in_range()
    {
        var seen = Enumerable.Range(0, 200).Select(_ => new ReconnectBackoff().Next()).ToList();
        seen.Should().OnlyContain(t => t >= ReconnectBackoff.InitialMin && t < ReconnectBackoff.InitialMax);
        seen.Distinct().Count().Should().BeGreaterThan(1, "the first delay is jittered");
    }
}
