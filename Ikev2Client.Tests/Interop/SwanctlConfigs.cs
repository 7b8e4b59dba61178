namespace Ikev2Client.Tests.Interop;

/// <summary>
/// swanctl.conf texts for the common interop connections, and a brace-safe template filler (swanctl syntax is
/// full of braces, so no string.Format): placeholders are written <c>@NAME@</c>.
/// </summary>
public static class SwanctlConfigs
{
    public const string DefaultPsk = "ikev2client-interop-test-psk";
    public const string DefaultIkeProposals = "aes256gcm16-prfsha256-x25519";
    public const string DefaultEspProposals = "aes256gcm16";
    public const string GatewayId = "gw.test";
    public const string ClientId = "client.test";
    /// <summary>Connection / child / pool names used by the configs below.</summary>
    public const string GatewayConnection = "gw";
    public const string ClientConnection = "home";
    public const string ChildName = "net";

    /// <summary>Replaces every <c>@KEY@</c> in <paramref name="template"/>; throws if a placeholder is left over.</summary>
    public static string Fill(string template, IReadOnlyDictionary<string, string> values)
    {
        var text = template;
        foreach (var (k, v) in values) text = text.Replace("@" + k + "@", v, StringComparison.Ordinal);
        var left = System.Text.RegularExpressions.Regex.Match(text, "@[A-Z_][A-Z0-9_]*@");
        if (left.Success) throw new ArgumentException($"template placeholder {left.Value} has no value");
        return text;
    }

    /// <summary>
    /// PSK gateway (connection "gw", child "net" with local_ts = server subnet) that accepts any client ID, hands
    /// out virtual IPs from <see cref="InteropTopology.PoolSubnet"/> and the DNS attribute
    /// <see cref="InteropTopology.DnsAddress"/>. Proposals are comma-separated strongSwan proposal strings.
    /// </summary>
    public static string PskGateway(string ikeProposals = DefaultIkeProposals, string espProposals = DefaultEspProposals,
        string psk = DefaultPsk, string extraConnectionOptions = "")
        => Fill(PskGatewayTemplate, new Dictionary<string, string>
        {
            ["GW_ADDR"] = InteropTopology.GatewayAddress, ["IKE"] = ikeProposals, ["ESP"] = espProposals,
            ["PSK"] = psk, ["GW_ID"] = GatewayId, ["LOCAL_TS"] = InteropTopology.ServerSubnet,
            ["POOL"] = InteropTopology.PoolSubnet, ["DNS"] = InteropTopology.DnsAddress, ["EXTRA"] = extraConnectionOptions,
        });

    /// <summary>PSK road-warrior client (connection "home", child "net") asking for a virtual IP (vips = 0.0.0.0).</summary>
    public static string PskClient(string ikeProposals = DefaultIkeProposals, string espProposals = DefaultEspProposals,
        string psk = DefaultPsk, string extraConnectionOptions = "")
        => Fill(PskClientTemplate, new Dictionary<string, string>
        {
            ["GW_ADDR"] = InteropTopology.GatewayAddress, ["IKE"] = ikeProposals, ["ESP"] = espProposals,
            ["PSK"] = psk, ["GW_ID"] = GatewayId, ["CLIENT_ID"] = ClientId, ["REMOTE_TS"] = InteropTopology.ServerSubnet,
            ["EXTRA"] = extraConnectionOptions,
        });

    public const string PskGatewayTemplate = """
        connections {
            gw {
                version = 2
                local_addrs = @GW_ADDR@
                proposals = @IKE@
                pools = pool4
                @EXTRA@
                local {
                    auth = psk
                    id = @GW_ID@
                }
                remote {
                    auth = psk
                    id = %any
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
            ike-gw {
                secret = "@PSK@"
            }
        }

        """;

    public const string PskClientTemplate = """
        connections {
            home {
                version = 2
                remote_addrs = @GW_ADDR@
                vips = 0.0.0.0
                proposals = @IKE@
                @EXTRA@
                local {
                    auth = psk
                    id = @CLIENT_ID@
                }
                remote {
                    auth = psk
                    id = @GW_ID@
                }
                children {
                    net {
                        remote_ts = @REMOTE_TS@
                        esp_proposals = @ESP@
                    }
                }
            }
        }
        secrets {
            ike-home {
                id = @GW_ID@
                secret = "@PSK@"
            }
        }

        """;
}
