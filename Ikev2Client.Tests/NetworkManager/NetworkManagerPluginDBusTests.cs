using System.Collections.Concurrent;
using System.Diagnostics;
using FluentAssertions;
using Ikev2Client.NetworkManager;
using Ikev2Client.Profiles;
using Ikev2Client.Service;
using Tmds.DBus.Protocol;
using Xunit;

namespace Ikev2Client.Tests.NetworkManager;

/// <summary>
/// The plugin's D-Bus side as NetworkManager drives it, on a private dbus-daemon (no root): the calls NetworkManager
/// makes (NeedSecrets, ConnectInteractive, NewSecrets, Disconnect, Properties.Get) and the signals it waits for, in
/// NetworkManager's order, with a scripted connection in place of the tunnel (the real one is NetworkManagerInteropTests).
/// </summary>
[Trait("Requires", "dbus")]
public sealed class NetworkManagerPluginDBusTests
{
    private const string BusName = NmVpnConnectionSettings.ServiceType;

    private sealed class ScriptedConnection(Func<VpnConnectionInfo> connect) : IVpnConnection
    {
        public event Action<VpnConnectionEvent>? EventRaised;
        public VpnState State { get; private set; } = VpnState.Disconnected;
        public VpnConnectionStatistics Statistics => VpnConnectionStatistics.Empty;
        public int Disconnects;
        public Ikev2VpnProfile? Profile;

        public Task<VpnConnectionInfo> ConnectAsync(Ikev2VpnProfile profile, CancellationToken cancellationToken)
        {
            Profile = profile;
            var info = connect();
            State = VpnState.Connected;
            EventRaised?.Invoke(new VpnConnectionEvent.Connected(info));
            return Task.FromResult(info);
        }

