namespace Ikev2Client.Tests.Interop;

/// <summary>
/// strongSwan gateway configurations for the authentication interop tests: the gateway authenticates with
/// x509/gw.crt (or, with local auth "eap", only through EAP: RFC 5998 EAP-only), the client with the given
/// remote auth (eap-mschapv2, eap-md5, eap-tls, pubkey, rsa/pss-sha256...). EAP users come from the secrets.
/// </summary>
internal static class AuthSwanctlConfigs
{
    public const string EapUser = "alice";
    public const string EapPassword = "interop-Pa55word";

    public static string Gateway(string remoteAuth, string localAuth = "pubkey", string gatewayId = SwanctlConfigs.GatewayId,
        string remoteId = "%any", string extraRemote = "")
        => SwanctlConfigs.Fill(Template, new Dictionary<string, string>
        {
            ["GW_ADDR"] = InteropTopology.GatewayAddress, ["IKE"] = SwanctlConfigs.DefaultIkeProposals, ["ESP"] = SwanctlConfigs.DefaultEspProposals,
            ["LOCAL_AUTH"] = localAuth, ["GW_ID"] = gatewayId, ["REMOTE_AUTH"] = remoteAuth, ["REMOTE_ID"] = remoteId,
            ["EXTRA_REMOTE"] = extraRemote, ["LOCAL_TS"] = InteropTopology.ServerSubnet, ["POOL"] = InteropTopology.PoolSubnet,
            ["DNS"] = InteropTopology.DnsAddress, ["USER"] = EapUser, ["PASSWORD"] = EapPassword,
        });

    /// <summary>
    /// Two authentication rounds (RFC 4739): <c>remote { auth = pubkey }</c> for the client's certificate, then
    /// <c>remote-2 { auth = eap-mschapv2; eap_id = %any }</c>. The second section is opened inside the template's
    /// remote section text, whose closing brace then ends it.
    /// </summary>
    public static string GatewayCertificateThenEap(string clientId, string eapAuth = "eap-mschapv2") =>
        Gateway("pubkey", remoteId: clientId, extraRemote: $"}}\n            remote-2 {{\n                auth = {eapAuth}\n                eap_id = %any");

    private const string Template = """
        connections {
            gw {
                version = 2
                local_addrs = @GW_ADDR@
                proposals = @IKE@
                pools = pool4
                send_certreq = yes
                local {
                    auth = @LOCAL_AUTH@
                    certs = gw.crt
                    id = @GW_ID@
                }
                remote {
                    auth = @REMOTE_AUTH@
                    id = @REMOTE_ID@
                    @EXTRA_REMOTE@
                }
                children {
                    net {
                        local_ts = @LOCAL_TS@
                        esp_proposals = @ESP@
                    }
                }
            }
        }
        pools {
            pool4 {
                addrs = @POOL@
                dns = @DNS@
            }
        }
        secrets {
            eap-user {
                id = @USER@
                secret = "@PASSWORD@"
            }
        }

        """;
}
