using System.Security.Cryptography.X509Certificates;

namespace Ikev2Client.Profiles;

/// <summary>
/// An IKEv2 VPN profile shaped like Android's <c>android.net.Ikev2VpnProfile</c>: immutable, built and
/// validated by <see cref="Builder"/>. Secrets (PSK, password, private key, PKCS#12 and its password) never
/// appear in <see cref="ToString"/>.
/// </summary>
public sealed partial class Ikev2VpnProfile
{
    /// <summary>Default IKE port.</summary>
    public const int DefaultServerPort = 500;
    /// <summary>Android's PlatformVpnProfile.MAX_MTU_DEFAULT.</summary>
    public const int DefaultMaxMtu = 1360;
    /// <summary>The IPv6 minimum MTU, Android's lower bound for setMaxMtu.</summary>
    public const int MinimumMtu = 1280;

    private readonly byte[]? _psk;
    private readonly byte[]? _pkcs12;

    private Ikev2VpnProfile(Builder b)
    {
        Name = b.Name ?? "";
        ServerAddr = b.ServerAddr ?? "";
        ServerPort = b.ServerPort;
        UserIdentity = b.UserIdentity;
        RemoteIdentity = b.RemoteIdentity;
        AuthMethod = b.AuthMethod ?? AuthMethod.UsernamePassword;
        EapMethod = b.EapMethod;
        _psk = b.Psk?.ToArray();
        Username = b.Username;
        Password = b.Password;
        ServerRootCaCert = b.ServerRootCaCert;
        UserCert = b.UserCert;
        UserPrivateKeyPem = b.UserPrivateKeyPem;
        _pkcs12 = b.Pkcs12?.ToArray();
        Pkcs12Password = b.Pkcs12Password;
        IkeProposal = b.IkeProposal;
        EspProposal = b.EspProposal;
        AllowedAlgorithms = b.AllowedAlgorithms?.ToArray();
        IsBypassable = b.IsBypassable;
        IsMetered = b.IsMetered;
        MaxMtu = b.MaxMtu;
        Proxy = b.Proxy;
        LocalRoutesExcluded = b.LocalRoutesExcluded;
        AutomaticNattKeepaliveTimerEnabled = b.AutomaticNattKeepaliveTimerEnabled;
        AutomaticIpVersionSelectionEnabled = b.AutomaticIpVersionSelectionEnabled;
        RequiresInternetValidation = b.RequiresInternetValidation;
        SplitTunneling = b.SplitTunneling;
        DnsServers = b.DnsServers.ToArray();
        AllowedApps = b.AllowedApps.ToArray();
        DisallowedApps = b.DisallowedApps.ToArray();
        AlwaysOn = b.AlwaysOn;
        Lockdown = b.Lockdown;
        NatKeepaliveSeconds = b.NatKeepaliveSeconds;
        DpdSeconds = b.DpdSeconds;
        ChildRekeyBytes = b.ChildRekeyBytes;
        ChildLifeBytes = b.ChildLifeBytes;
        ChildRekeyPackets = b.ChildRekeyPackets;
        ChildLifePackets = b.ChildLifePackets;
    }

