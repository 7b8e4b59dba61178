using System.CommandLine;
using System.Text.Json.Nodes;
using Ikev2Client.Profiles;
using Ikev2Client.Service;
using Spectre.Console;

namespace Ikev2Client.Cli;

/// <summary>The <c>profile</c> command: import, list, show, set, remove, export. Errors are one line on stderr
/// with exit code 2 for bad input or a refused change (a managed profile) and 1 for other failures.</summary>
public static class ProfileCommands
{
    /// <summary>The command, using the default <see cref="ProfileStore"/> and the service's socket.</summary>
    public static Command Create() => Create(() => new ProfileStore(), ServicePaths.SocketPath);

    /// <summary>The command over a given store (tests); <c>remove</c> uses a service on <c>ROOT/run/ikev2.sock</c> when one answers.</summary>
    public static Command Create(Func<ProfileStore> storeFactory) => Create(storeFactory, s => Path.Combine(s.Root, "run", "ikev2.sock"));

    /// <summary>The command over a given store and service socket.</summary>
    public static Command Create(Func<ProfileStore> storeFactory, Func<ProfileStore, string> socketPath)
    {
        var command = new Command("profile", "Manage VPN profiles");
        command.Subcommands.Add(ImportCommand(storeFactory));
        command.Subcommands.Add(ListCommand(storeFactory));
        command.Subcommands.Add(ShowCommand(storeFactory));
        command.Subcommands.Add(SetCommand(storeFactory));
        command.Subcommands.Add(RemoveCommand(storeFactory, socketPath));
        command.Subcommands.Add(ExportCommand(storeFactory));
        return command;
    }

