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

    /// <summary>The IPv6 pool the gateway configs define (strongSwan hands out fd00:3::1 first).</summary>
    public const string Pool6Subnet = "fd00:3::/112";
    /// <summary>The IPv6 DNS server the IPv6 pool hands out.</summary>
    public const string Dns6Address = "2001:db8:1::53";

    /// <summary>
    /// PSK gateway (connection "gw", child "net") that accepts any client ID and hands out virtual IPs and DNS from its
    /// pools: <c>pool4</c> (<see cref="InteropTopology.PoolSubnet"/>, <paramref name="dns4"/>, plus
    /// <paramref name="pool4Attributes"/>, e.g. an INTERNAL_DNS_DOMAIN "25 = corp.example") and <c>pool6</c>
    /// (<see cref="Pool6Subnet"/>, <see cref="Dns6Address"/>); <paramref name="pools"/> says which it uses ("pool4",
    /// "pool6", "pool4, pool6"). <paramref name="localTs"/> is the child's local_ts (the server subnet: a split tunnel;
    /// "0.0.0.0/0" or "0.0.0.0/0,::/0": a full tunnel); <paramref name="localAddrs"/> the addresses it listens on (its
    /// IPv4 underlay address by default). Proposals are comma-separated strongSwan proposal strings;
    /// <paramref name="extraConnectionOptions"/> goes into the connection (rekey_time, reauth_time...),
    /// <paramref name="childOptions"/> into the child (its rekey_time, life_time, rekey_bytes...).
    /// </summary>
    public static string PskGateway(string ikeProposals = DefaultIkeProposals, string espProposals = DefaultEspProposals,
        string psk = DefaultPsk, string extraConnectionOptions = "", string localTs = InteropTopology.ServerSubnet,
        string pools = "pool4", string localAddrs = InteropTopology.GatewayAddress, string dns4 = InteropTopology.DnsAddress,
        string pool4Attributes = "", string childOptions = "")
        => Fill(PskGatewayTemplate, new Dictionary<string, string>
        {
            ["GW_ADDR"] = localAddrs, ["IKE"] = ikeProposals, ["ESP"] = espProposals, ["PSK"] = psk, ["GW_ID"] = GatewayId,
            ["LOCAL_TS"] = localTs, ["POOLS"] = pools, ["POOL"] = InteropTopology.PoolSubnet, ["DNS"] = dns4,
            ["POOL4_EXTRA"] = pool4Attributes, ["POOL6"] = Pool6Subnet, ["DNS6"] = Dns6Address, ["EXTRA"] = extraConnectionOptions,
            ["CHILD_EXTRA"] = childOptions,
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
                pools = @POOLS@
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
                        @CHILD_EXTRA@
                    }
                }
            }
        }
        pools {
            pool4 {
                addrs = @POOL@
                dns = @DNS@
                @POOL4_EXTRA@
            }
            pool6 {
                addrs = @POOL6@
                dns = @DNS6@
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
