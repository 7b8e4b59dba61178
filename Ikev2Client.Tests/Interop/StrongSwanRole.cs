namespace Ikev2Client.Tests.Interop;

/// <summary>Which side a strongSwan charon plays in the interop topology (selects its namespace).</summary>
public enum StrongSwanRole
{
    /// <summary>The VPN gateway, in the gateway namespace (responder).</summary>
    Gateway,

    /// <summary>A strongSwan road-warrior client, in the client namespace (initiator).</summary>
    Client,
}
