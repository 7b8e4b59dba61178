using System.Net;
using FluentAssertions;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Ike;
using Ikev2Client.Protocol.Wire;
using Xunit;


namespace Ikev2Client.Tests.Interop;

/// <summary>
/// Our initiator against a strongSwan 5.9.8 gateway in network namespaces (needs root: fails loudly without it).
/// </summary>
[Trait("Requires", "root")]
[Trait("Requires", "strongswan")]
public sealed class IkeStrongSwanInteropTests
{
    public static TheoryData<string, string, string?, string> Combinations => new()
    {
        // gateway IKE proposal, gateway ESP proposal, our IKE proposal (null: defaults), expected group in swanctl
        { "aes256gcm16-prfsha256-x25519", "aes256gcm16", null, "CURVE_25519" },
        { "aes128-sha256-modp2048", "aes128-sha256", null, "MODP_2048" },
        { "aes256-sha384-modp3072", "aes256-sha384", null, "MODP_3072" },
        { "aes128gcm16-prfsha256-ecp256", "aes128gcm16", null, "ECP_256" },
        { "aes256gcm16-prfsha384-ecp384", "aes256gcm16", null, "ECP_384" },
        { "aes256gcm16-prfsha512-x448", "aes256-sha512", "aes256gcm16-prfsha512-x448", "CURVE_448" },
        { "aes256-sha512-x25519", "aes128gcm16", null, "CURVE_25519" },
    };

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task Connects_gets_virtual_ip_and_dns_and_deletes_cleanly(string gatewayIke, string gatewayEsp, string? ourIke, string group)
    {
        using var gw = StrongSwanGateway.Start(SwanctlConfigs.PskGateway(gatewayIke, gatewayEsp));
        await using var client = IkeInteropClient.Create(gw, IkeInteropClient.Options(ourIke));

        ChildSaInfo child;
        try { child = await client.ConnectAsync(gw); }
        catch (Exception e) { throw new Xunit.Sdk.XunitException($"{e.Message}\n{client.Transcript}\n--- gateway log ---\n{gw.Gateway.LogTail(60)}"); }

        var sas = gw.ListSas();
        sas.EstablishedCount.Should().Be(1, sas.Raw);
        sas.ChildSaCount.Should().Be(1, sas.Raw);
        sas.Raw.Should().Contain(group);
        sas.Raw.Should().Contain(SwanctlConfigs.ClientId);

        var ike = ProposalSpec.Parse(gatewayIke);
        client.Session.Algorithms!.Encryption.Id.Should().Be(ike.Encryption[0].Id);
        client.Session.Algorithms.Group.Should().Be(ike.KeGroups[0]);
        var esp = ProposalSpec.Parse(gatewayEsp, esp: true);
        child.Algorithms.Encryption.Id.Should().Be(esp.Encryption[0].Id);
        child.Algorithms.Integrity.Should().Be(esp.Integrity.FirstOrDefault());
        child.UdpEncapsulation.Should().BeTrue("encapsulation is forced");
        child.RemoteEndPoint.Port.Should().Be(4500);
        child.RemoteTrafficSelectors.Should().ContainSingle().Which.ToString().Should().Be("10.1.0.0-10.1.0.255");
        sas.Raw.Should().Contain($"{child.OutboundSpi:x8}");

        var config = client.Events.OfType<IkeEvent.ConfigReceived>().Single().Configuration;
        config.VirtualAddresses.Should().ContainSingle().Which.BaseAddress.ToString().Should().StartWith("10.3.0.");
        config.DnsServers.Should().Contain(IPAddress.Parse(gw.DnsAddress));
        child.LocalTrafficSelectors.Should().ContainSingle().Which.StartAddress.Should().Be(config.VirtualAddresses[0].BaseAddress);
        sas.IkeSas[0].State.Should().Be("ESTABLISHED");

        if (ike.KeGroups[0] != KeGroup.Curve25519 && ourIke == null)
            client.Events.OfType<IkeEvent.MessageTraced>().Should().Contain(t => !t.Sent && t.Payloads.Contains("InvalidKePayload"),
                "our X25519 guess must be corrected by INVALID_KE_PAYLOAD");

        (await client.CloseAsync()).Should().BeOfType<IkeEvent.Deleted>();
        gw.Gateway.WaitForSas(s => s.IkeSaCount == 0).IkeSaCount.Should().Be(0, "a clean DELETE leaves nothing on the gateway");
    }

