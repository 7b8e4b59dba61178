using System.CommandLine;
using System.Text.Json.Nodes;
using Ikev2Client.Profiles;
using Spectre.Console;

namespace Ikev2Client.Cli;

/// <summary>The <c>profile</c> command: import, list, show, remove, export. Errors are one line on stderr
/// with exit code 2 for bad input and 1 for other failures.</summary>
public static class ProfileCommands
{
    /// <summary>The command, using the default <see cref="ProfileStore"/>.</summary>
    public static Command Create() => Create(() => new ProfileStore());

    /// <summary>The command over a given store (tests).</summary>
    public static Command Create(Func<ProfileStore> storeFactory)
    {
        var command = new Command("profile", "Manage VPN profiles");
        command.Subcommands.Add(ImportCommand(storeFactory));
        command.Subcommands.Add(ListCommand(storeFactory));
        command.Subcommands.Add(ShowCommand(storeFactory));
        command.Subcommands.Add(RemoveCommand(storeFactory));
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
                try { pkcs12 = File.ReadAllBytes(p12Path); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new ProfileImportException($"{p12Path}: cannot be read"); }
            }
            var password = pr.GetValue(p12Stdin) ? Console.In.ReadLine() : null;
            var result = ProfileImporter.Import(pr.GetValue(file)!, new ImportOptions { Name = pr.GetValue(name), Pkcs12 = pkcs12, Pkcs12Password = password });
            var s = store();
            if (s.Exists(result.Profile.Name) && !pr.GetValue(force))
                throw new ProfileImportException($"a profile named '{result.Profile.Name}' exists; use --force to replace it or --name to choose another");
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
            var output = pr.InvocationConfiguration.Output;
            if (pr.GetValue(json))
            {
                output.WriteLine(new JsonArray(profiles.Select(p => (JsonNode)new JsonObject
                {
                    ["name"] = p.Name, ["serverAddr"] = p.ServerAddr, ["serverPort"] = p.ServerPort,
                    ["authMethod"] = NativeProfileJson.ToJson(p, false)["authMethod"]!.DeepClone(),
                }).ToArray()).ToJsonString());
                return;
            }
            if (profiles.Count == 0) { output.WriteLine("No profiles."); return; }
            var table = new Table().AddColumns("Name", "Server", "Authentication", "Always-on");
            foreach (var p in profiles)
                table.AddRow(Markup.Escape(p.Name), Markup.Escape($"{p.ServerAddr}:{p.ServerPort}"), p.AuthMethod.ToString(), p.AlwaysOn ? "yes" : "no");
            Ansi(output).Write(table);
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
            var profile = store().Load(pr.GetValue(name)!);
            var o = NativeProfileJson.ToJson(profile, includeSecrets: false);
            var output = pr.InvocationConfiguration.Output;
            if (pr.GetValue(json)) { output.WriteLine(NativeProfileJson.Serialize(o)); return; }
            var table = new Table().AddColumns("Setting", "Value");
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
        }));
        return cmd;
    }

    private static Command RemoveCommand(Func<ProfileStore> store)
    {
        var name = new Argument<string>("NAME");
        CompletionCommand.CompleteProfileNames(name, store);
        var cmd = new Command("remove", "Remove a profile and its secrets") { name };
        cmd.SetAction(pr => Run(pr, () =>
        {
            if (!store().Remove(pr.GetValue(name)!)) throw new ProfileStoreException($"no profile named '{pr.GetValue(name)}'");
            pr.InvocationConfiguration.Output.WriteLine($"Removed '{pr.GetValue(name)}'.");
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
            if (pr.GetValue(output) is { } path)
            {
                var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                using var w = new StreamWriter(new FileStream(path, options));
                w.Write(text);
            }
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
        catch (Exception e) when (e is ProfileImportException or ProfileValidationException or ProfileStoreException)
        {
            pr.InvocationConfiguration.Error.WriteLine($"error: {OneLine(e.Message)}");
            return e is ProfileStoreException s && s.Message.StartsWith("cannot", StringComparison.Ordinal) ? 1 : 2;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            pr.InvocationConfiguration.Error.WriteLine($"error: {e.GetType().Name}: {OneLine(e.Message)}");
            return 1;
        }
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ");

    private static string CertSummary(System.Security.Cryptography.X509Certificates.X509Certificate2? c) =>
        c is null ? "" : $"{c.Subject} (expires {c.NotAfter:yyyy-MM-dd}, SHA-256 {c.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256)[..16]}…)";

    /// <summary>Tables, laid out for the terminal's width when the writer is one.</summary>
    private static IAnsiConsole Ansi(TextWriter writer) => Terminal.For(writer);
}
