using System.CommandLine;
using System.Text.Json.Nodes;
using Ikev2Client.Connection;
using Ikev2Client.Profiles;
using Ikev2Client.Service;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Ikev2Client.Cli;

/// <summary>
/// <c>connect</c>, <c>disconnect</c>, <c>toggle</c>, <c>status</c> and <c>daemon</c>: the VPN service from the
/// command line. Exit codes are <see cref="ServiceExitCodes"/>.
/// </summary>
public static class ServiceCommands
{
    /// <summary>The commands with the default store, socket and connection factory.</summary>
    public static IReadOnlyList<Command> Create() => Create(new ServiceCliOptions());

    /// <summary>The commands over the given options (tests).</summary>
    public static IReadOnlyList<Command> Create(ServiceCliOptions options) =>
        [ConnectCommand(options), DisconnectCommand(options), ToggleCommand(options), StatusCommand(options), DaemonCommand(options)];

    private static Command ConnectCommand(ServiceCliOptions o)
    {
        var target = new Argument<string>("NAME|FILE") { Description = "A stored profile, or a profile file in any import format (not stored)" };
        CompletionCommand.CompleteProfileNames(target, o.Store);
        var foreground = new Option<bool>("--foreground") { Description = "Run the connection in this process until Ctrl-C instead of in the service" };
        var json = new Option<bool>("--json") { Description = "Print the resulting state as JSON" };
        var fullTunnel = new Option<bool>("--full-tunnel") { Description = "--foreground: route all traffic into the tunnel" };
        var noDns = new Option<bool>("--no-dns") { Description = "--foreground: do not apply the VPN's DNS servers to the system resolver (they are applied by default)" };
        var applyDns = new Option<bool>("--apply-dns") { Description = "(the default now; kept for old scripts)", Hidden = true };
        var stats = new Option<bool>("--stats") { Description = "--foreground: print traffic counters on exit" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "--foreground: log what the connection does, IKE messages included (debug level; on stderr)" };
        var savePassword = new Option<bool>("--save-password")
        {
            Description = "Store what is asked on the terminal (a password the profile was imported without) with the profile, mode 0600; "
                + "without it the answer serves this connection only",
        };
        var cmd = new Command("connect", "Connect a profile (asking on the terminal for a password it lacks); exits 0 once CONNECTED")
            { target, foreground, json, fullTunnel, noDns, applyDns, stats, savePassword, verbose };
        cmd.SetAction((pr, token) => Guard(pr, async () =>
        {
            // Ctrl-C stops the attempt (and a password question, putting the terminal's echo back) instead of killing us.
            using var interrupts = Interrupts.Cancel(token);
            var ct = interrupts.Token;
            var (profile, name) = Resolve(pr.GetValue(target)!);
            if (pr.GetValue(savePassword)) CheckCanSave(o.Store(), profile, name);
            var prompt = new TerminalCredentialPrompt(save: pr.GetValue(savePassword));
            if (pr.GetValue(foreground))
            {
                var store0 = o.Store();
                var settings = new Connection.ProfileConnectionSettings
                {
                    ForceFullTunnel = pr.GetValue(fullTunnel), Dns = pr.GetValue(noDns) ? Connection.DnsMode.Off : Connection.DnsMode.System,
                    StateDirectory = ServicePaths.NetworkStateDirectory(store0),
                };
                return await ForegroundAsync(pr, o, profile, name, pr.GetValue(json), settings, pr.GetValue(stats), pr.GetValue(verbose), prompt, ct);
            }
            var store = o.Store();
            var client = await EnsureServiceAsync(o, store, ct);
            return await StartAndReportAsync(pr, o, client, profile, name, pr.GetValue(json), prompt, ct);
        }));
        return cmd;
    }

