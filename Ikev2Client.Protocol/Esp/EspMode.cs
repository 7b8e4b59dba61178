namespace Ikev2Client.Protocol.Esp;

/// <summary>ESP encapsulation mode of a CHILD SA (RFC 4301 §4.1).</summary>
public enum EspMode
{
    /// <summary>The payload is a whole IP packet; Next Header is 4 (IPv4) or 41 (IPv6).</summary>
    Tunnel = 0,
    /// <summary>The payload is the upper-layer segment; Next Header is its protocol (e.g. 17 for UDP).</summary>
    Transport = 1,
}
