using System.Text;
using Ikev2Client.Profiles;
using Ikev2Client.Service;
using Tmds.DBus.Protocol;

namespace Ikev2Client.NetworkManager;

/// <summary>NetworkManager's <c>NMVpnServiceState</c>.</summary>
public enum NmVpnServiceState : uint
{
    /// <summary>Unknown.</summary>
    Unknown = 0,
    /// <summary>Initialised, idle.</summary>
    Init = 1,
    /// <summary>Not used.</summary>
    Shutdown = 2,
    /// <summary>Connecting.</summary>
    Starting = 3,
    /// <summary>Connected; the configuration was sent.</summary>
    Started = 4,
    /// <summary>Disconnecting.</summary>
    Stopping = 5,
    /// <summary>Disconnected.</summary>
    Stopped = 6,
}

/// <summary>NetworkManager's <c>NMVpnPluginFailure</c> (the Failure signal's argument).</summary>
public enum NmVpnPluginFailure : uint
{
    /// <summary>Authentication failed (NetworkManager: "the VPN login failed").</summary>
    LoginFailed = 0,
    /// <summary>The connection could not be made or was lost.</summary>
    ConnectFailed = 1,
    /// <summary>The IP configuration was unusable.</summary>
    BadIpConfig = 2,
}

/// <summary>
/// The NetworkManager VPN plugin: <c>org.freedesktop.NetworkManager.VPN.Plugin</c> at
/// <c>/org/freedesktop/NetworkManager/VPN/Plugin</c>, on the bus name of the <c>.name</c> file. NetworkManager starts
/// this process (<c>ikev2 nm-service</c>) when a connection of our service type is activated, asks
/// <c>NeedSecrets</c>, calls <c>Connect</c> with the connection (our profile in <c>vpn.data</c>, its secrets in
/// <c>vpn.secrets</c>) and waits for <c>Config</c>, <c>Ip4Config</c>/<c>Ip6Config</c> and the state Started; a failure
/// is the <c>Failure</c> signal followed by the state Stopped. The tunnel is the service's own connection
/// (<see cref="IVpnConnectionFactory"/>: IKE, liveness, rekeys, MOBIKE, TUN and routes); see docs/networkmanager.md.
/// </summary>
public sealed class NmVpnPlugin : IPathMethodHandler
{
    /// <summary>The object path NetworkManager calls.</summary>
    public const string ObjectPath = "/org/freedesktop/NetworkManager/VPN/Plugin";
    /// <summary>The interface.</summary>
    public const string Interface = "org.freedesktop.NetworkManager.VPN.Plugin";
    private const string ErrorPrefix = "org.freedesktop.NetworkManager.VPN.Error.";

    private readonly IVpnConnectionFactory _factory;
    private readonly Action<string> _log;
    private readonly object _gate = new();
    private DBusConnection? _bus;
    private IVpnConnection? _connection;
    private CancellationTokenSource? _connectCancel;
    private NmVpnConnectionSettings? _pending;
    private NmVpnServiceState _state = NmVpnServiceState.Init;
    private int _generation;

    private readonly Func<string, Ikev2VpnProfile>? _loadStored;

    /// <summary>
    /// Creates the plugin; <paramref name="log"/> gets one line per event (never a secret); <paramref name="loadStored"/>
    /// loads a profile (with its secrets) from the plugin's store for <c>store-profile</c> connections.
    /// </summary>
    public NmVpnPlugin(IVpnConnectionFactory factory, Action<string> log, Func<string, Ikev2VpnProfile>? loadStored = null)
    {
        _factory = factory;
        _log = log;
        _loadStored = loadStored;
    }

    /// <summary>Raised (outside any lock) whenever the state changes.</summary>
    public event Action<NmVpnServiceState>? StateChanged;

    /// <summary>The current state.</summary>
    public NmVpnServiceState State { get { lock (_gate) return _state; } }

    string IPathMethodHandler.Path => ObjectPath;
    bool IPathMethodHandler.HandlesChildPaths => false;

