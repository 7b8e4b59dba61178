using System.CommandLine;
using System.Text.Json.Nodes;
using Ikev2Client.Profiles;
using Ikev2Client.Service;
using Spectre.Console;

namespace Ikev2Client.Cli;

/// <summary>The <c>profile</c> command: import, list, show, remove, export. Errors are one line on stderr
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
        }));
        return cmd;
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

    private static int Run(ParseResult pr, Action action)
    {
        try
        {
            action();
            return 0;
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
