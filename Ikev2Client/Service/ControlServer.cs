using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Ikev2Client.Profiles;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ikev2Client.Service;

/// <summary>
/// Serves an <see cref="IVpnManager"/> on a Unix domain socket. The socket is created owner-only (mode 0600, in a
/// directory created 0700, bound under umask 077), and on Linux a peer whose uid is neither ours nor root is refused
/// (SO_PEERCRED). Requests are never logged (they can carry profile secrets); answers carry states, which hold none.
/// </summary>
public sealed partial class ControlServer : IAsyncDisposable
{
    private readonly IVpnManager _manager;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Socket? _listener;
    private Task? _acceptLoop;

    /// <summary>A server for <paramref name="manager"/> on <paramref name="socketPath"/> (call <see cref="Start"/>).</summary>
    public ControlServer(IVpnManager manager, string socketPath, ILogger? logger = null)
    {
        _manager = manager;
        SocketPath = socketPath;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The socket file.</summary>
    public string SocketPath { get; }

    /// <summary>How long a start waits for its client to answer a credential question (docs/service.md, "Credentials").</summary>
    public TimeSpan CredentialTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Binds and starts accepting. Throws <see cref="VpnManagerException"/> (Conflict) when another service answers there.</summary>
    public void Start()
    {
        Listen();
        StartAccepting();
    }

    /// <summary>
    /// Binds and listens (from now on no other service can start on the socket) without answering yet: a client that
    /// connects waits in the backlog until <see cref="StartAccepting"/>. The daemon recovers from a crash in between, so
    /// no request races the clean-up.
    /// </summary>
    public void Listen()
    {
        if (System.Text.Encoding.UTF8.GetByteCount(SocketPath) > ServicePaths.MaxSocketPathBytes)
            throw new VpnManagerException(VpnManagerErrors.BadRequest, $"socket path too long (max {ServicePaths.MaxSocketPathBytes} bytes): {SocketPath}");
        var dir = Path.GetDirectoryName(Path.GetFullPath(SocketPath))!;
        if (!Directory.Exists(dir))
        {
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(dir);
            else Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        if (File.Exists(SocketPath))
        {
            if (IsAlive(SocketPath)) throw new VpnManagerException(VpnManagerErrors.Conflict, $"a service is already running on {SocketPath}");
            File.Delete(SocketPath);
        }
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        uint old = OperatingSystem.IsLinux() ? Umask(0x3f) : 0;
        try { listener.Bind(new UnixDomainSocketEndPoint(SocketPath)); }
        finally { if (OperatingSystem.IsLinux()) Umask(old); }
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(SocketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        listener.Listen(64);
        _listener = listener;
    }

    /// <summary>Starts answering on the socket bound by <see cref="Listen"/>.</summary>
    public void StartAccepting()
    {
        if (_listener is null) throw new InvalidOperationException("Listen() first");
        if (_acceptLoop is not null) return;
        _acceptLoop = Task.Run(AcceptLoopAsync);
        ServiceLog.ControlSocket(_logger, SocketPath);
    }

    private static bool IsAlive(string path)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try { probe.Connect(new UnixDomainSocketEndPoint(path)); return true; }
        catch (SocketException) { return false; }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try { client = await _listener!.AcceptAsync(_stop.Token).ConfigureAwait(false); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { if (_stop.IsCancellationRequested) return; continue; }
            if (!PeerAllowed(client))
            {
                ServiceLog.RefusedPeer(_logger);
                client.Dispose();
                continue;
            }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private static bool PeerAllowed(Socket client)
    {
        if (!OperatingSystem.IsLinux()) return true;
        Span<byte> cred = stackalloc byte[12];
        try
        {
            int n = client.GetRawSocketOption(1 /* SOL_SOCKET */, 17 /* SO_PEERCRED */, cred);
            if (n < 12) return true;
        }
        catch (SocketException) { return true; }
        uint uid = BitConverter.ToUInt32(cred[4..8]);
        return uid == 0 || uid == Geteuid();
    }

    private async Task ServeAsync(Socket socket)
    {
        await using var conn = new LineConnection(socket);
        var ct = _stop.Token;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                ReadOnlyMemory<byte>? line;
                try { line = await conn.ReadLineAsync(ct).ConfigureAwait(false); }
                catch (InvalidDataException e)
                {
                    // An overlong line: answer, then close (the rest of it could be unbounded).
                    await conn.WriteAsync(Error(null, VpnManagerErrors.BadRequest, e.Message), ct).ConfigureAwait(false);
                    return;
                }
                if (line is null) return;
                var request = ParseRequest(line.Value.Span, out var rejected);
                if (request is not null && StateJson.Str(request, "method") == ControlProtocol.Subscribe)
                {
                    string? name;
                    try { name = Name(request); }
                    catch (VpnManagerException e)
                    {
                        await conn.WriteAsync(Error(request["id"]?.DeepClone(), e.Code, e.Message), ct).ConfigureAwait(false);
                        continue;
                    }
                    await StreamAsync(conn, request["id"]?.DeepClone(), name, ct).ConfigureAwait(false);
                    return;
                }
                var answer = rejected ?? await AnswerAsync(request!, ct, conn).ConfigureAwait(false);
                await conn.WriteAsync(answer, ct).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away or the server is stopping.
        }
    }

    /// <summary>
    /// The answer to one line that is not a subscription: exactly one object, whatever the line holds (tests feed
    /// this mutated requests). Never throws except for cancellation.
    /// </summary>
    internal async Task<JsonObject> AnswerLineAsync(ReadOnlyMemory<byte> line, CancellationToken ct)
    {
        var request = ParseRequest(line.Span, out var rejected);
        if (rejected is not null) return rejected;
        if (StateJson.Str(request!, "method") == ControlProtocol.Subscribe)
            return Error(request!["id"]?.DeepClone(), VpnManagerErrors.BadRequest, "Subscribe is answered by a stream; not here");
        return await AnswerAsync(request!, ct).ConfigureAwait(false);
    }

    /// <summary>The request object, or null and the BadRequest answer for a line that is not one.</summary>
    private static JsonObject? ParseRequest(ReadOnlySpan<byte> line, out JsonObject? rejected)
    {
        rejected = null;
        try { return LineConnection.Parse(line); }
        catch (BadMessageException e)
        {
            rejected = Error(e.Id, VpnManagerErrors.BadRequest, e.Message);
            return null;
        }
    }

    private async Task<JsonObject> AnswerAsync(JsonObject request, CancellationToken ct, LineConnection? connection = null)
    {
        var id = request["id"]?.DeepClone();
        string? method = null;
        try
        {
            method = request["method"] is null
                ? throw new VpnManagerException(VpnManagerErrors.BadRequest, "'method' is required")
                : Text(request, "method");
            return Ok(id, await DispatchAsync(method, request, ct, connection).ConfigureAwait(false));
        }
        catch (VpnManagerException e) { return Error(id, e.Code, e.Message); }
        catch (Exception e) when (e is ProfileImportException or ProfileValidationException)
        {
            return Error(id, VpnManagerErrors.InvalidProfile, e.Message);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { throw; }
        catch (Exception e)
        {
            ServiceLog.RequestFailed(_logger, SafeText.Clip(method), e.GetType().Name);
            return Error(id, VpnManagerErrors.Internal, $"internal error ({e.GetType().Name})");
        }
    }

    private async Task<JsonNode?> DispatchAsync(string method, JsonObject request, CancellationToken ct, LineConnection? connection)
    {
        var name = Name(request);
        var wait = Flag(request, "wait");
        // A client that offers to answer ("credentials": true) is asked on this connection for what a profile lacks;
        // any other gets CredentialsRequired at once instead of a connection attempt bound to fail.
        ICredentialPrompt prompt = Flag(request, "credentials") && connection is not null
            ? new ClientCredentialPrompt(connection, request["id"]?.DeepClone(), CredentialTimeout)
            : NoCredentialPrompt.Instance;
        switch (method)
        {
            case ControlProtocol.Ping:
                return new JsonObject { ["version"] = ControlProtocol.Version, ["pid"] = Environment.ProcessId };
            case ControlProtocol.Provision:
                await _manager.ProvisionVpnProfileAsync(ProfileOf(request), ct).ConfigureAwait(false);
                return null;
            case ControlProtocol.StartProvisioned:
                return StateJson.ToJson(await _manager.StartProvisionedVpnProfileAsync(Required(name), wait, prompt, ct).ConfigureAwait(false));
            case ControlProtocol.StartProfile:
                return StateJson.ToJson(await _manager.StartVpnProfileAsync(ProfileOf(request), wait, prompt, ct).ConfigureAwait(false));
            case ControlProtocol.Stop:
                return States(await _manager.StopProvisionedVpnProfileAsync(name, ct).ConfigureAwait(false));
            case ControlProtocol.Delete:
                await _manager.DeleteProvisionedVpnProfileAsync(Required(name), ct).ConfigureAwait(false);
                return null;
            case ControlProtocol.GetState:
                return name is null
                    ? States(await _manager.GetAllVpnProfileStatesAsync(ct).ConfigureAwait(false))
                    : StateJson.ToJson(await _manager.GetProvisionedVpnProfileStateAsync(name, ct).ConfigureAwait(false));
            default:
                throw new VpnManagerException(VpnManagerErrors.BadRequest, $"unknown method {SafeText.Quote(method)}");
        }
    }

    private async Task StreamAsync(LineConnection conn, JsonNode? id, string? name, CancellationToken serverToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(serverToken);
        await conn.WriteAsync(Ok(id, null), cts.Token).ConfigureAwait(false);
        // The client sends nothing more; its closing the connection ends the stream.
        var closed = Task.Run(async () =>
        {
            try { while (await conn.ReadAsync(cts.Token).ConfigureAwait(false) is not null) { } }
            catch (Exception e) when (e is IOException or SocketException or InvalidDataException or BadMessageException or OperationCanceledException or ObjectDisposedException) { }
            cts.Cancel();
        }, CancellationToken.None);
        try
        {
            await foreach (var state in _manager.SubscribeAsync(name, cts.Token).ConfigureAwait(false))
                await conn.WriteAsync(new JsonObject { ["event"] = "state", ["state"] = StateJson.ToJson(state) }, cts.Token).ConfigureAwait(false);
        }
        catch (VpnManagerException e)
        {
            await conn.WriteAsync(new JsonObject { ["event"] = "error", ["error"] = new JsonObject { ["code"] = e.Code, ["message"] = e.Message } }, cts.Token).ConfigureAwait(false);
        }
        finally
        {
            cts.Cancel();
            await closed.ConfigureAwait(false);
        }
    }

    /// <summary>A boolean field (absent: false); BadRequest naming the field and the type found otherwise.</summary>
    private static bool Flag(JsonObject request, string field) =>
        request[field] is null ? false
            : request[field] is JsonValue v && v.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False
                ? v.GetValueKind() == System.Text.Json.JsonValueKind.True
                : throw new VpnManagerException(VpnManagerErrors.BadRequest, $"'{field}' must be a boolean, found {JsonInput.KindName(request[field])}");

    /// <summary>A client that did not offer to answer questions.</summary>
    private sealed class NoCredentialPrompt : ICredentialPrompt
    {
        public static readonly NoCredentialPrompt Instance = new();

        public Task<CredentialAnswer> AskAsync(CredentialRequest request, CancellationToken cancellationToken) =>
            Task.FromException<CredentialAnswer>(new CredentialPromptException("the client that started it does not answer questions; 'ikev2 connect' does"));
    }

    /// <summary>
    /// Asks the client that sent the start request, on its connection: a <c>credentials</c> event (the fields, no
    /// secret), then one line back — <c>{"id":N,"answer":{KEY:VALUE…},"save":false}</c> or <c>{"id":N,"cancel":"why"}</c> —
    /// within <see cref="CredentialTimeout"/>. The answer is never logged.
    /// </summary>
    private sealed class ClientCredentialPrompt(LineConnection connection, JsonNode? id, TimeSpan timeout) : ICredentialPrompt
    {
        public async Task<CredentialAnswer> AskAsync(CredentialRequest request, CancellationToken cancellationToken)
        {
            var fields = new JsonArray(request.Fields.Select(f => (JsonNode?)new JsonObject
                { ["key"] = f.Key, ["secret"] = f.Secret, ["label"] = f.Label }).ToArray());
            var question = new JsonObject
            {
                ["event"] = "credentials", ["id"] = id?.DeepClone(), ["profile"] = request.Profile, ["fields"] = fields,
                ["attempt"] = request.Attempt, ["error"] = request.Error, ["timeoutSeconds"] = (int)timeout.TotalSeconds,
            };
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(timeout);
            JsonObject? reply;
            try
            {
                await connection.WriteAsync(question, cts.Token).ConfigureAwait(false);
                reply = await connection.ReadAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new CredentialPromptException($"no answer within {timeout.TotalSeconds:0} s");
            }
            catch (Exception e) when (e is BadMessageException or InvalidDataException)
            {
                throw new CredentialPromptException("the answer was not a valid message");
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                throw new CredentialPromptException("the client went away");
            }
            if (reply is null) throw new CredentialPromptException("the client closed the connection");
            if (!JsonNode.DeepEquals(reply["id"], id)) throw new CredentialPromptException("the client sent another request instead of the answer");
            if (reply["cancel"] is { } cancel)
                throw new CredentialPromptException(cancel is JsonValue c && c.TryGetValue<string>(out var why) ? why : "the client cancelled");
            if (reply["answer"] is not JsonObject answer) throw new CredentialPromptException("the client's answer has no 'answer' object");
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (key, value) in answer)
            {
                if (value is JsonValue v && v.TryGetValue<string>(out var text)) values[key] = text;
                else throw new CredentialPromptException($"the answer's {SafeText.Quote(key)} must be a string");
            }
            return new CredentialAnswer(values, reply["save"] is JsonValue s && s.GetValueKind() == System.Text.Json.JsonValueKind.True);
        }
    }

    private static Ikev2VpnProfile ProfileOf(JsonObject request)
    {
        if (request["profile"] is not JsonObject profile)
            throw new VpnManagerException(VpnManagerErrors.BadRequest, $"'profile' must be a JSON object, found {JsonInput.KindName(request["profile"])}");
        return NativeProfileJson.Import(System.Text.Encoding.UTF8.GetBytes(profile.ToJsonString())).Profile;
    }

    /// <summary>A string field; BadRequest naming the field and the type found otherwise.</summary>
    private static string Text(JsonObject request, string key) =>
        request[key] is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String
            ? v.GetValue<string>()
            : throw new VpnManagerException(VpnManagerErrors.BadRequest, $"'{key}' must be a string, found {JsonInput.KindName(request[key])}");

    /// <summary>The optional <c>name</c>: a string that is a valid profile name.</summary>
    private static string? Name(JsonObject request)
    {
        if (request["name"] is null) return null;
        var name = Text(request, "name");
        return ProfileName.Check(name) is { } problem
            ? throw new VpnManagerException(VpnManagerErrors.BadRequest, $"invalid profile name: {problem}")
            : name;
    }

    private static string Required(string? name) =>
        name ?? throw new VpnManagerException(VpnManagerErrors.BadRequest, "'name' is required");

    private static JsonArray States(IEnumerable<VpnProfileState> states) => new(states.Select(s => (JsonNode?)StateJson.ToJson(s)).ToArray());
    private static JsonObject Ok(JsonNode? id, JsonNode? result) => new() { ["id"] = id, ["ok"] = true, ["result"] = result };
    private static JsonObject Error(JsonNode? id, string code, string message) =>
        new() { ["id"] = id, ["ok"] = false, ["error"] = new JsonObject { ["code"] = code, ["message"] = message } };

    /// <summary>Stops accepting, closes every connection and removes the socket file.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        _stop.Cancel();
        _listener?.Dispose();
        if (_acceptLoop is not null) await _acceptLoop.ConfigureAwait(false);
        try { if (_listener is not null && File.Exists(SocketPath)) File.Delete(SocketPath); }
        catch (IOException) { }
    }

    [LibraryImport("libc", EntryPoint = "umask")]
    private static partial uint Umask(uint mask);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint Geteuid();
}
