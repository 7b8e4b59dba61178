using FluentAssertions;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Ike;
using Ikev2Client.Protocol.Wire;
using Xunit;
using Xunit.Abstractions;

namespace Ikev2Client.Tests.Interop;

/// <summary>
/// Hybrid post-quantum proposals against strongSwan 5.9.8, which has neither RFC 9370 nor ML-KEM: a profile that offers
/// x25519 + ML-KEM-768 first and a classical proposal second connects with the classical one; a profile that insists on
/// ML-KEM is refused with a typed NoProposalChosen error that says why.
/// </summary>
[Trait("Requires", "root")]
[Trait("Requires", "strongswan")]
public sealed class PostQuantumFallbackInteropTests(ITestOutputHelper output)
{
    private const string Gateway = "aes256gcm16-prfsha384-x25519";

    [Fact]
    public async Task Hybrid_first_classical_second_connects_with_the_classical_proposal()
    {
        using var gw = StrongSwanGateway.Start(SwanctlConfigs.PskGateway(Gateway, "aes256gcm16"));
        await using var client = IkeInteropClient.Create(gw, IkeInteropClient.Options(
            "aes256gcm16-prfsha384-x25519-ke1_mlkem768,aes256gcm16-prfsha384-x25519"));
        try { await client.ConnectAsync(gw); }
        catch (Exception e) { throw new Xunit.Sdk.XunitException($"{e.Message}\n{client.Transcript}\n--- gateway log ---\n{gw.Gateway.LogTail(60)}"); }

        client.Session.Algorithms!.Group.Should().Be(KeGroup.Curve25519);
        client.Session.Algorithms.AdditionalKeyExchanges.Should().BeEmpty();
        client.Events.OfType<IkeEvent.MessageTraced>().Where(t => t.Sent).Select(t => t.Exchange)
            .Should().NotContain(ExchangeType.IkeIntermediate);
        gw.ListSas().EstablishedCount.Should().Be(1);
        (await client.CloseAsync()).Should().BeOfType<IkeEvent.Deleted>();
    }

    [Fact]
    public async Task A_post_quantum_only_profile_is_refused_with_a_typed_error()
    {
        using var gw = StrongSwanGateway.Start(SwanctlConfigs.PskGateway(Gateway, "aes256gcm16"));
        await using var client = IkeInteropClient.Create(gw, IkeInteropClient.Options("aes256gcm16-prfsha384-x25519-ke1_mlkem768"));
        var error = await client.ConnectExpectingFailureAsync(gw);
        output.WriteLine(client.Transcript);

        error.Kind.Should().Be(IkeErrorKind.NoProposalChosen, client.Transcript);
        error.Message.Should().Contain("post-quantum").And.Contain("ML-KEM-768");
        gw.ListSas().EstablishedCount.Should().Be(0);
    }
}
