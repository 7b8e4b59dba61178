using Ikev2Client.Profiles;

namespace Ikev2Client.Service;

/// <summary>
/// The VPN service, named after Android's <c>VpnManager</c>. <see cref="VpnManagerService"/> implements it in the
/// daemon; <see cref="VpnManagerClient"/> implements it over the control socket. Failures of a request (unknown
/// profile, bad input) throw <see cref="VpnManagerException"/>; connection failures are states, not exceptions.
/// </summary>
public interface IVpnManager
{
    /// <summary>Stores (or replaces) a profile so it can be started by name.</summary>
    Task ProvisionVpnProfileAsync(Ikev2VpnProfile profile, CancellationToken cancellationToken = default);

    /// <summary>
    /// Starts a provisioned profile (no-op when it is already connecting or connected). With
    /// <paramref name="waitForResult"/> the call returns once the first attempt is CONNECTED or FAILED;
    /// otherwise at once with CONNECTING.
    /// </summary>
    Task<VpnProfileState> StartProvisionedVpnProfileAsync(string name, bool waitForResult = false, CancellationToken cancellationToken = default);

    /// <summary>Connects a profile that is not stored (e.g. <c>ikev2 connect FILE</c>); otherwise like <see cref="StartProvisionedVpnProfileAsync"/>.</summary>
    Task<VpnProfileState> StartVpnProfileAsync(Ikev2VpnProfile profile, bool waitForResult = false, CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="StartProvisionedVpnProfileAsync(string, bool, CancellationToken)"/> that asks <paramref name="credentials"/>
    /// for what the profile lacks (a password it was imported without: <see cref="ProfileCredentials.Missing"/>) instead
    /// of failing; the answers serve this run only unless the user asks to store them. A null prompt: nobody to ask.
    /// </summary>
    Task<VpnProfileState> StartProvisionedVpnProfileAsync(string name, bool waitForResult, ICredentialPrompt? credentials, CancellationToken cancellationToken) =>
        StartProvisionedVpnProfileAsync(name, waitForResult, cancellationToken);

    /// <summary><see cref="StartVpnProfileAsync(Ikev2VpnProfile, bool, CancellationToken)"/> that asks for what the profile lacks (never stored).</summary>
    Task<VpnProfileState> StartVpnProfileAsync(Ikev2VpnProfile profile, bool waitForResult, ICredentialPrompt? credentials, CancellationToken cancellationToken) =>
        StartVpnProfileAsync(profile, waitForResult, cancellationToken);

    /// <summary>Stops a profile (null: every profile) and waits until it is DISCONNECTED. Returns the final states.</summary>
    Task<IReadOnlyList<VpnProfileState>> StopProvisionedVpnProfileAsync(string? name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Android's <c>deleteProvisionedVpnProfile</c>: stops the profile when it runs or waits to reconnect (always-on
    /// included), then removes it and its secrets from the store. A managed profile (device policy) is refused
    /// (<see cref="VpnManagerErrors.Managed"/>); a profile that is not stored is <see cref="VpnManagerErrors.NotFound"/>.
    /// </summary>
    Task DeleteProvisionedVpnProfileAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>The state of one profile (provisioned or running).</summary>
    Task<VpnProfileState> GetProvisionedVpnProfileStateAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>The state of every provisioned or running profile, sorted by name.</summary>
    Task<IReadOnlyList<VpnProfileState>> GetAllVpnProfileStatesAsync(CancellationToken cancellationToken = default);

    /// <summary>The current states (of <paramref name="name"/> or all), then every change, until cancelled.</summary>
    IAsyncEnumerable<VpnProfileState> SubscribeAsync(string? name = null, CancellationToken cancellationToken = default);
}

/// <summary>A request the service refused (<see cref="Code"/> is one of the <c>VpnManagerErrors</c> names).</summary>
public sealed class VpnManagerException(string code, string message) : Exception(Profiles.SafeText.Line(message))
{
    /// <summary>NotFound, InvalidProfile, BadRequest, Conflict, Unavailable, Internal.</summary>
    public string Code { get; } = code;

    /// <summary>
    /// With <see cref="VpnManagerErrors.Unavailable"/>: nothing listens on the socket (no socket file, or the
    /// connection is refused), so no service is running, as opposed to a service that does not answer.
    /// </summary>
    public bool NotRunning { get; init; }
}

/// <summary>Codes of <see cref="VpnManagerException"/>.</summary>
public static class VpnManagerErrors
{
    /// <summary>No such profile.</summary>
    public const string NotFound = "NotFound";
    /// <summary>The profile does not validate.</summary>
    public const string InvalidProfile = "InvalidProfile";
    /// <summary>A malformed request.</summary>
    public const string BadRequest = "BadRequest";
    /// <summary>The name is in use by another running profile.</summary>
    public const string Conflict = "Conflict";
    /// <summary>
    /// The profile is managed by the device policy (a file in the MDM directory <c>managed.d</c>): it can't be removed,
    /// replaced, or shadowed by a file connected under its name. The message names the directory and the file.
    /// </summary>
    public const string Managed = "Managed";
    /// <summary>The service is not running or not reachable.</summary>
    public const string Unavailable = "Unavailable";
    /// <summary>
    /// The profile lacks a credential (a password it was imported without) and the client that started it could not
    /// answer the question (no terminal, no answer in time); the message names the field and how to supply it.
    /// </summary>
    public const string CredentialsRequired = "CredentialsRequired";
    /// <summary>Anything else.</summary>
    public const string Internal = "Internal";
}