    /// <summary>Serves on <paramref name="bus"/> (call before requesting the bus name).</summary>
    public void Attach(DBusConnection bus)
    {
        _bus = bus;
        bus.AddMethodHandler(this);
    }

    /// <inheritdoc/>
    public async ValueTask HandleMethodAsync(MethodContext context)
    {
        var request = context.Request;
        var iface = request.InterfaceAsString;
        var member = request.MemberAsString;
        if (context.IsDBusIntrospectRequest)
        {
            context.ReplyIntrospectXml([IntrospectionXml]);
            return;
        }
        try
        {
            if (iface == "org.freedesktop.DBus.Properties")
            {
                HandleProperties(context, member);
                return;
            }
            if (iface is not (null or Interface))
            {
                context.ReplyUnknownMethodError();
                return;
            }
            switch (member)
            {
                case "Connect" when request.SignatureAsString == "a{sa{sv}}":
                    Connect(context, ReadConnection(request), interactive: false);
                    break;
                case "ConnectInteractive" when request.SignatureAsString == "a{sa{sv}}a{sv}":
                    Connect(context, ReadConnection(request), interactive: true);
                    break;
                case "NeedSecrets" when request.SignatureAsString == "a{sa{sv}}":
                    {
                        // Always "none now": missing secrets are asked for during ConnectInteractive with SecretsRequired,
                        // whose hints name each one (nmcli's agent and passwd-file serve named VPN secrets only).
                        var settings = ReadConnection(request);
                        var missing = settings.MissingSecrets;
                        _log(missing.Count > 0 ? $"'{settings.Id}' will ask for: {string.Join(", ", missing)}" : $"'{settings.Id}' has the secrets it needs");
                        using var w = context.CreateReplyWriter("s");
                        w.WriteString("");
                        context.Reply(w.CreateMessage());
                        break;
                    }
                case "NewSecrets" when request.SignatureAsString == "a{sa{sv}}":
                    NewSecrets(context, ReadConnection(request));
                    break;
                case "Disconnect":
                    await DisconnectAsync().ConfigureAwait(false);
                    ReplyEmpty(context);
                    break;
                case "SetConfig" or "SetIp4Config" or "SetIp6Config" when request.SignatureAsString == "a{sv}":
                    {
                        // For helper processes (libnm's plugins): the dictionary is passed on as the matching signal.
                        var dict = request.GetBodyReader().ReadDictionaryOfStringToVariantValue();
                        EmitDictionary(member["Set".Length..], dict);
                        ReplyEmpty(context);
                        break;
                    }
                case "SetFailure" when request.SignatureAsString == "s":
                    _log("a helper reported a failure: " + SafeText.Line(request.GetBodyReader().ReadString(), 200));
                    ReplyEmpty(context);
                    Fail(NmVpnPluginFailure.ConnectFailed, _generation);
                    break;
                default:
                    context.ReplyUnknownMethodError();
                    break;
            }
        }
        catch (NmPluginException e)
        {
            _log($"{member}: {e.Message}");
            if (!context.ReplySent && !context.NoReplyExpected) context.ReplyError(ErrorPrefix + e.ErrorName, e.Message);
        }
        catch (Exception e) when (e is DBusReadException or DBusUnexpectedValueException or InvalidDataException or InvalidOperationException or IndexOutOfRangeException or ArgumentException)
        {
            _log($"{member}: malformed request ({e.GetType().Name})");
            if (!context.ReplySent && !context.NoReplyExpected) context.ReplyError(ErrorPrefix + "BadArguments", "malformed request: " + SafeText.Line(e.Message, 200));
        }
    }

