using System.Net;
using System.Net.Sockets;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Esp;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Ike;

/// <summary>Which side of the IKE SA the session plays.</summary>
public enum IkeRole
{
    /// <summary>We start the IKE SA (a VPN client).</summary>
    Initiator,
    /// <summary>The peer starts it (a gateway).</summary>
    Responder,
}

/// <summary>
/// Configuration of one <see cref="IkeSession"/>. Defaults are secure and match what a road-warrior client
/// needs: default proposals, forced UDP encapsulation, fragmentation, a CP request for addresses and DNS.
/// </summary>
public sealed class IkeSessionOptions
{
    /// <summary>Initiator (the default) or responder.</summary>
    public IkeRole Role { get; init; } = IkeRole.Initiator;

    /// <summary>Our identity (IDi as initiator, IDr as responder).</summary>
    public required IkeIdentity LocalIdentity { get; init; }

    /// <summary>The identity the peer must prove. When null any identity is accepted (responder only should do that).</summary>
    public IkeIdentity? RemoteIdentity { get; init; }

    /// <summary>Initiator: send the configured remote identity as IDr (RFC 7296 §3.5). Default true.</summary>
    public bool SendRemoteIdentity { get; init; } = true;

    /// <summary>Builds our AUTH.</summary>
    public required IIkeAuthenticator Authenticator { get; init; }

    /// <summary>Verifies the peer's AUTH; defaults to <see cref="Authenticator"/> (PSK both ways).</summary>
    public IIkeAuthenticator? PeerAuthenticator { get; init; }

    /// <summary>IKE proposals in preference order; the first group of the first proposal is the KE guess.</summary>
    public IReadOnlyList<ProposalSpec> IkeProposals { get; init; } = ProposalSpec.DefaultIke;

    /// <summary>ESP proposals for CHILD SAs.</summary>
    public IReadOnlyList<ProposalSpec> EspProposals { get; init; } = ProposalSpec.DefaultEsp;

    /// <summary>
    /// Make the peer believe there is a NAT by sending a NAT_DETECTION_SOURCE_IP hash that cannot match, so
    /// ESP is always UDP-encapsulated (our userspace data plane can only do that). Default true.
    /// </summary>
    public bool ForceEncapsulation { get; init; } = true;

    /// <summary>The peer's NAT-T port, used after the switch away from the IKE port (default 4500).</summary>
    public int RemoteNatTPort { get; init; } = 4500;

    /// <summary>Advertise and use IKEv2 fragmentation (RFC 7383). Default true.</summary>
    public bool Fragmentation { get; init; } = true;

    /// <summary>Largest IKE message (without IP/UDP headers) sent unfragmented once fragmentation is negotiated.</summary>
    public int MaxMessageSize { get; init; } = 1280;

    /// <summary>Waits between transmissions of a request; after the last one expires the session fails with ProtocolTimeout.</summary>
    public IReadOnlyList<TimeSpan> RetransmitTimeouts { get; init; } = new[] { 0.5, 1, 2, 4, 8 }.Select(TimeSpan.FromSeconds).ToArray();

    /// <summary>Interval of liveness checks (empty INFORMATIONAL) while established; null disables them.</summary>
    public TimeSpan? LivenessInterval { get; init; }

    /// <summary>CHILD SA rekey and expiry timers (ours; the peer may rekey sooner). Null: no timers (the owner calls <c>RekeyChildSa</c>).</summary>
    public SaLifetime? ChildLifetime { get; init; } = SaLifetime.DefaultChild;

    /// <summary>IKE SA rekey and expiry timers. Null: we never rekey the IKE SA on our own (we still answer the peer's rekeys).</summary>
    public SaLifetime? IkeLifetime { get; init; } = SaLifetime.DefaultIke;

    /// <summary>
    /// Initiator: when the last CHILD SA is gone (deleted by the peer, or expired without a replacement) while the IKE SA
    /// stays, create a new one with CREATE_CHILD_SA for the first CHILD SA's selectors after this delay — unless the peer
    /// creates one first (a gateway deleting an expired CHILD SA usually re-creates it at once). A refusal other than
    /// TEMPORARY_FAILURE ends the session with a recoverable error, so the owner reconnects. Null: never (an IKE SA
    /// without CHILD SA then carries no traffic). Default 1 s.
    /// </summary>
    public TimeSpan? ChildRecreateDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Answer a CREATE_CHILD_SA from the peer that creates a new CHILD SA (not a rekey) within the selectors we
    /// accept (<see cref="LocalTrafficSelectors"/>, our virtual IPs, <see cref="RemoteTrafficSelectors"/>). Default true;
    /// false answers NO_ADDITIONAL_SAS.</summary>
    public bool AcceptPeerChildSas { get; init; } = true;

    /// <summary>Send INITIAL_CONTACT in IKE_AUTH (initiator). Default true.</summary>
    public bool InitialContact { get; init; } = true;

    /// <summary>Initiator: request virtual IPs and DNS in a CP(CFG_REQUEST). Default true.</summary>
    public bool RequestConfiguration { get; init; } = true;

    /// <summary>Address families requested in the CP payload.</summary>
    public IReadOnlyList<AddressFamily> RequestedAddressFamilies { get; init; } = new[] { AddressFamily.InterNetwork, AddressFamily.InterNetworkV6 };

    /// <summary>Our traffic selectors (TSi for the initiator); default everything. A CP request replaces them with the virtual IP.</summary>
    public IReadOnlyList<TrafficSelector> LocalTrafficSelectors { get; init; } = DefaultSelectors;

