using System.Diagnostics;
using System.Text.Json.Nodes;
using FluentAssertions;
using Ikev2Client.Tests.Cli;
using Ikev2Client.Tests.NetGuard;
using Ikev2Client.Tests.Service;
using Xunit;

namespace Ikev2Client.Tests.Interop;

/// <summary>
/// Issue 11's acceptance: a <c>.sswan</c> exported by the strongSwan app without its password (the app asks for it when
/// connecting) is imported, and connects to a strongSwan 5.9.8 gateway with EAP-MSCHAPv2 after the prompt — the real
/// <c>ikev2 connect</c> on a pseudo-terminal answering the service's question, the real daemon in the client namespace —
/// and, after <c>profile set --password-stdin</c>, without one. Without a terminal it is never asked: a clear error.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[Trait("Requires", "root")]
[Trait("Requires", "strongswan")]
public sealed class CredentialPromptInteropTests
{
    [Fact]
    public async Task An_sswan_without_its_password_connects_after_the_prompt_and_after_profile_set()
    {
        var pki = AuthInteropPki.Create("rsa");
        using var gw = StrongSwanGateway.Start(AuthSwanctlConfigs.Gateway("eap-mschapv2", extraRemote: "eap_id = %any"), files: pki.GatewayFiles);
        var home = ServiceTestData.NewTempDir();
        using var ikev2 = new NamespacedIkev2(gw.ClientNamespace, home);
        try
        {
            var sswan = Path.Combine(home, "lab.sswan");
            File.WriteAllText(sswan, new JsonObject
            {
                ["uuid"] = "5f3a2b1c-0d4e-4f6a-8b7c-9d0e1f2a3b4c", ["name"] = "lab", ["type"] = "ikev2-eap",
                ["remote"] = new JsonObject { ["addr"] = gw.GatewayAddress, ["id"] = SwanctlConfigs.GatewayId, ["cert"] = Convert.ToBase64String(pki.Ca.RawData) },
                ["local"] = new JsonObject { ["eap_id"] = AuthSwanctlConfigs.EapUser },
            }.ToJsonString());
            var import = ikev2.Cli("profile", "import", sswan);
            import.Code.Should().Be(0, import.Err);
            import.Out.Should().Contain("local.shared_secret: no password in the file; it is asked when connecting");
            ikev2.StartDaemon("--no-dns"); // the namespace has no resolv.conf of its own: leave the host's alone

            // No terminal: never asked; the error names the field and how to supply it; nothing reaches the gateway.
            var piped = ikev2.Cli("connect", "lab");
            piped.Code.Should().Be(3, piped.Out + piped.Err);
            piped.Err.Should().Contain("'lab' has no password stored").And.Contain("\"ikev2 profile set lab --password-stdin\"");
            gw.ListSas().IkeSaCount.Should().Be(0);

            // On a terminal: the service asks the CLI that started the connect; the answer is not echoed and not stored.
            using (var tty = PseudoTerminal.Start(NamespacedIkev2.Program, ["connect", "lab"], Environment(home), gw.ClientNamespace.Name))
            {
                await tty.WaitForAsync($"Password (EAP-MSCHAPv2) of '{AuthSwanctlConfigs.EapUser}' for 'lab': ", TimeSpan.FromSeconds(60));
                tty.Type(AuthSwanctlConfigs.EapPassword + "\n");
                var (code, echo, shown) = await tty.WaitForExitAsync(TimeSpan.FromSeconds(90));
                code.Should().Be(0, shown + ikev2.Log + gw.LogText);
                shown.Should().Contain("CONNECTED 'lab'").And.NotContain(AuthSwanctlConfigs.EapPassword);
                echo.Should().BeTrue();
            }
            AssertConnectedAsAlice(gw, ikev2);
            File.Exists(Path.Combine(home, "secrets", "lab.json")).Should().BeFalse("the answer served that connection only");
            ikev2.Log.Should().NotContain(AuthSwanctlConfigs.EapPassword);
            ikev2.Cli("disconnect", "lab").Code.Should().Be(0);
            gw.Gateway.WaitForSas(s => s.IkeSaCount == 0).IkeSaCount.Should().Be(0);

            // profile set: stored once (0600), then connect needs no terminal.
            var set = Local(home, AuthSwanctlConfigs.EapPassword + "\n", "profile", "set", "lab", "--password-stdin");
            set.Code.Should().Be(0, set.Err);
            File.GetUnixFileMode(Path.Combine(home, "secrets", "lab.json")).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
            var connect = ikev2.Cli("connect", "lab");
            connect.Code.Should().Be(0, connect.Err + ikev2.Log + gw.LogText);
            AssertConnectedAsAlice(gw, ikev2);
            ikev2.Cli("disconnect").Code.Should().Be(0);
            gw.Gateway.WaitForSas(s => s.IkeSaCount == 0).IkeSaCount.Should().Be(0);
        }
        finally
        {
            ikev2.StopDaemon();
            Directory.Delete(home, recursive: true);
        }
    }

    private static void AssertConnectedAsAlice(StrongSwanGateway gw, NamespacedIkev2 ikev2)
    {
        ikev2.Status("lab")["state"]!.GetValue<string>().Should().Be("CONNECTED");
        var sas = gw.Gateway.WaitForSas(s => s.EstablishedCount == 1);
        sas.EstablishedCount.Should().Be(1, sas.Raw);
        sas.Raw.Should().Contain(AuthSwanctlConfigs.EapUser, "the gateway authenticated alice with EAP-MSCHAPv2");
        gw.LogText.Should().Contain("EAP_MSCHAPV2");
    }

    private static Dictionary<string, string?> Environment(string home) => new()
    {
        ["IKEV2_HOME"] = home, ["IKEV2_SOCKET"] = null, ["IKEV2_NO_AUTOSTART"] = "1", ["TERM"] = "xterm-256color", ["NO_COLOR"] = null,
    };

    /// <summary>The program outside the namespace (profile files only), with <paramref name="stdin"/> piped in.</summary>
    private static (int Code, string Out, string Err) Local(string home, string stdin, params string[] args)
    {
        var psi = new ProcessStartInfo(NamespacedIkev2.Program)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["IKEV2_HOME"] = home;
        psi.Environment.Remove("IKEV2_SOCKET");
        using var p = Process.Start(psi)!;
        p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit(60_000).Should().BeTrue();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
