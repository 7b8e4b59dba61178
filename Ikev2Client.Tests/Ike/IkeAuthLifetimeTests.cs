using FluentAssertions;
using Ikev2Client.Protocol.Ike;
using Ikev2Client.Protocol.Wire;
using Xunit;

namespace Ikev2Client.Tests.Ike;

/// <summary>N(AUTH_LIFETIME) (RFC 4478): sent by a responder that demands reauthentication, surfaced by the initiator.</summary>
public sealed class IkeAuthLifetimeTests
{
    private static IkeTestPair Establish(TimeSpan? lifetime)
    {
        var pair = new IkeTestPair(IkeTestPair.InitiatorOptions(), IkeTestPair.ResponderOptions(configure: b => b.AuthLifetime = lifetime));
        pair.Connect();
        pair.Run();
        pair.Initiator.State.Should().Be(IkeSessionState.Established, string.Join("\n", pair.InitiatorEvents));
        return pair;
    }

    [Fact]
    public void The_responder_sends_AUTH_LIFETIME_in_the_IKE_AUTH_response_and_the_initiator_reports_it()
    {
        using var pair = Establish(TimeSpan.FromSeconds(3));
        var authResponse = pair.ResponderTrace.Single(t => t.Sent && t.Exchange == ExchangeType.IkeAuth);
        authResponse.Payloads.Should().Contain("N(AuthLifetime)");
        pair.InitiatorEvents.OfType<IkeEvent.IkeSaEstablished>().Single().Sa.AuthLifetime.Should().Be(TimeSpan.FromSeconds(3));
        pair.ResponderEvents.OfType<IkeEvent.IkeSaEstablished>().Single().Sa.AuthLifetime.Should().Be(TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void Fractions_of_a_second_round_up_to_whole_seconds()
    {
        using var pair = Establish(TimeSpan.FromMilliseconds(2500));
        pair.InitiatorEvents.OfType<IkeEvent.IkeSaEstablished>().Single().Sa.AuthLifetime.Should().Be(TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void Without_the_option_no_AUTH_LIFETIME_is_sent()
    {
        using var pair = Establish(null);
        pair.ResponderTrace.Single(t => t.Sent && t.Exchange == ExchangeType.IkeAuth).Payloads.Should().NotContain("AuthLifetime");
        pair.InitiatorEvents.OfType<IkeEvent.IkeSaEstablished>().Single().Sa.AuthLifetime.Should().BeNull();
    }

    [Fact]
    public void The_reauthentication_deadline_leaves_a_margin_with_bounded_jitter()
    {
        var lifetime = TimeSpan.FromSeconds(3);
        for (int i = 0; i < 50; i++)
        {
            var at = ReauthenticationSchedule.Deadline(lifetime);
            at.Should().BeLessThan(lifetime).And.BeGreaterThan(TimeSpan.FromSeconds(2));
        }
        var hour = ReauthenticationSchedule.Deadline(TimeSpan.FromHours(1));
        hour.Should().BeGreaterThan(TimeSpan.FromMinutes(58)).And.BeLessThan(TimeSpan.FromMinutes(59));
    }

    [Fact]
    public void A_reauthentication_sends_no_INITIAL_CONTACT_and_asks_for_the_previous_virtual_IP()
    {
        var previous = System.Net.IPAddress.Parse("10.10.0.7");
        using var pair = new IkeTestPair(IkeTestPair.InitiatorOptions().WithReauthentication([previous]), IkeTestPair.ResponderOptions());
        pair.Connect();
        pair.Run();
        pair.Initiator.State.Should().Be(IkeSessionState.Established);
        var auth = pair.InitiatorTrace.Single(t => t.Sent && t.Exchange == ExchangeType.IkeAuth);
        auth.Payloads.Should().NotContain("InitialContact");
        auth.Payloads.Should().Contain("CP");

        using var fresh = new IkeTestPair(IkeTestPair.InitiatorOptions(), IkeTestPair.ResponderOptions());
        fresh.Connect();
        fresh.Run();
        fresh.InitiatorTrace.Single(t => t.Sent && t.Exchange == ExchangeType.IkeAuth).Payloads.Should().Contain("N(InitialContact)");
    }
}
