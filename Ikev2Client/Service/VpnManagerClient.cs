using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Ikev2Client.Profiles;

namespace Ikev2Client.Service;

/// <summary>
/// <see cref="IVpnManager"/> over the control socket: one short connection per request, a long one per
/// subscription. A service that is not running or not reachable raises <see cref="VpnManagerException"/>
/// with code <see cref="VpnManagerErrors.Unavailable"/>.
/// </summary>
public sealed class VpnManagerClient : IVpnManager
{
    private long _id;

    /// <summary>A client for the service listening on <paramref name="socketPath"/>.</summary>
    public VpnManagerClient(string socketPath) => SocketPath = socketPath;

    /// <summary>The socket file.</summary>
    public string SocketPath { get; }

    /// <summary>How long to wait for an answer to a request that does not wait for a connection.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The service's process id, or throws (Unavailable).</summary>
    public async Task<int> PingAsync(CancellationToken cancellationToken = default)
    {
        var result = await CallAsync(new JsonObject { ["method"] = ControlProtocol.Ping }, cancellationToken, RequestTimeout).ConfigureAwait(false);
        return result is JsonObject o ? (int)StateJson.Long(o, "pid") : 0;
    }

    /// <summary>True when a service answers on the socket.</summary>
    public async Task<bool> IsRunningAsync(CancellationToken cancellationToken = default)
    {
        try { await PingAsync(cancellationToken).ConfigureAwait(false); return true; }
        catch (VpnManagerException e) when (e.Code == VpnManagerErrors.Unavailable) { return false; }
    }

    /// <inheritdoc/>
    public async Task ProvisionVpnProfileAsync(Ikev2VpnProfile profile, CancellationToken cancellationToken = default) =>
        await CallAsync(new JsonObject { ["method"] = ControlProtocol.Provision, ["profile"] = NativeProfileJson.ToJson(profile, includeSecrets: true) },
            cancellationToken, RequestTimeout).ConfigureAwait(false);

    /// <inheritdoc/>
    public async Task<VpnProfileState> StartProvisionedVpnProfileAsync(string name, bool waitForResult = false, CancellationToken cancellationToken = default) =>
        State(await CallAsync(new JsonObject { ["method"] = ControlProtocol.StartProvisioned, ["name"] = name, ["wait"] = waitForResult },
            cancellationToken, waitForResult ? null : RequestTimeout).ConfigureAwait(false));

    /// <inheritdoc/>
    public async Task<VpnProfileState> StartVpnProfileAsync(Ikev2VpnProfile profile, bool waitForResult = false, CancellationToken cancellationToken = default) =>
        State(await CallAsync(new JsonObject
        {
            ["method"] = ControlProtocol.StartProfile, ["profile"] = NativeProfileJson.ToJson(profile, includeSecrets: true), ["wait"] = waitForResult,
        }, cancellationToken, waitForResult ? null : RequestTimeout).ConfigureAwait(false));

    /// <inheritdoc/>
    public async Task<VpnProfileState> StartProvisionedVpnProfileAsync(string name, bool waitForResult, ICredentialPrompt? credentials, CancellationToken cancellationToken) =>
        State(await CallAsync(new JsonObject
        {
            ["method"] = ControlProtocol.StartProvisioned, ["name"] = name, ["wait"] = waitForResult, ["credentials"] = credentials is not null,
        }, cancellationToken, waitForResult || credentials is not null ? null : RequestTimeout, credentials).ConfigureAwait(false));

    /// <inheritdoc/>
    public async Task<VpnProfileState> StartVpnProfileAsync(Ikev2VpnProfile profile, bool waitForResult, ICredentialPrompt? credentials, CancellationToken cancellationToken) =>
        State(await CallAsync(new JsonObject
        {
            ["method"] = ControlProtocol.StartProfile, ["profile"] = NativeProfileJson.ToJson(profile, includeSecrets: true), ["wait"] = waitForResult,
            ["credentials"] = credentials is not null,
        }, cancellationToken, waitForResult || credentials is not null ? null : RequestTimeout, credentials).ConfigureAwait(false));

    /// <inheritdoc/>
    public async Task<IReadOnlyList<VpnProfileState>> StopProvisionedVpnProfileAsync(string? name, CancellationToken cancellationToken = default) =>
        States(await CallAsync(new JsonObject { ["method"] = ControlProtocol.Stop, ["name"] = name }, cancellationToken, RequestTimeout).ConfigureAwait(false));

    /// <inheritdoc/>
    public async Task DeleteProvisionedVpnProfileAsync(string name, CancellationToken cancellationToken = default) =>
        await CallAsync(new JsonObject { ["method"] = ControlProtocol.Delete, ["name"] = name }, cancellationToken, RequestTimeout).ConfigureAwait(false);

    /// <inheritdoc/>
    public async Task<VpnProfileState> GetProvisionedVpnProfileStateAsync(string name, CancellationToken cancellationToken = default) =>
        State(await CallAsync(new JsonObject { ["method"] = ControlProtocol.GetState, ["name"] = name }, cancellationToken, RequestTimeout).ConfigureAwait(false));

    /// <inheritdoc/>
    public async Task<IReadOnlyList<VpnProfileState>> GetAllVpnProfileStatesAsync(CancellationToken cancellationToken = default) =>
        States(await CallAsync(new JsonObject { ["method"] = ControlProtocol.GetState }, cancellationToken, RequestTimeout).ConfigureAwait(false));