    [Fact]
    public async Task Gateway_with_a_different_only_group_is_reached_through_invalid_ke_payload()
    {
        using var gw = StrongSwanGateway.Start(SwanctlConfigs.PskGateway("aes256gcm16-prfsha384-ecp384", "aes256gcm16"));
        await using var client = IkeInteropClient.Create(gw, IkeInteropClient.Options());
        await client.ConnectAsync(gw);
        var inits = client.Events.OfType<IkeEvent.MessageTraced>().Where(t => t.Exchange == ExchangeType.IkeSaInit).ToList();
        inits.Select(t => t.Sent).Should().Equal(true, false, true, false);
        inits[1].Payloads.Should().Contain("InvalidKePayload");
        client.Session.Algorithms!.Group.Should().Be(KeGroup.Ecp384);
        await client.CloseAsync();
    }

    [Fact]
    public async Task Wrong_psk_ends_in_authentication_failed()
    {
        using var gw = StrongSwanGateway.Start(SwanctlConfigs.PskGateway());
        await using var client = IkeInteropClient.Create(gw, IkeInteropClient.Options(psk: "not-the-gateway-psk"));
        var error = await client.ConnectExpectingFailureAsync(gw);
        error.Kind.Should().Be(IkeErrorKind.AuthenticationFailed, client.Transcript);
        error.NotifyType.Should().Be(NotifyType.AuthenticationFailed);
        error.Message.Should().Contain("pre-shared key").And.NotContain("not-the-gateway-psk");
        gw.Gateway.WaitForSas(s => s.IkeSaCount == 0).IkeSaCount.Should().Be(0);
    }

    [Fact]
    public async Task Wrong_remote_identity_ends_in_identity_mismatch()
    {
        using var gw = StrongSwanGateway.Start(SwanctlConfigs.PskGateway());
        await using var client = IkeInteropClient.Create(gw, IkeInteropClient.Options(remoteId: "vpn.elsewhere.test", sendRemoteId: false));
        var error = await client.ConnectExpectingFailureAsync(gw);
        error.Kind.Should().Be(IkeErrorKind.IdentityMismatch, client.Transcript);
        error.Message.Should().Contain("fqdn:gw.test").And.Contain("fqdn:vpn.elsewhere.test");
        gw.Gateway.WaitForSas(s => s.IkeSaCount == 0).IkeSaCount.Should().Be(0, "we delete the IKE SA the gateway already established");
    }

    [Fact]
    public async Task No_common_proposal_ends_in_no_proposal_chosen()
    {
        using var gw = StrongSwanGateway.Start(SwanctlConfigs.PskGateway("aes256-sha1-modp2048", "aes256-sha1"));
        await using var client = IkeInteropClient.Create(gw, IkeInteropClient.Options());
        var error = await client.ConnectExpectingFailureAsync(gw);
        error.Kind.Should().Be(IkeErrorKind.NoProposalChosen, client.Transcript);
        error.NotifyType.Should().Be(NotifyType.NoProposalChosen);
    }

    [Fact]
    public async Task Liveness_check_is_answered_by_the_gateway()
    {
        using var gw = StrongSwanGateway.Start(SwanctlConfigs.PskGateway());
        await using var client = IkeInteropClient.Create(gw, IkeInteropClient.Options());
        await client.ConnectAsync(gw);
        client.Driver.CheckLiveness();
        await client.Driver.WaitForAsync<IkeEvent.MessageTraced>(t => !t.Sent && t.IsResponse && t.Exchange == ExchangeType.Informational)
            .WaitAsync(TimeSpan.FromSeconds(10));
        client.Session.State.Should().Be(IkeSessionState.Established);
        await client.CloseAsync();
        gw.Gateway.WaitForSas(s => s.IkeSaCount == 0).IkeSaCount.Should().Be(0);
    }