    /// <summary>
    /// Starts a connection (the reply goes out at once; the outcome comes as signals). Interactively, missing secrets are
    /// asked for with SecretsRequired (hints: their names) and the connection starts on NewSecrets.
    /// </summary>
    private void Connect(MethodContext context, NmVpnConnectionSettings settings, bool interactive)
    {
        var missing = settings.MissingSecrets;
        if (missing.Count > 0 && !interactive)
            throw new NmPluginException("BadArguments", $"'{settings.Id}' is missing the secret(s) {string.Join(", ", missing)}");
        var profile = missing.Count > 0 ? null : ProfileOf(settings);
        int generation;
        lock (_gate)
        {
            if (_state is NmVpnServiceState.Starting or NmVpnServiceState.Started or NmVpnServiceState.Stopping)
                throw new NmPluginException(_state == NmVpnServiceState.Stopping ? "StoppingInProgress" : "AlreadyStarted", $"the plugin is {_state}");
            generation = ++_generation;
            _connectCancel = new CancellationTokenSource();
            _pending = missing.Count > 0 ? settings : null;
        }
        SetState(NmVpnServiceState.Starting, generation);
        ReplyEmpty(context);
        if (profile is null)
        {
            _log($"'{settings.Id}' asks for: {string.Join(", ", missing)}");
            Signal("SecretsRequired", "sas", (ref MessageWriter w) =>
            {
                w.WriteString($"The VPN connection '{settings.Id}' needs: {string.Join(", ", missing)}");
                w.WriteArray(missing.ToArray());
            });
            return;
        }
        Start(settings, profile, generation);
    }

    /// <summary>The secrets asked for with SecretsRequired: merged into the pending connection, which then starts.</summary>
    private void NewSecrets(MethodContext context, NmVpnConnectionSettings update)
    {
        NmVpnConnectionSettings pending;
        int generation;
        lock (_gate)
        {
            pending = _pending ?? throw new NmPluginException("WrongState", "no secrets were asked for");
            _pending = null;
            generation = _generation;
        }
        var secrets = new Dictionary<string, string>(pending.Secrets);
        foreach (var (k, v) in update.Secrets) secrets[k] = v;
        var settings = pending with { Secrets = secrets };
        ReplyEmpty(context);
        if (settings.MissingSecrets is { Count: > 0 } still)
        {
            _log($"'{settings.Id}': still missing {string.Join(", ", still)}");
            Fail(NmVpnPluginFailure.LoginFailed, generation);
            return;
        }
        Ikev2VpnProfile profile;
        try { profile = ProfileOf(settings); }
        catch (NmPluginException e)
        {
            _log(e.Message);
            Fail(NmVpnPluginFailure.ConnectFailed, generation);
            return;
        }
        Start(settings, profile, generation);
    }

    private Ikev2VpnProfile ProfileOf(NmVpnConnectionSettings settings)
    {
        try { return settings.ToProfile(_loadStored); }
        catch (Exception e) when (e is ProfileImportException or ProfileValidationException or ProfileStoreException)
        {
            throw new NmPluginException("BadArguments", SafeText.Line(e.Message, 400));
        }
    }

    private void Start(NmVpnConnectionSettings settings, Ikev2VpnProfile profile, int generation)
    {
        CancellationToken cancel;
        lock (_gate)
        {
            if (generation != _generation || _connectCancel is null) return;
            cancel = _connectCancel.Token;
        }
        _log($"connecting '{settings.Id}' (profile '{profile.Name}', gateway {profile.ServerAddr}:{profile.ServerPort})");
        // The engine connects on the calling thread (and keeps its sockets and TUN in this thread's namespace): a thread of its own.
        var thread = new Thread(() => RunConnection(profile, generation, cancel)) { IsBackground = true, Name = "nm-connect" };
        thread.Start();
    }