    /// <summary>The peer's side (TSr for the initiator); default everything.</summary>
    public IReadOnlyList<TrafficSelector> RemoteTrafficSelectors { get; init; } = DefaultSelectors;

    /// <summary>Request transport mode (USE_TRANSPORT_MODE). Default tunnel mode.</summary>
    public EspMode Mode { get; init; } = EspMode.Tunnel;

    /// <summary>Advertise MOBIKE_SUPPORTED in IKE_AUTH. Default true.</summary>
    public bool AdvertiseMobike { get; init; } = true;

    /// <summary>Initiator: send REDIRECT_SUPPORTED and follow the gateway's REDIRECT (RFC 5685). Default true.</summary>
    public bool FollowRedirects { get; init; } = true;

    /// <summary>Initiator: the gateway that redirected us here; sent as REDIRECTED_FROM instead of REDIRECT_SUPPORTED.</summary>
    public IPAddress? RedirectedFrom { get => _redirectedFrom; init => _redirectedFrom = value; }

    private IPAddress? _redirectedFrom;

    /// <summary>A copy of these options for connecting to the gateway we were redirected to from <paramref name="from"/>.</summary>
    public IkeSessionOptions WithRedirectedFrom(IPAddress? from)
    {
        var copy = (IkeSessionOptions)MemberwiseClone();
        copy._redirectedFrom = from;
        return copy;
    }

    /// <summary>
    /// A copy of these options for reauthenticating (RFC 4478, make-before-break): no INITIAL_CONTACT (the gateway must
    /// keep the old IKE SA until we delete it) and the CP request asks for <paramref name="virtualAddresses"/> again.
    /// </summary>
    public IkeSessionOptions WithReauthentication(IReadOnlyList<IPAddress> virtualAddresses)
    {
        var copy = (IkeSessionOptions)MemberwiseClone();
        copy.IsReauthentication = true;
        copy.PreviousVirtualAddresses = virtualAddresses;
        return copy;
    }

    /// <summary>Set by <see cref="WithReauthentication"/>: INITIAL_CONTACT is not sent.</summary>
    public bool IsReauthentication { get; private set; }

    /// <summary>Set by <see cref="WithReauthentication"/>: the virtual IPs asked for again in CP(CFG_REQUEST).</summary>
    public IReadOnlyList<IPAddress> PreviousVirtualAddresses { get; private set; } = Array.Empty<IPAddress>();

    /// <summary>Responder settings (address pool, DNS, cookies); ignored by initiators.</summary>
    public IkeResponderOptions Responder { get; init; } = new();

    /// <summary>Everything of both families; read-only, as every options object shares it.</summary>
    internal static readonly IReadOnlyList<TrafficSelector> DefaultSelectors = Array.AsReadOnly(
    [
        TrafficSelector.Any(AddressFamily.InterNetwork), TrafficSelector.Any(AddressFamily.InterNetworkV6),
    ]);

    internal IIkeAuthenticator EffectivePeerAuthenticator => PeerAuthenticator ?? Authenticator;
}

/// <summary>What a responder hands out and enforces.</summary>
public sealed class IkeResponderOptions
{
    /// <summary>Virtual IPs are assigned from this pool (share one pool between sessions); null assigns none.</summary>
    public IkeAddressPool? AddressPool { get; init; }

    /// <summary>
    /// Further pools for a dual-stack responder (e.g. one IPv4 and one IPv6 pool): an initiator asking for
    /// INTERNAL_IP4_ADDRESS and INTERNAL_IP6_ADDRESS gets one address of each family a pool exists for, and nothing
    /// for a family without a pool (as strongSwan does with <c>pools = v4pool, v6pool</c>). Together with
    /// <see cref="AddressPool"/>, the first pool of each family is used.
    /// </summary>
    public IReadOnlyList<IkeAddressPool> AddressPools { get; init; } = Array.Empty<IkeAddressPool>();

    /// <summary>The pool that serves <paramref name="family"/>, if any.</summary>
    internal IkeAddressPool? PoolFor(AddressFamily family) =>
        (AddressPool is null ? AddressPools : AddressPools.Prepend(AddressPool)).FirstOrDefault(p => p.Network.BaseAddress.AddressFamily == family);

    /// <summary>DNS servers sent in CP replies.</summary>
    public IReadOnlyList<IPAddress> DnsServers { get; init; } = Array.Empty<IPAddress>();

    /// <summary>Subnets sent as INTERNAL_IP4/6_SUBNET in CP replies.</summary>
    public IReadOnlyList<IPNetwork> Subnets { get; init; } = Array.Empty<IPNetwork>();

    /// <summary>Demand a COOKIE (RFC 7296 §2.6) before doing any work for a new IKE_SA_INIT.</summary>
    public bool RequireCookie { get; init; }

    /// <summary>Allow transport mode when the initiator asks for it.</summary>
    public bool AllowTransportMode { get; init; } = true;

    /// <summary>Redirect initiators that support it to this gateway (RFC 5685); null redirects nobody.</summary>
    public GatewayIdentity? RedirectTo { get; init; }

    /// <summary>Where <see cref="RedirectTo"/> applies: IKE_SA_INIT (stateless, before any work) or IKE_AUTH (after authenticating).</summary>
    public ExchangeType RedirectIn { get; init; } = ExchangeType.IkeSaInit;

    /// <summary>
    /// Demand reauthentication within this time: sent as N(AUTH_LIFETIME) (RFC 4478, whole seconds) in the IKE_AUTH
    /// response; null sends none.
    /// </summary>
    public TimeSpan? AuthLifetime { get; init; }
}