    private static Command DisconnectCommand(ServiceCliOptions o)
    {
        var name = new Argument<string?>("NAME") { Description = "The profile (default: every profile)", Arity = ArgumentArity.ZeroOrOne };
        CompletionCommand.CompleteProfileNames(name, o.Store);
        var json = new Option<bool>("--json") { Description = "Print the final states as JSON" };
        var cmd = new Command("disconnect", "Disconnect a profile (or all)") { name, json };
        cmd.SetAction((pr, ct) => Guard(pr, async () =>
        {
            var client = new VpnManagerClient(o.SocketPath(o.Store()));
            IReadOnlyList<VpnProfileState> states;
            try { states = await client.StopProvisionedVpnProfileAsync(pr.GetValue(name), ct); }
            catch (VpnManagerException e) when (e.Code == VpnManagerErrors.Unavailable)
            {
                if (pr.GetValue(json)) pr.InvocationConfiguration.Output.WriteLine("[]");
                else pr.InvocationConfiguration.Output.WriteLine("No ikev2 service is running; nothing to disconnect.");
                return ServiceExitCodes.Ok;
            }
            var output = pr.InvocationConfiguration.Output;
            if (pr.GetValue(json)) output.WriteLine(new JsonArray(states.Select(s => (JsonNode?)StateJson.ToJson(s)).ToArray()).ToJsonString());
            else if (states.Count == 0) output.WriteLine("Nothing to disconnect.");
            else foreach (var s in states) output.WriteLine($"'{s.Name}': {s.State.ToWire()}");
            return ServiceExitCodes.Ok;
        }));
        return cmd;
    }

    private static Command ToggleCommand(ServiceCliOptions o)
    {
        var name = new Argument<string>("NAME");
        CompletionCommand.CompleteProfileNames(name, o.Store);
        var json = new Option<bool>("--json") { Description = "Print the resulting state as JSON" };
        var cmd = new Command("toggle", "Disconnect the profile if it is up (or trying), connect it otherwise") { name, json };
        cmd.SetAction((pr, token) => Guard(pr, async () =>
        {
            using var interrupts = Interrupts.Cancel(token);
            var ct = interrupts.Token;
            var profileName = pr.GetValue(name)!;
            if (ProfileName.Check(profileName) is { } problem) throw new VpnManagerException(VpnManagerErrors.BadRequest, $"invalid profile name: {problem}");
            var client = await EnsureServiceAsync(o, o.Store(), ct);
            var state = await client.GetProvisionedVpnProfileStateAsync(profileName, ct);
            if (IsActive(state))
            {
                var final = (await client.StopProvisionedVpnProfileAsync(profileName, ct)).FirstOrDefault() ?? state;
                var output = pr.InvocationConfiguration.Output;
                if (pr.GetValue(json)) output.WriteLine(StateJson.ToJson(final).ToJsonString());
                else output.WriteLine($"'{profileName}': {final.State.ToWire()}");
                return ServiceExitCodes.Ok;
            }
            return await StartAndReportAsync(pr, o, client, null, profileName, pr.GetValue(json), new TerminalCredentialPrompt(save: false), ct);
        }));
        return cmd;
    }

