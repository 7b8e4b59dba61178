namespace Ikev2Client.Connection;

/// <summary>
/// Takes an ESP datagram whose SPI is not in the <see cref="PacketPump"/>'s own table (transport-mode SAs live in the
/// IpSecManager, not in the pump). Returns null when it was handled — counted as received when
/// <paramref name="payloadLength"/> &gt; 0, silently dropped (dummy packet) otherwise — or the reason it was dropped.
/// The datagram may be decrypted in place; it is only valid during the call.
/// </summary>
public delegate DropReason? UnclaimedEspHandler(Span<byte> datagram, out int payloadLength);