        public Task DisconnectAsync()
        {
            Interlocked.Increment(ref Disconnects);
            State = VpnState.Disconnected;
            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class Factory(Func<VpnConnectionInfo> connect) : IVpnConnectionFactory
    {
        public readonly List<ScriptedConnection> Created = [];
        public IVpnConnection Create(Ikev2VpnProfile profile)
        {
            var c = new ScriptedConnection(connect);
            lock (Created) Created.Add(c);
            return c;
        }
    }

    private static readonly VpnConnectionInfo Up = new()
    {
        Gateway = "192.0.2.1:4500", InterfaceName = "ikev2tun7", VirtualAddresses = ["10.3.0.1/32"], DnsServers = ["10.1.0.53"],
    };

    private static Ikev2VpnProfile PskProfile() =>
        new Ikev2VpnProfile.Builder().SetName("lab").SetServer("192.0.2.1", 500).SetUserIdentity("client.test")
            .SetRemoteIdentity("gw.test").SetAuthPsk("right-key"u8.ToArray()).Build();

    [Fact]
    public async Task ConnectInteractive_asks_for_the_PSK_then_sends_Config_Ip4Config_and_Started_in_order_and_Disconnect_stops()
    {
        await using var bus = await PrivateBus.StartAsync();
        var factory = new Factory(() => Up);
        var log = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var service = Task.Run(() => NmVpnService.RunAsync(BusName, bus.Address, factory, log.Enqueue, TimeSpan.FromMinutes(5), stop.Token));
        using var nm = new DBusConnection(bus.Address);
        await nm.ConnectAsync();
        var signals = await Watch(nm);
        await WaitForName(nm);

        var connection = Settings(NmKeyfile.Create(PskProfile()), secrets: null);
        (await Call(nm, "NeedSecrets", connection, reply: static (Message m, object? _) => m.GetBodyReader().ReadString())).Should().Be("",
            "missing secrets are asked for with SecretsRequired during ConnectInteractive, where they can be named");
        await Call(nm, "ConnectInteractive", connection, details: true);
        await WaitFor(signals, s => s.StartsWith("SecretsRequired", StringComparison.Ordinal));
        signals.Should().Contain("SecretsRequired psk");
        factory.Created.Should().BeEmpty("nothing connects before the secret is there");

        await Call(nm, "NewSecrets", Settings(NmKeyfile.Create(PskProfile()), secrets: ("psk", "right-key")));
        await WaitFor(signals, s => s == "StateChanged 4");
        signals.Where(s => !s.StartsWith("SecretsRequired", StringComparison.Ordinal)).Should().Equal(
            ["StateChanged 3", "Config can-persist,gateway,has-ip4,has-ip6,tundev", "Ip4Config address,dns,never-default,prefix", "StateChanged 4"],
            "NetworkManager wants the generic config, then the IPv4 one, then Started");
        factory.Created.Single().Profile!.Psk.Should().Equal("right-key"u8.ToArray(), "the secret from NewSecrets is used");
        (await GetState(nm)).Should().Be((uint)NmVpnServiceState.Started);

        await Call(nm, "Disconnect", null);
        (await GetState(nm)).Should().Be((uint)NmVpnServiceState.Stopped);
        factory.Created.Single().Disconnects.Should().Be(1);
        signals.Should().EndWith(["StateChanged 5", "StateChanged 6"]);
        string.Join('\n', log).Should().NotContain("right-key", "secrets never reach the log");
        stop.Cancel();
        (await service.WaitAsync(TimeSpan.FromSeconds(20))).Should().Be(0);
    }

    [Fact]
    public async Task AUTHENTICATION_FAILED_is_Failure_LOGIN_FAILED_then_Stopped_and_the_service_exits_when_idle()
    {
        await using var bus = await PrivateBus.StartAsync();
        var factory = new Factory(() => throw new Ikev2Client.Service.VpnConnectionException(
            new VpnError(VpnErrorCategory.Ike, VpnErrorCodes.ErrorClassNotRecoverable, 24, "AUTHENTICATION_FAILED", "the gateway rejected our authentication")));
        var log = new ConcurrentQueue<string>();
        var service = Task.Run(() => NmVpnService.RunAsync(BusName, bus.Address, factory, log.Enqueue, TimeSpan.FromSeconds(2), CancellationToken.None));
        using var nm = new DBusConnection(bus.Address);
        await nm.ConnectAsync();
        var signals = await Watch(nm);
        await WaitForName(nm);

        await Call(nm, "Connect", Settings(NmKeyfile.Create(PskProfile()), secrets: ("psk", "wrong-key")));
        await WaitFor(signals, s => s == "StateChanged 6");
        signals.Should().Equal(["StateChanged 3", "Failure 0", "StateChanged 6"], "Failure(LOGIN_FAILED) comes before Stopped");
        string.Join('\n', log).Should().Contain("AUTHENTICATION_FAILED").And.NotContain("wrong-key");
        (await service.WaitAsync(TimeSpan.FromSeconds(20))).Should().Be(0, "an idle plugin exits, as NetworkManager expects");
    }

    [Fact]
    public async Task Malformed_and_wrong_state_calls_get_DBus_errors_and_the_service_keeps_serving()
    {
        await using var bus = await PrivateBus.StartAsync();
        using var stop = new CancellationTokenSource();
        var service = Task.Run(() => NmVpnService.RunAsync(BusName, bus.Address, new Factory(() => Up), _ => { }, TimeSpan.FromMinutes(5), stop.Token));
        using var nm = new DBusConnection(bus.Address);
        await nm.ConnectAsync();
        await WaitForName(nm);

        var noProfile = Settings(null, secrets: null);
        var e = await FluentActions.Awaiting(() => Call(nm, "Connect", noProfile)).Should().ThrowAsync<DBusErrorReplyException>();
        e.Which.ErrorName.Should().Be("org.freedesktop.NetworkManager.VPN.Error.BadArguments");
        e.Which.Message.Should().Contain("nm-export");
        var missing = await FluentActions.Awaiting(() => Call(nm, "Connect", Settings(NmKeyfile.Create(PskProfile()), secrets: null)))
            .Should().ThrowAsync<DBusErrorReplyException>();
        missing.Which.Message.Should().Contain("psk");
        var ns = await FluentActions.Awaiting(() => Call(nm, "NewSecrets", Settings(null, secrets: null))).Should().ThrowAsync<DBusErrorReplyException>();
        ns.Which.ErrorName.Should().EndWith("WrongState");
        (await GetState(nm)).Should().Be((uint)NmVpnServiceState.Init, "nothing was started");
        stop.Cancel();
        (await service.WaitAsync(TimeSpan.FromSeconds(20))).Should().Be(0);
    }

    // ---- NetworkManager's side ----

    private sealed record ConnectionSettings(Dictionary<string, string> Data, Dictionary<string, string> Secrets);

    private static ConnectionSettings Settings(string? keyfile, (string Key, string Value)? secrets)
    {
        var data = new Dictionary<string, string>();
        if (keyfile is not null)
        {
            var inVpn = false;
            foreach (var line in keyfile.Split('\n'))
            {
                if (line.StartsWith('[')) { inVpn = line == "[vpn]"; continue; }
                if (!inVpn || line.Length == 0) continue;
                var eq = line.IndexOf('=', StringComparison.Ordinal);
                if (line[..eq] != "service-type") data[line[..eq]] = line[(eq + 1)..].Replace(@"\\", "\\", StringComparison.Ordinal);
            }
        }
        var s = new Dictionary<string, string>();
        if (secrets is { } kv) s[kv.Key] = kv.Value;
        return new ConnectionSettings(data, s);
    }

    private static async Task<T> Call<T>(DBusConnection nm, string method, ConnectionSettings? connection, MessageValueReader<T> reply, bool details = false)
    {
        return await nm.CallMethodAsync(Message(nm, method, connection, details), reply).WaitAsync(TimeSpan.FromSeconds(20));
    }

    private static Task Call(DBusConnection nm, string method, ConnectionSettings? connection, bool details = false) =>
        nm.CallMethodAsync(Message(nm, method, connection, details)).WaitAsync(TimeSpan.FromSeconds(20));

    private static MessageBuffer Message(DBusConnection nm, string method, ConnectionSettings? connection, bool details)
    {
        var w = nm.GetMessageWriter();
        try
        {
            w.WriteMethodCallHeader(BusName, NmVpnPlugin.ObjectPath, NmVpnPlugin.Interface, method,
                connection is null ? null : details ? "a{sa{sv}}a{sv}" : "a{sa{sv}}");
            if (connection is not null)
            {
                var outer = w.WriteDictionaryStart();
                w.WriteDictionaryEntryStart();
                w.WriteString("connection");
                var c = w.WriteDictionaryStart();
                w.WriteDictionaryEntryStart(); w.WriteString("id"); w.WriteVariantString("lab");
                w.WriteDictionaryEntryStart(); w.WriteString("type"); w.WriteVariantString("vpn");
                w.WriteDictionaryEnd(c);
                w.WriteDictionaryEntryStart();
                w.WriteString("vpn");
                var v = w.WriteDictionaryStart();
                foreach (var (name, map) in new[] { ("data", connection.Data), ("secrets", connection.Secrets) })
                {
                    w.WriteDictionaryEntryStart();
                    w.WriteString(name);
                    w.WriteSignature("a{ss}");
                    var d = w.WriteDictionaryStart();
                    foreach (var (k, val) in map) { w.WriteDictionaryEntryStart(); w.WriteString(k); w.WriteString(val); }
                    w.WriteDictionaryEnd(d);
                }
                w.WriteDictionaryEnd(v);
                w.WriteDictionaryEnd(outer);
                if (details)
                {
                    var d = w.WriteDictionaryStart();
                    w.WriteDictionaryEnd(d);
                }
            }
            return w.CreateMessage();
        }
        finally
        {
            w.Dispose();
        }
    }

    private static async Task<uint> GetState(DBusConnection nm)
    {
        var w = nm.GetMessageWriter();
        MessageBuffer m;
        try
        {
            w.WriteMethodCallHeader(BusName, NmVpnPlugin.ObjectPath, "org.freedesktop.DBus.Properties", "Get", "ss");
            w.WriteString(NmVpnPlugin.Interface);
            w.WriteString("State");
            m = w.CreateMessage();
        }
        finally
        {
            w.Dispose();
        }
        return await nm.CallMethodAsync(m, static (Message r, object? _) => r.GetBodyReader().ReadVariantValue().GetUInt32()).WaitAsync(TimeSpan.FromSeconds(20));
    }

    /// <summary>Every signal of the plugin interface as "Member args" (dictionary keys sorted).</summary>
    private static async Task<ConcurrentQueueList> Watch(DBusConnection nm)
    {
        var list = new ConcurrentQueueList();
        await nm.AddMatchAsync(new MatchRule { Type = MessageType.Signal, Interface = NmVpnPlugin.Interface },
            static (Message m, object? _) => Describe(m),
            n => { if (n.HasValue) list.Add(n.Value); },
            false, ObserverFlags.None, null);
        return list;
    }

    private static string Describe(Message m)
    {
        var r = m.GetBodyReader();
        return m.SignatureAsString switch
        {
            "u" => $"{m.MemberAsString} {r.ReadUInt32()}",
            "a{sv}" => $"{m.MemberAsString} {string.Join(",", r.ReadDictionaryOfStringToVariantValue().Keys.Order(StringComparer.Ordinal))}",
            "sas" => $"{m.MemberAsString} {(r.ReadString() is var _ ? string.Join(",", r.ReadArrayOfString()) : "")}",
            _ => m.MemberAsString ?? "?",
        };
    }

    private sealed class ConcurrentQueueList : List<string>
    {
        public new void Add(string s) { lock (this) base.Add(s); }
        public string[] Snapshot() { lock (this) return [.. this]; }
    }

    private static async Task WaitFor(ConcurrentQueueList signals, Func<string, bool> what)
    {
        var sw = Stopwatch.StartNew();
        while (!signals.Snapshot().Any(what))
        {
            if (sw.Elapsed > TimeSpan.FromSeconds(20)) throw new TimeoutException("signals so far: " + string.Join(" | ", signals.Snapshot()));
            await Task.Delay(50);
        }
    }

    private static async Task WaitForName(DBusConnection nm)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            var w = nm.GetMessageWriter();
            MessageBuffer m;
            try
            {
                w.WriteMethodCallHeader("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameHasOwner", "s");
                w.WriteString(BusName);
                m = w.CreateMessage();
            }
            finally
            {
                w.Dispose();
            }
            if (await nm.CallMethodAsync(m, static (Message r, object? _) => r.GetBodyReader().ReadBool())) return;
            if (sw.Elapsed > TimeSpan.FromSeconds(20)) throw new TimeoutException("the plugin did not take its bus name");
            await Task.Delay(50);
        }
    }
}

