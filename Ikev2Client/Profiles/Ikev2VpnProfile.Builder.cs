using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ikev2Client.Profiles;

public sealed partial class Ikev2VpnProfile
{
    /// <summary>
    /// Builds an <see cref="Ikev2VpnProfile"/> the way <c>Ikev2VpnProfile.Builder</c> does on Android.
    /// <see cref="Validate"/> reports every problem at once; <see cref="Build"/> throws
    /// <see cref="ProfileValidationException"/> with that list.
    /// </summary>
    public sealed class Builder
    {
        /// <summary>An empty builder (importers fill it in).</summary>
        public Builder() { }

        /// <summary>Android's <c>Builder(serverAddr, identity)</c>.</summary>
        public Builder(string serverAddr, string? userIdentity)
        {
            ServerAddr = serverAddr;
            UserIdentity = userIdentity;
        }

        internal Builder(Ikev2VpnProfile p)
        {
            Name = p.Name; ServerAddr = p.ServerAddr; ServerPort = p.ServerPort; UserIdentity = p.UserIdentity;
            RemoteIdentity = p.RemoteIdentity; AuthMethod = p.AuthMethod; EapMethod = p.EapMethod; Psk = p._psk;
            Username = p.Username; Password = p.Password; ServerRootCaCert = p.ServerRootCaCert; UserCert = p.UserCert;
            UserPrivateKeyPem = p.UserPrivateKeyPem; Pkcs12 = p._pkcs12; Pkcs12Password = p.Pkcs12Password;
            IkeProposal = p.IkeProposal; EspProposal = p.EspProposal; AllowedAlgorithms = p.AllowedAlgorithms?.ToList();
            IsBypassable = p.IsBypassable; IsMetered = p.IsMetered; MaxMtu = p.MaxMtu; Proxy = p.Proxy;
            LocalRoutesExcluded = p.LocalRoutesExcluded; AutomaticNattKeepaliveTimerEnabled = p.AutomaticNattKeepaliveTimerEnabled;
            AutomaticIpVersionSelectionEnabled = p.AutomaticIpVersionSelectionEnabled;
            RequiresInternetValidation = p.RequiresInternetValidation; SplitTunneling = p.SplitTunneling;
            DnsServers = p.DnsServers.ToList(); AllowedApps = p.AllowedApps.ToList(); DisallowedApps = p.DisallowedApps.ToList();
            AlwaysOn = p.AlwaysOn; Lockdown = p.Lockdown; NatKeepaliveSeconds = p.NatKeepaliveSeconds; DpdSeconds = p.DpdSeconds;
            ChildRekeyBytes = p.ChildRekeyBytes; ChildLifeBytes = p.ChildLifeBytes; ChildRekeyPackets = p.ChildRekeyPackets; ChildLifePackets = p.ChildLifePackets;
        }

        internal string? Name { get; set; }
        internal string? ServerAddr { get; set; }
        internal int ServerPort { get; set; } = DefaultServerPort;
        internal string? UserIdentity { get; set; }
        internal string? RemoteIdentity { get; set; }
        internal AuthMethod? AuthMethod { get; set; }
        internal EapMethod? EapMethod { get; set; }
        internal byte[]? Psk { get; set; }
        internal string? Username { get; set; }
        internal string? Password { get; set; }
        internal X509Certificate2? ServerRootCaCert { get; set; }
        internal X509Certificate2? UserCert { get; set; }
        internal string? UserPrivateKeyPem { get; set; }
        internal byte[]? Pkcs12 { get; set; }
        internal string? Pkcs12Password { get; set; }
        internal string? IkeProposal { get; set; }
        internal string? EspProposal { get; set; }
        internal List<string>? AllowedAlgorithms { get; set; }
        internal bool IsBypassable { get; set; }
        internal bool IsMetered { get; set; } = true;
        internal int MaxMtu { get; set; } = DefaultMaxMtu;
        internal ProxyInfo? Proxy { get; set; }
        internal bool LocalRoutesExcluded { get; set; }
        internal bool AutomaticNattKeepaliveTimerEnabled { get; set; }
        internal bool AutomaticIpVersionSelectionEnabled { get; set; }
        internal bool RequiresInternetValidation { get; set; }
        internal SplitTunneling SplitTunneling { get; set; } = SplitTunneling.None;
        internal List<string> DnsServers { get; set; } = [];
        internal List<string> AllowedApps { get; set; } = [];
        internal List<string> DisallowedApps { get; set; } = [];
        internal bool AlwaysOn { get; set; }
        internal bool Lockdown { get; set; }
        internal int? NatKeepaliveSeconds { get; set; }
        internal int? DpdSeconds { get; set; }
        /// <summary>Where the PKCS#12 came from, as the source file names it (<c>local.p12</c>), for import errors.</summary>
        internal string Pkcs12Field { get; set; } = "pkcs12";
        /// <summary>The PKCS#12 and password <see cref="Pkcs12Reader.Open"/> already opened (so validation does not repeat the key derivation).</summary>
        internal (byte[] Data, string Password)? Pkcs12Opened { get; set; }
        internal long? ChildRekeyBytes { get; set; }
        internal long? ChildLifeBytes { get; set; }
        internal long? ChildRekeyPackets { get; set; }
        internal long? ChildLifePackets { get; set; }

