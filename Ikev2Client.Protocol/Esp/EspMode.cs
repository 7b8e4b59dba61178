namespace Ikev2Client.Protocol.Esp;

/// <summary>
/// The mode of a CHILD SA and of the ESP SAs that carry it (RFC 4301 §4.1): negotiated in IKE (transport mode with
/// USE_TRANSPORT_MODE, RFC 7296 §1.3.1), reported in <see cref="Ike.ChildSaInfo.Mode"/>, applied by <see cref="EspSa"/>
/// and, on the platform side, the kind of IpSecTransform built (Android's <c>buildTransportModeTransform</c> /
/// <c>buildTunnelModeTransform</c>).
/// </summary>
public enum EspMode
{
    /// <summary>The payload is a whole IP packet; Next Header is 4 (IPv4) or 41 (IPv6).</summary>
    Tunnel = 0,
    /// <summary>The payload is the upper-layer segment; Next Header is its protocol (e.g. 17 for UDP).</summary>
    Transport = 1,
}