    /// <summary>Display and store name (JSON <c>name</c>).</summary>
    public string Name { get; }
    /// <summary>Gateway host name or address (<c>serverAddr</c>).</summary>
    public string ServerAddr { get; }
    /// <summary>IKE port, default 500 (<c>serverPort</c>).</summary>
    public int ServerPort { get; }
    /// <summary>IDi (<c>userIdentity</c>); null: the EAP identity or certificate subject.</summary>
    public string? UserIdentity { get; }
    /// <summary>IDr (<c>remoteIdentity</c>); null: the server address.</summary>
    public string? RemoteIdentity { get; }
    /// <summary>Client authentication (<c>authMethod</c>).</summary>
    public AuthMethod AuthMethod { get; }
    /// <summary>EAP method for <see cref="AuthMethod.EapOnly"/> (<c>eapMethod</c>).</summary>
    public EapMethod? EapMethod { get; }
    /// <summary>Pre-shared key (<c>psk</c>, secret); a copy.</summary>
    public byte[]? Psk => _psk?.ToArray();
    /// <summary>EAP user name (<c>username</c>).</summary>
    public string? Username { get; }
    /// <summary>EAP password (<c>password</c>, secret); null: asked when connecting.</summary>
    public string? Password { get; }
    /// <summary>Trust anchor for the server certificate (<c>serverRootCaCert</c>); null: system store.</summary>
    public X509Certificate2? ServerRootCaCert { get; }
    /// <summary>Client certificate (<c>userCert</c>).</summary>
    public X509Certificate2? UserCert { get; }
    /// <summary>Client private key as PKCS#8 PEM (<c>privateKey</c>, secret).</summary>
    public string? UserPrivateKeyPem { get; }
    /// <summary>Client credential as PKCS#12 (<c>pkcs12</c>, secret); a copy.</summary>
    public byte[]? Pkcs12 => _pkcs12?.ToArray();
    /// <summary>Password of <see cref="Pkcs12"/> (<c>pkcs12Password</c>, secret); null: not known yet.</summary>
    public string? Pkcs12Password { get; }
    /// <summary>IKE proposals in strongSwan syntax (<c>ikeProposal</c>); null: defaults.</summary>
    public string? IkeProposal { get; }
    /// <summary>ESP proposals in strongSwan syntax (<c>espProposal</c>); null: defaults.</summary>
    public string? EspProposal { get; }
    /// <summary>Android IpSecAlgorithm names (<c>allowedAlgorithms</c>); null: <see cref="IpSecAlgorithmNames.Defaults"/>.</summary>
    public IReadOnlyList<string>? AllowedAlgorithms { get; }
    /// <summary>Apps may bypass the VPN (<c>bypassable</c>, default false).</summary>
    public bool IsBypassable { get; }
    /// <summary>The VPN network is metered (<c>metered</c>, default true).</summary>
    public bool IsMetered { get; }
    /// <summary>Upper bound of the tunnel MTU (<c>maxMtu</c>, ≥ 1280, default 1360).</summary>
    public int MaxMtu { get; }
    /// <summary>HTTP proxy (<c>proxy</c>).</summary>
    public ProxyInfo? Proxy { get; }
    /// <summary>Keep local-network routes outside the tunnel (<c>localRoutesExcluded</c>).</summary>
    public bool LocalRoutesExcluded { get; }
    /// <summary>Adapt the NAT-T keepalive automatically (<c>automaticNattKeepaliveTimerEnabled</c>).</summary>
    public bool AutomaticNattKeepaliveTimerEnabled { get; }
    /// <summary>Pick the outer IP version automatically (<c>automaticIpVersionSelectionEnabled</c>).</summary>
    public bool AutomaticIpVersionSelectionEnabled { get; }
    /// <summary>Validate Internet access over the VPN (<c>requiresInternetValidation</c>).</summary>
    public bool RequiresInternetValidation { get; }
    /// <summary>Split tunnelling (<c>splitTunneling</c>).</summary>
    public SplitTunneling SplitTunneling { get; }
    /// <summary>DNS servers overriding the ones the gateway assigns (<c>dnsServers</c>).</summary>
    public IReadOnlyList<string> DnsServers { get; }
    /// <summary>Only these apps use the VPN (<c>allowedApps</c>).</summary>
    public IReadOnlyList<string> AllowedApps { get; }
    /// <summary>These apps bypass the VPN (<c>disallowedApps</c>).</summary>
    public IReadOnlyList<string> DisallowedApps { get; }
    /// <summary>Reconnect automatically and keep the VPN up (<c>alwaysOn</c>).</summary>
    public bool AlwaysOn { get; }
    /// <summary>Block all traffic while the VPN is down (<c>lockdown</c>; needs alwaysOn).</summary>
    public bool Lockdown { get; }
    /// <summary>NAT-T keepalive interval in seconds (<c>natKeepaliveSeconds</c>); null: default.</summary>
    public int? NatKeepaliveSeconds { get; }
    /// <summary>Dead peer detection interval in seconds, 0 = off (<c>dpdSeconds</c>); null: default.</summary>
    public int? DpdSeconds { get; }

    /// <summary>CHILD SA rekey after this many inner bytes through one ESP SA (<c>childRekeyBytes</c>, strongSwan <c>rekey_bytes</c>); null: none.</summary>
    public long? ChildRekeyBytes { get; }
    /// <summary>CHILD SA hard byte limit (<c>childLifeBytes</c>, <c>life_bytes</c>); null: <see cref="ChildRekeyBytes"/> + 10%.</summary>
    public long? ChildLifeBytes { get; }
    /// <summary>CHILD SA rekey after this many packets through one ESP SA (<c>childRekeyPackets</c>, <c>rekey_packets</c>); null: none.</summary>
    public long? ChildRekeyPackets { get; }
    /// <summary>CHILD SA hard packet limit (<c>childLifePackets</c>, <c>life_packets</c>); null: <see cref="ChildRekeyPackets"/> + 10%.</summary>
    public long? ChildLifePackets { get; }

    /// <summary>True when the profile holds any secret.</summary>
    public bool HasSecrets => _psk is not null || Password is not null || UserPrivateKeyPem is not null
        || _pkcs12 is not null || Pkcs12Password is not null;

    /// <summary>A builder pre-filled with this profile.</summary>
    public Builder ToBuilder() => new(this);

    /// <summary>A copy with every secret removed (for display and for the non-secret store file).</summary>
    public Ikev2VpnProfile WithoutSecrets()
    {
        var b = ToBuilder();
        b.Psk = null;
        b.Password = null;
        b.UserPrivateKeyPem = null;
        b.Pkcs12 = null;
        b.Pkcs12Password = null;
        return new Ikev2VpnProfile(b);
    }

    /// <summary>Non-secret summary.</summary>
    public override string ToString() =>
        $"Ikev2VpnProfile {{ name = {Name}, server = {ServerAddr}:{ServerPort}, auth = {AuthMethod}, " +
        $"userIdentity = {UserIdentity}, remoteIdentity = {RemoteIdentity}, secrets = {(HasSecrets ? "present" : "none")} }}";
}