/// <summary>A dbus-daemon on a socket in a temporary directory, for tests that need a bus but not root.</summary>
internal sealed class PrivateBus : IAsyncDisposable
{
    private readonly string _dir;
    private readonly Process _process;

    private PrivateBus(string dir, Process process)
    {
        _dir = dir;
        _process = process;
    }

    public string Address => "unix:path=" + Path.Combine(_dir, "bus.sock");

    public static async Task<PrivateBus> StartAsync()
    {
        var dir = Path.Combine(Path.GetTempPath(), "ikv2bus-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "bus.conf"), $"""
            <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
            <busconfig>
              <type>session</type>
              <listen>unix:path={Path.Combine(dir, "bus.sock")}</listen>
              <auth>EXTERNAL</auth>
              <policy context="default">
                <allow own="*"/>
                <allow send_destination="*" eavesdrop="true"/>
                <allow eavesdrop="true"/>
              </policy>
            </busconfig>
            """);
        Process p;
        try
        {
            p = Process.Start(new ProcessStartInfo("dbus-daemon", ["--nofork", "--nopidfile", $"--config-file={Path.Combine(dir, "bus.conf")}"])
            { RedirectStandardError = true, RedirectStandardOutput = true })!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("dbus-daemon is not installed (Debian package dbus-daemon): " + e.Message, e);
        }
        var bus = new PrivateBus(dir, p);
        var sw = Stopwatch.StartNew();
        while (!File.Exists(Path.Combine(dir, "bus.sock")))
        {
            if (p.HasExited || sw.Elapsed > TimeSpan.FromSeconds(10))
            {
                await bus.DisposeAsync();
                throw new InvalidOperationException("the private dbus-daemon did not start: " + (p.HasExited ? p.StandardError.ReadToEnd() : "timeout"));
            }
            await Task.Delay(20);
        }
        return bus;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Kill();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
