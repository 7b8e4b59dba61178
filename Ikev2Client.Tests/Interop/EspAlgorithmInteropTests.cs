using System.Net;
using FluentAssertions;
using Ikev2Client.Connection;
using Ikev2Client.Platform;
using Ikev2Client.Platform.Linux;
using Ikev2Client.Profiles;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Ikev2Client.Tests.Interop;

/// <summary>
/// Every ESP algorithm the data plane runs (<see cref="IpSecAlgorithm.GetSupportedAlgorithms"/>) against the strongSwan
/// gateway (kernel-libipsec), parameterised like Tmds.Ssh's per-algorithm theories: the gateway allows exactly one ESP
/// proposal, our client connects with a profile naming it (profile → <see cref="ProfileConnection"/> →
/// <see cref="VpnConnection"/>, as <c>ikev2 connect</c> does), pings the server 200 times with no loss, runs a short
/// iperf3, and leaves nothing behind. A new supported algorithm without an entry in <see cref="InteropProposals"/> or
/// <see cref="LibipsecExclusions"/> makes <see cref="EverySupportedAlgorithm_is_interop_tested_or_explicitly_excluded"/> fail.
/// </summary>
public sealed class EspAlgorithmInteropTests(ITestOutputHelper output)
{
    /// <summary>
    /// strongSwan ESP proposals that exercise each supported algorithm (libipsec builds its ESP contexts from the crypto
    /// plugins, so it runs all of them with the plugins the tests load: aes, sha1, sha2, md5, hmac, xcbc, cmac, ctr, gcm,
    /// chapoly, openssl). The first entries are the acceptance cases.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string[]> InteropProposals = new Dictionary<string, string[]>
    {
        [IpSecAlgorithm.CryptAesCtr] = ["aes128ctr-aesxcbc", "aes192ctr-sha512", "aes256ctr-sha256"],
        [IpSecAlgorithm.AuthHmacSha1] = ["aes256-sha1"],
        [IpSecAlgorithm.AuthAesXcbc] = ["aes128ctr-aesxcbc"],
        [IpSecAlgorithm.AuthAesCmac] = ["aes256-aescmac"],
        [IpSecAlgorithm.AuthCryptAesGcm] = ["aes192gcm12", "aes128gcm8", "aes256gcm16"],
        [IpSecAlgorithm.CryptAesCbc] = ["aes128-sha256", "aes192-sha384", "aes256-aescmac"],
        [IpSecAlgorithm.AuthHmacMd5] = ["aes128-md5"],
        [IpSecAlgorithm.AuthHmacSha256] = ["aes128-sha256", "aes256ctr-sha256"],
        [IpSecAlgorithm.AuthHmacSha384] = ["aes192-sha384"],
        [IpSecAlgorithm.AuthHmacSha512] = ["aes192ctr-sha512"],
        [IpSecAlgorithm.AuthCryptChaCha20Poly1305] = ["chacha20poly1305"],
    };

    /// <summary>
    /// Supported algorithms strongSwan's libipsec cannot run, with the reason; each is reported, never silently skipped.
    /// Empty today: libipsec (esp_context.c) takes any AEAD, cipher and signer the loaded crypto plugins provide.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> LibipsecExclusions = new Dictionary<string, string>();

    public static IEnumerable<object[]> Proposals() =>
        IpSecAlgorithm.GetSupportedAlgorithms().Order(StringComparer.Ordinal)
            .Where(a => !LibipsecExclusions.ContainsKey(a))
            .SelectMany(a => InteropProposals.TryGetValue(a, out var p) ? p : [$"(no interop proposal for {a})"])
            .Distinct().Select(p => new object[] { p });