    [Fact]
    public async Task Fragmented_ike_auth_is_reassembled_by_the_gateway()
    {
        using var gw = StrongSwanGateway.Start(SwanctlConfigs.PskGateway());
        var options = IkeInteropClient.Options();
        var small = new IkeSessionOptions
        {
            LocalIdentity = options.LocalIdentity, RemoteIdentity = options.RemoteIdentity, Authenticator = options.Authenticator,
            MaxMessageSize = 200,
        };
        await using var client = IkeInteropClient.Create(gw, small);
        await client.ConnectAsync(gw);
        client.Events.OfType<IkeEvent.MessageTraced>().Single(t => t.Sent && t.Exchange == ExchangeType.IkeAuth).Fragments.Should().BeGreaterThan(1);
        gw.ListSas().EstablishedCount.Should().Be(1);
        await client.CloseAsync();
        gw.Gateway.WaitForSas(s => s.IkeSaCount == 0).IkeSaCount.Should().Be(0);
    }

    [Fact]
    public async Task Gateway_initiated_delete_closes_our_session()
    {
        using var gw = StrongSwanGateway.Start(SwanctlConfigs.PskGateway());
        await using var client = IkeInteropClient.Create(gw, IkeInteropClient.Options());
        await client.ConnectAsync(gw);
        gw.Gateway.Terminate(SwanctlConfigs.GatewayConnection);
        var end = await client.Driver.Completion.WaitAsync(TimeSpan.FromSeconds(20));
        end.Should().BeOfType<IkeEvent.Deleted>().Which.ByPeer.Should().BeTrue(client.Transcript);
        client.Events.OfType<IkeEvent.ChildSaDeleted>().Should().ContainSingle();
        gw.Gateway.WaitForSas(s => s.IkeSaCount == 0).IkeSaCount.Should().Be(0);
    }

    [Fact]
    public async Task Child_sa_rekeys_initiated_by_us_and_by_the_gateway()
    {
        // A short CHILD SA lifetime makes the gateway rekey by itself after about 6-8 s.
        var conf = SwanctlConfigs.PskGateway(childOptions: "rekey_time = 8s\n                        rand_time = 2s");
        using var gw = StrongSwanGateway.Start(conf);
        await using var client = IkeInteropClient.Create(gw, IkeInteropClient.Options());
        var first = await client.ConnectAsync(gw);

        // Ours first (immediately), then wait for the gateway's.
        var ours = client.Driver.WaitForAsync<IkeEvent.ChildSaRekeyed>(r => r.Old.InboundSpi == first.InboundSpi);
        client.Driver.RekeyChildSa(first.InboundSpi);
        var rekeyed = await ours.WaitAsync(TimeSpan.FromSeconds(10));
        await client.Driver.WaitForAsync<IkeEvent.ChildSaDeleted>(d => d.ChildSa.InboundSpi == first.InboundSpi).WaitAsync(TimeSpan.FromSeconds(10));
        rekeyed.New.InboundSpi.Should().NotBe(first.InboundSpi);

        // The gateway rekeys the new SA by itself a few seconds later, then deletes the old one.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(25);
        IkeEvent.ChildSaRekeyed? theirs = null;
        bool oldDeletedByPeer = false;
        while (DateTime.UtcNow < deadline && !(theirs != null && oldDeletedByPeer))
        {
            await Task.Delay(200);
            var events = client.Events;
            theirs = events.OfType<IkeEvent.ChildSaRekeyed>().FirstOrDefault(r => r.Old.InboundSpi == rekeyed.New.InboundSpi);
            oldDeletedByPeer = events.OfType<IkeEvent.ChildSaDeleted>().Any(d => d.ByPeer && d.ChildSa.InboundSpi == rekeyed.New.InboundSpi);
        }
        theirs.Should().NotBeNull($"the gateway rekeys by itself\n{client.Transcript}\n--- gateway ---\n{gw.Gateway.LogTail(60)}");
        oldDeletedByPeer.Should().BeTrue(client.Transcript);
        theirs!.New.Keys.InboundEncryptionKey.Should().NotEqual(rekeyed.New.Keys.InboundEncryptionKey);
        gw.ListSas().EstablishedCount.Should().Be(1);

        await client.CloseAsync();
        gw.Gateway.WaitForSas(s => s.IkeSaCount == 0).IkeSaCount.Should().Be(0);
    }
}