    /// <inheritdoc/>
    public async IAsyncEnumerable<VpnProfileState> SubscribeAsync(string? name = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var request = new JsonObject { ["id"] = Interlocked.Increment(ref _id), ["method"] = ControlProtocol.Subscribe, ["name"] = name };
        await conn.WriteAsync(request, cancellationToken).ConfigureAwait(false);
        ResultOf(await ReadOrUnavailable(conn, cancellationToken).ConfigureAwait(false));
        while (true)
        {
            var message = await ReadOrUnavailable(conn, cancellationToken).ConfigureAwait(false);
            var kind = StateJson.Str(message, "event");
            if (kind == "error" && message["error"] is JsonObject err)
                throw new VpnManagerException(StateJson.Str(err, "code") ?? VpnManagerErrors.Internal, StateJson.Str(err, "message") ?? "");
            if (kind == "state" && StateJson.FromJson(message["state"]) is { } state) yield return state;
        }
    }

    private async Task<JsonNode?> CallAsync(JsonObject request, CancellationToken ct, TimeSpan? timeout, ICredentialPrompt? credentials = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (timeout is { } t) cts.CancelAfter(t);
        await using var conn = await OpenAsync(cts.Token).ConfigureAwait(false);
        var id = Interlocked.Increment(ref _id);
        request["id"] = id;
        try
        {
            await conn.WriteAsync(request, cts.Token).ConfigureAwait(false);
            while (true)
            {
                var message = await ReadOrUnavailable(conn, cts.Token).ConfigureAwait(false);
                if (StateJson.Str(message, "event") != "credentials") return ResultOf(message);
                // The service asks for what the profile lacks; the answer goes back on this connection.
                await conn.WriteAsync(await AnswerAsync(message, id, credentials, cts.Token).ConfigureAwait(false), cts.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new VpnManagerException(VpnManagerErrors.Unavailable, $"the service on {SocketPath} did not answer in time");
        }
    }

    /// <summary>The line that answers a <c>credentials</c> event: the prompt's answer, or a cancel saying why there is none.</summary>
    private static async Task<JsonObject> AnswerAsync(JsonObject question, long id, ICredentialPrompt? prompt, CancellationToken ct)
    {
        if (prompt is null) return new JsonObject { ["id"] = id, ["cancel"] = "this client answers no questions" };
        var fields = new List<MissingCredential>();
        if (question["fields"] is JsonArray array)
            foreach (var f in array.OfType<JsonObject>())
                if (StateJson.Str(f, "key") is { } key)
                    fields.Add(new MissingCredential(key, f["secret"] is JsonValue v && v.TryGetValue<bool>(out var secret) && secret, StateJson.Str(f, "label") ?? key));
        var timeout = question["timeoutSeconds"] is JsonValue tv && tv.TryGetValue<int>(out var seconds) && seconds > 0 ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;
        var request = new CredentialRequest(StateJson.Str(question, "profile") ?? "", fields,
            question["attempt"] is JsonValue av && av.TryGetValue<int>(out var attempt) ? attempt : 1, StateJson.Str(question, "error"), timeout);
        try
        {
            var answer = await prompt.AskAsync(request, ct).ConfigureAwait(false);
            var values = new JsonObject();
            foreach (var (key, value) in answer.Values) values[key] = value;
            return new JsonObject { ["id"] = id, ["answer"] = values, ["save"] = answer.Save };
        }
        catch (CredentialPromptException e)
        {
            return new JsonObject { ["id"] = id, ["cancel"] = e.Message };
        }
    }

    private async Task<JsonObject> ReadOrUnavailable(LineConnection conn, CancellationToken ct)
    {
        try
        {
            return await conn.ReadAsync(ct).ConfigureAwait(false)
                ?? throw new VpnManagerException(VpnManagerErrors.Unavailable, "the service closed the connection");
        }
        catch (Exception e) when (e is IOException or SocketException or InvalidDataException or BadMessageException)
        {
            throw new VpnManagerException(VpnManagerErrors.Unavailable, $"lost the connection to the service ({e.GetType().Name})");
        }
    }

    private Task<LineConnection> OpenAsync(CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        // No socket file: no service, and no failed connect (a failed asynchronous connect captures a stack trace,
        // which costs milliseconds in the native build). A Unix socket connects at once, so it is synchronous.
        if (!File.Exists(SocketPath)) throw NotRunning();
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(SocketPath));
            return Task.FromResult(new LineConnection(socket));
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.AddressNotAvailable)
        {
            socket.Dispose();
            throw NotRunning(); // a stale socket file
        }
        catch (Exception e) when (e is SocketException or IOException or ArgumentException)
        {
            socket.Dispose();
            throw new VpnManagerException(VpnManagerErrors.Unavailable, $"cannot reach the ikev2 service on {SocketPath} ({(e is SocketException se ? se.SocketErrorCode : e.GetType().Name)})");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private VpnManagerException NotRunning() =>
        new(VpnManagerErrors.Unavailable, $"the ikev2 service is not running (no answer on {SocketPath})") { NotRunning = true };

    private static JsonNode? ResultOf(JsonObject answer)
    {
        if (answer["ok"] is JsonValue v && v.TryGetValue<bool>(out var ok) && ok) return answer["result"];
        var err = answer["error"] as JsonObject;
        throw new VpnManagerException(err is null ? VpnManagerErrors.Internal : StateJson.Str(err, "code") ?? VpnManagerErrors.Internal,
            err is null ? "malformed answer" : StateJson.Str(err, "message") ?? "");
    }

    private static VpnProfileState State(JsonNode? node) =>
        StateJson.FromJson(node) ?? throw new VpnManagerException(VpnManagerErrors.Internal, "malformed state in the answer");

    private static List<VpnProfileState> States(JsonNode? node) =>
        node is JsonArray a ? a.Select(StateJson.FromJson).OfType<VpnProfileState>().ToList() : [];
}