        /// <summary>Display and store name.</summary>
        public Builder SetName(string name) { Name = name; return this; }
        /// <summary>Gateway and optional port (default 500).</summary>
        public Builder SetServer(string serverAddr, int port = DefaultServerPort) { ServerAddr = serverAddr; ServerPort = port; return this; }
        /// <summary>IDi.</summary>
        public Builder SetUserIdentity(string? identity) { UserIdentity = identity; return this; }
        /// <summary>IDr.</summary>
        public Builder SetRemoteIdentity(string? identity) { RemoteIdentity = identity; return this; }

        /// <summary>IKE pre-shared key (Android <c>setAuthPsk</c>).</summary>
        public Builder SetAuthPsk(byte[] psk) { ClearAuth(); AuthMethod = Profiles.AuthMethod.Psk; Psk = psk.ToArray(); return this; }

        /// <summary>EAP-MSCHAPv2 (Android <c>setAuthUsernamePassword</c>); password null = ask when connecting.</summary>
        public Builder SetAuthUsernamePassword(string username, string? password, X509Certificate2? serverRootCa)
        {
            ClearAuth();
            AuthMethod = Profiles.AuthMethod.UsernamePassword; Username = username; Password = password; ServerRootCaCert = serverRootCa;
            return this;
        }

        /// <summary>Certificate and private key (Android <c>setAuthDigitalSignature</c>).</summary>
        public Builder SetAuthDigitalSignature(X509Certificate2 userCert, AsymmetricAlgorithm key, X509Certificate2? serverRootCa) =>
            SetAuthDigitalSignature(userCert, key.ExportPkcs8PrivateKeyPem(), serverRootCa);

        /// <summary>Certificate and PKCS#8 PEM private key.</summary>
        public Builder SetAuthDigitalSignature(X509Certificate2 userCert, string privateKeyPem, X509Certificate2? serverRootCa)
        {
            ClearAuth();
            AuthMethod = Profiles.AuthMethod.DigitalSignature; UserCert = userCert;
            UserPrivateKeyPem = CertificateText.TryNormalizePrivateKey(privateKeyPem) ?? privateKeyPem; ServerRootCaCert = serverRootCa;
            return this;
        }

        /// <summary>Certificate credential as PKCS#12 (password null = still to be supplied).</summary>
        public Builder SetAuthDigitalSignaturePkcs12(byte[] pkcs12, string? password, X509Certificate2? serverRootCa)
        {
            ClearAuth();
            AuthMethod = Profiles.AuthMethod.DigitalSignature; Pkcs12 = pkcs12.ToArray(); Pkcs12Password = password; ServerRootCaCert = serverRootCa;
            return this;
        }

        /// <summary>EAP-TLS with a certificate and PKCS#8 PEM key.</summary>
        public Builder SetAuthEapTls(X509Certificate2 userCert, string privateKeyPem, X509Certificate2? serverRootCa)
        {
            SetAuthDigitalSignature(userCert, privateKeyPem, serverRootCa);
            AuthMethod = Profiles.AuthMethod.EapTls;
            return this;
        }

        /// <summary>EAP-only authentication (RFC 5998) with the given method.</summary>
        public Builder SetAuthEapOnly(EapMethod method, string? username, string? password, X509Certificate2? serverRootCa)
        {
            ClearAuth();
            AuthMethod = Profiles.AuthMethod.EapOnly; EapMethod = method; Username = username; Password = password; ServerRootCaCert = serverRootCa;
            return this;
        }

        /// <summary>
        /// Certificate then EAP (RFC 4739, strongSwan <c>ikev2-cert-eap</c>): the user certificate and PKCS#8 PEM key for
        /// the first round, username and password (null = ask when connecting) for EAP-MSCHAPv2 in the second.
        /// </summary>
        public Builder SetAuthCertificateThenEap(X509Certificate2 userCert, string privateKeyPem, string? username, string? password, X509Certificate2? serverRootCa)
        {
            SetAuthDigitalSignature(userCert, privateKeyPem, serverRootCa);
            AuthMethod = Profiles.AuthMethod.CertificateThenEap; Username = username; Password = password;
            return this;
        }

        /// <summary>Certificate (as PKCS#12) then EAP-MSCHAPv2 with username and password.</summary>
        public Builder SetAuthCertificateThenEapPkcs12(byte[] pkcs12, string? pkcs12Password, string? username, string? password, X509Certificate2? serverRootCa)
        {
            SetAuthDigitalSignaturePkcs12(pkcs12, pkcs12Password, serverRootCa);
            AuthMethod = Profiles.AuthMethod.CertificateThenEap; Username = username; Password = password;
            return this;
        }