    private void RunConnection(Ikev2VpnProfile profile, int generation, CancellationToken cancel)
    {
        var connection = _factory.Create(profile);
        lock (_gate)
        {
            if (generation != _generation)
            {
                connection.DisposeAsync().AsTask().GetAwaiter().GetResult();
                return;
            }
            _connection = connection;
        }
        connection.EventRaised += e => OnEvent(e, generation);
        try
        {
            var info = connection.ConnectAsync(profile, cancel).GetAwaiter().GetResult();
            var config = NmIpConfig.From(info);
            lock (_gate) if (generation != _generation || _state != NmVpnServiceState.Starting) return;
            Emit("Config", config.Config);
            if (config.Ip4 is { } ip4) Emit("Ip4Config", ip4);
            if (config.Ip6 is { } ip6) Emit("Ip6Config", ip6);
            _log($"connected: {info.InterfaceName}, {string.Join(", ", info.VirtualAddresses)}, DNS {string.Join(", ", info.DnsServers)}");
            SetState(NmVpnServiceState.Started, generation);
        }
        catch (VpnConnectionException e)
        {
            _log("connection failed: " + e.Error);
            Fail(FailureOf(e.Error), generation);
        }
        catch (OperationCanceledException)
        {
            _log("connection attempt cancelled");
        }
        catch (Exception e) when (e is FormatException or ArgumentException or IOException)
        {
            _log($"connection failed: {SafeText.Line(e.Message, 300)}");
            Fail(NmVpnPluginFailure.BadIpConfig, generation);
        }
    }

    private void OnEvent(VpnConnectionEvent e, int generation)
    {
        switch (e)
        {
            case VpnConnectionEvent.Connecting c: _log("progress: " + c.Step); break;
            case VpnConnectionEvent.Degraded d: _log("degraded: " + d.Reason); break;
            case VpnConnectionEvent.Restored: _log("restored"); break;
            case VpnConnectionEvent.Failed f when State == NmVpnServiceState.Started:
                _log("connection lost: " + f.Error);
                Fail(FailureOf(f.Error), generation);
                break;
            case VpnConnectionEvent.Disconnected d when State == NmVpnServiceState.Started:
                _log($"disconnected ({(d.ByPeer ? "by the gateway" : "locally")}): {d.Reason}");
                if (d.ByPeer) Fail(NmVpnPluginFailure.ConnectFailed, generation);
                break;
        }
    }

    /// <summary>Failure signal, then the connection is removed and the state becomes Stopped.</summary>
    private void Fail(NmVpnPluginFailure failure, int generation)
    {
        lock (_gate) if (generation != _generation || _state is NmVpnServiceState.Stopped or NmVpnServiceState.Init) return;
        Signal("Failure", "u", (ref MessageWriter w) => w.WriteUInt32((uint)failure));
        _ = Task.Run(async () =>
        {
            await TearDownAsync(generation, graceful: false).ConfigureAwait(false);
            SetState(NmVpnServiceState.Stopped, generation);
        });
    }

    /// <summary>NetworkManager's Disconnect: DELETE the IKE SA, remove the TUN and routes, Stopped.</summary>
    public async Task DisconnectAsync()
    {
        int generation;
        lock (_gate)
        {
            if (_state is NmVpnServiceState.Init or NmVpnServiceState.Stopped) return;
            generation = _generation;
        }
        SetState(NmVpnServiceState.Stopping, generation);
        await TearDownAsync(generation, graceful: true).ConfigureAwait(false);
        _log("disconnected"); // before Stopped: NetworkManager (and nmcli down) may finish as soon as it sees that
        SetState(NmVpnServiceState.Stopped, generation);
    }