    private static Command StatusCommand(ServiceCliOptions o)
    {
        var name = new Argument<string?>("NAME") { Description = "One profile (default: all)", Arity = ArgumentArity.ZeroOrOne };
        CompletionCommand.CompleteProfileNames(name, o.Store);
        var json = new Option<bool>("--json") { Description = "JSON: an object for NAME, else an array; with --watch one state per line" };
        var watch = new Option<bool>("--watch") { Description = "Keep printing every change until Ctrl-C" };
        var cmd = new Command("status", "Show connection state, gateway, addresses, algorithms, SPIs, traffic, next rekey") { name, json, watch };
        cmd.SetAction((pr, ct) => Guard(pr, async () =>
        {
            var client = new VpnManagerClient(o.SocketPath(o.Store()));
            var output = pr.InvocationConfiguration.Output;
            var only = pr.GetValue(name);
            if (pr.GetValue(watch))
            {
                try
                {
                    await foreach (var s in client.SubscribeAsync(only, ct))
                        output.WriteLine(pr.GetValue(json) ? StateJson.ToJson(s).ToJsonString() : StatusRenderer.Line(s));
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
                return ServiceExitCodes.Ok;
            }
            IReadOnlyList<VpnProfileState> states;
            try { states = only is null ? await client.GetAllVpnProfileStatesAsync(ct) : [await client.GetProvisionedVpnProfileStateAsync(only, ct)]; }
            catch (VpnManagerException e) when (e.NotRunning)
            {
                // No service, so nothing is connected: an answer, not an error.
                if (only is null)
                {
                    output.WriteLine(pr.GetValue(json) ? "[]" : "No connections (the ikev2 service is not running).");
                    return ServiceExitCodes.Ok;
                }
                states = [Idle(o.Store(), only)];
                if (!pr.GetValue(json))
                {
                    output.WriteLine($"'{only}': {states[0].State.ToWire()} (the ikev2 service is not running).");
                    return ServiceExitCodes.Ok;
                }
            }
            if (pr.GetValue(json))
            {
                output.WriteLine(only is null
                    ? new JsonArray(states.Select(s => (JsonNode?)StateJson.ToJson(s)).ToArray()).ToJsonString()
                    : StateJson.ToJson(states[0]).ToJsonString());
                return ServiceExitCodes.Ok;
            }
            var console = Ansi(output);
            if (states.Count == 0) output.WriteLine("No profiles.");
            else if (only is not null || states.Count == 1) StatusRenderer.Detail(console, states[0], DateTimeOffset.UtcNow);
            else
            {
                StatusRenderer.Summary(console, states, DateTimeOffset.UtcNow);
                foreach (var s in states.Where(s => s.State == VpnState.Connected)) StatusRenderer.Detail(console, s, DateTimeOffset.UtcNow);
            }
            return ServiceExitCodes.Ok;
        }));
        return cmd;
    }

    private static Command DaemonCommand(ServiceCliOptions o)
    {
        var foreground = new Option<bool>("--foreground") { Description = "Run in this process (log to stderr) until SIGTERM" };
        var noAlwaysOn = new Option<bool>("--no-always-on") { Description = "Do not start always-on profiles" };
        var noDns = new Option<bool>("--no-dns") { Description = "Do not apply the VPN's DNS servers to the system resolver (they are applied by default)" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log debug events too (IKE messages, SA changes)" };
        var cmd = new Command("daemon", "Run the ikev2 service (started in the background by default)") { foreground, noAlwaysOn, noDns, verbose };
        cmd.SetAction((pr, ct) => Guard(pr, async () =>
        {
            var store = o.Store();
            var socket = o.SocketPath(store);
            var output = pr.InvocationConfiguration.Output;
            if (!pr.GetValue(foreground))
            {
                var client = new VpnManagerClient(socket);
                if (await client.IsRunningAsync(ct))
                {
                    output.WriteLine($"The ikev2 service is already running (pid {await client.PingAsync(ct)}) on {socket}.");
                    return ServiceExitCodes.Ok;
                }
                var pid = await DaemonLauncher.StartAsync(client, ServicePaths.LogPath(store), o.DaemonStartTimeout, o.DaemonCommand, ct);
                output.WriteLine($"Started the ikev2 service (pid {pid}) on {socket}; log: {ServicePaths.LogPath(store)}");
                return ServiceExitCodes.Ok;
            }
            using var logging = Logging.CreateFactory(pr.GetValue(verbose) ? LogLevel.Debug : LogLevel.Information);
            var stateDir = ServicePaths.NetworkStateDirectory(store);
            var settings = new Connection.ProfileConnectionSettings
            {
                Dns = pr.GetValue(noDns) ? Connection.DnsMode.Off : Connection.DnsMode.System, StateDirectory = stateDir,
            };
            await using var services = Composition.BuildService(o, store, new VpnServiceSettings { SocketPath = socket, NetworkStateDirectory = stateDir },
                settings, logging);
            var daemon = new VpnDaemon(services.GetRequiredService<VpnManagerOptions>(), socket);
            try { daemon.Start(startAlwaysOn: !pr.GetValue(noAlwaysOn)); }
            catch (VpnManagerException e) when (e.Code == VpnManagerErrors.Conflict)
            {
                pr.InvocationConfiguration.Error.WriteLine($"error: {SafeText.Line(e.Message)}");
                return ServiceExitCodes.ConnectionFailed;
            }
            await daemon.RunAsync(ct);
            return ServiceExitCodes.Ok;
        }));
        return cmd;
    }

    /// <summary>The state of a stored profile when no service runs (what the service would answer for it).</summary>
    private static VpnProfileState Idle(ProfileStore store, string name)
    {
        if (ProfileName.Check(name) is { } problem) throw new VpnManagerException(VpnManagerErrors.BadRequest, $"invalid profile name: {problem}");
        if (!store.Exists(name)) throw new VpnManagerException(VpnManagerErrors.NotFound, $"no profile named '{name}'");
        var profile = store.Load(name);
        return new VpnProfileState
        {
            Name = name, State = VpnState.Disconnected, AlwaysOn = profile.AlwaysOn, Lockdown = profile.Lockdown,
            Server = $"{profile.ServerAddr}:{profile.ServerPort}", Since = DateTimeOffset.UtcNow,
        };
    }

    // ---- connect helpers ----

    private static (Ikev2VpnProfile? Profile, string Name) Resolve(string target)
    {
        if (File.Exists(target))
        {
            var result = ProfileImporter.Import(target);
            return (result.Profile, result.Profile.Name);
        }
        if (ProfileName.Check(target) is { } problem)
            throw new VpnManagerException(VpnManagerErrors.BadRequest, $"{SafeText.Quote(target)} is neither a file nor a profile name ({problem})");
        return (null, target);
    }

    private static async Task<VpnManagerClient> EnsureServiceAsync(ServiceCliOptions o, ProfileStore store, CancellationToken ct)
    {
        var client = new VpnManagerClient(o.SocketPath(store));
        if (await client.IsRunningAsync(ct)) return client;
        if (!o.AutoStartDaemon) throw new VpnManagerException(VpnManagerErrors.Unavailable, $"the ikev2 service is not running (no answer on {client.SocketPath}); start it with 'ikev2 daemon'");
        await DaemonLauncher.StartAsync(client, ServicePaths.LogPath(store), o.DaemonStartTimeout, o.DaemonCommand, ct);
        return client;
    }

    /// <summary><c>--save-password</c> stores into a stored profile of the user's own: not a file's, not a managed one.</summary>
    private static void CheckCanSave(ProfileStore store, Ikev2VpnProfile? profile, string name)
    {
        if (profile is not null)
            throw new VpnManagerException(VpnManagerErrors.BadRequest,
                "--save-password stores into a stored profile; a profile file is not stored (import it first: 'ikev2 profile import FILE')");
        if (ProfileName.Check(name) is null && store.IsManaged(name))
            throw new VpnManagerException(VpnManagerErrors.Managed,
                $"--save-password: '{name}' is managed by the device policy (MDM directory {store.ManagedDirectory}); its credentials can't be stored here");
    }

    private static async Task<int> StartAndReportAsync(ParseResult pr, ServiceCliOptions o, IVpnManager manager, Ikev2VpnProfile? profile, string name, bool json,
        ICredentialPrompt prompt, CancellationToken ct)
    {
        VpnProfileState state;
        try
        {
            state = await WithProgress(o, json, name, manager, prompt,
                p => profile is null ? manager.StartProvisionedVpnProfileAsync(name, true, p, ct) : manager.StartVpnProfileAsync(profile, true, p, ct), ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            try { await manager.StopProvisionedVpnProfileAsync(name, CancellationToken.None); } catch (VpnManagerException) { }
            pr.InvocationConfiguration.Error.WriteLine("Cancelled; the attempt was stopped.");
            return ServiceExitCodes.ConnectionFailed;
        }
        return Report(pr, state, json);
    }

    /// <summary>
    /// Runs <paramref name="start"/> under the spinner (on a terminal); a credential question stops the spinner while it
    /// is asked, and it starts again after the answer.
    /// </summary>
    private static async Task<VpnProfileState> WithProgress(ServiceCliOptions o, bool json, string name, IVpnManager manager, ICredentialPrompt prompt,
        Func<ICredentialPrompt, Task<VpnProfileState>> start, CancellationToken ct)
    {
        if (json || !o.Interactive) return await start(prompt);
        var pausing = new SpinnerPausingPrompt(prompt);
        var started = start(pausing);
        while (true)
        {
            await Terminal.Stdout().Status().Spinner(Spinner.Known.Dots).StartAsync($"Connecting '{Markup.Escape(name)}'…", async ctx =>
            {
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
                var follow = Task.Run(async () =>
                {
                    try
                    {
                        await foreach (var s in manager.SubscribeAsync(name, stop.Token))
                            if (s.Detail is { } d) ctx.Status($"Connecting '{Markup.Escape(name)}': {Markup.Escape(d)}");
                    }
                    catch (Exception e) when (e is OperationCanceledException or VpnManagerException) { }
                }, CancellationToken.None);
                try { await Task.WhenAny(started, pausing.Requested); }
                finally
                {
                    stop.Cancel();
                    await follow;
                }
            });
            if (started.IsCompleted) return await started;
            await pausing.GrantAsync(); // the spinner is gone: the question has the terminal
            if (ct.IsCancellationRequested) return await started; // Ctrl-C at the question: no spinner again
        }
    }

    private static int Report(ParseResult pr, VpnProfileState state, bool json)
    {
        var output = pr.InvocationConfiguration.Output;
        if (json) output.WriteLine(StateJson.ToJson(state).ToJsonString());
        if (state.State == VpnState.Connected)
        {
            if (!json)
            {
                var c = state.Connection;
                output.WriteLine($"CONNECTED '{state.Name}' to {c?.Gateway ?? state.Server}" +
                    (c is { VirtualAddresses.Count: > 0 } ? $", virtual IP {string.Join(", ", c.VirtualAddresses)}" : "") +
                    (c is { DnsServers.Count: > 0 } ? $", DNS {string.Join(", ", c.DnsServers)}" : "") +
                    (state.SessionKey is { } session ? $", session {session}" : "") +
                    (state.LockdownActive ? "; lockdown: traffic outside the tunnel is blocked" : "") + ".");
            }
            return ServiceExitCodes.Ok;
        }
        var error = state.Error;
        var err = pr.InvocationConfiguration.Error;
        if (error is null)
        {
            err.WriteLine($"error: {SafeText.Quote(state.Name)} is {state.State.ToWire()}");
            return ServiceExitCodes.ConnectionFailed;
        }
        err.WriteLine($"error: {SafeText.Line(error.CodeName, 128)} ({SafeText.Line(error.ClassName, 128)}): {SafeText.Line(error.Message)}");
        if (error.Advice is not null) err.WriteLine($"  {SafeText.Line(error.Advice)}");
        if (StatusRenderer.Blocking(state) is { } blocking) err.WriteLine($"  {blocking}");
        if (state.NextRetryAt is not null) err.WriteLine("  always-on: the service keeps retrying in the background ('ikev2 status --watch').");
        return error.IsRecoverable ? ServiceExitCodes.ConnectionFailed : ServiceExitCodes.NotRecoverable;
    }

    private static async Task<int> ForegroundAsync(ParseResult pr, ServiceCliOptions o, Ikev2VpnProfile? profile, string name, bool json,
        Connection.ProfileConnectionSettings settings, bool printStats, bool verbose, ICredentialPrompt prompt, CancellationToken ct)
    {
        var store = o.Store();
        using var logging = Logging.CreateFactory(json ? LogLevel.None : verbose ? LogLevel.Debug : LogLevel.Warning);
        var logger = logging.CreateLogger<ControlServer>();
        var stateDir = settings.StateDirectory ?? ServicePaths.NetworkStateDirectory(store);
        var socketPath = o.SocketPath(store);
        await using var services = Composition.BuildService(o, store, new VpnServiceSettings { SocketPath = socketPath, NetworkStateDirectory = stateDir },
            settings, logging);
        await using var manager = new VpnManagerService(services.GetRequiredService<VpnManagerOptions>());
        // What a killed service or an earlier --foreground left behind goes first (a lockdown table stays for a lockdown profile).
        manager.RecoverFromCrash(keepLockdownTable: IsLockdownProfile(store, profile, name));
        // Offer the control socket too, so 'ikev2 status' works from another terminal (unless a service owns it).
        ControlServer? server = new(manager, socketPath, logger);
        try { server.Start(); }
        catch (Exception e) when (e is VpnManagerException or IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException) { server = null; }
        try
        {
            var ended = new TaskCompletionSource<VpnProfileState>(TaskCreationOptions.RunContinuationsAsynchronously);
            manager.StateChanged += s =>
            {
                if (s.Name == name && s.State is VpnState.Failed or VpnState.Disconnected && s.NextRetryAt is null) ended.TrySetResult(s);
            };
            var state = await WithProgress(o, json, name, manager, prompt,
                p => profile is null ? manager.StartProvisionedVpnProfileAsync(name, true, p, ct) : manager.StartVpnProfileAsync(profile, true, p, ct), ct);
            int code = Report(pr, state, json);
            if (code != ServiceExitCodes.Ok && state.NextRetryAt is null) return code;
            if (!json) pr.InvocationConfiguration.Output.WriteLine("Press Ctrl-C to disconnect.");
            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            void OnSignal(System.Runtime.InteropServices.PosixSignalContext c) { c.Cancel = true; signal.TrySetResult(); }
            using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, OnSignal);
            using var intr = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, OnSignal);
            using var reg = ct.Register(() => signal.TrySetResult());
            var done = await Task.WhenAny(signal.Task, ended.Task);
            if (printStats && !json && (await manager.GetProvisionedVpnProfileStateAsync(name, CancellationToken.None)).Statistics is { } st)
                pr.InvocationConfiguration.Output.WriteLine($"  out {st.PacketsSent} pkts/{st.BytesSent} B, in {st.PacketsReceived} pkts/{st.BytesReceived} B");
            if (done == ended.Task)
            {
                var last = await ended.Task;
                return last.Error is { } e ? (e.IsRecoverable ? ServiceExitCodes.ConnectionFailed : ServiceExitCodes.NotRecoverable) : ServiceExitCodes.ConnectionFailed;
            }
            await manager.ShutdownAsync();
            if (!json) pr.InvocationConfiguration.Output.WriteLine($"Disconnected '{name}'.");
            return ServiceExitCodes.Ok;
        }
        finally
        {
            await manager.ShutdownAsync();
            if (server is not null) await server.DisposeAsync();
        }
    }

    private static bool IsLockdownProfile(ProfileStore store, Ikev2VpnProfile? profile, string name)
    {
        if (profile is not null) return profile.Lockdown;
        try { return store.Exists(name) && store.Load(name).Lockdown; }
        catch (ProfileStoreException) { return false; }
    }

    private static bool IsActive(VpnProfileState s) =>
        s.State is VpnState.Connecting or VpnState.Connected or VpnState.Disconnecting || s.NextRetryAt is not null;

    private static async Task<int> Guard(ParseResult pr, Func<Task<int>> action)
    {
        var err = pr.InvocationConfiguration.Error;
        try { return await action(); }
        catch (VpnManagerException e)
        {
            err.WriteLine($"error: {SafeText.Line(e.Message)}");
            return e.Code switch
            {
                VpnManagerErrors.Unavailable => ServiceExitCodes.ServiceUnavailable,
                VpnManagerErrors.NotFound or VpnManagerErrors.BadRequest or VpnManagerErrors.InvalidProfile or VpnManagerErrors.Conflict
                    or VpnManagerErrors.Managed => ServiceExitCodes.Usage,
                VpnManagerErrors.CredentialsRequired => ServiceExitCodes.NotRecoverable,
                _ => ServiceExitCodes.ConnectionFailed,
            };
        }
        catch (Exception e) when (e is ProfileImportException or ProfileValidationException or ProfileStoreException)
        {
            err.WriteLine($"error: {SafeText.Line(e.Message)}");
            return ServiceExitCodes.Usage;
        }
        catch (OperationCanceledException)
        {
            err.WriteLine("Cancelled.");
            return ServiceExitCodes.ConnectionFailed;
        }
    }

    /// <summary>Tables, laid out for the terminal's width when the writer is one.</summary>
    private static IAnsiConsole Ansi(TextWriter writer) => Terminal.For(writer);
}