        /// <summary>Replaces the PKCS#12 password (e.g. supplied after import).</summary>
        public Builder SetPkcs12Password(string? password) { Pkcs12Password = password; return this; }
        /// <summary>IKE proposals, strongSwan syntax.</summary>
        public Builder SetIkeProposal(string? proposal) { IkeProposal = proposal; return this; }
        /// <summary>ESP proposals, strongSwan syntax.</summary>
        public Builder SetEspProposal(string? proposal) { EspProposal = proposal; return this; }
        /// <summary>Android <c>setAllowedAlgorithms</c>.</summary>
        public Builder SetAllowedAlgorithms(IEnumerable<string> names) { AllowedAlgorithms = names.ToList(); return this; }
        /// <summary>Android <c>setBypassable</c>.</summary>
        public Builder SetBypassable(bool value) { IsBypassable = value; return this; }
        /// <summary>Android <c>setMetered</c>.</summary>
        public Builder SetMetered(bool value) { IsMetered = value; return this; }
        /// <summary>Android <c>setMaxMtu</c> (≥ 1280).</summary>
        public Builder SetMaxMtu(int mtu) { MaxMtu = mtu; return this; }
        /// <summary>Android <c>setProxy</c>.</summary>
        public Builder SetProxy(ProxyInfo? proxy) { Proxy = proxy; return this; }
        /// <summary>Android <c>setLocalRoutesExcluded</c>.</summary>
        public Builder SetLocalRoutesExcluded(bool value) { LocalRoutesExcluded = value; return this; }
        /// <summary>Android <c>setAutomaticNattKeepaliveTimerEnabled</c>.</summary>
        public Builder SetAutomaticNattKeepaliveTimerEnabled(bool value) { AutomaticNattKeepaliveTimerEnabled = value; return this; }
        /// <summary>Android <c>setAutomaticIpVersionSelectionEnabled</c>.</summary>
        public Builder SetAutomaticIpVersionSelectionEnabled(bool value) { AutomaticIpVersionSelectionEnabled = value; return this; }
        /// <summary>Android <c>setRequiresInternetValidation</c>.</summary>
        public Builder SetRequiresInternetValidation(bool value) { RequiresInternetValidation = value; return this; }
        /// <summary>Split tunnelling.</summary>
        public Builder SetSplitTunneling(SplitTunneling value) { SplitTunneling = value; return this; }
        /// <summary>DNS override.</summary>
        public Builder SetDnsServers(IEnumerable<string> servers) { DnsServers = servers.ToList(); return this; }
        /// <summary>Per-app allow list.</summary>
        public Builder SetAllowedApps(IEnumerable<string> apps) { AllowedApps = apps.ToList(); return this; }
        /// <summary>Per-app deny list.</summary>
        public Builder SetDisallowedApps(IEnumerable<string> apps) { DisallowedApps = apps.ToList(); return this; }
        /// <summary>Always-on and lockdown (lockdown needs always-on).</summary>
        public Builder SetAlwaysOn(bool alwaysOn, bool lockdown) { AlwaysOn = alwaysOn; Lockdown = lockdown; return this; }
        /// <summary>NAT-T keepalive seconds (10–3600).</summary>
        public Builder SetNatKeepaliveSeconds(int? seconds) { NatKeepaliveSeconds = seconds; return this; }
        /// <summary>DPD interval seconds (0 = off, else 20–1800).</summary>
        public Builder SetDpdSeconds(int? seconds) { DpdSeconds = seconds; return this; }

        /// <summary>
        /// CHILD SA byte limits per ESP SA (strongSwan <c>rekey_bytes</c>/<c>life_bytes</c>): rekey after
        /// <paramref name="rekey"/> bytes, stop the SA at <paramref name="life"/> (null: 10% above). Not in Android's API.
        /// </summary>
        public Builder SetChildSaByteLimits(long? rekey, long? life = null) { ChildRekeyBytes = rekey; ChildLifeBytes = life; return this; }
        /// <summary>CHILD SA packet limits per ESP SA (strongSwan <c>rekey_packets</c>/<c>life_packets</c>). Not in Android's API.</summary>
        public Builder SetChildSaPacketLimits(long? rekey, long? life = null) { ChildRekeyPackets = rekey; ChildLifePackets = life; return this; }

        /// <summary>Every problem in the current settings (empty when the profile is valid).</summary>
        public IReadOnlyList<ProfileProblem> Validate() => ProfileValidator.Validate(this);

        /// <summary>Validates and builds; throws <see cref="ProfileValidationException"/> listing every problem.</summary>
        public Ikev2VpnProfile Build()
        {
            var problems = Validate();
            if (problems.Count > 0) throw new ProfileValidationException(problems);
            return new Ikev2VpnProfile(this);
        }

        private void ClearAuth()
        {
            EapMethod = null; Psk = null; Username = null; Password = null; UserCert = null;
            UserPrivateKeyPem = null; Pkcs12 = null; Pkcs12Password = null;
        }
    }
}