    private async Task TearDownAsync(int generation, bool graceful)
    {
        IVpnConnection? connection;
        lock (_gate)
        {
            if (generation != _generation) return;
            connection = _connection;
            _connection = null;
            _pending = null;
            _connectCancel?.Cancel();
        }
        if (connection is null) return;
        try
        {
            if (graceful) await connection.DisconnectAsync().ConfigureAwait(false);
        }
        finally
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The NetworkManager failure for one of our errors.</summary>
    public static NmVpnPluginFailure FailureOf(VpnError error) => error switch
    {
        { Category: VpnErrorCategory.Ike, ErrorCode: 24 } => NmVpnPluginFailure.LoginFailed, // AUTHENTICATION_FAILED
        { Category: VpnErrorCategory.Profile } => NmVpnPluginFailure.LoginFailed,             // credentials missing
        { Category: VpnErrorCategory.Ike, ErrorCode: 36 } => NmVpnPluginFailure.BadIpConfig, // INTERNAL_ADDRESS_FAILURE
        _ => NmVpnPluginFailure.ConnectFailed,
    };

    private void SetState(NmVpnServiceState state, int generation)
    {
        lock (_gate)
        {
            if (generation != _generation || _state == state) return;
            _state = state;
        }
        _log("state: " + state);
        Signal("StateChanged", "u", (ref MessageWriter w) => w.WriteUInt32((uint)state));
        StateChanged?.Invoke(state);
    }

    private void HandleProperties(MethodContext context, string? member)
    {
        var reader = context.Request.GetBodyReader();
        switch (member)
        {
            case "Get":
                {
                    var iface = reader.ReadString();
                    var name = reader.ReadString();
                    if (iface != Interface || name != "State")
                        throw new NmPluginException("BadArguments", $"no property {iface}.{name}");
                    using var w = context.CreateReplyWriter("v");
                    w.WriteVariantUInt32((uint)State);
                    context.Reply(w.CreateMessage());
                    break;
                }
            case "GetAll":
                {
                    var iface = reader.ReadString();
                    using var w = context.CreateReplyWriter("a{sv}");
                    var dict = w.WriteDictionaryStart();
                    if (iface == Interface)
                    {
                        w.WriteDictionaryEntryStart();
                        w.WriteString("State");
                        w.WriteVariantUInt32((uint)State);
                    }
                    w.WriteDictionaryEnd(dict);
                    context.Reply(w.CreateMessage());
                    break;
                }
            default:
                context.ReplyError("org.freedesktop.DBus.Error.PropertyReadOnly", "the plugin's properties are read-only");
                break;
        }
    }

    private static NmVpnConnectionSettings ReadConnection(Message request)
    {
        var reader = request.GetBodyReader();
        string id = "", uuid = "";
        IReadOnlyDictionary<string, string> data = new Dictionary<string, string>(), secrets = new Dictionary<string, string>();
        var settings = reader.ReadDictionaryStart();
        while (reader.HasNext(settings))
        {
            reader.AlignStruct();
            var name = reader.ReadString();
            var props = reader.ReadDictionaryOfStringToVariantValue();
            if (name == "connection")
            {
                if (props.TryGetValue("id", out var v) && v.Type == VariantValueType.String) id = v.GetString();
                if (props.TryGetValue("uuid", out var u) && u.Type == VariantValueType.String) uuid = u.GetString();
            }
            else if (name == "vpn")
            {
                if (props.TryGetValue("data", out var d)) data = StringMap(d);
                if (props.TryGetValue("secrets", out var s)) secrets = StringMap(s);
            }
        }
        return new NmVpnConnectionSettings(SafeText.Line(id, 200), uuid, data, secrets);
    }

    private static Dictionary<string, string> StringMap(VariantValue v) =>
        v.Type == VariantValueType.Dictionary && v.KeyType == VariantValueType.String && v.ValueType == VariantValueType.String
            ? v.GetDictionary<string, string>()
            : throw new NmPluginException("BadArguments", "vpn.data and vpn.secrets must be string dictionaries (a{ss})");

    private static void ReplyEmpty(MethodContext context)
    {
        if (context.NoReplyExpected) return;
        using var w = context.CreateReplyWriter(null);
        context.Reply(w.CreateMessage());
    }

    private void Emit(string signal, IReadOnlyDictionary<string, NmValue> values) => Signal(signal, "a{sv}", (ref MessageWriter w) =>
    {
        var dict = w.WriteDictionaryStart();
        foreach (var (key, value) in values)
        {
            w.WriteDictionaryEntryStart();
            w.WriteString(key);
            WriteVariant(ref w, value);
        }
        w.WriteDictionaryEnd(dict);
    });

    private void EmitDictionary(string signal, Dictionary<string, VariantValue> values) =>
        Signal(signal, "a{sv}", (ref MessageWriter w) => w.WriteDictionary(values));

    /// <summary>Writes one NetworkManager value as a D-Bus variant (signature, then the value).</summary>
    internal static void WriteVariant(ref MessageWriter w, NmValue value)
    {
        switch (value)
        {
            case NmValue.UInt32 u: w.WriteVariantUInt32(u.Value); break;
            case NmValue.Bool b: w.WriteVariantBool(b.Value); break;
            case NmValue.Text s: w.WriteVariantString(s.Value); break;
            case NmValue.UInt32Array a: w.WriteSignature("au"); w.WriteArray(a.Value.ToArray()); break;
            case NmValue.TextArray a: w.WriteSignature("as"); w.WriteArray(a.Value.ToArray()); break;
            case NmValue.Bytes a: w.WriteSignature("ay"); w.WriteArray(a.Value); break;
            case NmValue.BytesArray a:
                {
                    w.WriteSignature("aay");
                    var array = w.WriteArrayStart(DBusType.Array);
                    foreach (var item in a.Value) w.WriteArray(item);
                    w.WriteArrayEnd(array);
                    break;
                }
            default: throw new ArgumentException("unknown value type", nameof(value));
        }
    }

    private void Signal(string member, string signature, BodyWriter body)
    {
        if (_bus is not { } bus) return;
        var w = bus.GetMessageWriter();
        try
        {
            w.WriteSignalHeader(null, ObjectPath, Interface, member, signature);
            body(ref w);
            bus.TrySendMessage(w.CreateMessage());
        }
        finally
        {
            w.Dispose();
        }
    }

    private static readonly ReadOnlyMemory<byte> IntrospectionXml = Encoding.UTF8.GetBytes("""
        <interface name="org.freedesktop.NetworkManager.VPN.Plugin">
          <method name="Connect"><arg name="connection" type="a{sa{sv}}" direction="in"/></method>
          <method name="ConnectInteractive"><arg name="connection" type="a{sa{sv}}" direction="in"/><arg name="details" type="a{sv}" direction="in"/></method>
          <method name="NeedSecrets"><arg name="settings" type="a{sa{sv}}" direction="in"/><arg name="setting_name" type="s" direction="out"/></method>
          <method name="Disconnect"/>
          <method name="SetConfig"><arg name="config" type="a{sv}" direction="in"/></method>
          <method name="SetIp4Config"><arg name="config" type="a{sv}" direction="in"/></method>
          <method name="SetIp6Config"><arg name="config" type="a{sv}" direction="in"/></method>
          <method name="SetFailure"><arg name="reason" type="s" direction="in"/></method>
          <method name="NewSecrets"><arg name="connection" type="a{sa{sv}}" direction="in"/></method>
          <property name="State" type="u" access="read"/>
          <signal name="StateChanged"><arg name="state" type="u"/></signal>
          <signal name="SecretsRequired"><arg name="message" type="s"/><arg name="secrets" type="as"/></signal>
          <signal name="Config"><arg name="config" type="a{sv}"/></signal>
          <signal name="Ip4Config"><arg name="ip4config" type="a{sv}"/></signal>
          <signal name="Ip6Config"><arg name="ip6config" type="a{sv}"/></signal>
          <signal name="LoginBanner"><arg name="banner" type="s"/></signal>
          <signal name="Failure"><arg name="reason" type="u"/></signal>
        </interface>
        """);
}

/// <summary>Writes a message body (by reference: <see cref="MessageWriter"/> is a struct that tracks its position).</summary>
internal delegate void BodyWriter(ref MessageWriter writer);

/// <summary>A request the plugin refuses: the D-Bus error <c>org.freedesktop.NetworkManager.VPN.Error.NAME</c>.</summary>
public sealed class NmPluginException(string errorName, string message) : Exception(message)
{
    /// <summary>The error's last name component (BadArguments, AlreadyStarted, ...).</summary>
    public string ErrorName { get; } = errorName;
}