    private static Command ImportCommand(Func<ProfileStore> store)
    {
        var file = new Argument<string>("FILE") { Description = ".sswan, .mobileconfig, ProfileXML, managed configuration or native JSON" };
        var name = new Option<string?>("--name") { Description = "Store under this name" };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON" };
        var force = new Option<bool>("--force") { Description = "Replace a profile of the same name" };
        var p12 = new Option<string?>("--pkcs12") { Description = "PKCS#12 with the user certificate (Windows profiles)" };
        var p12Stdin = new Option<bool>("--pkcs12-password-stdin") { Description = "Read the PKCS#12 password from the first line of stdin" };
        var cmd = new Command("import", "Import a profile file") { file, name, json, force, p12, p12Stdin };
        cmd.SetAction(pr => Run(pr, () =>
        {
            byte[]? pkcs12 = null;
            if (pr.GetValue(p12) is { } p12Path)
            {
                var shown = SafeText.Clip(p12Path, 256);
                try
                {
                    if (new FileInfo(p12Path).Length > ProfileLimits.MaxPkcs12Bytes)
                        throw new ProfileImportException($"{shown}: larger than the {ProfileLimits.MaxPkcs12Bytes / 1024} KiB limit of a PKCS#12");
                    pkcs12 = File.ReadAllBytes(p12Path);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
                {
                    throw new ProfileImportException($"{shown}: cannot be read ({e.GetType().Name})");
                }
            }
            var password = pr.GetValue(p12Stdin) ? Console.In.ReadLine() : null;
            var result = ProfileImporter.Import(pr.GetValue(file)!, new ImportOptions { Name = pr.GetValue(name), Pkcs12 = pkcs12, Pkcs12Password = password });
            var s = store();
            s.ThrowIfManaged(result.Profile.Name, "replaced"); // with or without --force
            if (s.Exists(result.Profile.Name) && !pr.GetValue(force))
                throw new ProfileImportException($"a profile named {SafeText.Quote(result.Profile.Name)} exists; use --force to replace it or --name to choose another");
            s.Save(result.Profile);
            var output = pr.InvocationConfiguration.Output;
            if (pr.GetValue(json))
            {
                var notes = new JsonArray(result.Notes.Select(n => (JsonNode)new JsonObject
                    { ["kind"] = n.Kind.ToString(), ["key"] = n.Key, ["message"] = n.Message }).ToArray());
                output.WriteLine(new JsonObject { ["name"] = result.Profile.Name, ["format"] = result.Format.ToString(), ["notes"] = notes }.ToJsonString());
            }
            else
            {
                output.WriteLine($"Imported '{result.Profile.Name}' ({result.Format}).");
                foreach (var n in result.Notes) output.WriteLine($"  {n.Kind}: {n.Key}: {n.Message}");
            }
        }));
        return cmd;
    }

    private static Command ListCommand(Func<ProfileStore> store)
    {
        var json = new Option<bool>("--json") { Description = "Print as JSON" };
        var cmd = new Command("list", "List stored profiles") { json };
        cmd.SetAction(pr => Run(pr, () =>
        {
            var s = store();
            var profiles = s.List().Select(n => s.Load(n).WithoutSecrets()).ToList();
            var managed = ManagedView.Of(s);
            var output = pr.InvocationConfiguration.Output;
            if (pr.GetValue(json))
            {
                output.WriteLine(new JsonArray(profiles.Select(p => (JsonNode)managed.Annotate(p.Name, new JsonObject
                {
                    ["name"] = p.Name, ["serverAddr"] = p.ServerAddr, ["serverPort"] = p.ServerPort,
                    ["authMethod"] = NativeProfileJson.ToJson(p, false)["authMethod"]!.DeepClone(),
                })).ToArray()).ToJsonString());
                foreach (var line in managed.UnappliedFiles()) pr.InvocationConfiguration.Error.WriteLine("warning: " + line);
                return;
            }
            if (profiles.Count == 0) output.WriteLine("No profiles.");
            else
            {
                var table = new Table().AddColumns("Name", "Server", "Authentication", "Always-on", "Source");
                foreach (var p in profiles)
                    table.AddRow(Markup.Escape(p.Name), Markup.Escape($"{p.ServerAddr}:{p.ServerPort}"), p.AuthMethod.ToString(), p.AlwaysOn ? "yes" : "no",
                        Markup.Escape(managed.Source(p.Name)));
                Ansi(output).Write(table);
            }
            foreach (var line in managed.Remarks()) output.WriteLine(line);
        }));
        return cmd;
    }

    private static Command ShowCommand(Func<ProfileStore> store)
    {
        var name = new Argument<string>("NAME");
        CompletionCommand.CompleteProfileNames(name, store);
        var json = new Option<bool>("--json") { Description = "Print as native JSON (no secrets)" };
        var cmd = new Command("show", "Show a profile (never its secrets)") { name, json };
        cmd.SetAction(pr => Run(pr, () =>
        {
            var s = store();
            var profile = s.Load(pr.GetValue(name)!);
            var o = NativeProfileJson.ToJson(profile, includeSecrets: false);
            var output = pr.InvocationConfiguration.Output;
            if (pr.GetValue(json)) { output.WriteLine(NativeProfileJson.Serialize(o)); return; }
            var managed = ManagedView.Of(s);
            var table = new Table().AddColumns("Setting", "Value");
            table.AddRow("source", Markup.Escape(managed.ShowSource(profile.Name)));
            foreach (var (k, v) in o)
            {
                var text = k is "serverRootCaCert" or "userCert"
                    ? CertSummary(k == "userCert" ? profile.UserCert : profile.ServerRootCaCert)
                    : v?.ToJsonString() ?? "";
                table.AddRow(Markup.Escape(k), Markup.Escape(text.Trim('"')));
            }
            foreach (var k in NativeProfileJson.SecretsToJson(profile).Select(kv => kv.Key))
                table.AddRow(Markup.Escape(k), "(stored, hidden)");
            Ansi(output).Write(table);
            foreach (var line in managed.ShowNotes(profile.Name)) output.WriteLine(line);
            foreach (var u in LinuxProfileSupport.Unsupported(profile)) output.WriteLine(SafeText.Line(u.ToString(), 1024));
        }));
        return cmd;
    }

    private static Command SetCommand(Func<ProfileStore> store)
    {
        var name = new Argument<string>("NAME");
        CompletionCommand.CompleteProfileNames(name, store);
        var username = new Option<string?>("--username") { Description = "The EAP user name", HelpName = "USER" };
        var passwordStdin = new Option<bool>("--password-stdin")
            { Description = "Read the EAP password from the first line of stdin (on a terminal: asked without echo)" };
        var forget = new Option<bool>("--forget-password") { Description = "Remove the stored EAP password: it is asked when connecting" };
        var p12 = new Option<string?>("--pkcs12") { Description = "A PKCS#12 with the user certificate and key; replaces the profile's", HelpName = "FILE" };
        var p12Stdin = new Option<bool>("--pkcs12-password-stdin")
            { Description = "Read the PKCS#12's password from the next line of stdin (after the EAP password's, if both)" };
        var ca = new Option<string?>("--ca-cert") { Description = "The CA certificate (PEM or DER) the gateway's certificate must chain to", HelpName = "FILE" };
        var cmd = new Command("set", "Complete or change a stored profile's credentials (validated like an import; secrets stored 0600, never shown)")
            { name, username, passwordStdin, forget, p12, p12Stdin, ca };
        cmd.SetAction((pr, token) => RunAsync(pr, async () =>
        {
            using var interrupts = Interrupts.Cancel(token); // Ctrl-C at a password question puts the terminal's echo back
            var ct = interrupts.Token;
            var profileName = pr.GetValue(name)!;
            var s = store();
            s.ThrowIfManaged(profileName, "changed");
            var profile = s.Load(profileName);
            var pkcs12 = pr.GetValue(p12) is { } p12Path ? ReadLimited(p12Path, ProfileLimits.MaxPkcs12Bytes, "PKCS#12") : null;
            var caCert = pr.GetValue(ca) is { } caPath
                ? CertificateText.TryCertificate(ReadLimited(caPath, ProfileLimits.MaxCertificateBytes, "certificate"))
                  ?? throw new ProfileImportException($"{SafeText.Clip(caPath, 256)}: not a PEM or DER certificate")
                : null;
            var changes = new CredentialChanges
            {
                Username = pr.GetValue(username), ForgetPassword = pr.GetValue(forget), Pkcs12 = pkcs12, ServerRootCaCert = caCert,
                Password = pr.GetValue(passwordStdin) ? await SecretFromStdinAsync("password", $"Password for {SafeText.Quote(profileName)}", ct) : null,
                Pkcs12Password = pr.GetValue(p12Stdin) ? await SecretFromStdinAsync("pkcs12Password", $"Password of the PKCS#12 for {SafeText.Quote(profileName)}", ct) : null,
            };
            if (changes.IsEmpty)
                throw new ProfileImportException("nothing to change: give --username, --password-stdin, --forget-password, --pkcs12, --pkcs12-password-stdin or --ca-cert");
            var updated = ProfileCredentials.Apply(profile, changes);
            s.Save(updated);
            var done = new List<string>();
            if (changes.Username is not null) done.Add($"user name {SafeText.Quote(changes.Username)}");
            if (changes.Password is not null) done.Add("password stored");
            if (changes.ForgetPassword) done.Add("password removed (asked when connecting)");
            if (changes.Pkcs12 is not null) done.Add("PKCS#12 replaced");
            if (changes.Pkcs12Password is not null) done.Add("PKCS#12 password stored");
            if (changes.ServerRootCaCert is not null) done.Add($"CA {SafeText.Line(changes.ServerRootCaCert.Subject, 128)}");
            var output = pr.InvocationConfiguration.Output;
            output.WriteLine($"Updated '{profileName}': {string.Join(", ", done)}.");
            if (ProfileCredentials.Missing(updated) is { Count: > 0 } missing)
                output.WriteLine($"  still missing: {string.Join(", ", missing.Select(m => m.Key))} (asked when connecting on a terminal)");
            if (updated.HasSecrets) output.WriteLine($"  secrets are in {Path.Combine(s.Root, "secrets", profileName + ".json")} (mode 0600); a connection that is up keeps the old ones until it is disconnected and connected again");
        }));
        return cmd;
    }

    /// <summary>A file of at most <paramref name="max"/> bytes; an import error naming it otherwise.</summary>
    private static byte[] ReadLimited(string path, int max, string what)
    {
        var shown = SafeText.Clip(path, 256);
        try
        {
            if (new FileInfo(path).Length > max) throw new ProfileImportException($"{shown}: larger than the {max / 1024} KiB limit of a {what}");
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new ProfileImportException($"{shown}: cannot be read ({e.GetType().Name})");
        }
    }

    /// <summary>
    /// A secret from standard input: on a terminal asked without echo, otherwise the next line (without its line end).
    /// Never echoed or printed.
    /// </summary>
    private static async Task<string> SecretFromStdinAsync(string field, string label, CancellationToken ct)
    {
        string? line;
        if (TerminalInput.StdinIsTerminal)
        {
            using var tty = TerminalInput.PromptWriter();
            line = await TerminalInput.ReadLineAsync(tty, label + ": ", secret: true, timeout: null, ct);
        }
        else line = await Console.In.ReadLineAsync(ct);
        return line ?? throw new ProfileImportException($"{field}: standard input ended before its line");
    }

    private static Command RemoveCommand(Func<ProfileStore> store, Func<ProfileStore, string> socketPath)
    {
        var name = new Argument<string>("NAME");
        CompletionCommand.CompleteProfileNames(name, store);
        var cmd = new Command("remove", "Remove a profile and its secrets (stopping it first when the service runs it)") { name };
        cmd.SetAction(pr => Run(pr, () =>
        {
            var profileName = pr.GetValue(name)!;
            var s = store();
            s.ThrowIfManaged(profileName, "removed");
            // Through the service when it runs (VpnManager.deleteProvisionedVpnProfile): it stops a running or
            // reconnecting loop before the files go. Without a service nothing runs, and the store does the same.
            bool done;
            try
            {
                new VpnManagerClient(socketPath(s)).DeleteProvisionedVpnProfileAsync(profileName).GetAwaiter().GetResult();
                done = true;
            }
            catch (VpnManagerException e) when (e.Code == VpnManagerErrors.Unavailable) { done = false; }
            if (!done && !s.Remove(profileName)) throw new ProfileStoreException($"no profile named '{profileName}'");
            pr.InvocationConfiguration.Output.WriteLine($"Removed '{profileName}'.");
        }));
        return cmd;
    }

    private static Command ExportCommand(Func<ProfileStore> store)
    {
        var name = new Argument<string>("NAME");
        CompletionCommand.CompleteProfileNames(name, store);
        var secrets = new Option<bool>("--include-secrets") { Description = "Include PSK, password, keys" };
        var output = new Option<string?>("--output", "-o") { Description = "Write to this file (mode 0600 with secrets) instead of stdout" };
        var cmd = new Command("export", "Export a profile as native JSON") { name, secrets, output };
        cmd.SetAction(pr => Run(pr, () =>
        {
            var text = store().Export(pr.GetValue(name)!, pr.GetValue(secrets));
            if (pr.GetValue(output) is { } path) PrivateFile.Write(path, text); // ends mode 0600 even when the file existed
            else pr.InvocationConfiguration.Output.WriteLine(text);
        }));
        return cmd;
    }

    private static Task<int> RunAsync(ParseResult pr, Func<Task> action) =>
        Task.FromResult(Run(pr, () => action().GetAwaiter().GetResult()));

    private static int Run(ParseResult pr, Action action)
    {
        try
        {
            action();
            return 0;
        }
        catch (OperationCanceledException)
        {
            pr.InvocationConfiguration.Error.WriteLine("Cancelled; nothing was changed.");
            return 1;
        }
        catch (ManagedProfileException e)
        {
            pr.InvocationConfiguration.Error.WriteLine($"error: {e.Message.ReplaceLineEndings(" ")}");
            return 2;
        }
        catch (VpnManagerException e)
        {
            pr.InvocationConfiguration.Error.WriteLine($"error: {e.Message.ReplaceLineEndings(" ")}");
            return e.Code is VpnManagerErrors.Internal or VpnManagerErrors.Unavailable ? 1 : 2;
        }
        catch (Exception e) when (e is ProfileImportException or ProfileValidationException or ProfileStoreException)
        {
            pr.InvocationConfiguration.Error.WriteLine($"error: {SafeText.Line(e.Message)}");
            return e is ProfileStoreException s && s.Message.StartsWith("cannot", StringComparison.Ordinal) ? 1 : 2;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            pr.InvocationConfiguration.Error.WriteLine($"error: {e.GetType().Name}: {SafeText.Line(e.Message)}");
            return 1;
        }
    }

    private static string CertSummary(System.Security.Cryptography.X509Certificates.X509Certificate2? c) =>
        c is null ? "" : $"{SafeText.Line(c.Subject, 256)} (expires {c.NotAfter:yyyy-MM-dd}, SHA-256 {c.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256)[..16]}…)";

    /// <summary>Tables, laid out for the terminal's width when the writer is one.</summary>
    private static IAnsiConsole Ansi(TextWriter writer) => Terminal.For(writer);
}
