namespace Ikev2Client.Platform;

/// <summary>Direction a transform is applied for (Android <c>IpSecManager.DIRECTION_IN/OUT</c>).</summary>
public enum PolicyDirection
{
    /// <summary>Inbound: the transform decrypts packets received for the socket.</summary>
    In = 0,
    /// <summary>Outbound: the transform encrypts packets the socket sends.</summary>
    Out = 1,
}
