namespace Ikev2Client.Tests.Interop;

/// <summary>How a charon instance is configured (strongswan.conf), apart from its swanctl.conf.</summary>
public sealed record StrongSwanOptions
{
    /// <summary>
    /// Plugins charon loads (the explicit <c>charon.load</c> list), read from Interop/charon-plugins.txt, which
    /// .ci/test.sh also reads to check that every plugin is installed before the tests run. sha3, des and md4 are
    /// provided by openssl on Debian (there are no separate plugins); openssl also provides X448 and the MODP groups.
    /// </summary>
    public static readonly string DefaultPlugins =
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Interop", "charon-plugins.txt")).Trim();

    /// <summary>Filelog levels as "group level" pairs, e.g. "ike 2 cfg 2" (default 1 for the others).
    /// Level 4 for ike/chd logs secrets (SK_*, PSK): use it only for captures.</summary>
    public string LogLevels { get; init; } = "ike 2 cfg 2 net 1 enc 1";

    /// <summary>The <c>charon.load</c> list.</summary>
    public string Plugins { get; init; } = DefaultPlugins;

    /// <summary><c>charon.fragment_size</c> (IKE fragmentation threshold), or null for strongSwan's default.</summary>
    public int? FragmentSize { get; init; }

    /// <summary>Raw strongswan.conf text placed inside the <c>charon { }</c> section.</summary>
    public string ExtraCharonConfig { get; init; } = "";

    /// <summary>How long to wait for the vici socket to answer after start.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(15);
}