    [Fact]
    public void EverySupportedAlgorithm_is_interop_tested_or_explicitly_excluded()
    {
        foreach (var algorithm in IpSecAlgorithm.GetSupportedAlgorithms())
        {
            (InteropProposals.ContainsKey(algorithm) ^ LibipsecExclusions.ContainsKey(algorithm))
                .Should().BeTrue($"{algorithm} needs interop proposals or a documented libipsec exclusion, not both");
        }

        foreach (var (algorithm, proposals) in InteropProposals)
        {
            foreach (var p in proposals)
            {
                ProposalSyntax.TryParse(p, isEsp: true, out var parsed, out var error).Should().BeTrue(error);
                var names = parsed.SelectMany(s => s.Encryption.Select(e => IpSecAlgorithm.TryMapEncryption(e.Id, e.KeyBits, out var n, out _) ? n : "?")
                    .Concat(s.Integrity.Select(i => IpSecAlgorithm.TryMapIntegrity(i, out var n, out _) ? n : "?"))).ToList();
                names.Should().Contain(algorithm, $"'{p}' is listed as exercising {algorithm}").And.NotContain("?");
            }
        }
    }

    [Theory]
    [Trait("Requires", "root")]
    [Trait("Requires", "strongswan")]
    [MemberData(nameof(Proposals))]
    public void AGatewayAllowingOnlyOneEspProposal_is_reached_with_a_profile_naming_it_ping_and_iperf_pass(string esp)
    {
        esp.Should().NotStartWith("(", "every supported algorithm needs an interop proposal or a documented exclusion");
        using var gw = StrongSwanGateway.Start(SwanctlConfigs.PskGateway(espProposals: esp));
        var profile = new Ikev2VpnProfile.Builder(gw.GatewayAddress, SwanctlConfigs.ClientId).SetName("interop-" + esp)
            .SetRemoteIdentity(SwanctlConfigs.GatewayId).SetAuthPsk(System.Text.Encoding.UTF8.GetBytes(SwanctlConfigs.DefaultPsk))
            .SetIkeProposal(SwanctlConfigs.DefaultIkeProposals).SetEspProposal(esp).Build();
        var options = ProfileConnection.CreateOptions(profile, new ProfileConnectionSettings(), Ikev2Client.Tests.Infrastructure.TestPlatform.LinuxTun("ikva%d"));
        var connection = new VpnConnection(options, new Ikev2Client.Tests.Infrastructure.TestLog(line => output.WriteLine(line)));
        try
        {
            gw.ClientNamespace.Run(() => connection.Connect());
            connection.State.Should().Be(VpnState.Connected);
            var child = connection.Info!.ChildSa;
            ProposalSyntax.TryParse(esp, isEsp: true, out var expected, out _);
            child.Algorithms.Encryption.Id.Should().Be(expected[0].Encryption[0].Id);
            child.Algorithms.Encryption.KeyBits.Should().Be(expected[0].Encryption[0].KeyBits is 0 ? 256 : expected[0].Encryption[0].KeyBits);
            child.Algorithms.Integrity.Should().Be(expected[0].Integrity.Count > 0 ? expected[0].Integrity[0] : IntegId.None);
            child.Algorithms.Esn.Should().Be(EsnId.NoEsn, "libipsec has no ESN; strongSwan picks noesn");
            gw.ListSas().EstablishedCount.Should().Be(1);

            var lost = gw.ClientNamespace.Run(() => DataPlaneInteropTests.PingMany(IPAddress.Parse(gw.ServerAddress), 200, TimeSpan.FromMilliseconds(5)));
            output.WriteLine($"{esp}: pings lost {lost}; {connection.Statistics}");
            lost.Should().Be(0, connection.Statistics.ToString());

            var mbps = DataPlaneInteropTests.RunIperf(gw, seconds: 3);
            output.WriteLine($"{esp}: iperf3 {mbps:0.0} Mbit/s; {connection.Statistics}");
            mbps.Should().BeGreaterThan(5, "a TCP stream through the tunnel must move real data");
            var stats = connection.Statistics;
            (stats.ReplayDrops + stats.AuthenticationDrops + stats.MalformedDrops).Should().Be(0, stats.ToString());
        }
        finally
        {
            connection.Disconnect();
        }

        connection.State.Should().Be(VpnState.Disconnected, connection.EndReason);
        Shell.ShOk($"ip -n {gw.ClientNamespace.Name} link show").Should().NotContain("ikva");
        gw.Gateway.WaitForSas(s => s.IkeSaCount == 0).IkeSaCount.Should().Be(0);
    }
}
