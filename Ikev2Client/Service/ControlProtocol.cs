namespace Ikev2Client.Service;

/// <summary>
/// Method names of the control socket's line-delimited JSON protocol. A request is
/// <c>{"id":1,"method":"StartProvisionedVpnProfile","name":"office","wait":true}</c>; the answer is
/// <c>{"id":1,"ok":true,"result":...}</c> or <c>{"id":1,"ok":false,"error":{"code":"NotFound","message":"..."}}</c>.
/// After a <see cref="Subscribe"/> answer the server sends <c>{"event":"state","state":{...}}</c> lines until the
/// client closes the connection. See docs/service.md.
/// </summary>
public static class ControlProtocol
{
    /// <summary>Protocol version reported by <see cref="Ping"/>.</summary>
    public const int Version = 1;

    /// <summary>Liveness: result <c>{"version":1,"pid":N}</c>.</summary>
    public const string Ping = "Ping";
    /// <summary><c>profile</c>: native profile JSON with secrets; stores it.</summary>
    public const string Provision = "ProvisionVpnProfile";
    /// <summary><c>name</c>, <c>wait</c>: result is a state.</summary>
    public const string StartProvisioned = "StartProvisionedVpnProfile";
    /// <summary><c>profile</c> (not stored), <c>wait</c>: result is a state.</summary>
    public const string StartProfile = "StartVpnProfile";
    /// <summary><c>name</c> (absent: all): result is an array of states.</summary>
    public const string Stop = "StopProvisionedVpnProfile";
    /// <summary><c>name</c>: stops the profile (always-on loop included), then removes it and its secrets; result <c>null</c>.</summary>
    public const string Delete = "DeleteProvisionedVpnProfile";
    /// <summary><c>name</c>: result is a state; without a name, an array of every state.</summary>
    public const string GetState = "GetProvisionedVpnProfileState";
    /// <summary><c>name</c> (absent: all): answer, then the current states and every change as events.</summary>
    public const string Subscribe = "Subscribe";
}
