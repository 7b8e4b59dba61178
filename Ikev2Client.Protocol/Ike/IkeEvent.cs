using System.Net;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Wire;

namespace Ikev2Client.Protocol.Ike;

/// <summary>
/// Something the session reports to its owner. Pattern-match on the nested types:
/// <see cref="IkeSaEstablished"/>, <see cref="ChildSaEstablished"/>, <see cref="ChildSaRekeyed"/>,
/// <see cref="ChildSaDeleted"/>, <see cref="ConfigReceived"/>, <see cref="Deleted"/>, <see cref="Failed"/>
/// and <see cref="MessageTraced"/> (one per message sent or received, for diagnostics and the demo).
/// </summary>
public abstract record IkeEvent
{
    private IkeEvent() { }

    /// <summary>The IKE SA is authenticated (both AUTH payloads verified).</summary>
    public sealed record IkeSaEstablished(IkeSaInfo Sa) : IkeEvent;

    /// <summary>A CHILD SA was negotiated; its keys go to the data plane.</summary>
    public sealed record ChildSaEstablished(ChildSaInfo ChildSa) : IkeEvent;

    /// <summary>
    /// A CHILD SA was replaced by a rekeyed one (install <paramref name="New"/>, then remove <paramref name="Old"/>).
    /// <paramref name="ByPeer"/>: the peer initiated the rekey, so it installs its side of <paramref name="New"/> only when
    /// our answer arrives; send on <paramref name="New"/> once it deletes <paramref name="Old"/> (receive on both at once).
    /// </summary>
    public sealed record ChildSaRekeyed(ChildSaInfo Old, ChildSaInfo New, bool ByPeer = false) : IkeEvent;

    /// <summary>The IKE SA was rekeyed (RFC 7296 §2.18): new SPIs and keys, the same CHILD SAs; the old SPIs are given for logs.</summary>
    public sealed record IkeSaRekeyed(ulong OldSpiI, ulong OldSpiR, IkeSaInfo Sa) : IkeEvent;

    /// <summary>A CHILD SA is gone (deleted by us or by the peer, or with its IKE SA).</summary>
    public sealed record ChildSaDeleted(ChildSaInfo ChildSa, bool ByPeer) : IkeEvent;

    /// <summary>The configuration payload reply: virtual IPs, DNS servers, subnets.</summary>
    public sealed record ConfigReceived(IkeConfiguration Configuration) : IkeEvent;

    /// <summary>The IKE SA was deleted cleanly (by us or by the peer); the session is closed.</summary>
    public sealed record Deleted(bool ByPeer, string Reason) : IkeEvent;

    /// <summary>
    /// The gateway redirected us (RFC 5685) to <paramref name="Target"/> during <paramref name="Exchange"/> (IKE_SA_INIT,
    /// IKE_AUTH after the gateway authenticated, or INFORMATIONAL on an established SA). The session then ends
    /// (Failed with <see cref="IkeErrorKind.Redirected"/>, or Deleted after our DELETE); the owner connects to the target.
    /// </summary>
    public sealed record Redirected(GatewayIdentity Target, ExchangeType Exchange) : IkeEvent;

    /// <summary>The IKE SA (and its CHILD SAs) moved to new addresses (MOBIKE UPDATE_SA_ADDRESSES, RFC 4555 §3.5).</summary>
    public sealed record AddressesUpdated(IPEndPoint Local, IPEndPoint Remote, bool LocalBehindNat, bool RemoteBehindNat) : IkeEvent;

    /// <summary>The session failed; it is closed and emits nothing more.</summary>
    public sealed record Failed(IkeError Error) : IkeEvent;

    /// <summary>
    /// A message was sent or received (sizes and timing for people and logs; never contents of secrets).
    /// <paramref name="At"/> is the session's monotonic time: how long after the session was created.
    /// </summary>
    public sealed record MessageTraced(
        bool Sent, ExchangeType Exchange, bool IsResponse, uint MessageId, int Bytes, int Fragments,
        string Payloads, TimeSpan At, bool Retransmission, IPEndPoint Peer, bool NonEspMarker) : IkeEvent
    {
        /// <summary>One line for logs: direction, exchange, message ID, payloads, size and peer.</summary>
        public override string ToString() =>
            $"{(Sent ? "sent" : "received")} {Exchange} {(IsResponse ? "response" : "request")} {MessageId} [{Payloads}] " +
            $"{Bytes} bytes{(Fragments > 1 ? $" in {Fragments} fragments" : "")}{(Retransmission ? " (retransmission)" : "")} " +
            $"{(Sent ? "to" : "from")} {Peer}{(NonEspMarker ? " (NAT-T)" : "")}";
    }
}

/// <summary>
/// A summary of an established IKE SA. <paramref name="AuthLifetime"/>: the peer's N(AUTH_LIFETIME) (RFC 4478), the
/// time from establishment after which it wants us to reauthenticate (a new IKE SA), or null.
/// </summary>
public sealed record IkeSaInfo(
    ulong SpiI, ulong SpiR, bool IsInitiator, NegotiatedAlgorithms Algorithms,
    IkeIdentity LocalIdentity, IkeIdentity RemoteIdentity, IPEndPoint LocalEndPoint, IPEndPoint RemoteEndPoint,
    bool LocalBehindNat, bool RemoteBehindNat, bool UdpEncapsulation, bool Fragmentation, bool PeerSupportsMobike,
    TimeSpan? AuthLifetime = null);

/// <summary>The addresses and servers received in (or, as responder, sent in) a CP(CFG_REPLY).</summary>
public sealed record IkeConfiguration(
    IReadOnlyList<IPNetwork> VirtualAddresses, IReadOnlyList<IPAddress> DnsServers,
    IReadOnlyList<IPNetwork> Subnets, IReadOnlyList<string> DnsDomains)
{
    /// <summary>
    /// The prefix length the peer gave with an INTERNAL_IP6_ADDRESS (RFC 7296 §3.15.1), for addresses where it is not
    /// 128 (the address itself is in <see cref="VirtualAddresses"/> as a /128).
    /// </summary>
    public IReadOnlyDictionary<IPAddress, int> Ipv6PrefixLengths { get; init; } = new Dictionary<IPAddress, int>();

    /// <summary>The prefix length to configure <paramref name="address"/> with: 32 (IPv4), the peer's IPv6 prefix, or 128.</summary>
    public int InterfacePrefixLength(IPAddress address) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : Ipv6PrefixLengths.TryGetValue(address, out var p) ? p : 128;

    /// <summary>Addresses, DNS servers and subnets, one line.</summary>
    public override string ToString() =>
        $"addresses [{string.Join(", ", VirtualAddresses)}] dns [{string.Join(", ", DnsServers)}] subnets [{string.Join(", ", Subnets)}]";
}
