using System.Net;
using FluentAssertions;
using Ikev2Client.Service;
using Xunit;

namespace Ikev2Client.Tests.Service;

/// <summary>
/// <c>automaticIpVersionSelectionEnabled</c> in the service's connection: the gateway's other-family address is tried
/// when the first one gets no answer, and only then.
/// </summary>
public sealed class GatewayFallbackTests
{
    private static readonly IPEndPoint V6 = new(IPAddress.Parse("2001:db8::1"), 500), V4 = new(IPAddress.Parse("192.0.2.1"), 500);

    private static Task<string> Fail(VpnError error) => Task.FromException<string>(new VpnErrorException(error));

    [Fact]
    public async Task No_answer_on_the_first_family_tries_the_other_and_reports_why()
    {
        var tried = new List<IPEndPoint>();
        var said = new List<string>();
        var result = await VpnConnectionAdapter.FirstThatAnswers([V6, V4], g =>
        {
            tried.Add(g);
            return g.Equals(V6)
                ? Fail(VpnError.Network(VpnErrorCodes.ErrorCodeNetworkProtocolTimeout, "no answer from [2001:db8::1]:500"))
                : Task.FromResult("connected to " + g);
        }, said.Add, CancellationToken.None);
        result.Should().Be("connected to 192.0.2.1:500");
        tried.Should().Equal(V6, V4);
        said.Should().ContainSingle().Which.Should().Contain("no answer from [2001:db8::1]:500").And.Contain("192.0.2.1:500");
    }

    [Fact]
    public async Task An_answer_that_refuses_us_is_not_retried_on_the_other_family()
    {
        var tried = new List<IPEndPoint>();
        var act = () => VpnConnectionAdapter.FirstThatAnswers([V6, V4], g =>
        {
            tried.Add(g);
            return Fail(VpnError.Profile("authentication failed"));
        }, _ => { }, CancellationToken.None);
        await act.Should().ThrowAsync<VpnErrorException>();
        tried.Should().Equal(V6);
    }

    [Fact]
    public async Task The_last_address_failing_is_the_result()
    {
        var act = () => VpnConnectionAdapter.FirstThatAnswers([V6, V4],
            _ => Fail(VpnError.Network(VpnErrorCodes.ErrorCodeNetworkIo, "unreachable")), _ => { }, CancellationToken.None);
        (await act.Should().ThrowAsync<VpnErrorException>()).Which.Error.ErrorCode.Should().Be(VpnErrorCodes.ErrorCodeNetworkIo);
    }
}
